package embed

import (
	"context"
	"time"

	"github.com/partnerloop/partnerloop/internal/discount"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/statement"
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

// FriendDiscount is the group's discount with the customer's own code.
type FriendDiscount struct {
	discount.Discount
	Code string `json:"code"`
}

// Friend is a referred purchase as the referrer may see it: its date,
// and nothing that names the buyer (the ledger keeps no buyer's name).
type Friend struct {
	Date string `json:"date"`
}

// maxFriends bounds the friends listed, newest first.
const maxFriends = 50

// Statements reads a partner's statement.
type Statements interface {
	Get(ctx context.Context, partnerID string, limit int32, cursor string) (statement.Statement, error)
}

// Codes reads a partner's discount code.
type Codes interface {
	PartnerCode(ctx context.Context, partnerID string) (discount.Code, bool, error)
}

// Widget reads the token's customer's widget data.
func (s *Service) Widget(ctx context.Context, t Token) (Widget, error) {
	p, err := s.Partners.Get(ctx, t.PartnerID)
	if err != nil {
		return Widget{}, err
	}
	st, err := s.Statements.Get(ctx, t.PartnerID, maxFriends, "")
	if err != nil {
		return Widget{}, err
	}
	w := Widget{Name: p.Name, ReferralCode: p.ReferralCode, Earned: map[money.Currency]int64{}, Pending: map[money.Currency]int64{},
		Points: st.Points, Friends: []Friend{}}
	for cur, b := range st.Balances {
		w.Earned[cur] = b.Payable + b.InPayout + b.Paid + b.Donated
		w.Pending[cur] = b.Pending
	}
	for _, l := range st.Lines {
		if l.Amount > 0 {
			w.Friends = append(w.Friends, Friend{Date: l.AccruedAt.UTC().Format(time.DateOnly)})
		}
	}
	g, err := s.Groups.Get(ctx, t.GroupID)
	if err != nil || g.Discount == nil {
		return w, err
	}
	c, found, err := s.Codes.PartnerCode(ctx, t.PartnerID)
	if err != nil || !found {
		return w, err
	}
	w.Discount = &FriendDiscount{Discount: *g.Discount, Code: c.Code}
	return w, nil
}
