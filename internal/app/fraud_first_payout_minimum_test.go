package app_test

import (
	"fmt"
	"testing"
)

// paidOrder is a paid order of 400.00 EUR on code by the customer with
// email: 20.00 EUR of commission at the authorized tier, above the payout
// minimum.
func paidOrder(orderID, code, email string) []byte {
	return fmt.Appendf(nil, `{"id":"evt_%s","type":"order.paid","order":{"id":%q,"currency":"EUR","referral_code":%q,
		"customer":{"id":"c_%s","email":%q},"lines":[{"sku":"SKU-1","quantity":1,"amount":40000}]}}`, orderID, orderID, code, orderID, email)
}

// batchOutcome builds a payout batch and answers, per partner, "paid" or
// the reason the batch skipped it.
func (h *harness) batchOutcome() map[string]string {
	h.t.Helper()
	res := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
	if res.Status != 201 {
		h.t.Fatalf("build batch: %d %s", res.Status, res.Raw)
	}
	out := map[string]string{}
	for _, it := range res.Body["items"].([]any) {
		out[it.(map[string]any)["partner_id"].(string)] = "paid"
	}
	for _, s := range res.Body["skipped"].([]any) {
		skip := s.(map[string]any)
		out[skip["partner_id"].(string)] = skip["reason"].(string)
	}
	return out
}

// first_payout_minimum: a partner whose orders came from fewer distinct
// customers than the rule asks is left out of the batch, the same
// customer's repeat orders counting once; one with enough is paid, and the
// partner left out is paid once another customer buys.
func TestFirstPayoutMinimumSkipsAPartnerShortOfCustomers(t *testing.T) {
	h := newHarness(t)
	h.saveProgram(fraudProgram(`{"first_payout_minimum":{"enabled":true,"customers":2}}`, `{}`))
	short := h.createPartner(`{"name":"Short","email":"short@partner.example"}`)
	enough := h.createPartner(`{"name":"Enough","email":"enough@partner.example"}`)
	order := func(orderID string, p map[string]any, email string) {
		t.Helper()
		if res := h.postGeneric("/webhooks/orders", paidOrder(orderID, p["referral_code"].(string), email)); res.Status != 200 || res.Body["accrual_status"] != "payable" {
			t.Fatalf("%s: %d %s", orderID, res.Status, res.Raw)
		}
	}
	order("s1", short, "repeat@buyer.example")
	order("s2", short, "Repeat@Buyer.example")
	order("e1", enough, "one@buyer.example")
	order("e2", enough, "two@buyer.example")

	if n := h.recordsUnder("PAYINGCUSTOMERS#"); n != 2 {
		t.Errorf("paying-customer records: %d, want one per partner", n)
	}

	got := h.batchOutcome()
	if got[short["id"].(string)] != "fraud:first_payout_minimum" || got[enough["id"].(string)] != "paid" {
		t.Fatalf("first batch: %v; want the partner with one customer skipped, the one with two paid", got)
	}

	order("s3", short, "second@buyer.example")
	if got := h.batchOutcome(); got[short["id"].(string)] != "paid" {
		t.Errorf("second batch, after a second customer: %v", got)
	}
}
