package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// resellersGroup is a group as POST /v1/groups takes it; tweak replaces
// one part of it.
func resellersGroup(id, slug string, tweak ...string) []byte {
	body := fmt.Sprintf(`{"id":%q,"name":"Resellers","slug":%q,"hold_days":10,"default_tier":"gold",
		"commission":{"overrides":[{"id":"tools","category":"tools","rate_bps":2000}]},
		"auto_approve":{"enabled":false},
		"form":[{"key":"shop_url","label":{"en":"Your shop","it":"Il tuo negozio","ru":"Ваш магазин"},"type":"url","required":true}],
		"landing":{"title":{"en":"Sell with us","it":"Vendi con noi","ru":"Продавайте с нами"},
			"description":{"en":"**Earn** 20%% on tools","it":"","ru":""},"terms_url":"https://shop.example/terms"}}`, id, slug)
	for i := 0; i+1 < len(tweak); i += 2 {
		body = strings.Replace(body, tweak[i], tweak[i+1], 1)
	}
	return []byte(body)
}

func (h *harness) createGroup(body []byte) response {
	h.t.Helper()
	res := h.do("POST", "/v1/groups", h.tokens["alice"], body, nil)
	if res.Status != 201 {
		h.t.Fatalf("create group: %d %s", res.Status, res.Raw)
	}
	return res
}

func groupIDs(res response) []string {
	var ids []string
	list, _ := res.Body["groups"].([]any)
	for _, g := range list {
		ids = append(ids, g.(map[string]any)["id"].(string))
	}
	return ids
}

func TestGroupsAreCreatedListedAndEditedByVersion(t *testing.T) {
	h := newHarness(t)
	created := h.createGroup(resellersGroup("resellers", "resellers"))
	if created.Header.Get("ETag") != `"1"` || created.Body["version"] != 1.0 || created.Body["updated_by"] != "alice" {
		t.Fatalf("created: %v %s", created.Header, created.Raw)
	}
	if ids := groupIDs(h.do("GET", "/v1/groups", h.tokens["alice"], nil, nil)); fmt.Sprint(ids) != "[default resellers]" {
		t.Errorf("listed %v", ids)
	}
	got := h.do("GET", "/v1/groups/resellers", h.tokens["bob"], nil, nil)
	if got.Status != 200 || got.Header.Get("ETag") != `"1"` || got.Body["slug"] != "resellers" {
		t.Fatalf("get: %d %v %s", got.Status, got.Header, got.Raw)
	}

	patch := func(ifMatch, body string) response {
		return h.do("PATCH", "/v1/groups/resellers", h.tokens["bob"], []byte(body), map[string]string{"If-Match": ifMatch})
	}
	edited := patch(`"1"`, `{"name":"Top resellers","hold_days":null}`)
	if edited.Status != 200 || edited.Header.Get("ETag") != `"2"` || edited.Body["name"] != "Top resellers" || edited.Body["hold_days"] != nil ||
		edited.Body["default_tier"] != "gold" || edited.Body["updated_by"] != "bob" {
		t.Fatalf("patch: %d %v %s", edited.Status, edited.Header, edited.Raw)
	}
	before := h.itemCount()
	if res := patch(`"1"`, `{"name":"Lost update"}`); res.Status != 409 || res.errorCode() != "version_conflict" {
		t.Errorf("stale If-Match: %d %s", res.Status, res.Raw)
	}
	if res := patch(`W/"2"`, `{"name":"Weak"}`); res.Status != 409 || res.errorCode() != "version_conflict" {
		t.Errorf("weak If-Match: %d %s", res.Status, res.Raw)
	}
	if res := patch(`v2`, `{"name":"Odd"}`); res.Status != 400 || res.errorCode() != "bad_if_match" {
		t.Errorf("malformed If-Match: %d %s", res.Status, res.Raw)
	}
	if res := patch(`"2"`, `{"id":"renamed"}`); res.Status != 422 || res.Body["error"].(map[string]any)["field"] != "id" {
		t.Errorf("id change: %d %s", res.Status, res.Raw)
	}
	if res := h.do("GET", "/v1/groups/nobody", h.tokens["alice"], nil, nil); res.Status != 404 {
		t.Errorf("unknown group: %d %s", res.Status, res.Raw)
	}
	if after := h.itemCount(); after != before {
		t.Errorf("refused edits wrote %d items", after-before)
	}
	if res := patch(`"1", "2"`, `{"name":"Resellers"}`); res.Status != 200 || res.Header.Get("ETag") != `"3"` {
		t.Errorf("If-Match list naming the current version: %d %s", res.Status, res.Raw)
	}
}

