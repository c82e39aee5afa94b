package app_test

import (
	"fmt"
	"net/http"
	"testing"
)

// fraudProgram is the harness's program with fraud rules on.
func fraudProgram(rules, fourEyes string) []byte {
	return fmt.Appendf(nil, `{"landing_url":"https://shop.example/","hold_days":0,"cookie_days":30,
		"tier_rates_bps":{"authorized":500,"silver":800,"gold":1200},"minimum_payout":{"EUR":1000,"USD":1000},
		"max_clicks_per_source_hour":100,"recurring":{"months":12},
		"fraud":{"rules":%s,"four_eyes_above":%s}}`, rules, fourEyes)
}

// paidBy is a paid order of 100.00 EUR on code by the customer with email.
func paidBy(orderID, code, email string) []byte {
	return fmt.Appendf(nil, `{"id":"evt_%s","type":"order.paid","order":{"id":%q,"currency":"EUR","referral_code":%q,
		"customer":{"id":"c_%s","email":%q},"lines":[{"sku":"SKU-1","quantity":1,"amount":10000}]}}`, orderID, orderID, code, orderID, email)
}

func (h *harness) saveProgram(body []byte) {
	h.t.Helper()
	if res := h.do("PUT", "/v1/program", h.tokens["bob"], body, nil); res.Status != http.StatusOK {
		h.t.Fatalf("save program: %d %s", res.Status, res.Raw)
	}
}

// onlyCase is the one case listed for a query.
func (h *harness) onlyCase(query string) map[string]any {
	h.t.Helper()
	res := h.do("GET", "/v1/fraud/cases?"+query, h.tokens["alice"], nil, nil)
	cases, _ := res.Body["cases"].([]any)
	if res.Status != http.StatusOK || len(cases) != 1 {
		h.t.Fatalf("cases?%s: %d %s, want one", query, res.Status, res.Raw)
	}
	return cases[0].(map[string]any)
}

