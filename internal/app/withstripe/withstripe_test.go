package withstripe

import (
	"context"
	"errors"
	"testing"

	"github.com/partnerloop/partnerloop/internal/discount"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/stripepay"
)

// A key set or rolled in the provider secret is used from the next call;
// while there is none, a payout leg fails for good and a stripe discount
// is refused as not configured.
func TestTheClientFollowsTheKeyInTheSecret(t *testing.T) {
	ctx := context.Background()
	current, built := "", []string{}
	k := &keyed[string]{key: func(context.Context) (string, error) { return current, nil },
		build: func(key string) string { built = append(built, key); return "client for " + key }, missing: errNoKey}

	if _, err := (connect{&keyed[*stripepay.Connect]{key: k.key, missing: errors.Join(payout.ErrFinal, errNoKey)}}).Pay(ctx, payout.Message{}); !errors.Is(err, payout.ErrFinal) {
		t.Errorf("a payout without a key: %v, want final", err)
	}
	if _, err := (codes{&keyed[*stripepay.Discounts]{key: k.key, missing: discount.ErrNotConfigured}}).Coupon(ctx, "g", discount.Discount{}); !errors.Is(err, discount.ErrNotConfigured) {
		t.Errorf("a coupon without a key: %v, want not configured", err)
	}
	for _, key := range []string{"sk_1", "sk_1", "sk_2"} {
		current = key
		if c, err := k.get(ctx); err != nil || c != "client for "+key {
			t.Fatalf("with %s: %q %v", key, c, err)
		}
	}
	if len(built) != 2 {
		t.Errorf("clients built for %v, want one per key", built)
	}
}
