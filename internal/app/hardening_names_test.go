package app_test

import (
	"encoding/json"
	"testing"
)

// A partner's or a team member's name and e-mail are checked by the same
// bounds as the public routes': a refusal names the field and writes nothing.
func TestStaffWrittenNamesAndAddressesAreRefusedNamingTheField(t *testing.T) {
	h := newHarness(t)
	paid := h.createPartner(`{"name":"Paid","email":"paid@partner.example","payout":{"method":"paypal"}}`)
	body := func(fields map[string]any) []byte {
		b, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	before := h.itemCount()
	for _, c := range []struct {
		name, method, path string
		body               []byte
		field              string
	}{
		{"a NUL in a partner's name", "POST", "/v1/partners", body(map[string]any{"name": "Ann\x00Lee", "email": "ann@partner.example"}), "name"},
		{"a bidirectional override in a partner's name", "POST", "/v1/partners", body(map[string]any{"name": "Ann \u202egnp.exe", "email": "ann@partner.example"}), "name"},
		{"a line break in a partner's name", "POST", "/v1/partners", body(map[string]any{"name": "Ann\nBcc: x", "email": "ann@partner.example"}), "name"},
		{"no name", "POST", "/v1/partners", body(map[string]any{"name": "  ", "email": "ann@partner.example"}), "name"},
		{"a display name for an e-mail", "POST", "/v1/partners", body(map[string]any{"name": "Ann", "email": "Ann <ann@partner.example>"}), "email"},
		{"a payout e-mail that is not plain", "POST", "/v1/partners",
			body(map[string]any{"name": "Ann", "email": "ann@partner.example", "payout": map[string]any{"method": "wise", "email": "not an address"}}), "payout.email"},
		{"a payout e-mail setting that is not plain", "PATCH", "/v1/partners/" + paid["id"].(string) + "/settings", body(map[string]any{"payout_email": "x@"}), "payout_email"},
		{"a control character in a member's name", "POST", "/v1/team", body(map[string]any{"name": "Vera\u0007", "email": "vera@shop.example", "roles": []string{"viewer"}}), "name"},
	} {
		res := h.do(c.method, c.path, h.tokens["bob"], c.body, nil)
		e, _ := res.Body["error"].(map[string]any)
		if res.Status != 422 || e["field"] != c.field {
			t.Errorf("%s: %d %s, want 422 naming %s", c.name, res.Status, res.Raw, c.field)
		}
	}
	if h.itemCount() != before {
		t.Error("a refused request wrote something")
	}
}
