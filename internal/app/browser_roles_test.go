package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
)

// A manager and a viewer see the console their roles allow: sections they
// cannot read are not in the navigation, and changes they may not make
// have no control.
func TestConsoleShowsWhatEachRoleMay(t *testing.T) {
	h := newHarness(t)
	h.addCharity("ch_water")
	demo := h.createPartner(`{"name":"Demo Reseller","email":"demo@partner.example","tier":"silver"}`)
	if res := h.postGeneric("/webhooks/orders", genericOrder("evt_r1", "ord_r1", demo["referral_code"].(string), "EUR", 30000)); res.Status != 200 {
		t.Fatalf("order: %d %s", res.Status, res.Raw)
	}
	batch := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
	if batch.Status != 201 {
		t.Fatalf("batch: %d %s", batch.Status, batch.Raw)
	}
	browser := devtest.NewBrowser(t, h.site(demo["id"].(string)).URL)

	t.Run("a manager works on partners and engagement, never on money", func(t *testing.T) {
		maria := browser.NewTab("en-US", 1280, 900).For(t)
		signIn(maria, "/console/", "Maria (manager)")
		maria.Wait("heading", "Partners")
		for _, hidden := range []string{"Overview", "Batches", "Reports", "Audit"} {
			if maria.Count("link", hidden) != 0 {
				t.Errorf("a manager's navigation shows %s", hidden)
			}
		}
		maria.Wait("heading", "New partner")
		maria.Screenshot("console-manager-partners")
		maria.Open("/console/#/batches")
		maria.Wait("heading", "Partners") // a section the role cannot read opens the first it can
		maria.Open("/console/#/partner/" + demo["id"].(string))
		maria.Wait("heading", "Demo Reseller")
		maria.Wait("button", "Change tier")
		maria.Click("link", "Program")
		maria.Wait("heading", "Program")
		if maria.Count("button", "Save") != 0 {
			t.Error("a manager may save the program's money rules")
		}
		if disabled := maria.Wait("spinbutton", "Hold (days)").Call(`function() { return this.disabled }`); disabled != "true" {
			t.Errorf("the program's fields are editable for a manager (disabled=%s)", disabled)
		}
		maria.Screenshot("console-manager-program")
	})

	t.Run("a viewer reads everything and changes nothing", func(t *testing.T) {
		victor := browser.NewTab("en-US", 1280, 900).For(t)
		signIn(victor, "/console/", "Victor (viewer)")
		victor.Wait("heading", "Overview")
		victor.Wait("heading", "What is owed")
		if victor.Count("button", "Release") != 0 {
			t.Error("a viewer may release held commission")
		}
		victor.Click("link", "Partners")
		victor.Wait("heading", "Find partners")
		if victor.Count("heading", "New partner") != 0 {
			t.Error("a viewer may create partners")
		}
		victor.Click("link", "Batches")
		victor.Wait("heading", "Batches")
		if victor.Count("button", "Create batch") != 0 {
			t.Error("a viewer may create batches")
		}
		victor.Click("link", batch.Body["id"].(string))
		victor.Wait("heading", "Audit log")
		if victor.Count("button", "Approve") != 0 || victor.Count("button", "Cancel batch") != 0 || victor.Count("button", "Exclude") != 0 {
			t.Error("a viewer may act on a draft batch")
		}
		victor.Screenshot("console-viewer-batch")
		victor.Click("link", "Audit")
		victor.Wait("heading", "Entries, newest first")
		victor.WaitText("alice (finance) created batch:" + batch.Body["id"].(string))
		victor.WaitText("alice (finance) added Demo Reseller") // the audit line names its target
		victor.Fill("textbox", "Who", "alice")
		victor.Fill("textbox", "Action", "charity.created")
		victor.Click("button", "Show")
		for start := time.Now(); strings.Contains(victor.Text(), "created batch:"); time.Sleep(100 * time.Millisecond) {
			if time.Since(start) > 10*time.Second {
				t.Fatal("the filter by actor and action still shows the batch")
			}
		}
		victor.WaitText("alice (finance) added Clean Water e.V. to the catalog")
		if text := victor.Text(); strings.Contains(text, `created_at: — → "20`) || !strings.Contains(text, "created_at: — → ") {
			t.Error("an audit change list shows a time as raw ISO text, not in the viewer's locale")
		}
		victor.Screenshot("console-audit")
	})
}
