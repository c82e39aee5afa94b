package app_test

import (
	"net/http"
	"testing"
)

// The payout e-mail reaches the customer_is_partner rule through the code
// item, set at creation and kept current when the partner changes it.
func TestCustomerIsPartnerComparesThePayoutEmail(t *testing.T) {
	h := newHarness(t)
	h.saveProgram(fraudProgram(`{"customer_is_partner":{"enabled":true}}`, `{}`))
	p := h.createPartner(`{"name":"Jane","email":"jane@own.example","payout":{"method":"paypal","email":"Jane.Pay+shop@gmail.com"}}`)
	id, code := p["id"].(string), p["referral_code"].(string)

	if res := h.postGeneric("/webhooks/orders", paidBy("stranger", code, "kim@shop-customer.example")); res.Body["accrual_status"] != "payable" {
		t.Fatalf("a stranger's order accrues: %d %s", res.Status, res.Raw)
	}
	if res := h.postGeneric("/webhooks/orders", paidBy("payout", code, "janepay@gmail.com")); res.Body["accrual_status"] != "held" {
		t.Fatalf("an order by the payout address (as Gmail reads it) is held: %d %s", res.Status, res.Raw)
	}
	h.onlyCase("status=pending&rule=customer_is_partner&partner_id=" + id)

	own := h.partnerToken(id)
	if res := h.do("PATCH", "/v1/partners/"+id+"/settings", own, []byte(`{"payout_email":"new.pay@pay.example"}`), nil); res.Status != http.StatusOK {
		t.Fatalf("settings: %d %s", res.Status, res.Raw)
	}
	if res := h.postGeneric("/webhooks/orders", paidBy("new-payout", code, "NEW.pay@pay.example")); res.Body["accrual_status"] != "held" {
		t.Fatalf("an order by the new payout address is held: %d %s", res.Status, res.Raw)
	}
	if res := h.postGeneric("/webhooks/orders", paidBy("old-payout", code, "janepay@gmail.com")); res.Body["accrual_status"] != "payable" {
		t.Fatalf("the old payout address no longer is the partner's: %d %s", res.Status, res.Raw)
	}
}