func TestFraudRuleHoldsAnOrderAndResolvingReleasesIt(t *testing.T) {
	h := newHarness(t)
	h.saveProgram(fraudProgram(`{"disposable_email":{"enabled":true},"customer_is_partner":{"enabled":true}}`, `{}`))
	p := h.createPartner(`{"name":"Jane","email":"jane.doe@gmail.com"}`)
	id, code := p["id"].(string), p["referral_code"].(string)

	if res := h.postGeneric("/webhooks/orders", paidBy("clean", code, "kim@shop-customer.example")); res.Status != 200 || res.Body["accrual_status"] != "payable" {
		t.Fatalf("an order no rule fires on accrues as before: %d %s", res.Status, res.Raw)
	}
	res := h.postGeneric("/webhooks/orders", paidBy("burner", code, "x@mailinator.com"))
	if res.Status != 200 || res.Body["accrual_status"] != "held" {
		t.Fatalf("an order by a disposable address is held: %d %s", res.Status, res.Raw)
	}
	if dup := h.postGeneric("/webhooks/orders", paidBy("burner", code, "x@mailinator.com")); dup.Body["status"] != "duplicate" {
		t.Fatalf("redelivery: %s", dup.Raw)
	}
	held := h.do("GET", "/v1/accruals/held", h.tokens["alice"], nil, nil)
	list, _ := held.Body["accruals"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["hold_reason"] != "fraud:disposable_email" {
		t.Fatalf("held accruals: %s", held.Raw)
	}
	if b := h.balances(id); balance(b, "EUR", "payable") != 500 {
		t.Fatalf("the held commission stays out of the balance: %v", b)
	}
	c := h.onlyCase("status=pending&rule=disposable_email")
	caseID := c["id"].(string)
	if c["partner_id"] != id || c["events"] != 1.0 || c["held"].(map[string]any)["EUR"] != 500.0 {
		t.Fatalf("case %v", c)
	}
	if other := h.do("GET", "/v1/fraud/cases?status=pending&rule=customer_is_partner", h.tokens["alice"], nil, nil); len(other.Body["cases"].([]any)) != 0 {
		t.Fatalf("no other rule fired: %s", other.Raw)
	}
	detail := h.do("GET", "/v1/fraud/cases/"+caseID, h.tokens["alice"], nil, nil)
	events, _ := detail.Body["event_list"].([]any)
	accruals, _ := detail.Body["accruals"].([]any)
	if detail.Status != 200 || len(events) != 1 || len(accruals) != 1 {
		t.Fatalf("case detail: %d %s", detail.Status, detail.Raw)
	}
	if ev := events[0].(map[string]any)["evidence"].(map[string]any); ev["domain"] != "mailinator.com" || ev["order"] != "generic/burner" {
		t.Fatalf("evidence %v", ev)
	}

	before := h.itemCount()
	for _, bad := range []struct {
		path, body, code string
		status           int
	}{
		{"/v1/fraud/cases/" + caseID + "/resolve", `{"note":"ok","reverse":true}`, "invalid_request", 422},
		{"/v1/fraud/cases/" + caseID + "/resolve", `{"note":"ok","extra":1}`, "malformed_json", 400},
		{"/v1/fraud/cases/fc_nope/resolve", `{"note":"ok"}`, "not_found", 404},
	} {
		if res := h.do("POST", bad.path, h.tokens["alice"], []byte(bad.body), nil); res.Status != bad.status || res.errorCode() != bad.code {
			t.Errorf("%s %s: %d %s, want %d %s", bad.path, bad.body, res.Status, res.Raw, bad.status, bad.code)
		}
	}
	if res := h.do("GET", "/v1/fraud/cases?status=bogus", h.tokens["alice"], nil, nil); res.Status != 422 || res.Body["error"].(map[string]any)["field"] != "status" {
		t.Errorf("a bad status: %d %s", res.Status, res.Raw)
	}
	if h.itemCount() != before {
		t.Fatal("a refused request wrote something")
	}

	for range 2 { // a retried request changes nothing more
		res := h.do("POST", "/v1/fraud/cases/"+caseID+"/resolve", h.tokens["alice"], []byte(`{"note":"a real customer"}`), nil)
		if res.Status != 200 || res.Body["status"] != "resolved" || res.Body["decision"].(map[string]any)["by"] != "alice" {
			t.Fatalf("resolve: %d %s", res.Status, res.Raw)
		}
		if b := h.balances(id); balance(b, "EUR", "payable") != 1000 {
			t.Fatalf("resolving releases the held commission once: %v", b)
		}
	}
	trail := h.do("GET", "/v1/audit?target=fraud_case:"+caseID, h.tokens["alice"], nil, nil)
	if entries, _ := trail.Body["entries"].([]any); len(entries) != 1 || entries[0].(map[string]any)["action"] != "fraud_case.resolve" {
		t.Fatalf("the decision, retried, is one audit entry: %s", trail.Raw)
	}
	if res := h.do("POST", "/v1/fraud/cases/"+caseID+"/confirm", h.tokens["alice"], []byte(`{"note":"changed my mind"}`), nil); res.Status != 409 || res.errorCode() != "already_decided" {
		t.Fatalf("another decision on a decided case: %d %s", res.Status, res.Raw)
	}
	h.onlyCase("status=resolved&partner_id=" + id)

	// The partner's own mailbox under another spelling is caught too.
	if res := h.postGeneric("/webhooks/orders", paidBy("self", code, "JaneDoe+deal@googlemail.com")); res.Body["accrual_status"] != "held" {
		t.Fatalf("the partner buying as itself: %s", res.Raw)
	}
	h.onlyCase("status=pending&rule=customer_is_partner&partner_id=" + id)
}

func TestConfirmingReversesTheHeldAccrualsAndCanSuspend(t *testing.T) {
	h := newHarness(t)
	h.saveProgram(fraudProgram(`{"same_company_domain":{"enabled":true}}`, `{}`))
	p := h.createPartner(`{"name":"Acme","email":"sales@acme.example"}`)
	id, code := p["id"].(string), p["referral_code"].(string)
	for _, o := range []string{"a1", "a2"} {
		if res := h.postGeneric("/webhooks/orders", paidBy(o, code, "buyer-"+o+"@Acme.example")); res.Body["accrual_status"] != "held" {
			t.Fatalf("a colleague's order: %s", res.Raw)
		}
	}
	c := h.onlyCase("status=pending&partner_id=" + id)
	if c["events"] != 2.0 || c["held"].(map[string]any)["EUR"] != 1000.0 {
		t.Fatalf("both orders gather in one case: %v", c)
	}
	for range 2 {
		res := h.do("POST", "/v1/fraud/cases/"+c["id"].(string)+"/confirm", h.tokens["alice"],
			[]byte(`{"note":"employees buying through the link","reverse":true,"suspend_partner":true}`), nil)
		if res.Status != 200 || res.Body["status"] != "confirmed" {
			t.Fatalf("confirm: %d %s", res.Status, res.Raw)
		}
	}
	b := h.balances(id)
	if balance(b, "EUR", "reversed") != 1000 || balance(b, "EUR", "payable") != 0 || balance(b, "EUR", "pending") != 0 {
		t.Fatalf("confirming reverses both accruals once, nothing payable: %v", b)
	}
	if res := h.do("GET", "/v1/partners/"+id, h.tokens["alice"], nil, nil); res.Body["status"] != "suspended" {
		t.Fatalf("confirmation asked to suspend the partner: %s", res.Raw)
	}
	if held := h.do("GET", "/v1/accruals/held", h.tokens["alice"], nil, nil); len(held.Body["accruals"].([]any)) != 0 {
		t.Fatalf("nothing stays held: %s", held.Raw)
	}
}

func TestLargeCaseTakesTwoFinanceUsers(t *testing.T) {
	h := newHarness(t)
	h.saveProgram(fraudProgram(`{"large_commission":{"enabled":true,"amounts":{"EUR":400}}}`, `{"EUR":400}`))
	p := h.createPartner(`{"name":"Big","email":"big@big.example"}`)
	id, code := p["id"].(string), p["referral_code"].(string)
	if res := h.postGeneric("/webhooks/orders", paidBy("big1", code, "kim@shop-customer.example")); res.Body["accrual_status"] != "held" {
		t.Fatalf("a commission above the amount: %s", res.Raw)
	}
	caseID := h.onlyCase("status=pending&rule=large_commission")["id"].(string)
	resolve := func(who string) response {
		return h.do("POST", "/v1/fraud/cases/"+caseID+"/resolve", h.tokens[who], []byte(`{"note":"checked the order"}`), nil)
	}
	first := resolve("alice")
	if first.Status != http.StatusAccepted || first.Body["status"] != "pending" || first.Body["pending_approval"].(map[string]any)["by"] != "alice" {
		t.Fatalf("the first decision waits for a second user: %d %s", first.Status, first.Raw)
	}
	if b := h.balances(id); balance(b, "EUR", "payable") != 0 {
		t.Fatalf("nothing is released before the approval: %v", b)
	}
	if again := resolve("alice"); again.Status != http.StatusForbidden || again.errorCode() != "four_eyes" {
		t.Fatalf("the same user again: %d %s", again.Status, again.Raw)
	}
	second := resolve("bob")
	if second.Status != 200 || second.Body["status"] != "resolved" || second.Body["decision"].(map[string]any)["approved_by"] != "bob" {
		t.Fatalf("a second user completes it: %d %s", second.Status, second.Raw)
	}
	if b := h.balances(id); balance(b, "EUR", "payable") != 500 {
		t.Fatalf("released after the approval: %v", b)
	}
	trail := h.do("GET", "/v1/audit?target=fraud_case:"+caseID, h.tokens["alice"], nil, nil)
	actors := map[string]bool{}
	for _, e := range trail.Body["entries"].([]any) {
		entry := e.(map[string]any)
		actors[entry["actor"].(string)] = entry["action"] == "fraud_case.resolve"
	}
	if trail.Status != 200 || len(trail.Body["entries"].([]any)) != 2 || !actors["alice"] || !actors["bob"] {
		t.Fatalf("both halves of the decision are in the audit trail, once each: %d %s", trail.Status, trail.Raw)
	}
}

func TestAGroupReplacesAFraudRuleForItsPartners(t *testing.T) {
	h := newHarness(t)
	h.saveProgram(fraudProgram(`{"disposable_email":{"enabled":true}}`, `{}`))
	if res := h.do("POST", "/v1/groups", h.tokens["alice"],
		resellersGroup("trusted", "trusted", `"hold_days":10,`, `"hold_days":0,"fraud":{"disposable_email":{"enabled":true,"action":"flag"}},`), nil); res.Status != 201 {
		t.Fatalf("group: %d %s", res.Status, res.Raw)
	}
	if res := h.do("POST", "/v1/groups", h.tokens["alice"], resellersGroup("bad", "bad", `"hold_days":10,`, `"fraud":{"made_up":{"enabled":true}},`), nil); res.Status != 422 ||
		res.Body["error"].(map[string]any)["field"] != "fraud.made_up" {
		t.Fatalf("an unknown rule in a group: %d %s", res.Status, res.Raw)
	}
	plain := h.createPartner(`{"name":"Plain","email":"plain@partner.example"}`)
	trusted := h.createPartner(`{"name":"Trusted","email":"trusted@partner.example","group_id":"trusted"}`)
	if res := h.postGeneric("/webhooks/orders", paidBy("p1", plain["referral_code"].(string), "x@mailinator.com")); res.Body["accrual_status"] != "held" {
		t.Fatalf("the program's rule holds: %s", res.Raw)
	}
	if res := h.postGeneric("/webhooks/orders", paidBy("t1", trusted["referral_code"].(string), "y@mailinator.com")); res.Body["accrual_status"] != "payable" {
		t.Fatalf("the group's rule only flags: %s", res.Raw)
	}
	c := h.onlyCase("status=pending&partner_id=" + trusted["id"].(string))
	if len(c["held"].(map[string]any)) != 0 || c["events"] != 1.0 {
		t.Fatalf("a flagging rule's case holds nothing: %v", c)
	}
}
