package webhook

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/referral"
)

var hasher = referral.EmailHasher{Key: []byte("k")}

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyTimestamped(t *testing.T) {
	secret, body := []byte("s3cret"), []byte(`{"id":"evt_1"}`)
	now := time.Unix(1_800_000_000, 0)
	good := SignTimestamped(body, secret, now)
	other := SignTimestamped(body, []byte("old-secret"), now)
	_, otherSig, _ := strings.Cut(other, ",")
	for _, tc := range []struct {
		name   string
		header string
		body   []byte
		at     time.Time
		want   error
	}{
		{"valid", good, body, now, nil},
		{"valid within tolerance", good, body, now.Add(4 * time.Minute), nil},
		{"rolled secret: any v1 may match", good + "," + otherSig, body, now, nil},
		{"tampered body", good, []byte(`{"id":"evt_2"}`), now, ErrSignature},
		{"stale", good, body, now.Add(6 * time.Minute), ErrStale},
		{"from the future", good, body, now.Add(-6 * time.Minute), ErrStale},
		{"wrong secret", other, body, now, ErrSignature},
		{"missing", "", body, now, ErrSignature},
		{"no timestamp", strings.Split(good, ",")[1], body, now, ErrSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := VerifyTimestamped(tc.header, tc.body, secret, tc.at); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyBase64HMAC(t *testing.T) {
	secret, body := []byte("shpss"), sample(t, "shopify-orders-paid.json")
	sig := base64.StdEncoding.EncodeToString(SignRaw(body, secret))
	if err := VerifyBase64HMAC(sig, body, secret); err != nil {
		t.Fatal(err)
	}
	if err := VerifyBase64HMAC(sig, append(body, ' '), secret); !errors.Is(err, ErrSignature) {
		t.Fatalf("tampered body: %v", err)
	}
	if err := VerifyBase64HMAC("not base64!", body, secret); !errors.Is(err, ErrSignature) {
		t.Fatalf("garbage header: %v", err)
	}
}

func TestParseGeneric(t *testing.T) {
	evt, err := ParseGeneric(sample(t, "generic-order-paid.json"), hasher)
	if err != nil {
		t.Fatal(err)
	}
	if evt.Kind != ledger.OrderPaid || evt.OrderID != "ord_1" || evt.Currency != "EUR" || evt.Order.Net() != 10000 ||
		evt.Order.Gross() != 12700 || evt.Order.ReferralCode != "DEMO1234" || evt.Order.Customer.EmailHash != hasher.Hash("A@B.example ") {
		t.Fatalf("unexpected event %+v %+v", evt, evt.Order)
	}
	rf, err := ParseGeneric(sample(t, "generic-order-refunded.json"), hasher)
	if err != nil || rf.Refund.Amount != 5000 || rf.Refund.ID != "rf_1" || rf.Refund.Basis != ledger.RefundNet {
		t.Fatalf("refund: %+v %v", rf.Refund, err)
	}
	lines := []byte(`{"id":"e","type":"order.refunded","order":{"id":"o","currency":"EUR","refund":{"id":"r","lines":[{"sku":"A","amount":700},{"sku":"B","amount":300}]}}}`)
	if lr, err := ParseGeneric(lines, hasher); err != nil || lr.Refund.Amount != 1000 || len(lr.Refund.Lines) != 2 {
		t.Fatalf("refund by lines: %+v %v", lr.Refund, err)
	}
	mismatch := []byte(`{"id":"e","type":"order.refunded","order":{"id":"o","currency":"EUR","refund":{"id":"r","amount":5,"lines":[{"sku":"A","amount":7}]}}}`)
	if _, err := ParseGeneric(mismatch, hasher); !errors.Is(err, ledger.ErrInvalidEvent) {
		t.Fatalf("lines not adding up: %v", err)
	}
	if c, err := ParseGeneric(sample(t, "generic-order-cancelled.json"), hasher); err != nil || c.Kind != ledger.OrderCancelled {
		t.Fatalf("cancel: %+v %v", c, err)
	}
}

func TestParseGenericRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		want error
	}{
		"malformed json":    {`{"id":`, ledger.ErrInvalidEvent},
		"unknown currency":  {`{"id":"e","type":"order.paid","order":{"id":"o","currency":"XXX","lines":[{"amount":1}]}}`, money.ErrUnknownCurrency},
		"negative amount":   {`{"id":"e","type":"order.paid","order":{"id":"o","currency":"EUR","lines":[{"amount":-1}]}}`, ledger.ErrInvalidEvent},
		"fractional amount": {`{"id":"e","type":"order.paid","order":{"id":"o","currency":"EUR","lines":[{"amount":1.5}]}}`, ledger.ErrInvalidEvent},
		"negative refund":   {`{"id":"e","type":"order.refunded","order":{"id":"o","currency":"EUR","refund":{"id":"r","amount":-5}}}`, ledger.ErrInvalidEvent},
		"unknown type":      {`{"id":"e","type":"order.exploded","order":{"id":"o"}}`, ledger.ErrInvalidEvent},
		"missing id":        {`{"type":"order.cancelled","order":{"id":"o"}}`, ledger.ErrInvalidEvent},
	} {
		if _, err := ParseGeneric([]byte(tc.body), hasher); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
}

func TestParseShopify(t *testing.T) {
	evt, ok, err := ParseShopify("orders/paid", "wh-1", sample(t, "shopify-orders-paid.json"), hasher)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	o := evt.Order
	// 149.95 − 10.00 discount + 2 × 30.00; the gift card line carries no commission.
	if evt.OrderID != "820982911946154508" || evt.ID != "wh-1" || o.Net() != 19995 || o.Tax != 2000 || o.Shipping != 1000 || len(o.Lines) != 2 {
		t.Fatalf("order %+v net %d", o, o.Net())
	}
	if o.ReferralCode != "DEMO1234" || o.Coupon != "SPRING10" || o.Customer.ID != "115310627314723954" || o.Customer.EmailHash != hasher.Hash("jon@example.com") {
		t.Fatalf("attribution evidence %+v", o)
	}
	rf, _, err := ParseShopify("refunds/create", "wh-2", sample(t, "shopify-refunds-create.json"), hasher)
	if err != nil || rf.OrderID != "820982911946154508" || rf.Refund.Amount != 3000 || rf.Currency != "EUR" || rf.Refund.ID != "509562969" ||
		len(rf.Refund.Lines) != 1 || rf.Refund.Lines[0] != (ledger.RefundLine{SKU: "BITS-SET", Amount: 3000}) {
		t.Fatalf("refund %+v %+v %v", rf, rf.Refund, err)
	}
	c, _, err := ParseShopify("orders/cancelled", "wh-3", sample(t, "shopify-orders-cancelled.json"), hasher)
	if err != nil || c.Kind != ledger.OrderCancelled || c.OrderID != "820982911946154508" {
		t.Fatalf("cancel %+v %v", c, err)
	}
	if _, ok, err := ParseShopify("products/update", "wh-4", []byte(`{}`), hasher); ok || err != nil {
		t.Fatalf("other topics are acknowledged and ignored: %v %v", ok, err)
	}
}

func TestShopifyRefFromNoteAttributes(t *testing.T) {
	body := `{"id":1,"currency":"USD","note_attributes":[{"name":"referral_code","value":"NOTE42"}],"line_items":[{"sku":"A","quantity":1,"price":"10.00"}]}`
	evt, _, err := ParseShopify("orders/paid", "wh", []byte(body), hasher)
	if err != nil || evt.Order.ReferralCode != "NOTE42" {
		t.Fatalf("%+v %v", evt.Order, err)
	}
	bad := strings.Replace(body, `"10.00"`, `"10.001"`, 1)
	if _, _, err := ParseShopify("orders/paid", "wh", []byte(bad), hasher); !errors.Is(err, ledger.ErrInvalidEvent) {
		t.Fatalf("sub-cent price accepted: %v", err)
	}
}

func TestParseStripe(t *testing.T) {
	d, err := ParseStripe(sample(t, "stripe-checkout-session-completed.json"), hasher)
	if err != nil || d.Order == nil {
		t.Fatal(d, err)
	}
	evt := *d.Order
	if evt.OrderID != "pi_3Qx000000000001" || evt.Currency != "EUR" || evt.Order.Net() != 10000 || evt.Order.ReferralCode != "DEMO1234" {
		t.Fatalf("%+v %+v", evt, evt.Order)
	}
	d, err = ParseStripe(sample(t, "stripe-charge-refunded.json"), hasher)
	if err != nil || d.Order == nil {
		t.Fatal(d, err)
	}
	rf := *d.Order
	if rf.OrderID != evt.OrderID || rf.Refund.Amount != 6350 || !rf.Refund.Cumulative || rf.Refund.Basis != ledger.RefundGross {
		t.Fatalf("%+v %+v", rf, rf.Refund)
	}
	unpaid := strings.Replace(string(sample(t, "stripe-checkout-session-completed.json")), `"payment_status": "paid"`, `"payment_status": "unpaid"`, 1)
	if d, err := ParseStripe([]byte(unpaid), hasher); d.Order != nil || d.Subscription != nil || err != nil {
		t.Fatalf("unpaid session must be ignored: %+v %v", d, err)
	}
	meta := strings.Replace(strings.Replace(string(sample(t, "stripe-checkout-session-completed.json")),
		`"client_reference_id": "DEMO1234"`, `"client_reference_id": null`, 1), `"metadata": {}`, `"metadata": {"referral_code": "META77"}`, 1)
	if d, err := ParseStripe([]byte(meta), hasher); err != nil || d.Order.Order.ReferralCode != "META77" {
		t.Fatalf("metadata.referral_code: %+v %v", d, err)
	}
}

func TestParseStripeSubscriptions(t *testing.T) {
	d, err := ParseStripe(sample(t, "stripe-checkout-subscription.json"), hasher)
	if err != nil || d.Order != nil || d.Subscription == nil {
		t.Fatalf("a subscription checkout is a referral, not an order: %+v %v", d, err)
	}
	if s := d.Subscription; s.ID != "sub_1QxA" || s.ReferralCode != "DEMO1234" || s.Customer.ID != "cus_SUB1" || s.Customer.EmailHash != hasher.Hash("subscriber@b.example") {
		t.Fatalf("%+v", s)
	}
	d, err = ParseStripe(sample(t, "stripe-invoice-paid.json"), hasher)
	if err != nil || d.Order == nil {
		t.Fatal(d, err)
	}
	o := d.Order
	if o.OrderID != "pi_3QxInv0001" || o.Order.Subscription != "sub_1QxA" || o.Order.Net() != 5000 || o.Order.Tax != 900 || o.Currency != "EUR" {
		t.Fatalf("%+v %+v", o, o.Order)
	}
	oneOff := strings.Replace(string(sample(t, "stripe-invoice-paid.json")), `"subscription": "sub_1QxA",`, ``, 1)
	if d, err := ParseStripe([]byte(oneOff), hasher); err != nil || d.Order != nil {
		t.Fatalf("an invoice without a subscription is not an order here: %+v %v", d, err)
	}
}

func BenchmarkVerifyAndParseGeneric(b *testing.B) {
	body, secret := sample(b, "generic-order-paid.json"), []byte("s3cret")
	now := time.Now()
	header := SignTimestamped(body, secret, now)
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyTimestamped(header, body, secret, now); err != nil {
			b.Fatal(err)
		}
		if _, err := ParseGeneric(body, hasher); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyAndParseShopify(b *testing.B) {
	body, secret := sample(b, "shopify-orders-paid.json"), []byte("s3cret")
	sig := base64.StdEncoding.EncodeToString(SignRaw(body, secret))
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyBase64HMAC(sig, body, secret); err != nil {
			b.Fatal(err)
		}
		if _, _, err := ParseShopify("orders/paid", "wh", body, hasher); err != nil {
			b.Fatal(err)
		}
	}
}

// The README promises this order of preference for a Shopify order's referral.
func TestShopifyReferralPreference(t *testing.T) {
	order := func(fields string) string {
		return `{"id":7,"currency":"EUR",` + fields + `"line_items":[{"sku":"A","quantity":1,"price":"10.00"}]}`
	}
	for _, tc := range []struct {
		name, body, code, coupon string
	}{
		{"landing page ?ref= first", order(`"landing_site":"/products/x?utm_source=a&ref=LAND1","note_attributes":[{"name":"partnerloop_ref","value":"NOTE1"}],`), "LAND1", ""},
		{"cart attribute when the landing page has none", order(`"landing_site":"/?utm_source=a","note_attributes":[{"name":"Partnerloop_Ref","value":"NOTE1"}],`), "NOTE1", ""},
		{"the first discount code is the coupon", order(`"discount_codes":[{"code":"summer10"},{"code":"OTHER"}],`), "", "summer10"},
		{"code and coupon side by side", order(`"landing_site":"/?ref=LAND1","discount_codes":[{"code":"SUMMER10"}],`), "LAND1", "SUMMER10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evt, _, err := ParseShopify("orders/paid", "wh", []byte(tc.body), hasher)
			if err != nil || evt.Order.ReferralCode != tc.code || evt.Order.Coupon != tc.coupon {
				t.Fatalf("got code %q coupon %q (%v), want %q %q", evt.Order.ReferralCode, evt.Order.Coupon, err, tc.code, tc.coupon)
			}
		})
	}
}
