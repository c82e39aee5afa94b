package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// landing is where a redirect sends the visitor, without the click's
// reference (which names the hour and the visitor's source).
func landing(res response) string {
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Del("plc")
	u.RawQuery = q.Encode()
	return u.String()
}

// click follows a partner's link as a visitor from addr with the query and
// Referer given, and answers the click's reference the landing URL carries.
func (h *harness) click(code, query, referer, addr string) string {
	h.t.Helper()
	res := h.do("GET", "/r/"+code+query, "", nil, map[string]string{"Referer": referer, "X-Forwarded-For": addr, "User-Agent": "Mozilla/5.0 test"})
	u, err := url.Parse(res.Header.Get("Location"))
	if res.Status != http.StatusFound || err != nil || u.Query().Get("plc") == "" {
		h.t.Fatalf("click %s%s: %d %v", code, query, res.Status, res.Header)
	}
	return u.Query().Get("plc")
}

// paidAfterClick is a paid order of 100.00 EUR on code that names the
// click it came by.
func paidAfterClick(orderID, code, clickID, email string) []byte {
	return fmt.Appendf(nil, `{"id":"evt_%s","type":"order.paid","order":{"id":%q,"currency":"EUR","referral_code":%q,"click_id":%q,
		"customer":{"id":"c_%s","email":%q},"lines":[{"sku":"SKU-1","quantity":1,"amount":10000}]}}`, orderID, orderID, code, clickID, orderID, email)
}

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

// The redirect keeps which ad parameters and campaign the link carried and
// the referring host on the click's counter; an order naming the click
// brings them to paid_ad_click and banned_referrer.
func TestClickRulesJudgeTheClickAnOrderNames(t *testing.T) {
	h := newHarness(t)
	h.saveProgram(fraudProgram(`{"paid_ad_click":{"enabled":true,"allowed_campaigns":["brand-ok"]},
		"banned_referrer":{"enabled":true,"action":"flag","hosts":["coupons.example"]}}`, `{}`))
	p := h.createPartner(`{"name":"Ads","email":"ads@ads.example"}`)
	id, code := p["id"].(string), p["referral_code"].(string)
	before := h.itemCount()

	paid := h.click(code, "?gclid=SECRETVALUE&utm_campaign=brand-2026", "https://www.google.com/search?q=shop", "198.51.100.7")
	allowed := h.click(code, "?gclid=x&utm_campaign=brand-ok", "https://www.google.com/", "198.51.100.8")
	organic := h.click(code, "?utm_campaign=brand-2026", "https://blog.example/post", "198.51.100.9")
	couponSite := h.click(code, "", "https://deals.coupons.example/shop-codes", "198.51.100.10")
	if n := h.itemCount() - before; n != 4 {
		t.Fatalf("a click writes its counter only: %d items", n)
	}

	cases := []struct {
		order, click, status string
	}{
		{"ad", paid, "held"},
		{"ad-allowed", allowed, "payable"},
		{"organic", organic, "payable"},
		{"coupon-site", couponSite, "payable"}, // flagged, not held
		{"no-click", "", "payable"},
		{"not-a-click", "nonsense", "payable"},
	}
	for _, c := range cases {
		if res := h.postGeneric("/webhooks/orders", paidAfterClick(c.order, code, c.click, c.order+"@buyer.example")); res.Status != 200 || res.Body["accrual_status"] != c.status {
			t.Errorf("%s: %d %s, want %s", c.order, res.Status, res.Raw, c.status)
		}
	}
	ad := h.onlyCase("status=pending&rule=paid_ad_click&partner_id=" + id)
	detail := h.do("GET", "/v1/fraud/cases/"+ad["id"].(string), h.tokens["alice"], nil, nil)
	if ev := detail.Body["event_list"].([]any)[0].(map[string]any)["evidence"].(map[string]any); ev["ad_params"] != "gclid" || ev["campaign"] != "brand-2026" ||
		strings.Contains(string(detail.Raw), "SECRETVALUE") {
		t.Errorf("paid_ad_click evidence names the parameter and the campaign, never its value: %s", detail.Raw)
	}
	ref := h.onlyCase("status=pending&rule=banned_referrer&partner_id=" + id)
	if ref["held"].(map[string]any)["EUR"] != nil && ref["held"].(map[string]any)["EUR"] != 0.0 || ref["events"] != 1.0 {
		t.Errorf("banned_referrer flags without holding: %v", ref)
	}

	// Another partner's click does not speak for this partner's order.
	other := h.createPartner(`{"name":"Other","email":"o@o.example"}`)["referral_code"].(string)
	theirs := h.click(other, "?fbclid=1", "", "198.51.100.11")
	if res := h.postGeneric("/webhooks/orders", paidAfterClick("foreign-click", code, theirs, "f@buyer.example")); res.Body["accrual_status"] != "payable" {
		t.Errorf("an order naming another partner's click: %s", res.Raw)
	}
}
