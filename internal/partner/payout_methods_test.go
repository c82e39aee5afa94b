package partner_test

import (
	"slices"
	"testing"

	"github.com/partnerloop/partnerloop/internal/partner"
)

func TestPayoutMethodsNameWhatPaysThePartner(t *testing.T) {
	for _, c := range []struct {
		name   string
		payout *partner.PayoutDetails
		want   []string
	}{
		{"PayPal at a Gmail spelling", &partner.PayoutDetails{Method: partner.MethodPayPal, Email: "Jane.Doe+shop@googlemail.com"}, []string{"janedoe@gmail.com"}},
		{"Wise at the partner's own address", &partner.PayoutDetails{Method: partner.MethodWise}, []string{"owner@partner.example"}},
		{"Stripe", &partner.PayoutDetails{Method: partner.MethodStripe, StripeAccount: "acct_123"}, []string{"stripe:acct_123"}},
		{"manual", &partner.PayoutDetails{Method: partner.MethodManual}, nil},
		{"no payout details", nil, nil},
	} {
		p := partner.Partner{Email: "owner@partner.example", Payout: c.payout}
		if got := p.PayoutMethods(); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
