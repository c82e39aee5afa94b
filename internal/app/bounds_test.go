package app_test

import (
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/partnerloop/partnerloop/internal/webhook"
)

// Amounts beyond the documented bounds are refused before any arithmetic,
// so no overflowed number is ever stored.
func TestOverflowingAmountsAreRefusedAndWriteNothing(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"Acme","email":"a@acme.example"}`)
	code := p["referral_code"].(string)
	before := h.itemCount()
	for name, body := range map[string]string{
		"two lines of MaxInt64": fmt.Sprintf(`{"id":"e1","type":"order.paid","order":{"id":"o1","currency":"EUR","referral_code":%q,
			"lines":[{"sku":"A","quantity":1,"amount":9223372036854775807},{"sku":"B","quantity":1,"amount":9223372036854775807}]}}`, code),
		"a line over 10^13": fmt.Sprintf(`{"id":"e2","type":"order.paid","order":{"id":"o2","currency":"EUR","referral_code":%q,
			"lines":[{"sku":"A","quantity":1,"amount":10000000000001}]}}`, code),
		"a quantity over 10^6": fmt.Sprintf(`{"id":"e3","type":"order.paid","order":{"id":"o3","currency":"EUR","referral_code":%q,
			"lines":[{"sku":"A","quantity":1000001,"amount":100}]}}`, code),
		"tax over 10^13": fmt.Sprintf(`{"id":"e4","type":"order.paid","order":{"id":"o4","currency":"EUR","referral_code":%q,
			"lines":[{"sku":"A","quantity":1,"amount":100}],"tax":9223372036854775807}}`, code),
		"a refund over 10^13": `{"id":"e5","type":"order.refunded","order":{"id":"o5","currency":"EUR","refund":{"id":"r","amount":9223372036854775807}}}`,
	} {
		if res := h.postGeneric("/webhooks/orders", []byte(body)); res.Status != 400 || res.errorCode() != "invalid_event" {
			t.Errorf("%s: %d %s", name, res.Status, res.Raw)
		}
	}
	// A Shopify price × quantity that would wrap around to a small number.
	shop := fmt.Appendf(nil, `{"id":9,"currency":"EUR","landing_site":"/?ref=%s","line_items":[{"sku":"X","quantity":4,"price":"46116860184273879.09"}]}`, code)
	sig := base64.StdEncoding.EncodeToString(webhook.SignRaw(shop, []byte(secrets.Shopify)))
	res := h.do("POST", "/webhooks/shopify", "", shop, map[string]string{"X-Shopify-Hmac-Sha256": sig, "X-Shopify-Topic": "orders/paid", "X-Shopify-Webhook-Id": "w1"})
	if res.Status != 400 || res.errorCode() != "invalid_event" {
		t.Errorf("wrapping Shopify line: %d %s", res.Status, res.Raw)
	}
	if h.itemCount() != before {
		t.Fatal("a refused delivery wrote something")
	}
	prog := `{"landing_url":"https://shop.example/","hold_days":0,"cookie_days":30,"tier_rates_bps":{"authorized":500,"silver":800,"gold":1200},
		"minimum_payout":{"EUR":1000},"commission":{"overrides":[{"id":"big","sku":"A","flat_per_unit":{"EUR":10000001}}]}}`
	if res := h.do("PUT", "/v1/program", h.tokens["alice"], []byte(prog), nil); res.Status != 422 {
		t.Errorf("a per-unit amount that could overflow: %d %s", res.Status, res.Raw)
	}
}

// A refund larger than what was paid is capped: it reverses the whole
// commission once, never more.
func TestRefundLargerThanPaidIsCapped(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"Acme","email":"a@acme.example"}`)
	id := p["id"].(string)
	h.postGeneric("/webhooks/orders", genericOrder("e1", "o1", p["referral_code"].(string), "EUR", 10000)) // 5% = 5.00
	res := h.postGeneric("/webhooks/orders", []byte(`{"id":"e2","type":"order.refunded","order":{"id":"o1","currency":"EUR","refund":{"id":"r1","amount":50000}}}`))
	if res.Status != 200 || res.Body["reversed"] != 500.0 {
		t.Fatalf("refund: %d %s", res.Status, res.Raw)
	}
	h.postGeneric("/webhooks/orders", []byte(`{"id":"e3","type":"order.refunded","order":{"id":"o1","currency":"EUR","refund":{"id":"r2","amount":50000}}}`))
	if b := h.balances(id); balance(b, "EUR", "reversed") != 500 || balance(b, "EUR", "payable") != 0 {
		t.Fatalf("balances after over-refunds: %v", b)
	}
}
