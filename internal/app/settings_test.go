package app_test

import (
	"bytes"
	"fmt"
	"testing"
)

// TestPartnersChangeTheirOwnSettingsForTheNextBatch: a partner changes its
// charity and payout e-mail, never finance's fields nor another partner's;
// an approved batch keeps what it was built with, the next one uses the change.
func TestPartnersChangeTheirOwnSettingsForTheNextBatch(t *testing.T) {
	h := newHarness(t)
	h.addCharity("ch_water")
	h.addCharity("ch_trees")
	p := h.createPartner(`{"name":"A","email":"a@a.example","payout":{"method":"paypal"},"charity":{"charity_id":"ch_water","share_bps":1000}}`)
	id, code := p["id"].(string), p["referral_code"].(string)
	other := h.createPartner(`{"name":"B","email":"b@b.example"}`)["id"].(string)
	own := h.partnerToken(id)

	order := func(n int) {
		t.Helper()
		if res := h.postGeneric("/webhooks/orders", genericOrder(fmt.Sprint("evt_s", n), fmt.Sprint("ord_s", n), code, "EUR", 40000)); res.Status != 200 {
			t.Fatalf("order: %d %s", res.Status, res.Raw)
		}
	}
	batch := func() map[string]any {
		t.Helper()
		res := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
		if res.Status != 201 {
			t.Fatalf("batch: %d %s", res.Status, res.Raw)
		}
		if a := h.do("POST", "/v1/payout-batches/"+res.Body["id"].(string)+"/approve", h.tokens["bob"], nil, nil); a.Status != 200 {
			t.Fatalf("approve: %d %s", a.Status, a.Raw)
		}
		return res.Body["items"].([]any)[0].(map[string]any)
	}
	order(1)
	first := batch()

	for _, c := range []struct {
		token, path, body string
		status            int
		code              string
	}{
		{own, id, `{"tier":"gold"}`, 403, "forbidden"},
		{own, id, `{"charity":null,"coupons":["MINE"]}`, 403, "forbidden"},
		{own, other, `{"charity":null}`, 404, "not_found"},
		{own, id, `{"charity":{"charity_id":"ch_unknown","share_bps":500}}`, 422, "invalid_partner"},
		{own, id, `{"payout_email":"not an address"}`, 422, "invalid_partner"},
		{own, id, `{}`, 422, "invalid_partner"},
		{h.partnerToken(other), other, `{"payout_email":"b@pay.example"}`, 422, "invalid_partner"}, // B is paid manually
	} {
		if res := h.do("PATCH", "/v1/partners/"+c.path+"/settings", c.token, []byte(c.body), nil); res.Status != c.status || res.errorCode() != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.body, res.Status, res.Raw, c.status, c.code)
		}
	}
	res := h.do("PATCH", "/v1/partners/"+id+"/settings", own, []byte(`{"charity":{"charity_id":"ch_trees","share_bps":5000},"payout_email":"pay@a.example"}`), nil)
	if res.Status != 200 || res.Body["settings_changed_by"] != "user-"+id || res.Body["charity"].(map[string]any)["charity_id"] != "ch_trees" ||
		res.Body["payout"].(map[string]any)["email"] != "pay@a.example" || res.Body["payout"].(map[string]any)["method"] != "paypal" {
		t.Fatalf("own settings: %d %s", res.Status, res.Raw)
	}

	// The approved batch keeps the old charity, share and address; the next one uses the new.
	if first["charity_id"] != "ch_water" || first["donation"].(float64) != 200 || first["destination"] != "a@a.example" {
		t.Errorf("first batch item %v", first)
	}
	order(2)
	if next := batch(); next["charity_id"] != "ch_trees" || next["donation"].(float64) != 1000 || next["destination"] != "pay@a.example" {
		t.Errorf("next batch item %v", next)
	}

	if res := h.do("PATCH", "/v1/partners/"+id+"/settings", h.tokens["alice"], []byte(`{"charity":null}`), nil); res.Status != 200 || res.Body["charity"] != nil || res.Body["settings_changed_by"] != "alice" {
		t.Errorf("finance clears the charity: %d %s", res.Status, res.Raw)
	}
}

func TestAPartnerGetsItsReferralLinkAsAQRCode(t *testing.T) {
	h := newHarness(t)
	id := h.createPartner(`{"name":"A","email":"a@a.example"}`)["id"].(string)
	other := h.createPartner(`{"name":"B","email":"b@b.example"}`)["id"].(string)
	res := h.do("GET", "/v1/partners/"+id+"/qr.svg", h.partnerToken(id), nil, nil)
	if res.Status != 200 || res.Header.Get("Content-Type") != "image/svg+xml" || !bytes.Contains(res.Raw, []byte("/r/")) {
		t.Fatalf("own QR code: %d %s %.80s", res.Status, res.Header.Get("Content-Type"), res.Raw)
	}
	if res := h.do("GET", "/v1/partners/"+other+"/qr.svg", h.partnerToken(id), nil, nil); res.Status != 404 {
		t.Errorf("another partner's QR code: %d", res.Status)
	}
}
