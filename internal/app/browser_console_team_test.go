package app_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
)

// TestConsoleTeamKeysCodesAndPartnerMail walks the last staff routes onto
// screens: a team member added (a second time refused), given roles and
// removed after a confirmation; an API key shown once and revoked; a
// code_list group's codes uploaded; a partner's e-mail preferences changed
// beside its inbox; and audit lines naming their targets.
func TestConsoleTeamKeysCodesAndPartnerMail(t *testing.T) {
	h := newHarness(t)
	demo := h.createPartner(`{"name":"Demo Reseller","email":"demo@reseller.example"}`)
	demoID := demo["id"].(string)
	h.createGroup(customersGroup("friends", `{"kind":"percent","value":15,"duration":"once","provider":"code_list"}`))
	browser := devtest.NewBrowser(t, h.site(demoID).URL)
	console := browser.NewTab("en-US", 1280, 1400).For(t)
	signIn(console, "/console/#/team", "Ada (admin)")

	console.Wait("heading", "Add a member")
	add := func() {
		console.Fill("textbox", "E-mail", "vera@shop.example")
		console.Fill("textbox", "Name", "Vera")
		console.Click("button", "Add member")
	}
	add()
	console.Wait("button", "Remove Vera from the team")
	add()
	console.WaitText("A team member already has this e-mail address.")
	console.Click("checkbox", "finance (Vera)")
	console.Screenshot("console-team")
	console.Click("button", "Save the roles of Vera")
	console.WaitText("Saved")
	if roles := memberRoles(h, "Vera"); roles != "[finance viewer]" {
		t.Fatalf("Vera's roles after the console's change: %s", roles)
	}
	console.Click("button", "Remove Vera from the team")
	console.Click("button", "Yes, remove Vera")
	console.WaitText("Vera removed from the team.")
	if roles := memberRoles(h, "Vera"); roles != "" {
		t.Fatalf("Vera is still on the team, as %s", roles)
	}

	console.Open("/console/#/apikeys")
	console.Fill("textbox", "Name", "Shop backend")
	console.Click("button", "Create key")
	console.WaitText("it will not be shown again")
	console.Wait("button", "Copy key")
	console.Screenshot("console-api-key-once")
	console.Click("button", "Revoke the key Shop backend")
	console.WaitGone("button", "Revoke the key Shop backend")
	console.WaitText("revoked")

	console.Open("/console/#/groups/friends")
	console.Fill("textbox", "Codes, one per line", "FRIEND-1\nFRIEND-2\n\n")
	console.Click("button", "Upload codes")
	console.WaitText("2 new codes added (of 2 sent")
	console.Screenshot("console-group-codes")

	console.Open("/console/#/partner/" + demoID)
	console.Wait("heading", "Messages")
	console.Click("checkbox", "Announcements")
	console.Click("button", "Save preferences")
	console.WaitText("Saved")
	console.Screenshot("console-partner-mail")
	prefs := h.do("GET", "/v1/partners/"+demoID+"/notifications", h.tokens["alice"], nil, nil)
	if prefs.Status != http.StatusOK || prefs.Body["categories"].(map[string]any)["announcements"] != false {
		t.Fatalf("preferences after the console's change: %d %s", prefs.Status, prefs.Raw)
	}

	console.Open("/console/#/audit")
	console.WaitText("changed the e-mail preferences of Demo Reseller")
	console.WaitText("added Demo Reseller")
	console.WaitText("created the API key Shop backend")
	console.Screenshot("console-audit-names")
}

// memberRoles are the sorted roles of the team member of that name, ""
// for none.
func memberRoles(h *harness, name string) string {
	res := h.do("GET", "/v1/team", h.tokens["bob"], nil, nil)
	for _, m := range res.Body["members"].([]any) {
		if m := m.(map[string]any); m["name"] == name {
			var roles []string
			for _, r := range m["roles"].([]any) {
				roles = append(roles, r.(string))
			}
			slices.Sort(roles)
			return fmt.Sprint(roles)
		}
	}
	return ""
}
