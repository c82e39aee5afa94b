package webhook

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/referral"
)

type shopifyMoneySet struct {
	ShopMoney struct {
		Amount       decimal `json:"amount"`
		CurrencyCode string  `json:"currency_code"`
	} `json:"shop_money"`
}

type shopifyOrder struct {
	ID       flexString `json:"id"`
	Currency string     `json:"currency"`
	Email    string     `json:"email"`
	Customer *struct {
		ID        flexString `json:"id"`
		Email     string     `json:"email"`
		FirstName string     `json:"first_name"`
	} `json:"customer"`
	LineItems []struct {
		SKU           string     `json:"sku"`
		ProductType   string     `json:"product_type"`
		Quantity      int64      `json:"quantity"`
		Price         decimal    `json:"price"`
		TotalDiscount decimal    `json:"total_discount"`
		GiftCard      bool       `json:"gift_card"`
		ProductID     flexString `json:"product_id"`
	} `json:"line_items"`
	TotalTax              decimal         `json:"total_tax"`
	TotalShippingPriceSet shopifyMoneySet `json:"total_shipping_price_set"`
	DiscountCodes         []struct {
		Code string `json:"code"`
	} `json:"discount_codes"`
	LandingSite    string `json:"landing_site"`
	ProcessedAt    string `json:"processed_at"`
	CreatedAt      string `json:"created_at"`
	NoteAttributes []struct {
		Name  string     `json:"name"`
		Value flexString `json:"value"`
	} `json:"note_attributes"`
}

type shopifyRefund struct {
	ID              flexString `json:"id"`
	OrderID         flexString `json:"order_id"`
	ProcessedAt     string     `json:"processed_at"`
	CreatedAt       string     `json:"created_at"`
	RefundLineItems []struct {
		Subtotal    decimal         `json:"subtotal"`
		SubtotalSet shopifyMoneySet `json:"subtotal_set"`
		LineItem    struct {
			SKU       string     `json:"sku"`
			ProductID flexString `json:"product_id"`
		} `json:"line_item"`
	} `json:"refund_line_items"`
}

// ParseShopify reads orders/paid, refunds/create and orders/cancelled as
// Shopify sends them. Other topics return ok=false so the sender gets a 2xx
// and stops retrying. Amounts arrive as decimal strings in shop currency.
func ParseShopify(topic, webhookID string, body []byte, h referral.EmailHasher) (evt ledger.Event, ok bool, err error) {
	evt = ledger.Event{Source: SourceShopify, ID: webhookID}
	if err := ledger.CheckBounds(bounds.ID.Check("X-Shopify-Webhook-Id", webhookID)); err != nil {
		return evt, true, err
	}
	switch topic {
	case "orders/paid":
		var o shopifyOrder
		if err := decode(body, &o); err != nil {
			return evt, true, err
		}
		if evt, err = shopifyPaid(evt, o, h); err != nil {
			return evt, true, fmt.Errorf("%w: %w", ErrPayload, err)
		}
	case "refunds/create":
		var r shopifyRefund
		if err := decode(body, &r); err != nil {
			return evt, true, err
		}
		if evt, err = shopifyRefunded(evt, r); err != nil {
			return evt, true, fmt.Errorf("%w: %w", ErrPayload, err)
		}
	case "orders/cancelled":
		var o shopifyOrder
		if err := decode(body, &o); err != nil {
			return evt, true, err
		}
		evt.Kind, evt.OrderID = ledger.OrderCancelled, string(o.ID)
	default:
		return evt, false, nil
	}
	return evt, true, evt.Validate()
}

