package app_test

// One test per question the README answers for a shop's developer (see
// "Questions a shop's developer asks" there): each pins the behaviour the
// README describes.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/commission"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/webhook"
)

// postShopifyPaid sends an orders/paid delivery with a signature Shopify
// would compute.
func (h *harness) postShopifyPaid(webhookID string, order map[string]any) response {
	h.t.Helper()
	body, err := json.Marshal(order)
	if err != nil {
		h.t.Fatal(err)
	}
	sig := base64.StdEncoding.EncodeToString(webhook.SignRaw(body, []byte(secrets.Shopify)))
	return h.do("POST", "/webhooks/shopify", "", body, map[string]string{
		"X-Shopify-Hmac-Sha256": sig, "X-Shopify-Topic": "orders/paid", "X-Shopify-Webhook-Id": webhookID})
}

// shopifyOrder is a paid Shopify order of one 100.00 EUR line; with adds the
// referral fields under test.
func shopifyOrder(id int, with map[string]any) map[string]any {
	o := map[string]any{
		"id": id, "currency": "EUR", "email": fmt.Sprintf("buyer%d@shop.example", id),
		"customer":   map[string]any{"id": 9000 + id},
		"line_items": []any{map[string]any{"sku": "DRILL", "quantity": 1, "price": "100.00", "total_discount": "0.00"}},
	}
	for k, v := range with {
		o[k] = v
	}
	return o
}

func attribute(name, value string) map[string]any {
	return map[string]any{"name": name, "value": value}
}

// statementLine is the partner's statement line for an order.
func (h *harness) statementLine(partnerID, orderID string) map[string]any {
	h.t.Helper()
	st := h.do("GET", "/v1/partners/"+partnerID+"/statement", h.tokens["alice"], nil, nil)
	lines, _ := st.Body["lines"].([]any)
	for _, l := range lines {
		if line := l.(map[string]any); line["order_id"] == orderID {
			return line
		}
	}
	h.t.Fatalf("no statement line for order %s of %s: %s", orderID, partnerID, st.Raw)
	return nil
}

