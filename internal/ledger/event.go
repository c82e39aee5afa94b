package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/partnerloop/partnerloop/internal/money"
)

// EventKind is what happened to an order.
type EventKind string

const (
	OrderPaid      EventKind = "order.paid"
	OrderRefunded  EventKind = "order.refunded"
	OrderCancelled EventKind = "order.cancelled"
)

// RefundBasis says what a refund amount measures.
type RefundBasis string

const (
	// RefundNet is an amount of net merchandise (tax and shipping excluded).
	RefundNet RefundBasis = "net"
	// RefundGross is an amount of what the customer paid in total.
	RefundGross RefundBasis = "gross"
)

// Event is one order event from any shop, normalised.
type Event struct {
	Source   string // generic, shopify, stripe
	ID       string // the sender's delivery id, used for de-duplication
	Kind     EventKind
	OrderID  string
	Currency money.Currency
	Order    *Order  // set for OrderPaid
	Refund   *Refund // set for OrderRefunded
}

// Order is the commercial content of a paid order.
type Order struct {
	ReferralCode string
	Coupon       string
	// Subscription is set for a subscription's invoice; it is credited to
	// the partner who referred the subscription, for as long as the program
	// pays recurring commission.
	Subscription string
	Customer     Customer
	Lines        []Line
	Tax          int64
	Shipping     int64
}

// Customer identifies the buyer; the e-mail is kept only as a keyed hash.
type Customer struct {
	ID        string
	EmailHash string
}

// Line is one order line; Amount is the line total in minor units after
// line discounts, before tax.
type Line struct {
	SKU      string
	Category string
	Quantity int64
	Amount   int64
}

// Refund is money returned to the customer.
type Refund struct {
	ID     string
	Amount int64
	Basis  RefundBasis
	// Cumulative marks an amount that is the order's total refunded so far
	// (Stripe's amount_refunded) rather than one refund's own amount.
	Cumulative bool
	// Lines, when the sender names them, say which lines were refunded (net
	// amounts adding up to Amount); their commission is what is reversed.
	Lines []RefundLine
}

// RefundLine is the net amount refunded on the order line with this SKU.
type RefundLine struct {
	SKU    string `dynamodbav:"SKU"`
	Amount int64  `dynamodbav:"Amount"`
}

// ErrInvalidEvent wraps every reason an event is rejected before storage.
var ErrInvalidEvent = errors.New("invalid event")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidEvent, fmt.Sprintf(format, args...))
}

// Validate checks the invariants every source must satisfy.
func (e Event) Validate() error {
	if e.Source == "" || e.ID == "" {
		return invalid("event id is required")
	}
	if e.OrderID == "" {
		return invalid("order id is required")
	}
	if len(e.ID) > 200 || len(e.OrderID) > 200 {
		return invalid("ids must be at most 200 characters")
	}
	switch e.Kind {
	case OrderPaid:
		if err := e.validateCurrency(); err != nil {
			return err
		}
		if e.Order == nil {
			return invalid("order is required for %s", e.Kind)
		}
		return e.Order.validate()
	case OrderRefunded:
		if err := e.validateCurrency(); err != nil {
			return err
		}
		if e.Refund == nil || e.Refund.ID == "" {
			return invalid("refund id is required")
		}
		if e.Refund.Amount < 0 || e.Refund.Amount > money.MaxAmount {
			return invalid("refund amount must be between 0 and %d", money.MaxAmount)
		}
		if len(e.Refund.Lines) > MaxLines {
			return invalid("refund has more than %d lines", MaxLines)
		}
		if e.Refund.Basis != RefundNet && e.Refund.Basis != RefundGross {
			return invalid("refund basis must be net or gross")
		}
		var sum int64
		for i, l := range e.Refund.Lines {
			if l.Amount < 0 || l.Amount > money.MaxAmount || l.SKU == "" {
				return invalid("refund.lines[%d] needs a sku and an amount between 0 and %d", i, money.MaxAmount)
			}
			sum += l.Amount // at most MaxLines × MaxAmount
		}
		if len(e.Refund.Lines) > 0 && (sum != e.Refund.Amount || e.Refund.Basis != RefundNet) {
			return invalid("refund.lines must add up to the refund's net amount")
		}
	case OrderCancelled:
	default:
		return invalid("unsupported event type %q", e.Kind)
	}
	return nil
}

func (e Event) validateCurrency() error {
	if _, err := money.ParseCurrency(string(e.Currency)); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	return nil
}

// MaxLines bounds the lines of an order or a refund.
const MaxLines = 1000

// validate bounds every amount and quantity (see money.MaxAmount), so Net,
// Gross and the commission computed from them cannot overflow.
func (o Order) validate() error {
	if len(o.Lines) == 0 || len(o.Lines) > MaxLines {
		return invalid("order must have 1 to %d lines", MaxLines)
	}
	if o.Tax < 0 || o.Shipping < 0 || o.Tax > money.MaxAmount || o.Shipping > money.MaxAmount {
		return invalid("tax and shipping must be between 0 and %d", money.MaxAmount)
	}
	for i, l := range o.Lines {
		if l.Amount < 0 || l.Amount > money.MaxAmount || l.Quantity < 0 || l.Quantity > money.MaxQuantity {
			return invalid("lines[%d]: amount must be between 0 and %d and quantity between 0 and %d", i, money.MaxAmount, money.MaxQuantity)
		}
	}
	return nil
}

// Net is the merchandise amount commission is computed on.
func (o Order) Net() int64 {
	var n int64
	for _, l := range o.Lines {
		n += l.Amount
	}
	return n
}

// fingerprint identifies a purchase across sources: the customer's e-mail
// hash, the currency, the amount paid and the day. Empty without an e-mail.
func (e Event) fingerprint(day time.Time) string {
	if e.Order == nil || e.Order.Customer.EmailHash == "" {
		return ""
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%d|%s", e.Order.Customer.EmailHash, e.Currency, e.Order.Gross(), day.Format(time.DateOnly)))
	return hex.EncodeToString(sum[:16])
}

// Gross is what the customer paid.
func (o Order) Gross() int64 { return o.Net() + o.Tax + o.Shipping }
