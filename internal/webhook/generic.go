package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/referral"
)

// Source names, also part of stored keys.
const (
	SourceGeneric = "generic"
	SourceShopify = "shopify"
	SourceStripe  = "stripe"
)

type genericEvent struct {
	ID    string        `json:"id"`
	Type  string        `json:"type"`
	Order *genericOrder `json:"order"`
}

type genericOrder struct {
	ID           string          `json:"id"`
	Currency     string          `json:"currency"`
	ReferralCode *string         `json:"referral_code"`
	Coupon       *string         `json:"coupon"`
	ClickID      string          `json:"click_id"`
	Customer     genericCustomer `json:"customer"`
	Lines        []struct {
		SKU      string `json:"sku"`
		Category string `json:"category"`
		Quantity int64  `json:"quantity"`
		Amount   int64  `json:"amount"`
	} `json:"lines"`
	Tax      int64          `json:"tax"`
	Shipping int64          `json:"shipping"`
	Refund   *genericRefund `json:"refund"`
}

type genericRefund struct {
	ID     string `json:"id"`
	Amount *int64 `json:"amount"`
	Lines  []struct {
		SKU    string `json:"sku"`
		Amount int64  `json:"amount"`
	} `json:"lines"`
}

// refund reads the refund; amount may be left out when lines are given.
func (g genericRefund) refund() *ledger.Refund {
	rf := &ledger.Refund{ID: g.ID, Basis: ledger.RefundNet}
	for _, l := range g.Lines {
		rf.Lines = append(rf.Lines, ledger.RefundLine{SKU: l.SKU, Amount: l.Amount})
		rf.Amount += l.Amount
	}
	if g.Amount != nil {
		rf.Amount = *g.Amount
	}
	return rf
}

type genericCustomer struct {
	ID        flexString `json:"id"`
	Email     string     `json:"email"`
	FirstName string     `json:"first_name"`
}

// ErrPayload wraps every reason a payload cannot be read.
var ErrPayload = ledger.ErrInvalidEvent

func decode(body []byte, v any) error {
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(v); err != nil {
		return fmt.Errorf("%w: malformed JSON: %v", ErrPayload, err)
	}
	return nil
}

// ParseGeneric reads the documented generic order event. The refund may sit
// inside order (as documented) or at the top level (as some senders nest it).
func ParseGeneric(body []byte, h referral.EmailHasher) (ledger.Event, error) {
	var in struct {
		genericEvent
		Refund *genericRefund `json:"refund"`
	}
	if err := decode(body, &in); err != nil {
		return ledger.Event{}, err
	}
	if in.Order == nil {
		return ledger.Event{}, fmt.Errorf("%w: order is required", ErrPayload)
	}
	o := in.Order
	evt := ledger.Event{Source: SourceGeneric, ID: in.ID, Kind: ledger.EventKind(in.Type), OrderID: o.ID}
	if o.Currency != "" {
		cur, err := money.ParseCurrency(o.Currency)
		if err != nil {
			return ledger.Event{}, fmt.Errorf("%w: %w", ErrPayload, err)
		}
		evt.Currency = cur
	}
	switch evt.Kind {
	case ledger.OrderPaid:
		order := &ledger.Order{ReferralCode: deref(o.ReferralCode), Coupon: deref(o.Coupon), Click: o.ClickID,
			Customer: h.Customer(string(o.Customer.ID), o.Customer.Email),
			Tax:      o.Tax, Shipping: o.Shipping}
		order.Customer.FirstName = ledger.FirstName(o.Customer.FirstName)
		for _, l := range o.Lines {
			order.Lines = append(order.Lines, ledger.Line{SKU: l.SKU, Category: l.Category, Quantity: l.Quantity, Amount: l.Amount})
		}
		evt.Order = order
	case ledger.OrderRefunded:
		rf := o.Refund
		if rf == nil {
			rf = in.Refund
		}
		if rf == nil {
			return ledger.Event{}, fmt.Errorf("%w: refund is required for order.refunded", ErrPayload)
		}
		evt.Refund = rf.refund()
	}
	return evt, evt.Validate()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Lead is a sign-up reported by a shop for a referral code.
type Lead struct {
	ID           string
	ReferralCode string
	CustomerID   string
	EmailHash    string
}

// ParseLead reads a POST /webhooks/referrals body.
func ParseLead(body []byte, h referral.EmailHasher) (Lead, error) {
	var in struct {
		ID           string          `json:"id"`
		ReferralCode string          `json:"referral_code"`
		Customer     genericCustomer `json:"customer"`
	}
	if err := decode(body, &in); err != nil {
		return Lead{}, err
	}
	if in.ID == "" || in.ReferralCode == "" {
		return Lead{}, fmt.Errorf("%w: id and referral_code are required", ErrPayload)
	}
	if err := ledger.CheckBounds(bounds.ID.Check("id", in.ID), bounds.ID.Check("referral_code", in.ReferralCode),
		bounds.ID.Check("customer.id", string(in.Customer.ID))); err != nil {
		return Lead{}, err
	}
	return Lead{ID: in.ID, ReferralCode: in.ReferralCode, CustomerID: string(in.Customer.ID), EmailHash: h.Hash(in.Customer.Email)}, nil
}
