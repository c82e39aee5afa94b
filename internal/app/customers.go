package app

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/partnerloop/partnerloop/internal/apikey"
	"github.com/partnerloop/partnerloop/internal/discount"
	"github.com/partnerloop/partnerloop/internal/dynamo"
	"github.com/partnerloop/partnerloop/internal/embed"
	"github.com/partnerloop/partnerloop/internal/group"
	"github.com/partnerloop/partnerloop/internal/httpapi"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/statement"
)

// customerReferrals gives the server API keys, partners' discount codes
// (issued as partners join a group that gives a discount) and the
// embedded widget.
func customerReferrals(srv *httpapi.Server, store dynamo.Adapters, cfg Config, partners *partner.Service, groups *group.Service, programs program.Provider, statements *statement.Query) {
	discounts := &discount.Service{Store: store.Discounts, Terms: discountTerms{groups, programs}, Coupons: partnerCoupons{partners}, Stripe: cfg.StripeDiscounts}
	partners.Joined = func(ctx context.Context, p partner.Partner) partner.Partner {
		c, found, err := discounts.Issue(ctx, p.ID, p.ReferralCode, p.Group())
		if err != nil {
			// Issuing again completes it: the partner's next widget token,
			// or a PATCH naming its group.
			srv.Log.WarnContext(ctx, "discount code not issued", "partner_id", p.ID, "group_id", p.Group(), "error", err)
			return p
		}
		if coupon := c.Coupon(); found && coupon != "" && !holdsCoupon(p, coupon) {
			if now, err := partners.Get(ctx, p.ID); err == nil {
				return now
			}
		}
		return p
	}
	srv.Discounts = discounts
	srv.APIKeys = &apikey.Service{Store: store.APIKeys, Now: srv.Now}
	srv.Embed = &embed.Service{Store: store.Embed, Partners: partners, Groups: groups, Discounts: discounts,
		Ledger: statements.Ledger, Points: statements.Engagement, Now: srv.Now}
}

// discountTerms reads the group's and the program's discounts through
// their caches.
type discountTerms struct {
	groups   *group.Service
	programs program.Provider
}

func (t discountTerms) GroupDiscount(ctx context.Context, groupID string) (*discount.Discount, error) {
	g, err := t.groups.Customers(ctx, groupID)
	return g.Discount, err
}

func (t discountTerms) ProgramDiscount(ctx context.Context) (*discount.Discount, error) {
	p, err := t.programs.Current(ctx)
	return p.Program.Discount, err
}

// holdsCoupon reports whether the partner's coupons hold code, which they
// keep upper-cased.
func holdsCoupon(p partner.Partner, code string) bool {
	return slices.ContainsFunc(p.Coupons, func(c string) bool { return strings.EqualFold(c, code) })
}

// partnerCoupons adds a discount code to a partner's coupons, retrying
// when the partner changed between the read and the write.
type partnerCoupons struct{ partners *partner.Service }

func (c partnerCoupons) AddCoupon(ctx context.Context, partnerID, code string) error {
	for {
		p, err := c.partners.Get(ctx, partnerID)
		if err != nil || holdsCoupon(p, code) {
			return err
		}
		coupons := append(slices.Clone(p.Coupons), code)
		_, err = c.partners.Update(ctx, partnerID, partner.Change{Coupons: &coupons})
		if !errors.Is(err, partner.ErrConcurrentChange) {
			return err
		}
	}
}
