package app_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"testing"

	"github.com/partnerloop/partnerloop/internal/webhook"
)

func (h *harness) postWoo(topic, deliveryID string, body []byte) response {
	h.t.Helper()
	sig := base64.StdEncoding.EncodeToString(webhook.SignRaw(body, []byte(secrets.WooCommerce)))
	return h.do("POST", "/webhooks/woocommerce", "", body, map[string]string{
		"X-WC-Webhook-Signature": sig, "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Delivery-ID": deliveryID,
		"X-WC-Webhook-Source": "https://shop.example/", "X-WC-Webhook-Resource": "order", "Content-Type": "application/json"})
}

func wooEvent(t *testing.T, name, code string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../events/webhooks/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("DEMO1234"), []byte(code))
}

func TestWooCommerceOrdersRefundsAndCancellations(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"Negozio","email":"n@negozio.example","tier":"silver"}`)
	id, code := p["id"].(string), p["referral_code"].(string)
	before := h.itemCount()

	// WooCommerce's ping on webhook creation: unsigned form body, nothing written.
	ping := h.do("POST", "/webhooks/woocommerce", "", []byte("webhook_id=15"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if ping.Status != 200 || ping.Body["status"] != "ping" {
		t.Fatalf("ping: %d %s", ping.Status, ping.Raw)
	}
	paid := wooEvent(t, "woocommerce-order-processing.json", code)
	bad := h.do("POST", "/webhooks/woocommerce", "", paid, map[string]string{"X-WC-Webhook-Signature": "AAAA", "X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Delivery-ID": "x"})
	if bad.Status != 401 || bad.errorCode() != "invalid_signature" {
		t.Fatalf("bad signature: %d %s", bad.Status, bad.Raw)
	}
	if res := h.postWoo("order.created", "", paid); res.Status != 400 {
		t.Fatalf("no delivery id: %d %s", res.Status, res.Raw)
	}
	if h.itemCount() != before {
		t.Fatal("a refused delivery or the ping wrote something")
	}

	// 8% of (140.00 + 30.00) = 13.60, credited by the _partnerloop_ref meta.
	if res := h.postWoo("order.created", "d1", paid); res.Status != 200 || res.Body["commission"] != 1360.0 || res.Body["partner_id"] != id {
		t.Fatalf("paid: %d %s", res.Status, res.Raw)
	}
	// Processing then completed, and a redelivery with a fresh delivery id:
	// the order counts once.
	completed := bytes.Replace(paid, []byte(`"status": "processing"`), []byte(`"status": "completed"`), 1)
	h.postWoo("order.updated", "d2", completed)
	h.postWoo("order.created", "d1-retry", paid)
	if got := balance(h.balances(id), "EUR", "payable"); got != 1360 {
		t.Fatalf("payable after duplicates: %d", got)
	}

	// The bit set (36.60 with tax of 213.50) comes back: 36.60/213.50 of the
	// net 170.00 is 29.14, spread over both lines, whose 8% reverses 2.32
	// (each line rounded down); sent twice.
	refunded := wooEvent(t, "woocommerce-order-partially-refunded.json", code)
	for _, dlv := range []string{"d3", "d4"} {
		if res := h.postWoo("order.updated", dlv, refunded); res.Status != 200 {
			t.Fatalf("refund %s: %d %s", dlv, res.Status, res.Raw)
		}
	}
	if b := h.balances(id); balance(b, "EUR", "payable") != 1360-232 || balance(b, "EUR", "reversed") != 232 {
		t.Fatalf("after the partial refund: %v", b)
	}

	// Cancelled: the rest of the commission is reversed, once.
	cancelled := wooEvent(t, "woocommerce-order-cancelled.json", code)
	h.postWoo("order.updated", "d5", cancelled)
	h.postWoo("order.updated", "d6", cancelled)
	if b := h.balances(id); balance(b, "EUR", "payable") != 0 || balance(b, "EUR", "reversed") != 1360 {
		t.Fatalf("after cancellation: %v", b)
	}
}
