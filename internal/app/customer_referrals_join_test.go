package app_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/discount"
	"github.com/partnerloop/partnerloop/internal/program"
)

// uploadCodes adds codes to a code_list group's list.
func (h *harness) uploadCodes(groupID string, codes ...string) {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"codes": codes})
	if res := h.do("POST", "/v1/groups/"+groupID+"/discount-codes", h.tokens["alice"], body, nil); res.Status != 200 {
		h.t.Fatalf("upload: %d %s", res.Status, res.Raw)
	}
}

// heldCodes are the codes the group's discount-codes.csv lists.
func (h *harness) heldCodes(groupID string) []string {
	h.t.Helper()
	csv := h.do("GET", "/v1/groups/"+groupID+"/discount-codes.csv", h.tokens["alice"], nil, nil)
	if csv.Status != 200 {
		h.t.Fatalf("csv: %d %s", csv.Status, csv.Raw)
	}
	rows := strings.Fields(string(csv.Raw))
	return rows[1:]
}

func couponsOf(p map[string]any) []string {
	var out []string
	for _, c := range p["coupons"].([]any) {
		out = append(out, c.(string))
	}
	return out
}

func TestConcurrentTokensForOnePartnerTakeOneCode(t *testing.T) {
	h := newHarness(t)
	h.createGroup(customersGroup("friends", `{"kind":"percent","value":15,"duration":"once","provider":"code_list"}`))
	_, key := h.apiKey()
	// The customer's partner is created, but no code is left for it yet.
	if res := h.embedToken(key, "c-1", "friends"); res.Status != 409 || res.errorCode() != "codes_exhausted" {
		t.Fatalf("first token without codes: %d %s", res.Status, res.Raw)
	}
	h.uploadCodes("friends", "FRIEND-A1", "FRIEND-B2", "FRIEND-C3", "FRIEND-D4", "FRIEND-E5", "FRIEND-F6")

	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res := h.embedToken(key, "c-1", "friends"); res.Status != 201 {
				t.Errorf("token: %d %s", res.Status, res.Raw)
			}
		}()
	}
	wg.Wait()
	held := h.heldCodes("friends")
	if len(held) != 1 {
		t.Fatalf("one customer holds codes %v", held)
	}
	w := h.widget(h.embedToken(key, "c-1", "friends").Body["token"].(string))
	p := h.do("GET", "/v1/partners/"+h.partnerByCode(w.Body["referral_code"].(string)), h.tokens["alice"], nil, nil).Body
	if d, _ := w.Body["discount"].(map[string]any); d["code"] != held[0] || !slices.Equal(couponsOf(p), held) {
		t.Errorf("widget %s, coupons %v, held %v", w.Raw, p["coupons"], held)
	}
}

func TestPartnersJoiningADiscountGroupGetTheirCodeOnce(t *testing.T) {
	h := newHarness(t)
	h.createGroup(customersGroup("friends", `{"kind":"percent","value":15,"duration":"once","provider":"code_list"}`))
	h.uploadCodes("friends", "JOIN-A1", "JOIN-B2", "JOIN-C3")

	created := h.createPartner(`{"name":"Created In","email":"in@p.example","group_id":"friends"}`)
	if coupons := couponsOf(created); len(coupons) != 1 || !strings.HasPrefix(coupons[0], "JOIN-") {
		t.Errorf("a partner created in the group: coupons %v", created["coupons"])
	}

	moved := h.createPartner(`{"name":"Moved In","email":"moved@p.example"}`)
	id := moved["id"].(string)
	for range 2 { // naming the group again issues nothing new
		res := h.do("PATCH", "/v1/partners/"+id, h.tokens["alice"], []byte(`{"group_id":"friends"}`), nil)
		if coupons := couponsOf(res.Body); res.Status != 200 || len(coupons) != 1 || !strings.HasPrefix(coupons[0], "JOIN-") {
			t.Errorf("moved into the group: %d %s", res.Status, res.Raw)
		}
	}
	if held := h.heldCodes("friends"); len(held) != 2 {
		t.Errorf("codes held %v, want one per partner", held)
	}
	order := shopifyOrder(701, map[string]any{"discount_codes": []any{map[string]any{"code": strings.ToLower(couponsOf(h.do("GET", "/v1/partners/"+id, h.tokens["alice"], nil, nil).Body)[0])}}})
	if res := h.postShopifyPaid("w-701", order); res.Status != 200 || res.Body["partner_id"] != id {
		t.Errorf("an order with the moved partner's code: %d %s", res.Status, res.Raw)
	}
}

