package app_test

import (
	"cmp"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Every string the API takes has a bound; past it the answer is 422 naming
// the field and nothing is written, never a 500 from a key or item too
// large for DynamoDB.
func TestOverlongStringsAreRefusedNamingTheField(t *testing.T) {
	h := newHarness(t)
	h.addCharity("ch_water")
	pp := h.createPartner(`{"name":"Pay Pal Ltd","email":"pp@p.example","payout":{"method":"paypal"}}`)
	partnerToken := h.partnerToken(pp["id"].(string))
	huge, key := strings.Repeat("x", 900_000), strings.Repeat("x", 3000)
	programWith := func(landing, rest string) string {
		return fmt.Sprintf(`{"landing_url":%q,"hold_days":0,"cookie_days":30,`, landing) +
			`"tier_rates_bps":{"authorized":500,"silver":800,"gold":1200},"minimum_payout":{"EUR":1000}` + rest + `}`
	}
	program := func(rest string) string { return programWith("https://shop.example/", rest) }
	manyCategories := strings.TrimSuffix(strings.Repeat(`"`+strings.Repeat("c", 200)+`",`, 2000), ",")
	before := h.itemCount()
	for _, c := range []struct{ method, path, token, body, code, field string }{
		{"POST", "/v1/partners", "", fmt.Sprintf(`{"name":%q,"email":"a@a.example"}`, strings.Repeat("n", 201)), "invalid_partner", "name"},
		{"POST", "/v1/partners", "", fmt.Sprintf(`{"name":"A","email":"%s@a.example"}`, strings.Repeat("e", 250)), "invalid_partner", "email"},
		{"POST", "/v1/partners", "", fmt.Sprintf(`{"name":"A","email":"a@a.example","payout":{"method":"stripe","stripe_account":"acct_%s"}}`, huge), "invalid_partner", "payout.stripe_account"},
		{"POST", "/v1/partners", "", fmt.Sprintf(`{"name":"A","email":"a@a.example","charity":{"charity_id":%q,"share_bps":100}}`, key), "invalid_partner", "charity.charity_id"},
		{"PATCH", "/v1/partners/" + pp["id"].(string) + "/settings", partnerToken, fmt.Sprintf(`{"payout_email":"%s@a.example"}`, huge), "invalid_partner", "payout_email"},
		{"PATCH", "/v1/partners/" + pp["id"].(string) + "/settings", partnerToken, fmt.Sprintf(`{"charity":{"charity_id":%q,"share_bps":100}}`, key), "invalid_partner", "charity.charity_id"},
		{"POST", "/v1/charities", "", fmt.Sprintf(`{"id":"ch_long","name":%q,"registration_number":"VR 1","country":"DE"}`, huge), "invalid_charity", "name"},
		{"POST", "/v1/charities", "", fmt.Sprintf(`{"id":"ch_long","name":"N","registration_number":%q,"country":"DE"}`, huge), "invalid_charity", "registration_number"},
		{"POST", "/v1/charities", "", fmt.Sprintf(`{"id":"ch_long","name":"N","registration_number":"VR 1","country":"DE","iban":%q}`, key), "invalid_charity", "iban"},
		{"PUT", "/v1/program", "", programWith("https://shop.example/"+key, ""), "invalid_program", "landing_url"},
		{"PUT", "/v1/program", "", program(fmt.Sprintf(`,"donations":{"revenue_bps":100,"default_charity":%q}`, key)), "invalid_program", "donations.default_charity"},
		{"PUT", "/v1/program", "", program(fmt.Sprintf(`,"commission":{"overrides":[{"id":"big","sku":%q,"rate_bps":100}]}`, huge)), "invalid_program", "commission.overrides[0].sku"},
		{"PUT", "/v1/program", "", program(fmt.Sprintf(`,"commission":{"exclude_categories":["gift",%q]}`, huge)), "invalid_program", "commission.exclude_categories[1]"},
		{"PUT", "/v1/program", "", program(fmt.Sprintf(`,"landing_hosts":[%q]`, key)), "invalid_program", "landing_hosts[0]"},
		{"PUT", "/v1/program", "", program(fmt.Sprintf(`,"charity_options":[%q]`, huge)), "invalid_program", "charity_options[0]"},
		{"PUT", "/v1/program", "", program(fmt.Sprintf(`,"goals":[{"id":%q,"period":"month","measure":"units","currency":"EUR","levels":[{"threshold":1,"bonus_flat":1}]}]`, key)), "invalid_program", "goals[0].id"},
		{"PUT", "/v1/program", "", program(`,"commission":{"exclude_categories":[` + manyCategories + `]}`), "invalid_program", "program"},
		{"POST", "/v1/challenges", "", fmt.Sprintf(`{"name":"C","starts_at":"2026-01-01T00:00:00Z","ends_at":"2026-02-01T00:00:00Z","kind":"sales","measure":"units","target":1,"category":%q,"reward":{"points":1}}`, huge), "invalid_request", "category"},
		{"POST", "/v1/rewards", "", fmt.Sprintf(`{"id":"r1","name":"N","points_cost":1,"kind":"donation","charity_id":%q,"donation_value":{"EUR":100}}`, key), "invalid_request", "charity_id"},
		{"POST", "/v1/redemptions", partnerToken, fmt.Sprintf(`{"reward_id":%q,"quantity":1}`, key), "invalid_request", "reward_id"},
	} {
		res := h.do(c.method, c.path, cmp.Or(c.token, h.tokens["bob"]), []byte(c.body), nil)
		if e, _ := res.Body["error"].(map[string]any); res.Status != 422 || res.errorCode() != c.code || e["field"] != c.field {
			t.Errorf("%s %s (%s naming %s): %d %.300s", c.method, c.path, c.code, c.field, res.Status, res.Raw)
		}
	}
	for _, path := range []string{"/v1/partners/" + key, "/v1/charities/" + key + "/receipts", "/v1/challenges/" + key,
		"/v1/payout-batches/" + key, "/v1/webhook-endpoints/" + key} {
		if res := h.do("GET", path, h.tokens["bob"], nil, nil); res.Status != http.StatusNotFound || res.errorCode() != "not_found" {
			t.Errorf("GET %.40s…: %d %s", path, res.Status, res.Raw)
		}
	}
	for _, path := range []string{"/v1/redemptions/" + key + "/fulfil", "/v1/accruals/generic/" + key + "/release"} {
		if res := h.do("POST", path, h.tokens["bob"], []byte(`{"reference":"r"}`), nil); res.Status != http.StatusNotFound {
			t.Errorf("POST %.40s…: %d %s", path, res.Status, res.Raw)
		}
	}
	if res := h.do("GET", "/v1/partners?q="+key, h.tokens["bob"], nil, nil); res.Status != 200 || len(res.Body["partners"].([]any)) != 0 {
		t.Errorf("a search longer than any name: %d %.300s", res.Status, res.Raw)
	}
	if h.itemCount() != before {
		t.Fatal("a refused request wrote something")
	}
	// Names count characters, not bytes: 200 Cyrillic letters are a name.
	h.createPartner(fmt.Sprintf(`{"name":%q,"email":"ivan@shop.example"}`, strings.Repeat("Ж", 200)))
}
