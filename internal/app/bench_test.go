package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/webhook"
)

// BenchmarkGenericWebhookEndToEnd measures one signed order webhook through
// HTTP, signature check, parsing, attribution and the DynamoDB transaction,
// against DynamoDB Local on this machine.
func BenchmarkGenericWebhookEndToEnd(b *testing.B) {
	h := newHarness(b)
	code := h.createPartner(`{"name":"Bench","email":"bench@b.example","tier":"gold"}`)["referral_code"].(string)
	i := 0
	for b.Loop() {
		i++
		body := genericOrder(fmt.Sprint("evt_", i), fmt.Sprint("ord_", i), code, "EUR", 10000)
		res := h.do("POST", "/webhooks/orders", "", body, map[string]string{
			"Partnerloop-Signature": webhook.SignTimestamped(body, []byte(secrets.Generic), time.Now())})
		if res.Status != 200 {
			b.Fatalf("%d %s", res.Status, res.Raw)
		}
	}
}
