package app_test

import (
	"fmt"
	"testing"
)

// paidLarge is a paid order of 400.00 EUR on code, above the minimum payout.
func paidLarge(orderID, code string) []byte {
	return fmt.Appendf(nil, `{"id":"evt_%s","type":"order.paid","order":{"id":%q,"currency":"EUR","referral_code":%q,
		"customer":{"id":"c_%s","email":"%s@buyer.example"},"lines":[{"sku":"SKU-1","quantity":1,"amount":40000}]}}`, orderID, orderID, code, orderID, orderID)
}

// sharedCases lists a partner's pending shared_payout_method cases, each
// with the partners its events name.
func (h *harness) sharedCases(partnerID string) map[string][]string {
	h.t.Helper()
	res := h.do("GET", "/v1/fraud/cases?status=pending&rule=shared_payout_method&partner_id="+partnerID, h.tokens["alice"], nil, nil)
	if res.Status != 200 {
		h.t.Fatalf("cases of %s: %d %s", partnerID, res.Status, res.Raw)
	}
	out := map[string][]string{}
	for _, c := range res.Body["cases"].([]any) {
		id := c.(map[string]any)["id"].(string)
		detail := h.do("GET", "/v1/fraud/cases/"+id, h.tokens["alice"], nil, nil)
		out[id] = []string{}
		for _, e := range detail.Body["event_list"].([]any) {
			out[id] = append(out[id], e.(map[string]any)["evidence"].(map[string]any)["shared_with"].(string))
		}
	}
	return out
}

// shared_payout_method: two partners paid at one mailbox (Gmail's dot and
// +tag spellings are one) each get a case naming the other, and the
// second's settings change stands; a partner paid elsewhere gets none.
// While the rule holds, both are left out of a batch; with flag they are
// paid. A partner that changes its address away frees it: the next partner
// paid there shares with nobody.
func TestSharedPayoutMethodOpensCasesForBothPartners(t *testing.T) {
	h := newHarness(t)
	h.saveProgram(fraudProgram(`{"shared_payout_method":{"enabled":true}}`, `{}`))
	jane := h.createPartner(`{"name":"Jane","email":"jane@partner.example","payout":{"method":"paypal","email":"jane.doe@gmail.com"}}`)
	sam := h.createPartner(`{"name":"Sam","email":"sam@partner.example","payout":{"method":"paypal","email":"sam@partner.example"}}`)
	kim := h.createPartner(`{"name":"Kim","email":"kim@partner.example","payout":{"method":"wise","email":"kim@partner.example"}}`)
	janeID, samID, kimID := jane["id"].(string), sam["id"].(string), kim["id"].(string)
	for _, p := range []map[string]any{jane, sam, kim} {
		if res := h.postGeneric("/webhooks/orders", paidLarge("o_"+p["id"].(string), p["referral_code"].(string))); res.Status != 200 || res.Body["accrual_status"] != "payable" {
			t.Fatalf("order: %d %s", res.Status, res.Raw)
		}
	}
	if got := h.sharedCases(janeID); len(got) != 0 {
		t.Fatalf("before any sharing: %v", got)
	}

	move := []byte(`{"payout_email":"JaneDoe+shop@gmail.com"}`)
	for range 2 { // a retried request files nothing twice
		res := h.do("PATCH", "/v1/partners/"+samID+"/settings", h.tokens["alice"], move, nil)
		if res.Status != 200 || res.Body["payout"].(map[string]any)["email"] != "JaneDoe+shop@gmail.com" {
			t.Fatalf("the change stands though the address is shared: %d %s", res.Status, res.Raw)
		}
	}
	for id, other := range map[string]string{janeID: samID, samID: janeID} {
		got := h.sharedCases(id)
		if len(got) != 1 {
			t.Fatalf("cases of %s: %v, want one", id, got)
		}
		for _, named := range got {
			if len(named) != 1 || named[0] != other {
				t.Fatalf("case of %s names %v, want [%s]", id, named, other)
			}
		}
	}
	if got := h.sharedCases(kimID); len(got) != 0 {
		t.Fatalf("the partner paid elsewhere: %v", got)
	}

	if got := h.batchOutcome(); got[janeID] != "fraud:shared_payout_method" || got[samID] != "fraud:shared_payout_method" || got[kimID] != "paid" {
		t.Fatalf("batch: %v; want both sharing partners skipped, the other paid", got)
	}
	h.saveProgram(fraudProgram(`{"shared_payout_method":{"enabled":true,"action":"flag"}}`, `{}`))
	if got := h.batchOutcome(); got[janeID] != "paid" || got[samID] != "paid" {
		t.Fatalf("batch with the rule flagging: %v; want both paid", got)
	}

	if res := h.do("PATCH", "/v1/partners/"+janeID+"/settings", h.tokens["alice"], []byte(`{"payout_email":"jane@partner.example"}`), nil); res.Status != 200 {
		t.Fatalf("change away: %d %s", res.Status, res.Raw)
	}
	lee := h.createPartner(`{"name":"Lee","email":"lee@partner.example","payout":{"method":"paypal","email":"jane.doe@gmail.com"}}`)
	if got := h.sharedCases(lee["id"].(string)); len(got) != 0 {
		t.Fatalf("the address its holder left: %v, want no case", got)
	}
	if got := h.sharedCases(janeID); len(got) != 1 {
		t.Fatalf("the partner that left: %v, want only its first case", got)
	}
}
