package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// rewardsGroup is a group of customers rewarded in rewards (money or
// points), earning 20% on tools with a 14-day hold.
func rewardsGroup(id, rewards string) []byte {
	body := string(customersGroup(id, `{"kind":"percent","value":10,"duration":"once","provider":"shopify","shop":"shop.example"}`))
	return []byte(strings.Replace(body, `"customer_rewards":"money"`, `"customer_rewards":"`+rewards+`","hold_days":14,
		"commission":{"overrides":[{"id":"tools","category":"tools","rate_bps":2000}]}`, 1))
}

// customer signs a shop's customer in to the group's widget once and
// returns its partner and referral code.
func (h *harness) customer(externalID, group string) (partnerID, code string) {
	h.t.Helper()
	_, key := h.apiKey()
	token := h.embedToken(key, externalID, group)
	if token.Status != 201 {
		h.t.Fatalf("embed token: %d %s", token.Status, token.Raw)
	}
	code = h.widget(token.Body["token"].(string)).Body["referral_code"].(string)
	return h.partnerByCode(code), code
}

// outboxEvents are the bodies of the events of a type waiting in the outbox.
func (h *harness) outboxEvents(typ string) []map[string]any {
	h.t.Helper()
	out, err := h.env.DB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(h.env.Table),
		FilterExpression: aws.String("#t = :t AND begins_with(id, :evt)"), ExpressionAttributeNames: map[string]string{"#t": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: typ}, ":evt": &types.AttributeValueMemberS{Value: "evt_"}}})
	if err != nil {
		h.t.Fatal(err)
	}
	var bodies []map[string]any
	for _, item := range out.Items {
		var body map[string]any
		if err := json.Unmarshal([]byte(item["data"].(*types.AttributeValueMemberS).Value), &body); err != nil {
			h.t.Fatal(err)
		}
		bodies = append(bodies, body)
	}
	return bodies
}

// matureAfter runs the maturity job as if days had passed.
func (h *harness) matureAfter(days int) {
	h.t.Helper()
	maturity := h.fns["Maturity"].Ledger
	maturity.Now = func() time.Time { return time.Now().Add(time.Duration(days) * 24 * time.Hour) }
	if _, err := maturity.MatureDue(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

func TestCustomerRewardedInMoneyGetsStoreCreditWhenTheHoldEnds(t *testing.T) {
	h := newHarness(t)
	if res := h.do("POST", "/v1/webhook-endpoints", h.tokens["bob"],
		[]byte(`{"url":"https://hooks.shop.example/credit","events":["customer_credit.earned","customer_credit.reversed"]}`), nil); res.Status != 201 {
		t.Fatalf("endpoint: %d %s", res.Status, res.Raw)
	}
	h.ahead.Add(int64(time.Minute)) // every function has seen the new endpoint
	h.createGroup(rewardsGroup("customers", "money"))
	id, code := h.customer("cust-1", "customers")

	if res := h.postGeneric("/webhooks/orders", genericOrder("e1", "o1", code, "EUR", 10000)); res.Status != 200 || res.Body["commission"] != 2000.0 {
		t.Fatalf("order: %d %s", res.Status, res.Raw)
	}
	// A refund inside the hold reverses as for any partner, and no credit is issued yet.
	h.postGeneric("/webhooks/orders", []byte(`{"id":"e2","type":"order.refunded","order":{"id":"o1","currency":"EUR","refund":{"id":"r1","amount":2500}}}`))
	if b := h.balances(id); balance(b, "EUR", "pending") != 1500 || balance(b, "EUR", "paid") != 0 {
		t.Fatalf("inside the hold: %v", b)
	}
	if got := h.outboxEvents("customer_credit.earned"); len(got) != 0 {
		t.Fatalf("credit before the hold ended: %v", got)
	}

	// At maturity the rest is paid as store credit, never payable.
	h.matureAfter(15)
	h.matureAfter(16) // a second run issues nothing more
	if b := h.balances(id); balance(b, "EUR", "paid") != 1500 || balance(b, "EUR", "payable") != 0 || balance(b, "EUR", "pending") != 0 {
		t.Fatalf("after maturity: %v", b)
	}
	earned := h.outboxEvents("customer_credit.earned")
	if len(earned) != 1 || earned[0]["partner_id"] != id || earned[0]["order_id"] != "o1" || earned[0]["amount"] != 1500.0 || earned[0]["currency"] != "EUR" {
		t.Fatalf("customer_credit.earned: %v", earned)
	}
	if line := h.statementLine(id, "o1"); line["status"] != "credited" {
		t.Errorf("statement line: %v", line)
	}

	// A refund after the credit takes it back from paid and tells the shop.
	h.postGeneric("/webhooks/orders", []byte(`{"id":"e3","type":"order.refunded","order":{"id":"o1","currency":"EUR","refund":{"id":"r2","amount":5000}}}`))
	if b := h.balances(id); balance(b, "EUR", "paid") != 500 || balance(b, "EUR", "reversed") != 1500 || balance(b, "EUR", "payable") != 0 {
		t.Fatalf("after the later refund: %v", b)
	}
	reversed := h.outboxEvents("customer_credit.reversed")
	if len(reversed) != 1 || reversed[0]["amount"] != 1000.0 || reversed[0]["credited"] != 500.0 {
		t.Fatalf("customer_credit.reversed: %v", reversed)
	}
}

func TestCustomerRewardedInPointsEarnsPointsNotMoney(t *testing.T) {
	h := newHarness(t)
	h.createGroup(rewardsGroup("fans", "points"))
	id, code := h.customer("fan-1", "fans")

	if res := h.postGeneric("/webhooks/orders", genericOrder("e1", "o1", code, "EUR", 10000)); res.Status != 200 || res.Body["commission"] != 0.0 {
		t.Fatalf("order: %d %s", res.Status, res.Raw)
	}
	// 20% of 100.00 EUR is 2000 points, one per cent.
	if pending, available, _ := h.points(id); pending != 2000 || available != 0 {
		t.Fatalf("points after the order: pending %d available %d", pending, available)
	}
	h.postGeneric("/webhooks/orders", []byte(`{"id":"e2","type":"order.refunded","order":{"id":"o1","currency":"EUR","refund":{"id":"r1","amount":2500}}}`))
	h.matureAfter(15)
	if pending, available, _ := h.points(id); pending != 0 || available != 1500 {
		t.Fatalf("points after the refund and maturity: pending %d available %d", pending, available)
	}
	if b := h.balances(id); balance(b, "EUR", "paid")+balance(b, "EUR", "payable")+balance(b, "EUR", "pending") != 0 {
		t.Fatalf("money booked for a customer rewarded in points: %v", b)
	}
}