func TestREADMEAnswersWhatASuspendedPartnersOrderGets(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"Paused","email":"paused@p.example","coupons":["PAUSED-5"]}`)
	id, code := p["id"].(string), p["referral_code"].(string)
	if res := h.postGeneric("/webhooks/orders", genericOrder("e-before", "o-before", code, "EUR", 10000)); res.Body["accrual_status"] != "payable" {
		t.Fatalf("order before the suspension: %d %s", res.Status, res.Raw)
	}
	if res := h.do("PATCH", "/v1/partners/"+id, h.tokens["alice"], []byte(`{"status":"suspended"}`), nil); res.Status != 200 {
		t.Fatalf("suspend: %d %s", res.Status, res.Raw)
	}
	paid := balance(h.balances(id), "EUR", "payable")

	// Its code or coupon on an order: attributed, commission computed, held.
	for _, order := range [][]byte{orderWith("e-code", "o-code", code, ""), orderWith("e-coupon", "o-coupon", "", "paused-5"),
		genericOrder("e-later", "o-later", "", "EUR", 10000)} { // the first order's customer, no code: earlier evidence
		res := h.postGeneric("/webhooks/orders", order)
		if res.Status != 200 || res.Body["status"] != "applied" || res.Body["partner_id"] != id ||
			res.Body["commission"] != 500.0 || res.Body["accrual_status"] != "held" {
			t.Fatalf("order of a suspended partner: %d %s", res.Status, res.Raw)
		}
	}
	if line := h.statementLine(id, "o-code"); line["status"] != "held" || line["hold_reason"] != "partner_suspended" {
		t.Fatalf("statement line %v", line)
	}
	if b := h.balances(id); balance(b, "EUR", "pending") != 0 || balance(b, "EUR", "payable") != paid {
		t.Fatalf("held commission reached the balances: %v", b)
	}
	// Its link and sign-ups collect nothing while it is suspended.
	if res := h.do("GET", "/r/"+code, "", nil, nil); res.Status != http.StatusNotFound {
		t.Fatalf("a suspended partner's link: %d", res.Status)
	}
	lead := fmt.Appendf(nil, `{"id":"lead-1","referral_code":%q,"customer":{"id":"c-lead"}}`, code)
	if res := h.postGeneric("/webhooks/referrals", lead); res.Status != 422 || res.errorCode() != "invalid_referral" {
		t.Fatalf("a sign-up with a suspended partner's code: %d %s", res.Status, res.Raw)
	}
}

func TestREADMEAnswersShopifyReferralPrecedence(t *testing.T) {
	h := newHarness(t)
	landing := h.createPartner(`{"name":"Landing","email":"l@l.example"}`)
	cart := h.createPartner(`{"name":"Cart","email":"c@c.example"}`)
	coupon := h.createPartner(`{"name":"Coupon","email":"d@d.example","coupons":["DISC-10"]}`)
	discount := []any{map[string]any{"code": "disc-10"}}
	attrs := []any{attribute("partnerloop_ref", cart["referral_code"].(string))}

	for i, c := range []struct {
		name    string
		with    map[string]any
		partner map[string]any
		via     string
	}{
		{"landing_site ref first", map[string]any{"landing_site": "/products/drill?ref=" + landing["referral_code"].(string) + "&utm_source=x",
			"note_attributes": attrs, "discount_codes": discount}, landing, "referral_code"},
		{"no ref in landing_site: the cart attribute", map[string]any{"landing_site": "/products/drill?utm_source=x",
			"note_attributes": attrs, "discount_codes": discount}, cart, "referral_code"},
		{"no referral at all: the discount code", map[string]any{"landing_site": "/", "discount_codes": discount}, coupon, "coupon"},
		// The first place that carries a ref is the order's referral code,
		// even when it names no partner; the coupon is then what is left.
		{"an unknown ref in landing_site hides the cart attribute", map[string]any{"landing_site": "/?ref=NOBODY-1",
			"note_attributes": attrs, "discount_codes": discount}, coupon, "coupon"},
	} {
		orderID := 100 + i
		res := h.postShopifyPaid(fmt.Sprint("wh-", orderID), shopifyOrder(orderID, c.with))
		id := c.partner["id"].(string)
		if res.Status != 200 || res.Body["partner_id"] != id {
			t.Errorf("%s: %d %s, want partner %s", c.name, res.Status, res.Raw, id)
			continue
		}
		if via := h.statementLine(id, fmt.Sprint(orderID))["attributed_via"]; via != c.via {
			t.Errorf("%s: attributed_via %v, want %s", c.name, via, c.via)
		}
	}
	// Under coupon_wins a valid discount code comes before landing_site.
	h.putProgram(func(p *program.Program) { p.Attribution.Model = program.CouponWins })
	with := map[string]any{"landing_site": "/?ref=" + landing["referral_code"].(string), "discount_codes": discount}
	if res := h.postShopifyPaid("wh-coupon-wins", shopifyOrder(150, with)); res.Body["partner_id"] != coupon["id"] {
		t.Errorf("coupon_wins: %d %s, want %s", res.Status, res.Raw, coupon["id"])
	}
	// With no referral anywhere and no earlier evidence, nobody is credited.
	if res := h.postShopifyPaid("wh-none", shopifyOrder(199, map[string]any{"landing_site": "/products/drill"})); res.Status != 200 ||
		res.Body["status"] != "applied" || res.Body["partner_id"] != nil || res.Body["commission"] != 0.0 {
		t.Fatalf("an order without a referral: %d %s", res.Status, res.Raw)
	}
}

func TestREADMEAnswersWhichCartAttributeWins(t *testing.T) {
	h := newHarness(t)
	first := h.createPartner(`{"name":"First","email":"f@f.example"}`)
	second := h.createPartner(`{"name":"Second","email":"s@s.example"}`)
	a, b := first["referral_code"].(string), second["referral_code"].(string)
	for i, c := range []struct {
		attrs []any
		want  map[string]any
	}{
		{[]any{attribute("gift_note", "hi"), attribute("Referral_Code", a), attribute("partnerloop_ref", b)}, first},
		{[]any{attribute("REF", b), attribute("partnerloop_ref", a)}, second},
	} {
		orderID := 300 + i
		res := h.postShopifyPaid(fmt.Sprint("wh-", orderID), shopifyOrder(orderID, map[string]any{"note_attributes": c.attrs}))
		if res.Status != 200 || res.Body["partner_id"] != c.want["id"] {
			t.Errorf("attributes %v: %d %s, want %s (the first one named like a referral)", c.attrs, res.Status, res.Raw, c.want["id"])
		}
	}
}

func TestREADMEAnswersFlatCommissionIsPerUnitWhateverTheNet(t *testing.T) {
	h := newHarness(t)
	h.putProgram(func(p *program.Program) {
		p.Commission.Overrides = []commission.Override{{ID: "bits", Category: "accessories", FlatPerUnit: map[money.Currency]int64{"EUR": 50}}}
	})
	p := h.createPartner(`{"name":"A","email":"a@a.example"}`) // authorized: 5%
	code := p["referral_code"].(string)
	order := fmt.Appendf(nil, `{"id":"e-flat","type":"order.paid","order":{"id":"o-flat","currency":"EUR","referral_code":%q,"customer":{"id":"c1"},
		"lines":[{"sku":"BITS","category":"accessories","quantity":3,"amount":900},
		         {"sku":"FREE-BITS","category":"accessories","quantity":2,"amount":0},
		         {"sku":"DRILL","category":"tools","quantity":2,"amount":15000}]}}`, code)
	// 3 × 0.50 and 2 × 0.50 whatever the lines' net, 5% of the drills' 150.00.
	if res := h.postGeneric("/webhooks/orders", order); res.Status != 200 || res.Body["commission"] != 150.0+100+750 {
		t.Fatalf("flat per unit: %d %s", res.Status, res.Raw)
	}
	want := []string{"BITS 900 bits 150", "FREE-BITS 0 bits 100", "DRILL 15000 tier 750"}
	if got := commissionLines(h.statementLine(p["id"].(string), "o-flat")); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("commission_lines %v, want %v", got, want)
	}
	// A currency the override has no amount for earns nothing on its lines:
	// the override still decides them, the tier rate does not step in.
	usd := fmt.Appendf(nil, `{"id":"e-usd","type":"order.paid","order":{"id":"o-usd","currency":"USD","referral_code":%q,"customer":{"id":"c2"},
		"lines":[{"sku":"BITS","category":"accessories","quantity":3,"amount":900}]}}`, code)
	if res := h.postGeneric("/webhooks/orders", usd); res.Status != 200 || res.Body["commission"] != 0.0 || res.Body["partner_id"] != p["id"] {
		t.Fatalf("flat per unit without the order's currency: %d %s", res.Status, res.Raw)
	}
}

func commissionLines(line map[string]any) []string {
	var out []string
	for _, l := range line["commission_lines"].([]any) {
		cl := l.(map[string]any)
		out = append(out, fmt.Sprintf("%s %.0f %s %.0f", cl["sku"], cl["net"], cl["rule"], cl["amount"]))
	}
	return out
}

func TestREADMEAnswersOrderNetCountsExcludedLines(t *testing.T) {
	h := newHarness(t)
	h.putProgram(func(p *program.Program) { p.Commission.ExcludeCategories = []string{"gift_cards"} })
	p := h.createPartner(`{"name":"A","email":"a@a.example"}`) // authorized: 5%
	id, code := p["id"].(string), p["referral_code"].(string)
	order := fmt.Appendf(nil, `{"id":"e-net","type":"order.paid","order":{"id":"o-net","currency":"EUR","referral_code":%q,"customer":{"id":"c1"},
		"lines":[{"sku":"DRILL","category":"tools","quantity":1,"amount":10000},{"sku":"GC","category":"gift_cards","quantity":1,"amount":5000}],
		"tax":2850,"shipping":500}}`, code)
	if res := h.postGeneric("/webhooks/orders", order); res.Status != 200 || res.Body["commission"] != 500.0 {
		t.Fatalf("order with an excluded line: %d %s", res.Status, res.Raw)
	}
	line := h.statementLine(id, "o-net")
	if line["order_net"] != 15000.0 || line["commission"] != 500.0 {
		t.Fatalf("order_net %v commission %v: order_net counts every line, tax and shipping left out", line["order_net"], line["commission"])
	}
	// Shopify's gift-card lines never reach the order: not in order_net.
	shop := shopifyOrder(400, map[string]any{"landing_site": "/?ref=" + code, "line_items": []any{
		map[string]any{"sku": "DRILL", "quantity": 1, "price": "100.00", "total_discount": "0.00"},
		map[string]any{"sku": "GIFT-25", "quantity": 1, "price": "25.00", "total_discount": "0.00", "gift_card": true},
	}})
	if res := h.postShopifyPaid("wh-gift", shop); res.Status != 200 || res.Body["commission"] != 500.0 {
		t.Fatalf("Shopify order with a gift card: %d %s", res.Status, res.Raw)
	}
	if line := h.statementLine(id, "400"); line["order_net"] != 10000.0 {
		t.Fatalf("Shopify gift card in order_net: %v", line["order_net"])
	}
	// The excluded line is revenue all the same.
	now := time.Now().UTC()
	roi := h.do("GET", fmt.Sprintf("/v1/reports/roi?from=%s&to=%s", now.AddDate(0, -1, 0).Format("2006-01"), now.AddDate(0, 1, 0).Format("2006-01")), h.tokens["alice"], nil, nil)
	rows, _ := roi.Body["rows"].([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["revenue"] != 15000.0+10000 || rows[0].(map[string]any)["commission"] != 1000.0 {
		t.Fatalf("roi: %s", roi.Raw)
	}
}

func TestREADMEAnswersOrderInACurrencyOutsideTheProgram(t *testing.T) {
	h := newHarness(t) // program currencies: EUR and USD (minimum_payout)
	p := h.createPartner(`{"name":"A","email":"a@a.example"}`)
	id := p["id"].(string)
	res := h.postGeneric("/webhooks/orders", genericOrder("e-gbp", "o-gbp", p["referral_code"].(string), "GBP", 100000))
	if res.Status != 200 || res.Body["status"] != "applied" || res.Body["commission"] != 5000.0 {
		t.Fatalf("GBP order: %d %s", res.Status, res.Raw)
	}
	if b := h.balances(id); balance(b, "GBP", "payable") != 5000 {
		t.Fatalf("GBP commission is kept in GBP, unconverted: %v", b)
	}
	// No batch pays it and the owed report leaves it out ...
	if res := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil); res.Status != 409 || res.errorCode() != "nothing_payable" {
		t.Fatalf("batch with only GBP payable: %d %s", res.Status, res.Raw)
	}
	owed := h.do("GET", "/v1/reports/owed", h.tokens["alice"], nil, nil)
	for _, row := range owed.Body["rows"].([]any) {
		if row.(map[string]any)["currency"] == "GBP" {
			t.Fatalf("owed lists a currency outside the program: %s", owed.Raw)
		}
	}
	// ... until finance adds GBP to minimum_payout: the next batch pays it.
	h.putProgram(func(p *program.Program) {
		p.MinimumPayout = map[money.Currency]int64{"EUR": 1000, "USD": 1000, "GBP": 1000}
	})
	batch := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
	items, _ := batch.Body["items"].([]any)
	if batch.Status != 201 || len(items) != 1 || items[0].(map[string]any)["currency"] != "GBP" || items[0].(map[string]any)["amount"] != 5000.0 {
		t.Fatalf("batch after adding GBP: %d %s", batch.Status, batch.Raw)
	}
}

func TestREADMEAnswersWhichIfMatchFormsAreAccepted(t *testing.T) {
	h := newHarness(t)
	body, _ := json.Marshal(h.cfg.Program)
	save := func(ifMatch string) response {
		t.Helper()
		return h.do("PUT", "/v1/program", h.tokens["alice"], body, map[string]string{"If-Match": ifMatch})
	}
	version := func() float64 {
		t.Helper()
		return h.do("GET", "/v1/program", h.tokens["alice"], nil, nil).Body["version"].(float64)
	}
	for _, c := range []struct {
		ifMatch string
		status  int
		code    string
		version float64 // current after the request
	}{
		{`W/"0"`, 409, "version_conflict", 0},      // weak tags never match: If-Match compares strongly
		{`"7", W/"0"`, 409, "version_conflict", 0}, // no strong member names version 0
		{`"7", "0"`, 200, "", 1},                   // a list matches if any member does
		{`*`, 200, "", 2},                          // any current version
		{`2`, 200, "", 3},                          // a bare number, as before
		{` "3" `, 200, "", 4},                      // surrounding blanks
		{`"3"`, 409, "version_conflict", 4},        // someone saved since
		{`"latest"`, 400, "bad_if_match", 4},       // not a version
		{`"4`, 400, "bad_if_match", 4},             // unbalanced quote
		{`W/4`, 400, "bad_if_match", 4},            // a weak tag is quoted
		{`*, "4"`, 400, "bad_if_match", 4},         // * stands alone
		{`,`, 400, "bad_if_match", 4},              // no tag at all
		{`"-1"`, 400, "bad_if_match", 4},           // versions are not negative
	} {
		before := h.itemCount()
		res := save(c.ifMatch)
		if res.Status != c.status || res.errorCode() != c.code {
			t.Errorf("If-Match %s: %d %s, want %d %s", c.ifMatch, res.Status, res.Raw, c.status, c.code)
		}
		if got := version(); got != c.version {
			t.Errorf("If-Match %s: version %v, want %v", c.ifMatch, got, c.version)
		}
		if c.status != 200 && h.itemCount() != before {
			t.Errorf("If-Match %s: a refused save wrote something", c.ifMatch)
		}
	}
}

