package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/dynamo"
	"github.com/partnerloop/partnerloop/internal/notify"
	"github.com/partnerloop/partnerloop/internal/outbox"
)

// deployed runs the services as in AWS: https only, public addresses only.
func (h *harness) deployed() {
	h.cfg.LocalWebhooks = false
	h.build()
}

func TestEndpointOnANonPublicAddressIsRefusedAtRegistration(t *testing.T) {
	h := newHarness(t)
	h.deployed()
	before := h.itemCount()
	for _, url := range []string{
		"https://169.254.169.254/latest/meta-data/", "https://127.0.0.1:8443/hooks", "https://[::1]/hooks",
		"https://100.64.0.7/hooks", "https://[64:ff9b::a9fe:a9fe]/hooks", "https://[2002:7f00:1::1]/hooks", "https://localhost/hooks",
	} {
		res := h.do("POST", "/v1/webhook-endpoints", h.tokens["bob"], []byte(`{"url":"`+url+`","events":["payout.paid"]}`), nil)
		if res.Status != http.StatusUnprocessableEntity || res.errorCode() != "invalid_endpoint" || !strings.Contains(string(res.Raw), "url") {
			t.Errorf("%s: %d %s", url, res.Status, res.Raw)
		}
	}
	if after := h.itemCount(); after != before {
		t.Fatalf("refused registrations wrote %d items", after-before)
	}
	if res := h.do("POST", "/v1/webhook-endpoints", h.tokens["bob"], []byte(`{"url":"https://hooks.example.com/partnerloop","events":["payout.paid"]}`), nil); res.Status != http.StatusCreated {
		t.Fatalf("public endpoint: %d %s", res.Status, res.Raw)
	}
}

// deliverOnce posts one event to the endpoint as the notifier does and
// returns the attempt the deliveries log shows.
func (h *harness) deliverOnce(endpointID string) map[string]any {
	h.t.Helper()
	evt := outbox.New(outbox.PayoutPaid, "pb_1.pt_1.EUR:payout", time.Now(), map[string]string{"item_id": "pb_1.pt_1.EUR"})
	if err := h.app.Notify.Deliver(context.Background(), notify.Message{EndpointID: endpointID, Event: evt}, 1); err == nil {
		h.t.Fatal("the delivery succeeded")
	}
	res := h.do("GET", "/v1/webhook-endpoints/"+endpointID+"/deliveries", h.tokens["bob"], nil, nil)
	list, _ := res.Body["deliveries"].([]any)
	if res.Status != http.StatusOK || len(list) != 1 {
		h.t.Fatalf("deliveries: %d %s", res.Status, res.Raw)
	}
	return list[0].(map[string]any)
}

func TestDeliveriesLogAFailureCategory(t *testing.T) {
	h := newHarness(t)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer failing.Close()
	created := h.do("POST", "/v1/webhook-endpoints", h.tokens["bob"], []byte(`{"url":"`+failing.URL+`/hooks","events":["payout.paid"]}`), nil)
	if created.Status != http.StatusCreated {
		t.Fatalf("endpoint: %d %s", created.Status, created.Raw)
	}
	if got := h.deliverOnce(created.Body["id"].(string)); got["error"] != "http_502" || got["response_code"] != 502.0 || got["status"] != "failed" {
		t.Errorf("a 502 answer is logged as %v", got)
	}

	// An endpoint an earlier release registered on a loopback address: the
	// deployed notifier refuses to dial it and does not tell where it resolved.
	stored := notify.Endpoint{ID: "we_loopback", URL: failing.URL + "/hooks", Events: []string{outbox.PayoutPaid},
		Secret: "whsec_old", CreatedAt: time.Now().UTC(), CreatedBy: "bob"}
	if err := dynamo.Open(h.env.DB, h.env.Table).Notify.PutEndpoint(context.Background(), stored); err != nil {
		t.Fatal(err)
	}
	h.deployed()
	got := h.deliverOnce(stored.ID)
	if got["error"] != "refused_address" || got["response_code"] != nil {
		t.Errorf("a refused address is logged as %v", got)
	}
}
