package app_test

import (
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/devenv"
	"github.com/partnerloop/partnerloop/internal/webhook"
)

// TestRequestUnitsOfATypicalAttributedOrder measures what one attributed
// order costs in DynamoDB request units and keeps it from creeping up.
func TestRequestUnitsOfATypicalAttributedOrder(t *testing.T) {
	h := newHarness(t)
	meter := &devenv.CapacityMeter{}
	h.useDynamoDBOptions(meter.Option)
	code := h.createPartner(`{"name":"A","email":"a@a.example","tier":"gold"}`)["referral_code"].(string)
	body := []byte(`{"id":"evt_cu","type":"order.paid","order":{"id":"ord_cu","currency":"EUR","referral_code":"` + code + `",
		"customer":{"id":"c1","email":"buyer@b.example"},"lines":[{"sku":"SKU-1","category":"tools","quantity":2,"amount":10000},
		{"sku":"SKU-2","category":"accessories","quantity":1,"amount":2500}],"tax":2200,"shipping":500}}`)
	meter.Reset()
	res := h.do("POST", "/webhooks/orders", "", body, map[string]string{"Partnerloop-Signature": webhook.SignTimestamped(body, []byte(secrets.Generic), time.Now())})
	if res.Status != 200 || res.Body["status"] != "applied" {
		t.Fatalf("%d %s", res.Status, res.Raw)
	}
	t.Logf("attributed order: %d calls, %.1f read units, %.1f write units", meter.Calls, meter.Read, meter.Write)
	if meter.Read == 0 || meter.Write == 0 {
		t.Fatal("no consumed capacity reported")
	}
	if meter.Read > 8 || meter.Write > 16 {
		t.Fatalf("an attributed order costs %.1f RRU and %.1f WRU; budget is 8 and 16", meter.Read, meter.Write)
	}
}
