package app_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/obs"
	"github.com/partnerloop/partnerloop/internal/webhook"
)

// A sample of requests carrying every kind of secret leaves none of them in
// the logs, every log line is JSON with its request id, order events name
// their event and order, and the webhook metrics come out as EMF.
func TestLogsRedactAndMetricsCount(t *testing.T) {
	var logs, metrics bytes.Buffer
	h := newObservedHarness(t, obs.NewLogger(&logs), obs.NewMetrics(&metrics))
	p := h.createPartner(`{"name":"Acme","email":"owner@acme.example","payout":{"method":"paypal","email":"pay@acme.example"}}`)
	id, code := p["id"].(string), p["referral_code"].(string)
	token := h.partnerToken(id)

	generic := genericOrder("evt_log", "ord_log", code, "EUR", 10000) // customer a@b.example
	genericSig := webhook.SignTimestamped(generic, []byte(secrets.Generic), time.Now())
	h.do("POST", "/webhooks/orders", "", generic, map[string]string{"Partnerloop-Signature": genericSig})
	h.do("POST", "/webhooks/orders", "", generic, map[string]string{"Partnerloop-Signature": genericSig}) // duplicate
	h.do("POST", "/webhooks/orders", "", generic, map[string]string{"Partnerloop-Signature": "t=1,v1=deadbeef"})
	lead := []byte(`{"id":"lead_log","referral_code":"` + code + `","customer":{"id":"c9","email":"lead.person@example.org"}}`)
	h.postGeneric("/webhooks/referrals", lead)
	woo, _ := os.ReadFile("../../events/webhooks/woocommerce-order-processing.json")
	wooSig := base64.StdEncoding.EncodeToString(webhook.SignRaw(woo, []byte(secrets.WooCommerce)))
	h.do("POST", "/webhooks/woocommerce", "", woo, map[string]string{"X-WC-Webhook-Signature": wooSig, "X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Delivery-ID": "dl"})
	h.do("GET", "/v1/partners/"+id+"/statement", token, nil, nil)
	h.do("GET", "/v1/partners", h.tokens["alice"], nil, nil)
	h.do("GET", "/r/"+code, "", nil, nil)
	requests := 9

	for _, secret := range []string{"owner@acme.example", "pay@acme.example", "a@b.example", "lead.person@example.org", "giulia.rossi@example.com",
		token, h.tokens["alice"], genericSig, wooSig, secrets.Generic, secrets.WooCommerce, secrets.EmailHashKey, "test-jwt"} {
		if bytes.Contains(logs.Bytes(), []byte(secret)) {
			t.Errorf("the logs contain %q", secret)
		}
	}
	var orderEvents int
	sc := bufio.NewScanner(bytes.NewReader(logs.Bytes()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON line: %s", sc.Text())
		}
		if line["request_id"] == nil || line["request_id"] == "" {
			t.Errorf("no request id: %s", sc.Text())
		}
		if line["msg"] == "order event" {
			orderEvents++
			if line["event_id"] == "" || line["order_id"] == "" {
				t.Errorf("order event without its ids: %s", sc.Text())
			}
		}
	}
	if orderEvents != 3 {
		t.Errorf("%d order event lines, want 3 (generic, its duplicate, WooCommerce)", orderEvents)
	}
	got := map[string]int64{}
	var metricLines int
	sc = bufio.NewScanner(bytes.NewReader(metrics.Bytes()))
	for sc.Scan() {
		metricLines++
		var line map[string]any
		_ = json.Unmarshal(sc.Bytes(), &line)
		if _, ok := line["_aws"]; !ok {
			t.Fatalf("not EMF: %s", sc.Text())
		}
		if _, ok := line["PartnerId"]; ok || strings.Contains(sc.Text(), id) {
			t.Errorf("a partner id in a metric: %s", sc.Text())
		}
		for _, name := range []string{"OrdersApplied", "OrdersDuplicate", "OrdersRejected", "Clicks", "CommissionAccrued"} {
			if v, ok := line[name].(float64); ok {
				got[name] += int64(v)
			}
		}
	}
	if got["OrdersApplied"] != 2 || got["OrdersDuplicate"] != 1 || got["OrdersRejected"] != 1 || got["Clicks"] != 1 || got["CommissionAccrued"] != 500 { // the WooCommerce sample names another code: no commission
		t.Errorf("metrics %v", got)
	}
	t.Logf("per request: %.0f log bytes, %.1f metric lines", float64(logs.Len())/float64(requests), float64(metricLines)/float64(requests))
}
