package notify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/webhook"
)

func TestRetriesSpanADay(t *testing.T) {
	if span := RetrySpan(30 * time.Second); span < 24*time.Hour {
		t.Fatalf("retries end after %v, before a day", span)
	}
	if d := RetryDelay(30*time.Second, 1); d != 30*time.Second {
		t.Fatalf("first retry after %v", d)
	}
	if d := RetryDelay(30*time.Second, 3); d != 2*time.Minute {
		t.Fatalf("third retry after %v", d)
	}
	if d := RetryDelay(30*time.Second, 19); d != 2*time.Hour {
		t.Fatalf("late retries wait %v", d)
	}
}

func TestEventIDsAreStablePerOccurrence(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	a := outbox.New(outbox.CommissionCreated, "generic:o1", at, map[string]int{"x": 1})
	b := outbox.New(outbox.CommissionCreated, "generic:o1", at.Add(time.Hour), map[string]int{"x": 1})
	c := outbox.New(outbox.CommissionReversed, "generic:o1", at, map[string]int{"x": 1})
	if a.ID != b.ID || a.ID == c.ID {
		t.Fatalf("ids: %s %s %s", a.ID, b.ID, c.ID)
	}
}

func TestPosterRefusesNonPublicAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	now := func() time.Time { return time.Now() }
	evt := outbox.New(outbox.PayoutPaid, "x", time.Now(), map[string]string{})
	if _, err := NewPoster(false, now).Post(context.Background(), Endpoint{URL: srv.URL, Secret: "s"}, evt); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("loopback allowed: %v", err)
	}
	for _, addr := range []string{"10.0.0.1:443", "169.254.169.254:80", "192.168.1.1:443", "[::1]:443", "[fe80::1]:443", "0.0.0.0:80"} {
		if err := refusePrivate("tcp", addr, nil); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s allowed", addr)
		}
	}
	if err := refusePrivate("tcp", "93.184.216.34:443", nil); err != nil {
		t.Errorf("public address refused: %v", err)
	}
}

func TestPosterSignsWithTheEndpointSecret(t *testing.T) {
	var got error
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, r.ContentLength)
		_, _ = r.Body.Read(body)
		got = webhook.VerifyTimestamped(r.Header.Get(SignatureHeader), body, []byte("whsec_test"), time.Now())
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	code, err := NewPoster(true, time.Now).Post(context.Background(), Endpoint{URL: srv.URL, Secret: "whsec_test"},
		outbox.New(outbox.PayoutPaid, "x", time.Now(), map[string]string{"a": "b"}))
	if err != nil || code != http.StatusNoContent || got != nil {
		t.Fatalf("post: %d %v, signature: %v", code, err, got)
	}
}

func TestEndpointURLRules(t *testing.T) {
	s := &Service{Now: time.Now}
	for _, u := range []string{"http://example.com/hook", "ftp://x", "https://user:pw@example.com/", "/relative"} {
		if err := s.checkURL(u); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s accepted", u)
		}
	}
	if err := s.checkURL("https://example.com/hooks"); err != nil {
		t.Fatal(err)
	}
	s.AllowInsecure = true
	if err := s.checkURL("http://127.0.0.1:9000/hook"); err != nil {
		t.Fatal(err)
	}
}

// endpointsOnly is a store whose endpoint list is counted.
type endpointsOnly struct {
	Store
	list  []Endpoint
	reads int
}

func (s *endpointsOnly) ListEndpoints(context.Context) ([]Endpoint, error) {
	s.reads++
	return s.list, nil
}

func TestWantsReadsTheEndpointsOncePerCachePeriod(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	store := &endpointsOnly{list: []Endpoint{{ID: "we_1", Events: []string{outbox.PayoutPaid}}}}
	s := &Service{Store: store, Now: func() time.Time { return now }, CacheFor: 30 * time.Second}
	ctx := context.Background()
	if !s.Wants(ctx, outbox.PayoutPaid) || s.Wants(ctx, outbox.TierChanged) || !s.Wants(ctx, outbox.PayoutPaid) {
		t.Fatal("subscriptions misread")
	}
	if store.reads != 1 {
		t.Fatalf("read the endpoints %d times within the cache period", store.reads)
	}
	now = now.Add(31 * time.Second)
	s.Wants(ctx, outbox.PayoutPaid)
	if store.reads != 2 {
		t.Fatalf("the cache outlived its period: %d reads", store.reads)
	}
}
