package app

import (
	"context"
	"errors"
	"slices"

	"github.com/partnerloop/partnerloop/internal/apikey"
	"github.com/partnerloop/partnerloop/internal/discount"
	"github.com/partnerloop/partnerloop/internal/dynamo"
	"github.com/partnerloop/partnerloop/internal/embed"
	"github.com/partnerloop/partnerloop/internal/group"
	"github.com/partnerloop/partnerloop/internal/httpapi"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/statement"
	"github.com/partnerloop/partnerloop/internal/stripepay"
)

// customerReferrals gives the server API keys, partners' discount codes
// and the embedded widget.
func customerReferrals(srv *httpapi.Server, store dynamo.Adapters, cfg Config, partners *partner.Service, groups *group.Service, statements *statement.Query) {
	discounts := &discount.Service{Store: store.Discounts, Coupons: partnerCoupons{partners}}
	if cfg.StripeAPIKey != "" {
		discounts.Stripe = stripepay.NewDiscounts(cfg.StripeAPIKey, cfg.StripeAPIBase)
	}
	srv.Discounts = discounts
	srv.APIKeys = &apikey.Service{Store: store.APIKeys, Now: srv.Now}
	srv.Embed = &embed.Service{Store: store.Embed, Partners: partners, Groups: groups, Discounts: discounts,
		Statements: statements, Codes: discounts, Now: srv.Now}
}

// partnerCoupons adds a discount code to a partner's coupons, retrying
// when the partner changed between the read and the write.
type partnerCoupons struct{ partners *partner.Service }

func (c partnerCoupons) AddCoupon(ctx context.Context, partnerID, code string) error {
	for {
		p, err := c.partners.Get(ctx, partnerID)
		if err != nil || slices.Contains(p.Coupons, code) {
			return err
		}
		coupons := append(slices.Clone(p.Coupons), code)
		_, err = c.partners.Update(ctx, partnerID, partner.Change{Coupons: &coupons})
		if !errors.Is(err, partner.ErrConcurrentChange) {
			return err
		}
	}
}