func TestProgramDiscountForGroupsWithoutTheirOwn(t *testing.T) {
	h := newHarness(t)
	refused := h.cfg.Program
	refused.Discount = &discount.Discount{Kind: discount.Percent, Value: 10, Duration: discount.Once, Provider: discount.CodeList}
	body, _ := json.Marshal(refused)
	if res := h.do("PUT", "/v1/program", h.tokens["alice"], body, nil); res.Status != 422 || !strings.Contains(string(res.Raw), "discount.provider") {
		t.Errorf("a program code list: %d %s", res.Status, res.Raw)
	}
	h.putProgram(func(p *program.Program) {
		p.Discount = &discount.Discount{Kind: discount.Amount, Value: 500, Currency: "EUR", Duration: discount.Once, Provider: discount.Shopify, Shop: "shop.example"}
	})
	// A group with its own discount keeps it; one without gives the program's.
	h.createGroup(customersGroup("own", `{"kind":"percent","value":15,"duration":"once","provider":"shopify","shop":"own.example"}`))
	h.createGroup([]byte(strings.Replace(string(customersGroup("plain", "null")), `"discount":null,`, "", 1)))
	_, key := h.apiKey()
	plain := h.widget(h.embedToken(key, "c-1", "plain").Body["token"].(string))
	own := h.widget(h.embedToken(key, "c-2", "own").Body["token"].(string))
	pd, _ := plain.Body["discount"].(map[string]any)
	od, _ := own.Body["discount"].(map[string]any)
	if pd["kind"] != "amount" || pd["value"] != 500.0 || pd["code"] != plain.Body["referral_code"] || od["value"] != 15.0 {
		t.Errorf("plain %s, own %s", plain.Raw, own.Raw)
	}

	p := h.createPartner(`{"name":"Default Partner","email":"dp@p.example"}`)
	code := p["referral_code"].(string)
	click := h.do("GET", "/r/"+code, "", nil, nil)
	loc, _ := url.Parse(click.Header.Get("Location"))
	if click.Status != 302 || loc.Host != "shop.example" || loc.Path != "/discount/"+code {
		t.Errorf("a default group partner's link: %d %s", click.Status, click.Header.Get("Location"))
	}
	if held := h.heldCodes(program.DefaultGroup); !slices.Contains(held, code) || !slices.Contains(held, plain.Body["referral_code"].(string)) {
		t.Errorf("the program discount's codes: %v", held)
	}
}

func TestReferredOrderKeepsTheDiscountCodeAndTheBuyersFirstName(t *testing.T) {
	h := newHarness(t)
	h.createGroup(customersGroup("customers", `{"kind":"percent","value":10,"duration":"once","provider":"shopify","shop":"shop.example"}`))
	_, key := h.apiKey()
	token := h.embedToken(key, "cust-1", "customers").Body["token"].(string)
	code := h.widget(token).Body["referral_code"].(string)
	partnerID := h.partnerByCode(code)

	order := shopifyOrder(801, map[string]any{"discount_codes": []any{map[string]any{"code": code}},
		"customer": map[string]any{"id": 9801, "first_name": "Maria Grazia", "last_name": "Rossi"}})
	if res := h.postShopifyPaid("w-801", order); res.Status != 200 {
		t.Fatalf("order: %d %s", res.Status, res.Raw)
	}
	checkout := fmt.Appendf(nil, `{"id":"evt_name","object":"event","type":"checkout.session.completed","created":%d,
		"data":{"object":{"id":"cs_name","object":"checkout.session","mode":"payment","payment_status":"paid","payment_intent":"pi_name",
		"currency":"eur","amount_total":5000,"client_reference_id":%q,"customer_details":{"email":"jl@friend.example","name":"  Jean-Luc Picard"}}}}`,
		time.Now().Unix(), code)
	if res := h.postStripe(checkout); res.Status != 200 {
		t.Fatalf("checkout: %d %s", res.Status, res.Raw)
	}
	if line := h.statementLine(partnerID, "801"); line["discount_code"] != code {
		t.Errorf("statement line: %v", line)
	}
	if line := h.statementLine(partnerID, "pi_name"); line["discount_code"] != nil || line["buyer_first_name"] != nil {
		t.Errorf("a line without a discount: %v", line)
	}
	raw := string(h.do("GET", "/v1/partners/"+partnerID+"/statement", h.tokens["alice"], nil, nil).Raw)
	if strings.Contains(raw, "Maria") || strings.Contains(raw, "Rossi") {
		t.Errorf("the statement names the buyer: %s", raw)
	}
	w := h.widget(h.embedToken(key, "cust-1", "customers").Body["token"].(string))
	today := time.Now().UTC().Format(time.DateOnly)
	var friends []string
	for _, f := range w.Body["friends"].([]any) {
		friends = append(friends, fmt.Sprint(f))
	}
	slices.Sort(friends)
	if want := []string{"map[date:" + today + " first_name:Jean-Luc]", "map[date:" + today + " first_name:Maria]"}; !slices.Equal(friends, want) {
		t.Errorf("friends %v, want %v", friends, want)
	}
}
