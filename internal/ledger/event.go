package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/bounds"
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
	// At is when the provider says the event happened (zero when it does
	// not say); a payment is dated by it, see DatedAt.
	At time.Time
}

// MaxClockSkew is how far ahead of our clock a provider's time may be.
const MaxClockSkew = 5 * time.Minute

// MaxEventAge is how old a provider's time may be and still date an event.
const MaxEventAge = 365 * 24 * time.Hour

// DatedAt is when an event reported at received happened: the provider's
// time claimed, so a delayed or retried delivery counts as it would have on
// time, unless it is absent or absurd (ahead of received by more than
// MaxClockSkew, or older than MaxEventAge); then received.
func DatedAt(claimed, received time.Time) time.Time {
	if claimed.IsZero() || claimed.After(received.Add(MaxClockSkew)) || received.Sub(claimed) > MaxEventAge {
		return received
	}
	return claimed.UTC()
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
	// Click is the reference of the click the customer came by, as the
	// redirect put it on the landing URL (evidence.ClickRef), if the shop
	// passed it on.
	Click string
}

// Customer identifies the buyer; the e-mail is kept only as a keyed hash.
type Customer struct {
	ID        string
	EmailHash string
	// What the fraud rules read of the e-mail, never stored with the
	// order: the keyed hash of its normalised form (fraud.NormalizeEmail)
	// and its domain.
	NormalHash string
	Domain     string
	// FirstName is the buyer's first name when the shop sends it (see
	// FirstName): a referred order keeps it for the referrer's widget.
	FirstName string
}

// MaxFirstName bounds the first name a referred order keeps, in characters.
const MaxFirstName = 40

// FirstName is the first word of a buyer's name, cut to MaxFirstName
// characters: all a referrer is shown of a friend who bought, so nothing
// more is kept. A long name is cut rather than refused, since refusing
// the order would lose its commission.
func FirstName(name string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(name), " ")
	if r := []rune(first); len(r) > MaxFirstName {
		first = string(r[:MaxFirstName])
	}
	return strings.ToValidUTF8(first, "")
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

// Bounds on the text an event carries: ids, codes, SKUs and categories
// are held to bounds.ID, and these bound their sum. An order's stored
// record keeps, per line, its SKU and commission rule with two numbers
// (about 100 bytes besides the SKU, for a rule id of up to 64 bytes: an
// override's id or "tier"), and per distinct category two sales counters
// named after it; its refunds keep their ids, lines and amounts. So its
// largest record is about
//
//	ids and fixed fields (the order id in 5 places)  1,280 + 2,000 B
//	1,000 lines × 100 B                              100,000 B
//	SKUs + distinct categories ×2 ≤ 2 × MaxLineText   65,536 B
//	100 refunds × (256 B id + 50 B)                   30,600 B
//	1,000 refund lines × 30 B + MaxLineText           62,768 B
//	                                        total  ≈ 262,000 B
//
// well below DynamoDB's 400 KB item limit; MaxCategories keeps the monthly
// counter update far below DynamoDB's 4 KB expression limit.
const (
	// MaxLineText bounds the bytes of an order's SKUs and distinct
	// categories together, and of the SKUs of all its refunds' lines.
	MaxLineText = 32 << 10
	// MaxCategories bounds an order's distinct categories.
	MaxCategories = 50
	// MaxRefunds bounds the refunds one order keeps.
	MaxRefunds = 100
)

