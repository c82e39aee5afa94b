package referral_test

import (
	"context"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/fraud"
	"github.com/partnerloop/partnerloop/internal/referral"
)

// clickRecorder keeps the clicks the service counts.
type clickRecorder struct {
	referral.Store
	clicks []fraud.Click
}

func (r *clickRecorder) AddClick(ctx context.Context, partnerID, source string, at time.Time, c fraud.Click) (int64, error) {
	r.clicks = append(r.clicks, c)
	return r.Store.AddClick(ctx, partnerID, source, at, c)
}

func TestAClickRecordsADeviceOnlyWithAHashKey(t *testing.T) {
	for _, c := range []struct {
		name       string
		key        []byte
		wantDevice bool
	}{
		{"keyed", []byte("k"), true},
		{"no key: an unkeyed hash of an address is a lookup away from the address", nil, false},
	} {
		w := newWorld()
		p := w.partner(t, "ann@example.com")
		rec := &clickRecorder{Store: w.store}
		w.refs.Store, w.refs.Hasher = rec, referral.EmailHasher{Key: c.key}
		visit := referral.Visit{Source: "203.0.113.7", Address: "203.0.113.7", UserAgent: "Mozilla/5.0"}
		if _, _, err := w.refs.Click(context.Background(), p.ReferralCode, visit, 100); err != nil {
			t.Fatal(err)
		}
		if len(rec.clicks) != 1 {
			t.Fatalf("%s: %d clicks counted, want 1", c.name, len(rec.clicks))
		}
		if got := rec.clicks[0].Device != ""; got != c.wantDevice {
			t.Errorf("%s: device recorded=%v (%q), want %v", c.name, got, rec.clicks[0].Device, c.wantDevice)
		}
	}
}