func TestREADMEAnswersWhichListsAreAlwaysPresent(t *testing.T) {
	h := newHarness(t)
	emptyLists := func(res response, fields ...string) {
		t.Helper()
		for _, f := range fields {
			v, present := res.Body[f]
			if list, ok := v.([]any); !present || !ok || len(list) != 0 {
				t.Errorf("%s: want [] (present, empty), got %v (present %v): %s", f, v, present, res.Raw)
			}
		}
	}
	finance, admin := h.tokens["alice"], h.tokens["bob"]
	for path, field := range map[string]string{
		"/v1/partners": "partners", "/v1/payout-batches": "batches", "/v1/accruals/held": "accruals",
		"/v1/charities": "charities", "/v1/program/versions": "versions", "/v1/challenges": "challenges",
		"/v1/rewards": "rewards", "/v1/redemptions": "redemptions", "/v1/webhook-endpoints": "endpoints",
		"/v1/leaderboard?currency=EUR": "entries", "/v1/reports/roi?from=2026-01&to=2026-02": "rows",
		"/v1/reports/payments?from=2026-01&to=2026-02": "rows", "/v1/reports/donations?from=2026-01&to=2026-02": "rows",
	} {
		emptyLists(h.do("GET", path, admin, nil, nil), field)
	}

	p := h.createPartner(`{"name":"A","email":"a@a.example"}`)
	id := p["id"].(string)
	if c, ok := p["coupons"].([]any); !ok || len(c) != 0 {
		t.Errorf("a partner without coupons: %v", p["coupons"])
	}
	emptyLists(h.do("GET", "/v1/me", h.partnerToken(id), nil, nil), "groups", "landing_hosts")
	emptyLists(h.do("GET", "/v1/partners/"+id+"/statement", finance, nil, nil),
		"lines", "goals", "tier_history", "donated_on_your_behalf", "point_lines", "badges")

	h.postGeneric("/webhooks/orders", genericOrder("e1", "o1", p["referral_code"].(string), "EUR", 100000))
	batch := h.do("POST", "/v1/payout-batches", finance, nil, nil)
	emptyLists(batch, "skipped", "pledges")
	emptyLists(h.do("GET", "/v1/payout-batches/"+batch.Body["id"].(string), finance, nil, nil), "skipped", "pledges")
}