// CheckBounds is the first of the bound checks that failed (see package
// bounds), as an invalid event naming its field, or nil.
func CheckBounds(checks ...error) error {
	if err := bounds.First(checks...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	return nil
}

// Validate checks the invariants every source must satisfy. Fields are
// named as in the generic event.
func (e Event) Validate() error {
	if e.Source == "" || e.ID == "" {
		return invalid("event id is required")
	}
	if e.OrderID == "" {
		return invalid("order id is required")
	}
	if err := CheckBounds(bounds.ID.Check("id", e.ID), bounds.ID.Check("order.id", e.OrderID)); err != nil {
		return err
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
		if err := CheckBounds(bounds.ID.Check("order.refund.id", e.Refund.ID)); err != nil {
			return err
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
			if err := CheckBounds(bounds.ID.Check(fmt.Sprintf("order.refund.lines[%d].sku", i), l.SKU)); err != nil {
				return err
			}
			sum += l.Amount // at most MaxLines × MaxAmount
		}
		if n := e.Refund.lineText(); n > MaxLineText {
			return CheckBounds(&bounds.Error{Field: "order.refund.lines", Reason: fmt.Sprintf("skus must take at most %d bytes, not %d", MaxLineText, n)})
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
// Gross and the commission computed from them cannot overflow, and every
// text, so the stored order stays small.
func (o Order) validate() error {
	if len(o.Lines) == 0 || len(o.Lines) > MaxLines {
		return invalid("order must have 1 to %d lines", MaxLines)
	}
	if o.Tax < 0 || o.Shipping < 0 || o.Tax > money.MaxAmount || o.Shipping > money.MaxAmount {
		return invalid("tax and shipping must be between 0 and %d", money.MaxAmount)
	}
	if err := CheckBounds(bounds.ID.Check("order.referral_code", o.ReferralCode), bounds.ID.Check("order.coupon", o.Coupon),
		bounds.ID.Check("order.subscription", o.Subscription), bounds.ID.Check("order.customer.id", o.Customer.ID),
		bounds.ID.Check("order.click_id", o.Click)); err != nil {
		return err
	}
	text := 0
	categories := map[string]bool{}
	for i, l := range o.Lines {
		if l.Amount < 0 || l.Amount > money.MaxAmount || l.Quantity < 0 || l.Quantity > money.MaxQuantity {
			return invalid("lines[%d]: amount must be between 0 and %d and quantity between 0 and %d", i, money.MaxAmount, money.MaxQuantity)
		}
		if err := CheckBounds(bounds.ID.Check(fmt.Sprintf("order.lines[%d].sku", i), l.SKU), bounds.ID.Check(fmt.Sprintf("order.lines[%d].category", i), l.Category)); err != nil {
			return err
		}
		text += len(l.SKU)
		if l.Category != "" && !categories[l.Category] {
			categories[l.Category] = true
			text += len(l.Category)
		}
	}
	if text > MaxLineText {
		return CheckBounds(&bounds.Error{Field: "order.lines", Reason: fmt.Sprintf("skus and distinct categories must take at most %d bytes, not %d", MaxLineText, text)})
	}
	if len(categories) > MaxCategories {
		return CheckBounds(&bounds.Error{Field: "order.lines", Reason: fmt.Sprintf("must have at most %d distinct categories, not %d", MaxCategories, len(categories))})
	}
	return nil
}

// lineText is the bytes of the refund's line SKUs.
func (r Refund) lineText() int {
	n := 0
	for _, l := range r.Lines {
		n += len(l.SKU)
	}
	return n
}

// fits refuses a new refund the order's record cannot keep within its
// bounds: more than MaxRefunds refunds, or refund lines beyond MaxLines or
// MaxLineText in all. A refund the record already holds is a duplicate.
func (e Event) fits(rec OrderRecord) error {
	if e.Kind != OrderRefunded || slices.ContainsFunc(rec.Refunds, func(r Refund) bool { return r.ID == e.Refund.ID }) {
		return nil
	}
	if len(rec.Refunds) >= MaxRefunds {
		return invalid("order %s already has %d refunds; at most %d", e.OrderID, len(rec.Refunds), MaxRefunds)
	}
	lines, text := len(e.Refund.Lines), e.Refund.lineText()
	for _, r := range rec.Refunds {
		lines, text = lines+len(r.Lines), text+r.lineText()
	}
	if lines > MaxLines || text > MaxLineText {
		return invalid("order %s: its refunds would name %d lines (at most %d) whose skus take %d bytes (at most %d)", e.OrderID, lines, MaxLines, text, MaxLineText)
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
