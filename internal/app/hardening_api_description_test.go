package app_test

import "testing"

// ?lang= out of the page's languages is ignored, as the description says:
// Accept-Language chooses.
func TestAJoinPageInAnUnsupportedLanguageFallsBackToAcceptLanguage(t *testing.T) {
	h := newHarness(t)
	h.createGroup(joinGroup("resellers"))
	res := h.do("GET", "/v1/join/resellers?lang=de", "", nil, map[string]string{"Accept-Language": "it"})
	if res.Status != 200 || res.Body["language"] != "it" || res.Body["title"] != "Vendi con noi" {
		t.Fatalf("?lang=de with Accept-Language it: %d %s", res.Status, res.Raw)
	}
}

// An unknown field is refused naming it in error.field, in a nested object
// by its path.
func TestAnUnknownFieldIsNamedInTheError(t *testing.T) {
	h := newHarness(t)
	h.addCharity("ch_water")
	p := h.createPartner(`{"name":"Ann","email":"ann@partner.example"}`)
	before := h.itemCount()
	for _, c := range []struct {
		method, path, body, field string
	}{
		{"POST", "/v1/partners", `{"name":"Bo","email":"bo@partner.example","nickname":"b"}`, "nickname"},
		{"PATCH", "/v1/partners/" + p["id"].(string) + "/settings", `{"charity":{"charity_id":"ch_water","share":1000}}`, "charity.share"},
	} {
		res := h.do(c.method, c.path, h.tokens["alice"], []byte(c.body), nil)
		e, _ := res.Body["error"].(map[string]any)
		if res.Status != 400 || res.errorCode() != "malformed_json" || e["field"] != c.field {
			t.Errorf("%s %s: %d %s, want 400 malformed_json naming %s", c.method, c.body, res.Status, res.Raw, c.field)
		}
	}
	if h.itemCount() != before {
		t.Error("a refused request wrote something")
	}
}
