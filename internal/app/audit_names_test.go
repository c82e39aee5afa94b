package app_test

import (
	"net/http"
	"testing"
)

// TestAuditEntriesNameTheirTargets: an entry keeps the name its change
// carries (after, or before for a removal), so the trail reads by names; a
// change that carries none keeps the id alone.
func TestAuditEntriesNameTheirTargets(t *testing.T) {
	h := newHarness(t)
	id := h.createPartner(`{"name":"Named Shop","email":"named@shop.example"}`)["id"].(string)
	if got := h.entryOf("partner:"+id, "partner.created")["target_name"]; got != "Named Shop" {
		t.Errorf("a new partner's entry names %v", got)
	}
	if res := h.do("PATCH", "/v1/partners/"+id, h.tokens["alice"], []byte(`{"tier":"gold"}`), nil); res.Status != http.StatusOK {
		t.Fatalf("tier move: %d %s", res.Status, res.Raw)
	}
	if got := h.entryOf("partner:"+id, "partner.changed")["target_name"]; got != "Named Shop" {
		t.Errorf("a tier move's entry names %v", got)
	}

	added := h.do("POST", "/v1/team", h.tokens["bob"], []byte(`{"email":"nina@shop.example","name":"Nina","roles":["viewer"]}`), nil)
	if added.Status != http.StatusCreated {
		t.Fatalf("add member: %d %s", added.Status, added.Raw)
	}
	member := "member:" + added.Body["id"].(string)
	if res := h.do("DELETE", "/v1/team/"+added.Body["id"].(string), h.tokens["bob"], nil, nil); res.Status != http.StatusNoContent {
		t.Fatalf("remove member: %d %s", res.Status, res.Raw)
	}
	if got := h.entryOf(member, "team.member_removed")["target_name"]; got != "Nina" {
		t.Errorf("a removal's entry names %v", got)
	}

	if res := h.do("PATCH", "/v1/partners/"+id+"/notifications", h.tokens["alice"], []byte(`{"categories":{"engagement":false}}`), nil); res.Status != http.StatusOK {
		t.Fatalf("notifications: %d %s", res.Status, res.Raw)
	}
	if e := h.entryOf("partner:"+id, "partner.notifications_changed"); e["target_name"] != nil {
		t.Errorf("a change that carries no name names %v", e["target_name"])
	}
}
