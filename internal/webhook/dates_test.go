package webhook

import (
	"strings"
	"testing"
	"time"
)

func TestProviderEventsCarryTheProvidersTime(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	invoice := func(object string) []byte {
		return []byte(`{"id":"evt_1","type":"invoice.paid","created":1795100000,"data":{"object":{"id":"in_1","subscription":"sub_1","currency":"eur","amount_paid":100` + object + `}}}`)
	}
	stripeAt := func(body []byte) time.Time {
		d, err := ParseStripe(body, hasher)
		if err != nil || d.Order == nil {
			t.Fatalf("%v %+v", err, d)
		}
		return d.Order.At
	}
	if got := stripeAt(invoice(`,"created":1795000000,"status_transitions":{"paid_at":1795000600}`)); !got.Equal(time.Unix(1795000600, 0)) {
		t.Errorf("invoice by paid_at: %v", got)
	}
	if got := stripeAt(invoice(`,"created":1795000000,"status_transitions":{"paid_at":null}`)); !got.Equal(time.Unix(1795000000, 0)) {
		t.Errorf("invoice by created: %v", got)
	}
	if got := stripeAt(sample(t, "stripe-checkout-session-completed.json")); !got.Equal(time.Unix(1795000000, 0)) {
		t.Errorf("checkout by the event's created: %v", got)
	}
	sub, err := ParseStripe(sample(t, "stripe-checkout-subscription.json"), hasher)
	if err != nil || sub.Subscription == nil || !sub.Subscription.At.IsZero() {
		t.Errorf("a subscription without created is dated on receipt: %+v %v", sub, err)
	}

	shop := strings.Replace(string(sample(t, "shopify-orders-paid.json")), `"currency"`, `"processed_at":"2026-11-20T11:14:30-05:00","created_at":"2026-11-20T11:00:00-05:00","currency"`, 1)
	evt, _, err := ParseShopify("orders/paid", "w1", []byte(shop), hasher)
	if err != nil || !evt.At.Equal(at("2026-11-20T16:14:30Z")) {
		t.Errorf("Shopify by processed_at: %v %v", evt.At, err)
	}
	shop = strings.Replace(shop, `"processed_at":"2026-11-20T11:14:30-05:00",`, "", 1)
	if evt, _, _ := ParseShopify("orders/paid", "w1", []byte(shop), hasher); !evt.At.Equal(at("2026-11-20T16:00:00Z")) {
		t.Errorf("Shopify by created_at: %v", evt.At)
	}

	woo := string(sample(t, "woocommerce-order-processing.json"))
	evts, err := ParseWooCommerce("order.updated", "d1", []byte(woo), hasher)
	if err != nil || !evts[0].At.Equal(at("2026-11-20T09:14:09Z")) {
		t.Errorf("WooCommerce by date_created_gmt: %v %v", evts, err)
	}
	woo = strings.Replace(woo, `"date_created_gmt"`, `"date_paid_gmt":"2026-11-20T09:14:11","date_created_gmt"`, 1)
	if evts, _ := ParseWooCommerce("order.updated", "d1", []byte(woo), hasher); !evts[0].At.Equal(at("2026-11-20T09:14:11Z")) {
		t.Errorf("WooCommerce by date_paid_gmt: %v", evts[0].At)
	}
}
