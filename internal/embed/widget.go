package embed

import (
	"context"
	"time"

	"github.com/partnerloop/partnerloop/internal/discount"
	"github.com/partnerloop/partnerloop/internal/engage"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
)

// Widget is what the embedded widget shows a customer: its link, the
// discount its friends get, its rewards and the friends who bought.
type Widget struct {
	Name         string `json:"name"`
	ReferralCode string `json:"referral_code"`
	// ReferralLink is filled by the HTTP layer, which knows the public URL.
	ReferralLink string                   `json:"referral_link"`
	Discount     *FriendDiscount          `json:"discount,omitempty"`
	Earned       map[money.Currency]int64 `json:"earned"`
	Pending      map[money.Currency]int64 `json:"pending"`
	Points       ledger.Points            `json:"points"`
	Friends      []Friend                 `json:"friends"`
}

// FriendDiscount is the discount the customer's friends get, with the
// customer's own code.
type FriendDiscount struct {
	discount.Discount
	Code string `json:"code"`
}

// Friend is a referred purchase as the referrer may see it: the buyer's
// first name when the shop sent one, and the date; nothing else of the
// buyer is kept.
type Friend struct {
	FirstName string `json:"first_name,omitempty"`
	Date      string `json:"date"`
}

// maxFriends bounds the friends listed, newest first.
const maxFriends = 50

// Ledger reads a partner's balances and its latest referred orders.
type Ledger interface {
	Balances(ctx context.Context, partnerID string) (map[money.Currency]ledger.Balance, error)
	Statement(ctx context.Context, partnerID string, limit int32, cursor string) ([]ledger.OrderRecord, string, error)
}

// Points reads a partner's points.
type Points interface {
	Summary(ctx context.Context, partnerID string) (engage.Summary, error)
}

// Widget reads the token's customer's widget data.
func (s *Service) Widget(ctx context.Context, t Token) (Widget, error) {
	p, err := s.Partners.Get(ctx, t.PartnerID)
	if err != nil {
		return Widget{}, err
	}
	balances, err := s.Ledger.Balances(ctx, p.ID)
	if err != nil {
		return Widget{}, err
	}
	orders, _, err := s.Ledger.Statement(ctx, p.ID, maxFriends, "")
	if err != nil {
		return Widget{}, err
	}
	points, err := s.Points.Summary(ctx, p.ID)
	if err != nil {
		return Widget{}, err
	}
	w := Widget{Name: p.Name, ReferralCode: p.ReferralCode, Earned: map[money.Currency]int64{}, Pending: map[money.Currency]int64{},
		Points: points.Points, Friends: []Friend{}}
	for cur, b := range balances {
		w.Earned[cur] = b.Payable + b.InPayout + b.Paid + b.Donated
		w.Pending[cur] = b.Pending
	}
	for _, o := range orders {
		if o.Status != ledger.AccrualReversed {
			w.Friends = append(w.Friends, Friend{FirstName: o.BuyerFirstName, Date: o.PaidAt.UTC().Format(time.DateOnly)})
		}
	}
	offer, ok, err := s.Discounts.Offer(ctx, p.Group())
	if err != nil || !ok {
		return w, err
	}
	c, found, err := s.Discounts.PartnerCode(ctx, p.ID, offer.Level)
	if err != nil || !found {
		return w, err
	}
	w.Discount = &FriendDiscount{Discount: offer.Discount, Code: c.Code}
	return w, nil
}
