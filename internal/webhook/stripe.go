package webhook

import (
	"fmt"
	"time"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/referral"
)

type stripeEvent struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object rawObject `json:"object"`
	} `json:"data"`
}

type rawObject []byte

func (r *rawObject) UnmarshalJSON(b []byte) error { *r = append((*r)[:0], b...); return nil }

type stripeSession struct {
	ID                string            `json:"id"`
	Mode              string            `json:"mode"`
	PaymentIntent     string            `json:"payment_intent"`
	PaymentStatus     string            `json:"payment_status"`
	Subscription      string            `json:"subscription"`
	Currency          string            `json:"currency"`
	AmountTotal       int64             `json:"amount_total"`
	ClientReferenceID string            `json:"client_reference_id"`
	Metadata          map[string]string `json:"metadata"`
	Customer          string            `json:"customer"`
	CustomerDetails   *struct {
		Email string `json:"email"`
		Name  string `json:"name"`
	} `json:"customer_details"`
	TotalDetails *struct {
		AmountShipping int64 `json:"amount_shipping"`
		AmountTax      int64 `json:"amount_tax"`
	} `json:"total_details"`
	// Discounts name a promotion code the customer entered by its id,
	// which a partner's discount code is kept under as a coupon.
	Discounts []struct {
		PromotionCode string `json:"promotion_code"`
	} `json:"discounts"`
}

type stripeInvoice struct {
	ID                string `json:"id"`
	Created           int64  `json:"created"`
	StatusTransitions *struct {
		PaidAt *int64 `json:"paid_at"`
	} `json:"status_transitions"`
	Customer          string `json:"customer"`
	CustomerEmail     string `json:"customer_email"`
	Subscription      string `json:"subscription"`
	PaymentIntent     string `json:"payment_intent"`
	Currency          string `json:"currency"`
	AmountPaid        int64  `json:"amount_paid"`
	TotalExcludingTax *int64 `json:"total_excluding_tax"`
	Parent            *struct {
		SubscriptionDetails *struct {
			Subscription string `json:"subscription"`
		} `json:"subscription_details"`
	} `json:"parent"`
}

type stripeCharge struct {
	ID             string `json:"id"`
	PaymentIntent  string `json:"payment_intent"`
	Currency       string `json:"currency"`
	AmountRefunded int64  `json:"amount_refunded"`
}

// Subscription is a Stripe subscription a referral started at At; its
// invoices earn recurring commission.
type Subscription struct {
	EventID      string
	ID           string
	ReferralCode string
	Customer     ledger.Customer
	At           time.Time
}

// StripeDelivery is what a Stripe event means here: an order event, a
// subscription that started, or nothing (other event types).
type StripeDelivery struct {
	Order        *ledger.Event
	Subscription *Subscription
}

// ParseStripe reads checkout.session.completed (and its async twin),
// invoice.paid and charge.refunded. One-off orders are keyed by payment
// intent, which charges carry too. A subscription checkout only records the
// referral: its invoices (the first one included) are the orders, so nothing
// is counted twice. Events are dated by Stripe: an invoice by
// status_transitions.paid_at (else its created), anything else by the
// event's created.
func ParseStripe(body []byte, h referral.EmailHasher) (StripeDelivery, error) {
	var e stripeEvent
	if err := decode(body, &e); err != nil {
		return StripeDelivery{}, err
	}
	evt := ledger.Event{Source: SourceStripe, ID: e.ID, At: unixTime(e.Created)}
	switch e.Type {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded":
		var s stripeSession
		if err := decode(e.Data.Object, &s); err != nil {
			return StripeDelivery{}, err
		}
		if s.Mode == "subscription" {
			sub := stripeSubscription(e.ID, s, h)
			sub.At = evt.At
			return StripeDelivery{Subscription: sub}, sub.validate()
		}
		if s.PaymentStatus != "paid" {
			return StripeDelivery{}, nil // paid later: async_payment_succeeded follows
		}
		evt, err := stripePaid(evt, s, h)
		if err != nil {
			return StripeDelivery{}, fmt.Errorf("%w: %w", ErrPayload, err)
		}
		return StripeDelivery{Order: &evt}, evt.Validate()
	case "invoice.paid":
		var in stripeInvoice
		if err := decode(e.Data.Object, &in); err != nil {
			return StripeDelivery{}, err
		}
		evt, err := stripeInvoicePaid(evt, in, h)
		if err != nil {
			return StripeDelivery{}, fmt.Errorf("%w: %w", ErrPayload, err)
		}
		return StripeDelivery{Order: evt}, validate(evt)
	case "charge.refunded":
		var c stripeCharge
		if err := decode(e.Data.Object, &c); err != nil {
			return StripeDelivery{}, err
		}
		cur, err := money.ParseCurrency(c.Currency)
		if err != nil {
			return StripeDelivery{}, fmt.Errorf("%w: %w", ErrPayload, err)
		}
		evt.Kind, evt.OrderID, evt.Currency = ledger.OrderRefunded, c.PaymentIntent, cur
		// amount_refunded is the running total, so the refund id carries it:
		// each new total is a new fact and a replayed one is recognised.
		evt.Refund = &ledger.Refund{ID: fmt.Sprintf("%s@%d", c.ID, c.AmountRefunded),
			Amount: c.AmountRefunded, Basis: ledger.RefundGross, Cumulative: true}
		return StripeDelivery{Order: &evt}, evt.Validate()
	}
	return StripeDelivery{}, nil
}

