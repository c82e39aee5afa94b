package webhook

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/referral"
)

// SourceWooCommerce names WooCommerce deliveries in stored keys.
const SourceWooCommerce = "woocommerce"

// MaxWooCommerceDeliveryID leaves room, within bounds.ID, for what
// event ids add to the delivery id (":refunded@<amount>").
const MaxWooCommerceDeliveryID = 200

// wooTime is how WooCommerce writes its *_gmt dates.
const wooTime = "2006-01-02T15:04:05"

// WooCommerceRefKey is the order meta_data key a shop sets from the pl_ref
// cookie to carry the referral code into the order.
const WooCommerceRefKey = "_partnerloop_ref"

// wooOrder is the part of WooCommerce's REST order resource (the body of
// order.created and order.updated deliveries) that commission needs.
// Amounts are decimal strings in the order's currency.
type wooOrder struct {
	ID               flexString `json:"id"`
	Status           string     `json:"status"`
	Currency         string     `json:"currency"`
	PricesIncludeTax bool       `json:"prices_include_tax"`
	CustomerID       flexString `json:"customer_id"`
	Billing          struct {
		Email     string `json:"email"`
		FirstName string `json:"first_name"`
	} `json:"billing"`
	DatePaidGMT    string  `json:"date_paid_gmt"`
	DateCreatedGMT string  `json:"date_created_gmt"`
	Total          decimal `json:"total"`
	TotalTax       decimal `json:"total_tax"`
	ShippingTotal  decimal `json:"shipping_total"`
	LineItems      []struct {
		SKU       string     `json:"sku"`
		ProductID flexString `json:"product_id"`
		Quantity  int64      `json:"quantity"`
		Subtotal  decimal    `json:"subtotal"`
		Total     decimal    `json:"total"`
	} `json:"line_items"`
	CouponLines []struct {
		Code string `json:"code"`
	} `json:"coupon_lines"`
	MetaData []struct {
		Key   string     `json:"key"`
		Value flexString `json:"value"`
	} `json:"meta_data"`
	Refunds []struct {
		ID    flexString `json:"id"`
		Total decimal    `json:"total"` // negative: "-10.00"
	} `json:"refunds"`
}

// WooCommerce order statuses and what they mean for commission.
const (
	wooProcessing = "processing" // paid, being fulfilled
	wooCompleted  = "completed"  // paid and fulfilled
	wooRefunded   = "refunded"   // refunded in full
	wooCancelled  = "cancelled"
)

// IsWooCommercePing recognises the unsigned form post (webhook_id=<n>)
// WooCommerce sends once when a webhook is created or activated.
func IsWooCommercePing(signature string, body []byte) bool {
	if signature != "" {
		return false
	}
	form, err := url.ParseQuery(string(body))
	return err == nil && len(form) == 1 && form.Get("webhook_id") != ""
}

// ParseWooCommerce reads an order.created or order.updated delivery into
// the ledger events it carries, in order: the payment (status processing
// or completed), then what has been refunded so far (the refunds array, or
// the whole order for status refunded), or the cancellation. Other topics
// and statuses (pending, on-hold, failed: nothing was paid) return no events.
// Event ids derive from the delivery id; the ledger makes each fact count
// once per order whatever delivery carries it. The payment is dated by
// date_paid_gmt, else date_created_gmt.
func ParseWooCommerce(topic, deliveryID string, body []byte, h referral.EmailHasher) ([]ledger.Event, error) {
	if topic != "order.created" && topic != "order.updated" {
		return nil, nil
	}
	if err := ledger.CheckBounds(bounds.Limit{Max: MaxWooCommerceDeliveryID}.Check("X-WC-Webhook-Delivery-ID", deliveryID)); err != nil {
		return nil, err
	}
	var o wooOrder
	if err := decode(body, &o); err != nil {
		return nil, err
	}
	events, err := wooEvents(o, deliveryID, h)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPayload, err)
	}
	for i := range events {
		if err := events[i].Validate(); err != nil {
			return nil, err
		}
	}
	return events, nil
}

