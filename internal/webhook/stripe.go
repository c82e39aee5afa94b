package webhook

import (
	"fmt"

	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/referral"
)

type stripeEvent struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		Object rawObject `json:"object"`
	} `json:"data"`
}

type rawObject []byte

func (r *rawObject) UnmarshalJSON(b []byte) error { *r = append((*r)[:0], b...); return nil }

type stripeSession struct {
	ID                string            `json:"id"`
	PaymentIntent     string            `json:"payment_intent"`
	PaymentStatus     string            `json:"payment_status"`
	Currency          string            `json:"currency"`
	AmountTotal       int64             `json:"amount_total"`
	ClientReferenceID string            `json:"client_reference_id"`
	Metadata          map[string]string `json:"metadata"`
	Customer          string            `json:"customer"`
	CustomerDetails   *struct {
		Email string `json:"email"`
	} `json:"customer_details"`
	TotalDetails *struct {
		AmountShipping int64 `json:"amount_shipping"`
		AmountTax      int64 `json:"amount_tax"`
	} `json:"total_details"`
}

type stripeCharge struct {
	ID             string `json:"id"`
	PaymentIntent  string `json:"payment_intent"`
	Currency       string `json:"currency"`
	AmountRefunded int64  `json:"amount_refunded"`
}

// ParseStripe reads checkout.session.completed (and its async twin) and
// charge.refunded. Orders are keyed by payment intent, which both carry.
// Other event types return ok=false.
func ParseStripe(body []byte, h referral.EmailHasher) (evt ledger.Event, ok bool, err error) {
	var e stripeEvent
	if err := decode(body, &e); err != nil {
		return evt, true, err
	}
	evt = ledger.Event{Source: SourceStripe, ID: e.ID}
	switch e.Type {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded":
		var s stripeSession
		if err := decode(e.Data.Object, &s); err != nil {
			return evt, true, err
		}
		if s.PaymentStatus != "paid" {
			return evt, false, nil // paid later: async_payment_succeeded follows
		}
		if evt, err = stripePaid(evt, s, h); err != nil {
			return evt, true, fmt.Errorf("%w: %w", ErrPayload, err)
		}
	case "charge.refunded":
		var c stripeCharge
		if err := decode(e.Data.Object, &c); err != nil {
			return evt, true, err
		}
		cur, err := money.ParseCurrency(c.Currency)
		if err != nil {
			return evt, true, fmt.Errorf("%w: %w", ErrPayload, err)
		}
		evt.Kind, evt.OrderID, evt.Currency = ledger.OrderRefunded, c.PaymentIntent, cur
		// amount_refunded is the running total, so the refund id carries it:
		// each new total is a new fact and a replayed one is recognised.
		evt.Refund = &ledger.Refund{ID: fmt.Sprintf("%s@%d", c.ID, c.AmountRefunded),
			Amount: c.AmountRefunded, Basis: ledger.RefundGross, Cumulative: true}
	default:
		return evt, false, nil
	}
	return evt, true, evt.Validate()
}

func stripePaid(evt ledger.Event, s stripeSession, h referral.EmailHasher) (ledger.Event, error) {
	cur, err := money.ParseCurrency(s.Currency)
	if err != nil {
		return evt, err
	}
	order := &ledger.Order{ReferralCode: s.ClientReferenceID, Customer: ledger.Customer{ID: s.Customer}}
	if order.ReferralCode == "" {
		order.ReferralCode = s.Metadata["referral_code"]
	}
	if s.CustomerDetails != nil {
		order.Customer.EmailHash = h.Hash(s.CustomerDetails.Email)
	}
	if t := s.TotalDetails; t != nil {
		order.Tax, order.Shipping = t.AmountTax, t.AmountShipping
	}
	net := s.AmountTotal - order.Tax - order.Shipping
	if net < 0 {
		return evt, fmt.Errorf("amount_total is less than tax plus shipping")
	}
	order.Lines = []ledger.Line{{SKU: "checkout:" + s.ID, Quantity: 1, Amount: net}}
	orderID := s.PaymentIntent
	if orderID == "" {
		orderID = s.ID
	}
	evt.Kind, evt.OrderID, evt.Currency, evt.Order = ledger.OrderPaid, orderID, cur, order
	return evt, nil
}