func validate(evt *ledger.Event) error {
	if evt == nil {
		return nil
	}
	return evt.Validate()
}

func referralCode(clientReferenceID string, metadata map[string]string) string {
	if clientReferenceID != "" {
		return clientReferenceID
	}
	return metadata["referral_code"]
}

// validate bounds what the subscription's touch stores, as Validate does
// for orders.
func (s *Subscription) validate() error {
	return ledger.CheckBounds(bounds.ID.Check("id", s.EventID), bounds.ID.Check("data.object.subscription", s.ID),
		bounds.ID.Check("data.object.client_reference_id", s.ReferralCode), bounds.ID.Check("data.object.customer", s.Customer.ID))
}

func stripeSubscription(eventID string, s stripeSession, h referral.EmailHasher) *Subscription {
	sub := &Subscription{EventID: eventID, ID: s.Subscription, ReferralCode: referralCode(s.ClientReferenceID, s.Metadata),
		Customer: ledger.Customer{ID: s.Customer}}
	if s.CustomerDetails != nil {
		sub.Customer.EmailHash = h.Hash(s.CustomerDetails.Email)
	}
	return sub
}

func stripePaid(evt ledger.Event, s stripeSession, h referral.EmailHasher) (ledger.Event, error) {
	cur, err := money.ParseCurrency(s.Currency)
	if err != nil {
		return evt, err
	}
	order := &ledger.Order{ReferralCode: referralCode(s.ClientReferenceID, s.Metadata), Customer: ledger.Customer{ID: s.Customer}}
	if s.CustomerDetails != nil {
		order.Customer = h.Customer(s.Customer, s.CustomerDetails.Email)
		order.Customer.FirstName = ledger.FirstName(s.CustomerDetails.Name)
	}
	if t := s.TotalDetails; t != nil {
		order.Tax, order.Shipping = t.AmountTax, t.AmountShipping
	}
	for _, d := range s.Discounts {
		if d.PromotionCode != "" {
			order.Coupon = d.PromotionCode
			break
		}
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

// stripeInvoicePaid turns a paid subscription invoice into an order; other
// invoices (one-off, zero amount) are not orders and give nil.
func stripeInvoicePaid(evt ledger.Event, in stripeInvoice, h referral.EmailHasher) (*ledger.Event, error) {
	sub := in.Subscription
	if sub == "" && in.Parent != nil && in.Parent.SubscriptionDetails != nil {
		sub = in.Parent.SubscriptionDetails.Subscription // newer API versions
	}
	if sub == "" || in.AmountPaid == 0 {
		return nil, nil
	}
	cur, err := money.ParseCurrency(in.Currency)
	if err != nil {
		return nil, err
	}
	net := in.AmountPaid
	if in.TotalExcludingTax != nil {
		net = min(net, *in.TotalExcludingTax)
	}
	order := &ledger.Order{Subscription: sub, Tax: in.AmountPaid - net,
		Customer: h.Customer(in.Customer, in.CustomerEmail),
		Lines:    []ledger.Line{{SKU: "subscription:" + sub, Category: "subscription", Quantity: 1, Amount: net}}}
	orderID := in.PaymentIntent
	if orderID == "" {
		orderID = in.ID
	}
	evt.Kind, evt.OrderID, evt.Currency, evt.Order = ledger.OrderPaid, orderID, cur, order
	var paidAt int64
	if in.StatusTransitions != nil && in.StatusTransitions.PaidAt != nil {
		paidAt = *in.StatusTransitions.PaidAt
	}
	evt.At = unixTime(paidAt, in.Created)
	return &evt, nil
}