func shopifyPaid(evt ledger.Event, o shopifyOrder, h referral.EmailHasher) (ledger.Event, error) {
	cur, err := money.ParseCurrency(o.Currency)
	if err != nil {
		return evt, err
	}
	if err := ledger.CheckBounds(bounds.URL.Check("landing_site", o.LandingSite)); err != nil {
		return evt, err
	}
	order := &ledger.Order{ReferralCode: shopifyRef(o)}
	if len(o.DiscountCodes) > 0 {
		order.Coupon = o.DiscountCodes[0].Code
	}
	email := o.Email
	if o.Customer != nil {
		order.Customer.ID = string(o.Customer.ID)
		if email == "" {
			email = o.Customer.Email
		}
	}
	order.Customer = h.Customer(order.Customer.ID, email)
	if o.Customer != nil {
		order.Customer.FirstName = ledger.FirstName(o.Customer.FirstName)
	}
	if order.Tax, err = minor(o.TotalTax, cur, "total_tax"); err != nil {
		return evt, err
	}
	if order.Shipping, err = minor(o.TotalShippingPriceSet.ShopMoney.Amount, cur, "total_shipping_price_set"); err != nil {
		return evt, err
	}
	for i, li := range o.LineItems {
		if li.GiftCard {
			continue // selling a gift card is not revenue yet; commission comes when it is spent
		}
		price, err := minor(li.Price, cur, fmt.Sprintf("line_items[%d].price", i))
		if err != nil {
			return evt, err
		}
		discount, err := minor(li.TotalDiscount, cur, fmt.Sprintf("line_items[%d].total_discount", i))
		if err != nil {
			return evt, err
		}
		gross, ok := money.MulChecked(price, li.Quantity)
		net, ok2 := money.AddChecked(gross, -discount)
		if !ok || !ok2 {
			return evt, fmt.Errorf("line_items[%d]: price × quantity − discount is out of range", i)
		}
		order.Lines = append(order.Lines, ledger.Line{SKU: lineSKU(li.SKU, li.ProductID), Category: li.ProductType, Quantity: li.Quantity, Amount: net})
	}
	evt.Kind, evt.OrderID, evt.Currency, evt.Order = ledger.OrderPaid, string(o.ID), cur, order
	evt.At = firstTime(time.RFC3339, o.ProcessedAt, o.CreatedAt)
	return evt, nil
}

// shopifyRef finds a referral code in the landing page's ref parameter or a
// cart note attribute (what a storefront script records from the cookie).
func shopifyRef(o shopifyOrder) string {
	if o.LandingSite != "" {
		if u, err := url.Parse(o.LandingSite); err == nil {
			if ref := u.Query().Get("ref"); ref != "" {
				return ref
			}
		}
	}
	for _, a := range o.NoteAttributes {
		switch strings.ToLower(a.Name) {
		case "ref", "referral_code", "partnerloop_ref":
			return string(a.Value)
		}
	}
	return ""
}

func shopifyRefunded(evt ledger.Event, r shopifyRefund) (ledger.Event, error) {
	var total int64
	var cur money.Currency
	var lines []ledger.RefundLine
	for i, li := range r.RefundLineItems {
		code := li.SubtotalSet.ShopMoney.CurrencyCode
		c, err := money.ParseCurrency(code)
		if err != nil {
			return evt, fmt.Errorf("refund_line_items[%d].subtotal_set: %w", i, err)
		}
		if cur != "" && c != cur {
			return evt, fmt.Errorf("refund mixes currencies %s and %s", cur, c)
		}
		cur = c
		amount := li.SubtotalSet.ShopMoney.Amount
		if amount == "" {
			amount = li.Subtotal
		}
		v, err := minor(amount, c, fmt.Sprintf("refund_line_items[%d].subtotal", i))
		if err != nil {
			return evt, err
		}
		total += v
		lines = append(lines, ledger.RefundLine{SKU: lineSKU(li.LineItem.SKU, li.LineItem.ProductID), Amount: v})
	}
	if cur == "" {
		// A refund of shipping or an adjustment only: no merchandise was returned.
		return evt, fmt.Errorf("refund has no refund_line_items with a currency")
	}
	evt.Kind, evt.OrderID, evt.Currency = ledger.OrderRefunded, string(r.OrderID), cur
	evt.At = firstTime(time.RFC3339, r.ProcessedAt, r.CreatedAt)
	evt.Refund = &ledger.Refund{ID: string(r.ID), Amount: total, Basis: ledger.RefundNet, Lines: lines}
	return evt, nil
}

// lineSKU names a line by SKU, or by product where the shop has no SKU, the
// same way for orders and refunds so refunded lines can be matched.
func lineSKU(sku string, productID flexString) string {
	if sku != "" {
		return sku
	}
	return "product:" + string(productID)
}