func TestGroupSlugsAreUniqueAndMove(t *testing.T) {
	h := newHarness(t)
	h.createGroup(resellersGroup("resellers", "resellers"))
	before := h.itemCount()
	for _, tc := range []struct {
		body []byte
		code string
	}{
		{resellersGroup("others", "resellers"), "slug_taken"},
		{resellersGroup("others", "default"), "slug_taken"},
		{resellersGroup("resellers", "fresh"), "already_exists"},
		{resellersGroup("default", "fresh"), "already_exists"},
	} {
		if res := h.do("POST", "/v1/groups", h.tokens["alice"], tc.body, nil); res.Status != 409 || res.errorCode() != tc.code {
			t.Errorf("want 409 %s: %d %s", tc.code, res.Status, res.Raw)
		}
	}
	if after := h.itemCount(); after != before {
		t.Errorf("refused groups wrote %d items", after-before)
	}
	if res := h.do("PATCH", "/v1/groups/resellers", h.tokens["alice"], []byte(`{"slug":"wholesale"}`), nil); res.Status != 200 || res.Body["slug"] != "wholesale" {
		t.Fatalf("move slug: %d %s", res.Status, res.Raw)
	}
	h.createGroup(resellersGroup("others", "resellers")) // the old slug is free again
	if res := h.do("PATCH", "/v1/groups/others", h.tokens["alice"], []byte(`{"slug":"wholesale"}`), nil); res.Status != 409 || res.errorCode() != "slug_taken" {
		t.Errorf("taking a slug by edit: %d %s", res.Status, res.Raw)
	}
}

func TestGroupFieldsAreBounded(t *testing.T) {
	h := newHarness(t)
	var form []string
	for i := range 31 {
		form = append(form, fmt.Sprintf(`{"key":"f%d","label":{"en":"a","it":"b","ru":"c"},"type":"text","required":false}`, i))
	}
	before := h.itemCount()
	for _, tc := range []struct {
		body  []byte
		field string
	}{
		{resellersGroup(strings.Repeat("g", 257), "long-id"), "id"},
		{resellersGroup("long-name", "long-name", `"name":"Resellers"`, fmt.Sprintf(`"name":%q`, strings.Repeat("n", 201))), "name"},
		{resellersGroup("bad-slug", "Bad_Slug"), "slug"},
		{resellersGroup("long-slug", strings.Repeat("s", 65)), "slug"},
		{resellersGroup("long-label", "long-label", `"en":"Your shop"`, fmt.Sprintf(`"en":%q`, strings.Repeat("l", 2001))), "form[0].label.en"},
		{resellersGroup("long-md", "long-md", `"en":"**Earn** 20% on tools"`, fmt.Sprintf(`"en":%q`, strings.Repeat("m", 10001))), "landing.description.en"},
		{resellersGroup("big-form", "big-form", `"form":[`, `"form":[`+strings.Join(form, ",")+`,`), "form"},
		{resellersGroup("bad-rate", "bad-rate", `"rate_bps":2000`, `"rate_bps":10001`), "commission.overrides[0].rate_bps"},
		{resellersGroup("no-landing", "no-landing", `"landing":{`, `"x":{`), "x"},
	} {
		res := h.do("POST", "/v1/groups", h.tokens["alice"], tc.body, nil)
		if e, _ := res.Body["error"].(map[string]any); res.Status != 422 || e["field"] != tc.field {
			t.Errorf("want 422 naming %s: %d %s", tc.field, res.Status, res.Raw[:min(len(res.Raw), 300)])
		}
	}
	if after := h.itemCount(); after != before {
		t.Errorf("refused groups wrote %d items", after-before)
	}
}

