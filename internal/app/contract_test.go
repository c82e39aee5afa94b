package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/program"
)

// putProgram saves the harness's program with change applied.
func (h *harness) putProgram(change func(*program.Program)) {
	h.t.Helper()
	p := h.cfg.Program
	change(&p)
	body, err := json.Marshal(p)
	if err != nil {
		h.t.Fatal(err)
	}
	if res := h.do("PUT", "/v1/program", h.tokens["alice"], body, nil); res.Status != 200 {
		h.t.Fatalf("save program: %d %s", res.Status, res.Raw)
	}
}

func orderWith(eventID, orderID, code, coupon string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"type":"order.paid","order":{"id":%q,"currency":"EUR","referral_code":%q,"coupon":%q,
		"customer":{"id":%q},"lines":[{"sku":"SKU-1","quantity":1,"amount":10000}]}}`, eventID, orderID, code, coupon, "cust-"+orderID)
}

func (h *harness) lastLineVia(partnerID string) string {
	h.t.Helper()
	st := h.do("GET", "/v1/partners/"+partnerID+"/statement", h.tokens["alice"], nil, nil)
	lines, _ := st.Body["lines"].([]any)
	if len(lines) == 0 {
		h.t.Fatalf("no statement lines for %s: %s", partnerID, st.Raw)
	}
	return lines[0].(map[string]any)["attributed_via"].(string)
}

func TestPartnerCouponsAreUniqueAndMatchCaseInsensitively(t *testing.T) {
	h := newHarness(t)
	a := h.createPartner(`{"name":"Alpha","email":"a@a.example","coupons":["summer10","Spring-5"]}`)
	if got := fmt.Sprint(a["coupons"]); got != "[SUMMER10 SPRING-5]" {
		t.Fatalf("coupons are stored normalised: %s", got)
	}
	before := h.itemCount()
	for _, body := range []string{
		`{"name":"Beta","email":"b@b.example","coupons":["SUMMER10"]}`,
		`{"name":"Beta","email":"b@b.example","coupons":["` + strings.ToLower(a["referral_code"].(string)) + `"]}`,
	} {
		if res := h.do("POST", "/v1/partners", h.tokens["alice"], []byte(body), nil); res.Status != 409 || res.errorCode() != "coupon_taken" {
			t.Fatalf("clash: %d %s", res.Status, res.Raw)
		}
	}
	if res := h.do("POST", "/v1/partners", h.tokens["alice"], []byte(`{"name":"Beta","email":"b@b.example","coupons":["no spaces"]}`), nil); res.Status != 422 {
		t.Fatalf("malformed coupon: %d %s", res.Status, res.Raw)
	}
	if h.itemCount() != before {
		t.Fatal("a refused partner left items behind")
	}
	b := h.createPartner(`{"name":"Beta","email":"b@b.example"}`)
	aID, bID := a["id"].(string), b["id"].(string)

	// A lower-case coupon on an order without a code credits its partner.
	if res := h.postGeneric("/webhooks/orders", orderWith("e1", "o1", "", "summer10")); res.Status != 200 || res.Body["partner_id"] != aID {
		t.Fatalf("coupon order: %d %s", res.Status, res.Raw)
	}
	if via := h.lastLineVia(aID); via != "coupon" {
		t.Fatalf("attributed_via %q", via)
	}
	// Code and coupon of different partners: last_click prefers the order's
	// referral code, coupon_wins the coupon.
	if res := h.postGeneric("/webhooks/orders", orderWith("e2", "o2", b["referral_code"].(string), "spring-5")); res.Body["partner_id"] != bID {
		t.Fatalf("last_click: %s", res.Raw)
	}
	h.putProgram(func(p *program.Program) { p.Attribution.Model = program.CouponWins })
	if res := h.postGeneric("/webhooks/orders", orderWith("e3", "o3", b["referral_code"].(string), "spring-5")); res.Body["partner_id"] != aID {
		t.Fatalf("coupon_wins: %s", res.Raw)
	}

	// Replacing coupons releases the old codes for others and takes effect at once.
	res := h.do("PATCH", "/v1/partners/"+aID, h.tokens["alice"], []byte(`{"coupons":["autumn-20"]}`), nil)
	if res.Status != 200 || fmt.Sprint(res.Body["coupons"]) != "[AUTUMN-20]" {
		t.Fatalf("replace coupons: %d %s", res.Status, res.Raw)
	}
	if res := h.do("PATCH", "/v1/partners/"+bID, h.tokens["alice"], []byte(`{"coupons":["Summer10","AUTUMN-20"]}`), nil); res.Status != 409 || res.errorCode() != "coupon_taken" {
		t.Fatalf("a taken coupon in a patch: %d %s", res.Status, res.Raw)
	}
	if res := h.do("PATCH", "/v1/partners/"+bID, h.tokens["alice"], []byte(`{"coupons":["Summer10"]}`), nil); res.Status != 200 {
		t.Fatalf("a released coupon: %d %s", res.Status, res.Raw)
	}
	if res := h.postGeneric("/webhooks/orders", orderWith("e4", "o4", "", "SUMMER10")); res.Body["partner_id"] != bID {
		t.Fatalf("released coupon still credits the old partner: %s", res.Raw)
	}
	if res := h.postGeneric("/webhooks/orders", orderWith("e5", "o5", "", "autumn-20")); res.Body["partner_id"] != aID {
		t.Fatalf("new coupon: %s", res.Raw)
	}
	if res := h.do("PATCH", "/v1/partners/"+aID, h.tokens["alice"], []byte(`{"coupons":[]}`), nil); res.Status != 200 || fmt.Sprint(res.Body["coupons"]) != "[]" {
		t.Fatalf("clear coupons: %d %s", res.Status, res.Raw)
	}
	if res := h.postGeneric("/webhooks/orders", orderWith("e6", "o6", "", "autumn-20")); res.Body["partner_id"] != nil || res.Body["commission"] != 0.0 {
		t.Fatalf("a cleared coupon still attributes: %s", res.Raw)
	}
}

func TestProgramSaveWithIfMatch(t *testing.T) {
	h := newHarness(t)
	cur := h.do("GET", "/v1/program", h.tokens["alice"], nil, nil)
	if cur.Header.Get("ETag") != `"0"` {
		t.Fatalf("ETag %q", cur.Header.Get("ETag"))
	}
	body, _ := json.Marshal(h.cfg.Program)
	first := h.do("PUT", "/v1/program", h.tokens["alice"], body, map[string]string{"If-Match": `"0"`})
	if first.Status != 200 || first.Body["version"] != 1.0 || first.Header.Get("ETag") != `"1"` {
		t.Fatalf("save from version 0: %d %s %v", first.Status, first.Raw, first.Header)
	}
	before := h.itemCount()
	stale := h.do("PUT", "/v1/program", h.tokens["bob"], body, map[string]string{"If-Match": `"0"`})
	if stale.Status != http.StatusConflict || stale.errorCode() != "version_conflict" {
		t.Fatalf("stale edit: %d %s", stale.Status, stale.Raw)
	}
	if res := h.do("PUT", "/v1/program", h.tokens["bob"], body, map[string]string{"If-Match": "latest"}); res.Status != 400 || res.errorCode() != "bad_if_match" {
		t.Fatalf("bad If-Match: %d %s", res.Status, res.Raw)
	}
	if h.itemCount() != before {
		t.Fatal("a refused save wrote something")
	}
	if res := h.do("PUT", "/v1/program", h.tokens["bob"], body, map[string]string{"If-Match": "1"}); res.Status != 200 || res.Body["version"] != 2.0 {
		t.Fatalf("bare version: %d %s", res.Status, res.Raw)
	}
	if res := h.do("PUT", "/v1/program", h.tokens["bob"], body, nil); res.Status != 200 || res.Body["version"] != 3.0 {
		t.Fatalf("without If-Match the save behaves as before: %d %s", res.Status, res.Raw)
	}
}

// Every GET route answers its sample (the harness fails any response with a
// null), and a batch or partner reads the same in a list as on its own.
func TestEveryRouteAnswersOneShape(t *testing.T) {
	h := newHarness(t)
	h.addCharity("ch_water")
	a := h.createPartner(`{"name":"Alpha","email":"a@a.example","charity":{"charity_id":"ch_water","share_bps":1000}}`)
	id := a["id"].(string)
	h.postGeneric("/webhooks/orders", genericOrder("evt_1", "ord_1", a["referral_code"].(string), "EUR", 50000))
	batch := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
	if batch.Status != 201 {
		t.Fatalf("batch: %d %s", batch.Status, batch.Raw)
	}
	batchID := batch.Body["id"].(string)
	month := time.Now().UTC().Format("2006-01")
	starts, ends := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
	for path, body := range map[string]string{
		"/v1/challenges":        `{"id":"spring","name":"Spring","description":"Post a review","starts_at":"` + starts + `","ends_at":"` + ends + `","kind":"task","reward":{"points":10}}`,
		"/v1/rewards":           `{"id":"mug","name":"Mug","description":"A mug","points_cost":100,"stock":5,"kind":"item"}`,
		"/v1/webhook-endpoints": `{"url":"https://hooks.example/partnerloop","events":["payout.paid"]}`,
	} {
		if res := h.do("POST", path, h.tokens["bob"], []byte(body), nil); res.Status != 201 {
			t.Fatalf("POST %s: %d %s", path, res.Status, res.Raw)
		}
	}
	endpoint := h.do("GET", "/v1/webhook-endpoints", h.tokens["bob"], nil, nil).Body["endpoints"].([]any)[0].(map[string]any)["id"].(string)
	message := h.broadcast(`{"subject":"Hello","body":"*Spring* is here","audience":{"all":true}}`)["id"].(string)
	h.sendBroadcasts()
	h.createGroup(joinGroup("resellers"))
	application := h.appliedAndConfirmed("resellers", mailbox("contract"))
	samples := map[string]string{
		"/join/{slug}":                          "/join/resellers",
		"/join/confirm/{token}":                 "", // a signed link's page: TestAVisitorJoinsInItalianAndFinanceApprovesInTheConsole
		"/v1/join/{slug}":                       "/v1/join/resellers",
		"/v1/applications":                      "/v1/applications",
		"/v1/applications/{id}":                 "/v1/applications/" + application,
		"/v1/reports/applications":              "/v1/reports/applications?period=" + month,
		"/v1/messages":                          "/v1/messages",
		"/v1/messages/{id}":                     "/v1/messages/" + message,
		"/v1/messages/{id}/replies":             "/v1/messages/" + message + "/replies",
		"/v1/partners/{id}/inbox":               "/v1/partners/" + id + "/inbox",
		"/v1/challenges":                        "/v1/challenges",
		"/v1/challenges/{id}":                   "/v1/challenges/spring",
		"/v1/challenges/{id}/submissions":       "/v1/challenges/spring/submissions",
		"/v1/leaderboard":                       "/v1/leaderboard?measure=revenue&currency=EUR",
		"/v1/rewards":                           "/v1/rewards",
		"/v1/redemptions":                       "/v1/redemptions",
		"/v1/webhook-endpoints":                 "/v1/webhook-endpoints",
		"/v1/webhook-endpoints/{id}":            "/v1/webhook-endpoints/" + endpoint,
		"/v1/webhook-endpoints/{id}/deliveries": "/v1/webhook-endpoints/" + endpoint + "/deliveries",
		"/v1/partners/{id}":                     "/v1/partners/" + id,
		"/v1/partners/{id}/statement":           "/v1/partners/" + id + "/statement",
		"/v1/partners/{id}/qr.svg":              "/v1/partners/" + id + "/qr.svg",
		"/v1/partners/{id}/notifications":       "/v1/partners/" + id + "/notifications",
		"/unsubscribe/{token}":                  "", // a signed link's page: TestMailPreferencesAndOneClickUnsubscribe
		"/v1/payout-batches/{id}":               "/v1/payout-batches/" + batchID,
		"/v1/payout-batches/{id}/audit":         "/v1/payout-batches/" + batchID + "/audit",
		"/v1/payout-batches/{id}/export":        "", // CSV of an approved batch: TestPayPalAndWiseFilesAndMarkingPaid
		"/v1/fraud/cases":                       "/v1/fraud/cases",
		"/v1/fraud/cases/{id}":                  "", // a case a rule opened: TestFraudRuleHoldsAnOrderAndResolvingReleasesIt
		"/v1/charities/{id}/receipts":           "/v1/charities/ch_water/receipts",
		"/v1/reports/payments":                  "/v1/reports/payments?from=" + month + "&to=" + month,
		"/v1/reports/donations":                 "/v1/reports/donations?from=" + month + "&to=" + month,
		"/v1/reports/roi":                       "/v1/reports/roi?from=" + month + "&to=" + month,
		"/r/{code}":                             "/r/" + a["referral_code"].(string),
		"/v1/partners":                          "/v1/partners",
		"/v1/payout-batches":                    "/v1/payout-batches",
		"/v1/accruals/held":                     "/v1/accruals/held",
		"/v1/charities":                         "/v1/charities",
		"/v1/reports/owed":                      "/v1/reports/owed",
		"/v1/program":                           "/v1/program",
		"/v1/program/versions":                  "/v1/program/versions",
		"/v1/groups":                            "/v1/groups",
		"/v1/groups/{id}":                       "/v1/groups/default",
		"/v1/api-keys":                          "/v1/api-keys",
		"/v1/audit":                             "/v1/audit",
		"/v1/team":                              "/v1/team",
		"/v1/groups/{id}/discount-codes.csv":    "/v1/groups/default/discount-codes.csv",
		"/v1/embed/widget":                      "", // a widget token's read: TestEmbedTokenReadsOneCustomerAndExpires
		"/embed":                                "/embed/?group=default",
		"/embed/snippet.js":                     "/embed/snippet.js",
		"/v1/me":                                "/v1/me",
		"/v1/sign-in":                           "/v1/sign-in",
		"/":                                     "/",
		"/portal":                               "/portal/",
		"/console":                              "/console",
		"/assets/{file}":                        "/assets/portal.js",
		"/healthz":                              "/healthz",
		"/v1/openapi.json":                      "/v1/openapi.json",
	}
	bodies := map[string]map[string]any{}
	for _, r := range appspec.AllRoutes() {
		if r.Method != "GET" {
			continue
		}
		path, ok := samples[r.Path]
		if !ok {
			t.Errorf("GET %s has no sample here", r.Path)
			continue
		}
		if path == "" {
			continue
		}
		res := h.do("GET", path, h.tokens["bob"], nil, nil)
		if res.Status >= 400 {
			t.Errorf("GET %s: %d %s", path, res.Status, res.Raw)
		}
		bodies[r.Path] = res.Body
	}
	listed := bodies["/v1/payout-batches"]["batches"].([]any)[0]
	if detail := bodies["/v1/payout-batches/{id}"]; !reflect.DeepEqual(listed, any(detail)) {
		t.Errorf("batch in the list differs from its detail:\n%v\n%v", listed, detail)
	}
	if skipped, ok := listed.(map[string]any)["skipped"].([]any); !ok || len(skipped) != 0 {
		t.Errorf("skipped in the list: %v", listed.(map[string]any)["skipped"])
	}
	listedAsDetailed(t, bodies["/v1/partners"]["partners"].([]any)[0].(map[string]any), bodies["/v1/partners/{id}"])
}

// The report figures as the README defines them.
func TestReportFiguresAsDocumented(t *testing.T) {
	h := newHarness(t)
	a := h.createPartner(`{"name":"Alpha","email":"a@a.example"}`)
	b := h.createPartner(`{"name":"Beta","email":"b@b.example"}`)
	h.createPartner(`{"name":"Idle","email":"i@i.example"}`)
	aID, bID := a["id"].(string), b["id"].(string)
	h.postGeneric("/webhooks/orders", genericOrder("e1", "o1", a["referral_code"].(string), "EUR", 10000))
	h.postGeneric("/webhooks/orders", []byte(`{"id":"e2","type":"order.cancelled","order":{"id":"o1","currency":"EUR"}}`))
	h.postGeneric("/webhooks/orders", genericOrder("e3", "o3", b["referral_code"].(string), "EUR", 20000))
	h.postGeneric("/webhooks/orders", []byte(`{"id":"e4","type":"order.refunded","order":{"id":"o3","currency":"EUR","refund":{"id":"r1","amount":5000}}}`))

	month := time.Now().UTC().Format("2006-01")
	roi := h.do("GET", "/v1/reports/roi?from="+month+"&to="+month, h.tokens["alice"], nil, nil)
	rows := map[any]map[string]any{}
	for _, r := range roi.Body["rows"].([]any) {
		rows[r.(map[string]any)["partner_id"]] = r.(map[string]any)
	}
	// A cancelled order is neither revenue nor a refund and its commission
	// is gone, so a partner with only that order has no row; a refund stays
	// in revenue and shows in refunds, commission is net of its reversal
	// (5% of 200.00 = 10.00, less 5% of 50.00).
	if ra, ok := rows[aID]; ok {
		t.Errorf("cancelled order in ROI: %v", ra)
	}
	if rb := rows[bID]; rb["revenue"] != 20000.0 || rb["refunds"] != 5000.0 || rb["commission"] != 750.0 || rb["return_bps"] != 200000.0 {
		t.Errorf("refunded order in ROI: %v", rb)
	}
	// Owed counts every partner with a balance in the currency, zero included,
	// and never one that never earned in it.
	owed := h.do("GET", "/v1/reports/owed", h.tokens["alice"], nil, nil)
	eur := owed.Body["rows"].([]any)[0].(map[string]any)
	if eur["currency"] != "EUR" || eur["partners"] != 2.0 || eur["payable"] != 750.0 || eur["clawed_back"] != 0.0 {
		t.Errorf("owed: %s", owed.Raw)
	}
}
