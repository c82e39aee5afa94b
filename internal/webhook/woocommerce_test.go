package webhook

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/partnerloop/partnerloop/internal/ledger"
)

func wooSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../events/webhooks/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseWooCommercePaidOrder(t *testing.T) {
	evts, err := ParseWooCommerce("order.created", "dlv1", wooSample(t, "woocommerce-order-processing.json"), hasher)
	if err != nil || len(evts) != 1 {
		t.Fatalf("%v %v", evts, err)
	}
	e := evts[0]
	o := e.Order
	if e.Kind != ledger.OrderPaid || e.Source != SourceWooCommerce || e.OrderID != "727" || e.Currency != "EUR" || e.ID != "dlv1:paid" {
		t.Fatalf("event %+v", e)
	}
	// Net is subtotal less the line's discount, tax-exclusive although the
	// shop entered prices with tax; a line without SKU is named by product.
	if len(o.Lines) != 2 || o.Lines[0].Amount != 14000 || o.Lines[0].SKU != "DRILL-18V" || o.Lines[0].Quantity != 2 ||
		o.Lines[1].Amount != 3000 || o.Lines[1].SKU != "product:22" || o.Tax != 3850 || o.Shipping != 500 {
		t.Fatalf("order %+v", o)
	}
	if o.ReferralCode != "DEMO1234" || o.Coupon != "spring10" || o.Customer.ID != "26" || o.Customer.EmailHash != hasher.Hash("giulia.rossi@example.com") {
		t.Fatalf("attribution fields %+v", o)
	}
}

func TestParseWooCommerceStatuses(t *testing.T) {
	refunded := wooSample(t, "woocommerce-order-partially-refunded.json")
	evts, err := ParseWooCommerce("order.updated", "dlv2", refunded, hasher)
	if err != nil || len(evts) != 2 || evts[0].Kind != ledger.OrderPaid || evts[1].Kind != ledger.OrderRefunded {
		t.Fatalf("completed with a refund: %+v %v", evts, err)
	}
	if rf := evts[1].Refund; rf.Amount != 3660 || rf.Basis != ledger.RefundGross || !rf.Cumulative || rf.ID != "refunded@3660" {
		t.Fatalf("refund %+v", rf)
	}
	fully := strings.Replace(strings.Replace(string(refunded), `"status": "completed"`, `"status": "refunded"`, 1),
		`"refunds": [`, `"refunds": [{"id": 731, "reason": "", "total": "-176.90"},`, 1)
	evts, err = ParseWooCommerce("order.updated", "dlv3", []byte(fully), hasher)
	if err != nil || len(evts) != 1 || evts[0].Kind != ledger.OrderRefunded || evts[0].Refund.Amount != 21350 {
		t.Fatalf("refunded in full: %+v %v", evts, err)
	}
	evts, err = ParseWooCommerce("order.updated", "dlv4", wooSample(t, "woocommerce-order-cancelled.json"), hasher)
	if err != nil || len(evts) != 1 || evts[0].Kind != ledger.OrderCancelled || evts[0].OrderID != "727" {
		t.Fatalf("cancelled: %+v %v", evts, err)
	}
	for _, status := range []string{"pending", "on-hold", "failed", "checkout-draft"} {
		body := strings.Replace(string(refunded), `"status": "completed"`, `"status": "`+status+`"`, 1)
		if evts, err := ParseWooCommerce("order.updated", "d", []byte(body), hasher); err != nil || len(evts) != 0 {
			t.Errorf("%s: %+v %v", status, evts, err)
		}
	}
	if evts, err := ParseWooCommerce("product.updated", "d", []byte(`{"id":1}`), hasher); err != nil || evts != nil {
		t.Errorf("other topic: %v %v", evts, err)
	}
}

func TestParseWooCommerceRejects(t *testing.T) {
	ok := string(wooSample(t, "woocommerce-order-processing.json"))
	for name, body := range map[string]string{
		"malformed":          `{"id":`,
		"unknown currency":   strings.Replace(ok, `"currency": "EUR"`, `"currency": "XXY"`, 1),
		"sub-cent amount":    strings.Replace(ok, `"total": "140.00"`, `"total": "140.001"`, 1),
		"float amount":       strings.Replace(ok, `"subtotal": "150.00"`, `"subtotal": "1.5e2"`, 1),
		"discount over line": strings.Replace(ok, `"total": "140.00"`, `"total": "160.00"`, 1),
		"positive refund":    strings.Replace(strings.Replace(ok, `"refunds": []`, `"refunds": [{"id":1,"total":"5.00"}]`, 1), `"processing"`, `"completed"`, 1),
		"no id":              strings.Replace(ok, `"id": 727,`, ``, 1),
	} {
		if _, err := ParseWooCommerce("order.updated", "d", []byte(body), hasher); !errors.Is(err, ErrPayload) {
			t.Errorf("%s: accepted (%v)", name, err)
		}
	}
}

func TestWooCommercePing(t *testing.T) {
	if !IsWooCommercePing("", []byte("webhook_id=15")) {
		t.Error("ping not recognised")
	}
	for _, tc := range []struct{ sig, body string }{
		{"c2ln", "webhook_id=15"},         // signed: a delivery, verified as such
		{"", `{"webhook_id":15}`},         // JSON is not the ping
		{"", "webhook_id=15&status=paid"}, // anything more is not the ping
		{"", ""},
	} {
		if IsWooCommercePing(tc.sig, []byte(tc.body)) {
			t.Errorf("%q %q taken for a ping", tc.sig, tc.body)
		}
	}
}