func wooEvents(o wooOrder, deliveryID string, h referral.EmailHasher) ([]ledger.Event, error) {
	if o.ID == "" {
		return nil, fmt.Errorf("id is required")
	}
	cur, err := money.ParseCurrency(o.Currency)
	if err != nil {
		return nil, err
	}
	base := ledger.Event{Source: SourceWooCommerce, OrderID: string(o.ID), Currency: cur}
	var events []ledger.Event
	switch o.Status {
	case wooProcessing, wooCompleted:
		order, err := wooPaidOrder(o, cur, h)
		if err != nil {
			return nil, err
		}
		paid := base
		paid.ID, paid.Kind, paid.Order = deliveryID+":paid", ledger.OrderPaid, order
		paid.At = firstTime(wooTime, o.DatePaidGMT, o.DateCreatedGMT)
		events = append(events, paid)
	case wooCancelled:
		cancelled := base
		cancelled.ID, cancelled.Kind = deliveryID+":cancelled", ledger.OrderCancelled
		return append(events, cancelled), nil
	case wooRefunded:
	default:
		return nil, nil
	}
	refunded, err := wooRefundedSoFar(o, cur)
	if err != nil {
		return nil, err
	}
	if refunded > 0 {
		// The running total, like Stripe's amount_refunded: each new total is
		// a new fact, a replayed one is recognised by its id.
		rf := base
		rf.ID, rf.Kind = fmt.Sprintf("%s:refunded@%d", deliveryID, refunded), ledger.OrderRefunded
		rf.Refund = &ledger.Refund{ID: fmt.Sprintf("refunded@%d", refunded), Amount: refunded, Basis: ledger.RefundGross, Cumulative: true}
		events = append(events, rf)
	}
	return events, nil
}

// wooPaidOrder reads the lines: net is the line subtotal less the line's
// discounts, which WooCommerce reports as total (after discounts). Both are
// stored without tax even when prices_include_tax is set (that flag says how
// prices were entered), so tax never reaches the net.
func wooPaidOrder(o wooOrder, cur money.Currency, h referral.EmailHasher) (*ledger.Order, error) {
	order := &ledger.Order{ReferralCode: wooRef(o), Customer: h.Customer("", o.Billing.Email)}
	if id := string(o.CustomerID); id != "" && id != "0" { // 0 is a guest checkout
		order.Customer.ID = id
	}
	order.Customer.FirstName = ledger.FirstName(o.Billing.FirstName)
	if len(o.CouponLines) > 0 {
		order.Coupon = o.CouponLines[0].Code
	}
	var err error
	if order.Tax, err = minor(o.TotalTax, cur, "total_tax"); err != nil {
		return nil, err
	}
	if order.Shipping, err = minor(o.ShippingTotal, cur, "shipping_total"); err != nil {
		return nil, err
	}
	for i, li := range o.LineItems {
		subtotal, err := minor(li.Subtotal, cur, fmt.Sprintf("line_items[%d].subtotal", i))
		if err != nil {
			return nil, err
		}
		total, err := minor(li.Total, cur, fmt.Sprintf("line_items[%d].total", i))
		if err != nil {
			return nil, err
		}
		if total > subtotal {
			return nil, fmt.Errorf("line_items[%d]: total after discounts exceeds subtotal", i)
		}
		discount := subtotal - total
		order.Lines = append(order.Lines, ledger.Line{SKU: lineSKU(li.SKU, li.ProductID), Quantity: li.Quantity, Amount: subtotal - discount})
	}
	return order, nil
}

// wooRefundedSoFar is what has been refunded of the order so far, as the
// customer was paid back (tax and shipping included): the refunds array, or
// the order's total when it is marked refunded without one.
func wooRefundedSoFar(o wooOrder, cur money.Currency) (int64, error) {
	var sum int64
	for i, rf := range o.Refunds {
		v, err := minor(rf.Total, cur, fmt.Sprintf("refunds[%d].total", i))
		if err != nil {
			return 0, err
		}
		if v > 0 {
			return 0, fmt.Errorf("refunds[%d].total must be negative, as WooCommerce lists refunds", i)
		}
		sum -= v
	}
	if sum == 0 && o.Status == wooRefunded {
		return minor(o.Total, cur, "total")
	}
	return sum, nil
}

// wooRef reads the referral code the shop stored in the order's meta data.
func wooRef(o wooOrder) string {
	for _, m := range o.MetaData {
		if m.Key == WooCommerceRefKey {
			return strings.TrimSpace(string(m.Value))
		}
	}
	return ""
}