func TestAMovedPartnersLaterOrdersEarnByItsGroup(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"Mover","email":"mover@partner.example","tier":"silver"}`)
	id, code := p["id"].(string), p["referral_code"].(string)
	if p["group_id"] != "default" {
		t.Fatalf("new partner's group: %s", p["group_id"])
	}
	if res := h.postGeneric("/webhooks/orders", genericOrder("e-before", "o-before", code, "EUR", 10000)); res.Body["commission"] != 800.0 {
		t.Fatalf("order before the move: %d %s", res.Status, res.Raw)
	}
	h.createGroup(resellersGroup("resellers", "resellers"))

	before := h.itemCount()
	if res := h.do("PATCH", "/v1/partners/"+id, h.tokens["alice"], []byte(`{"group_id":"nowhere"}`), nil); res.Status != 422 ||
		res.Body["error"].(map[string]any)["field"] != "group_id" {
		t.Fatalf("unknown group: %d %s", res.Status, res.Raw)
	}
	if after := h.itemCount(); after != before {
		t.Errorf("refused move wrote %d items", after-before)
	}
	if res := h.do("PATCH", "/v1/partners/"+id, h.tokens["alice"], []byte(`{"group_id":"resellers"}`), nil); res.Status != 200 || res.Body["group_id"] != "resellers" {
		t.Fatalf("move: %d %s", res.Status, res.Raw)
	}
	after := h.postGeneric("/webhooks/orders", genericOrder("e-after", "o-after", code, "EUR", 10000))
	if after.Body["commission"] != 2000.0 || after.Body["accrual_status"] != "pending" {
		t.Fatalf("order after the move: %d %s", after.Status, after.Raw) // 20% on tools, held 10 days
	}
	moved := h.statementLine(id, "o-after")
	rule := moved["commission_lines"].([]any)[0].(map[string]any)["rule"]
	payable, _ := time.Parse(time.RFC3339, moved["payable_at"].(string))
	if rule != "group:resellers/tools" || payable.Sub(time.Now()) < 9*24*time.Hour {
		t.Errorf("after the move: rule %v, payable %v", rule, payable)
	}
	earlier := h.statementLine(id, "o-before")
	if earlier["commission"] != 800.0 || earlier["commission_lines"].([]any)[0].(map[string]any)["rule"] != "tier" {
		t.Errorf("the earlier accrual changed: %v", earlier)
	}

	mine := h.do("GET", "/v1/partners/"+id, h.partnerToken(id), nil, nil)
	g, _ := mine.Body["group"].(map[string]any)
	terms, _ := g["terms"].(map[string]any)
	if g["name"] != "Resellers" || terms["commission_from"] != "group:resellers" || terms["hold_days"] != 10.0 || terms["tier_rate_bps"] != 800.0 {
		t.Errorf("the partner's view of its group: %s", mine.Raw)
	}
	joined := h.createPartner(`{"name":"Joiner","email":"joiner@partner.example","group_id":"resellers"}`)
	if joined["group_id"] != "resellers" || joined["tier"] != "gold" {
		t.Errorf("a partner created in the group starts at its default tier: %v", joined)
	}
}

// storedBeforeGroups removes the group from a partner and its code, as
// partners and codes stored before groups existed have none.
func (h *harness) storedBeforeGroups(partnerID, code string) {
	h.t.Helper()
	for _, k := range [][2]string{{"PARTNER#" + partnerID, "PROFILE"}, {"CODE#" + code, "CODE"}} {
		_, err := h.env.DB.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: aws.String(h.env.Table),
			Key:              map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: k[0]}, "sk": &types.AttributeValueMemberS{Value: k[1]}},
			UpdateExpression: aws.String("REMOVE group_id")})
		if err != nil {
			h.t.Fatal(err)
		}
	}
}

// Partners stored before groups read as in the default group, with no
// migration to run: reading them so again and again changes nothing, and
// the default group is listed once whether or not it was ever saved.
func TestPartnersStoredBeforeGroupsAreInTheDefaultGroup(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"Old Timer","email":"old@partner.example","tier":"silver"}`)
	id, code := p["id"].(string), p["referral_code"].(string)
	h.storedBeforeGroups(id, code)
	for range 2 {
		before := h.itemCount()
		if res := h.do("GET", "/v1/partners/"+id, h.tokens["alice"], nil, nil); res.Body["group_id"] != "default" {
			t.Fatalf("old partner's group: %s", res.Raw)
		}
		if ids := groupIDs(h.do("GET", "/v1/groups", h.tokens["alice"], nil, nil)); fmt.Sprint(ids) != "[default]" {
			t.Errorf("listed %v", ids)
		}
		if after := h.itemCount(); after != before {
			t.Errorf("reading wrote %d items", after-before)
		}
	}
	if res := h.postGeneric("/webhooks/orders", genericOrder("e-old", "o-old", code, "EUR", 10000)); res.Body["commission"] != 800.0 {
		t.Fatalf("old partner's order: %d %s", res.Status, res.Raw)
	}

	def := h.do("GET", "/v1/groups/default", h.tokens["alice"], nil, nil)
	if def.Header.Get("ETag") != `"0"` || def.Body["landing"] != nil {
		t.Fatalf("built-in default group: %v %s", def.Header, def.Raw)
	}
	saved := h.do("PATCH", "/v1/groups/default", h.tokens["alice"], []byte(`{"hold_days":3}`), map[string]string{"If-Match": `"0"`})
	if saved.Status != 200 || saved.Header.Get("ETag") != `"1"` {
		t.Fatalf("first save of the default group: %d %s", saved.Status, saved.Raw)
	}
	if res := h.do("PATCH", "/v1/groups/default", h.tokens["alice"], []byte(`{"hold_days":4}`), map[string]string{"If-Match": `"0"`}); res.Status != 409 {
		t.Errorf("a second first save: %d %s", res.Status, res.Raw)
	}
	if ids := groupIDs(h.do("GET", "/v1/groups", h.tokens["alice"], nil, nil)); fmt.Sprint(ids) != "[default]" {
		t.Errorf("listed after saving the default group: %v", ids)
	}
	h.createGroup(resellersGroup("resellers", "resellers"))
	if res := h.do("PATCH", "/v1/partners/"+id, h.tokens["alice"], []byte(`{"group_id":"resellers"}`), nil); res.Status != 200 || res.Body["group_id"] != "resellers" {
		t.Fatalf("moving an old partner: %d %s", res.Status, res.Raw)
	}
	if res := h.postGeneric("/webhooks/orders", genericOrder("e-new", "o-new", code, "EUR", 10000)); res.Body["commission"] != 2000.0 {
		t.Errorf("old partner's order after the move: %d %s", res.Status, res.Raw)
	}
}

func TestPartnersMayNotUseGroupRoutes(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"Curious","email":"curious@partner.example"}`)
	h.createGroup(resellersGroup("resellers", "resellers"))
	tok := h.partnerToken(p["id"].(string))
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/v1/groups", ""},
		{"POST", "/v1/groups", string(resellersGroup("mine", "mine"))},
		{"GET", "/v1/groups/resellers", ""},
		{"PATCH", "/v1/groups/resellers", `{"hold_days":0}`},
	} {
		if res := h.do(r.method, r.path, tok, []byte(r.body), nil); res.Status != 403 {
			t.Errorf("%s %s as a partner: %d %s", r.method, r.path, res.Status, res.Raw)
		}
	}
}
