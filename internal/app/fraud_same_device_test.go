package app_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// same_device counts, per partner, device and window, the distinct
// customers whose orders name a click from that device: the customer that
// reaches the limit is held, a customer already counted and another
// device's customers are not.
func TestSameDeviceHoldsTheCustomerThatReachesTheLimit(t *testing.T) {
	h := newHarness(t)
	h.saveProgram(fraudProgram(`{"same_device":{"enabled":true,"customers":3,"window_hours":24}}`, `{}`))
	p := h.createPartner(`{"name":"Dev","email":"dev@dev.example"}`)
	id, code := p["id"].(string), p["referral_code"].(string)
	device := h.click(code, "", "", "198.51.100.20")
	elsewhere := h.click(code, "", "", "198.51.100.21")

	order := func(orderID, click, email, want string) {
		t.Helper()
		if res := h.postGeneric("/webhooks/orders", paidAfterClick(orderID, code, click, email)); res.Status != 200 || res.Body["accrual_status"] != want {
			t.Fatalf("%s: %d %s, want %s", orderID, res.Status, res.Raw, want)
		}
	}
	order("first", device, "one@buyer.example", "payable")
	order("second", device, "two@buyer.example", "payable")
	order("first-again", device, "One@buyer.example", "payable") // the same customer counts once
	order("other-device", elsewhere, "three@buyer.example", "payable")
	order("third", device, "three@buyer.example", "held")
	order("fourth", device, "four@buyer.example", "held")

	c := h.onlyCase("status=pending&rule=same_device&partner_id=" + id)
	if c["events"] != 2.0 {
		t.Errorf("each order past the limit is an event of the case: %v", c)
	}
	detail := h.do("GET", "/v1/fraud/cases/"+c["id"].(string), h.tokens["alice"], nil, nil)
	ev := detail.Body["event_list"].([]any)[0].(map[string]any)["evidence"].(map[string]any)
	if ev["customers"] != "3" || ev["device"] == "" {
		t.Errorf("the evidence names the device's hash and the limit reached: %s", detail.Raw)
	}
}

// With flag, the case opens and the money moves; with the rule off, an
// order naming a click writes no device record.
func TestSameDeviceFlagsAndWritesNothingWhenOff(t *testing.T) {
	h := newHarness(t)
	h.saveProgram(fraudProgram(`{"same_device":{"enabled":true,"action":"flag","customers":2}}`, `{}`))
	p := h.createPartner(`{"name":"Dev","email":"dev@dev.example"}`)
	id, code := p["id"].(string), p["referral_code"].(string)
	device := h.click(code, "", "", "198.51.100.30")
	for i, email := range []string{"a@buyer.example", "b@buyer.example"} {
		if res := h.postGeneric("/webhooks/orders", paidAfterClick(fmt.Sprint("flag", i), code, device, email)); res.Body["accrual_status"] != "payable" {
			t.Fatalf("flagged order %d: %d %s", i, res.Status, res.Raw)
		}
	}
	if c := h.onlyCase("status=pending&rule=same_device&partner_id=" + id); c["events"] != 1.0 {
		t.Errorf("the second customer of the device flags: %v", c)
	}

	h.saveProgram(fraudProgram(`{"large_commission":{"enabled":true,"amounts":{"EUR":100000}}}`, `{}`))
	before := h.recordsUnder("DEVICE#")
	if res := h.postGeneric("/webhooks/orders", paidAfterClick("off", code, h.click(code, "", "", "198.51.100.31"), "c@buyer.example")); res.Body["accrual_status"] != "payable" {
		t.Fatalf("rule off: %d %s", res.Status, res.Raw)
	}
	if n := h.recordsUnder("DEVICE#"); n != before || n != 1 {
		t.Errorf("device records: %d, then %d with the rule off; want the flagged device's only", before, n)
	}
}

// recordsUnder counts the table's items whose partition key starts with prefix.
func (h *harness) recordsUnder(prefix string) int32 {
	h.t.Helper()
	out, err := h.env.DB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(h.env.Table), Select: "COUNT",
		FilterExpression: aws.String("begins_with(pk, :p)"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: prefix}}})
	if err != nil {
		h.t.Fatal(err)
	}
	return out.Count
}
