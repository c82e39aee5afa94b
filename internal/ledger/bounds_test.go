package ledger

import (
	"fmt"
	"strings"
	"testing"

	"github.com/partnerloop/partnerloop/internal/bounds"
)

func TestValidateBoundsEveryStoredText(t *testing.T) {
	long := strings.Repeat("x", bounds.ID.Max+1)
	for field, change := range map[string]func(e *Event){
		"id":                      func(e *Event) { e.ID = long },
		"order.id":                func(e *Event) { e.OrderID = long },
		"order.customer.id":       func(e *Event) { e.Order.Customer.ID = long },
		"order.referral_code":     func(e *Event) { e.Order.ReferralCode = long },
		"order.coupon":            func(e *Event) { e.Order.Coupon = long },
		"order.subscription":      func(e *Event) { e.Order.Subscription = long },
		"order.lines[0].sku":      func(e *Event) { e.Order.Lines[0].SKU = long },
		"order.lines[0].category": func(e *Event) { e.Order.Lines[0].Category = strings.Repeat("é", bounds.ID.Max/2+1) },
		"order.lines: 51 distinct categories": func(e *Event) {
			e.Order.Lines = nil
			for i := range MaxCategories + 1 {
				e.Order.Lines = append(e.Order.Lines, Line{SKU: "S", Category: fmt.Sprint(i), Quantity: 1, Amount: 1})
			}
		},
		"order.lines: skus and distinct categories take": func(e *Event) {
			e.Order.Lines = nil
			for range MaxLineText/bounds.ID.Max + 1 {
				e.Order.Lines = append(e.Order.Lines, Line{SKU: strings.Repeat("s", bounds.ID.Max), Quantity: 1, Amount: 1})
			}
		},
	} {
		evt := paid("o", 100)
		change(&evt)
		if err := evt.Validate(); err == nil || !strings.Contains(err.Error(), strings.Split(field, ":")[0]) {
			t.Errorf("%s: %v", field, err)
		}
	}
	// At the bounds, and one category on every line, is fine.
	evt := paid("o", 100)
	evt.ID, evt.OrderID = long[1:], long[1:]
	for i := range MaxLines - 1 {
		evt.Order.Lines = append(evt.Order.Lines, Line{SKU: fmt.Sprint(i), Category: strings.Repeat("é", bounds.ID.Max/2), Quantity: 1, Amount: 1})
	}
	if err := evt.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestAnOrderKeepsABoundedNumberOfRefunds(t *testing.T) {
	var rec OrderRecord
	for i := range MaxRefunds {
		rec.Refunds = append(rec.Refunds, Refund{ID: fmt.Sprint("rf", i)})
	}
	if err := refund("o", "rf0", 1).fits(rec); err != nil {
		t.Errorf("a refund the order holds is a duplicate, not refused: %v", err)
	}
	if err := refund("o", "rf-new", 1).fits(rec); err == nil {
		t.Error("refund past MaxRefunds accepted")
	}
	rec.Refunds = []Refund{{ID: "a", Lines: []RefundLine{{SKU: strings.Repeat("s", MaxLineText), Amount: 1}}}}
	withLine := refund("o", "b", 1)
	withLine.Refund.Lines, withLine.Refund.Basis = []RefundLine{{SKU: "s", Amount: 1}}, RefundNet
	if err := withLine.fits(rec); err == nil {
		t.Error("refund lines past MaxLineText in all accepted")
	}
}
