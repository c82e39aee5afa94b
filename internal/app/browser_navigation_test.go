package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
)

// heldRoute holds the requests it matches until released, as a slow
// report or a bad connection would, and notes whether the browser gave up
// on one meanwhile.
type heldRoute struct {
	match     func(*http.Request) bool
	arrived   chan struct{} // closed when the first matching request comes in
	abandoned chan struct{} // closed when the browser drops a held request
	release   chan struct{}
	arrive    sync.Once
	abandon   sync.Once
}

func holdRoute(match func(*http.Request) bool) *heldRoute {
	return &heldRoute{match: match, arrived: make(chan struct{}), abandoned: make(chan struct{}), release: make(chan struct{})}
}

func (g *heldRoute) wrap(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if g.match(r) {
			g.arrive.Do(func() { close(g.arrived) })
			select {
			case <-g.release:
			case <-r.Context().Done():
				g.abandon.Do(func() { close(g.abandoned) })
				return
			}
		}
		next(w, r)
	}
}

// closesSoon reports whether ch closes within a browser test's patience.
func closesSoon(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-time.After(30 * time.Second): // as long as devtest waits for the page
		return false
	}
}

// settle gives the page a second to draw whatever answer it has received.
func settle(tab *devtest.Tab) { tab.Evaluate(`new Promise((done) => setTimeout(done, 1000))`) }

func TestConsoleDrawsTheScreenTheUserIsOnInTheBrowser(t *testing.T) {
	h := newHarness(t)
	h.addCharity("ch_water")
	demo := h.createPartner(`{"name":"Demo Reseller","email":"demo@partner.example","charity":{"charity_id":"ch_water","share_bps":2500}}`)
	demoID := demo["id"].(string)
	if res := h.postGeneric("/webhooks/orders", genericOrder("evt_n1", "ord_n1", demo["referral_code"].(string), "EUR", 50000)); res.Status != 200 {
		t.Fatalf("order: %d %s", res.Status, res.Raw)
	}
	created := h.do("POST", "/v1/payout-batches", h.tokens["bob"], nil, nil)
	if created.Status != http.StatusCreated {
		t.Fatalf("batch: %d %s", created.Status, created.Raw)
	}
	batchID := created.Body["id"].(string)
	items := created.Body["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("batch items: %s", created.Raw)
	}
	item := items[0].(map[string]any)
	if item["method"] != "manual" || item["recipient"] != "Demo Reseller" {
		t.Errorf("a manual item does not name its partner: %v", item)
	}
	amount, donation := int64(item["amount"].(float64)), int64(item["donation"].(float64))
	if donation == 0 {
		t.Fatalf("the item gives nothing to the charity: %v", item)
	}

	overviewReport := holdRoute(func(r *http.Request) bool { return r.Method == "GET" && r.URL.Path == "/v1/reports/owed" })
	browser := devtest.NewBrowser(t, h.siteServing(demoID, overviewReport.wrap(h.serve)).URL)
	alice := browser.NewTab("en-US", 1280, 900)
	signIn(alice, "/console/", "Alice (finance)")
	if !closesSoon(overviewReport.arrived) {
		t.Fatal("the overview never asked for what is owed")
	}

	// The overview waits for its report; the user goes to the batch.
	alice.Click("link", "Batches")
	alice.Wait("heading", "Batches")
	alice.Click("link", batchID)
	heading := "Batch " + batchID + " draft"
	alice.Wait("heading", heading)
	alice.Wait("button", "Approve")
	if !closesSoon(overviewReport.abandoned) {
		t.Error("leaving the overview did not abandon its report")
	}
	close(overviewReport.release)
	settle(alice)
	if alice.Count("heading", "What is owed") != 0 || alice.Count("heading", heading) != 1 || alice.Count("button", "Approve") != 1 {
		t.Fatalf("the overview's late answer drew over the batch; the page shows:\n%s", alice.Text())
	}
	if current := alice.Wait("link", "Batches").Call(`function() { return this.getAttribute('aria-current') }`); current != `"page"` {
		t.Errorf("the navigation marks %s, not Batches", current)
	}

	// The batch names its partner and charity and counts the donation.
	alice.Wait("link", "Demo Reseller")
	alice.Wait("heading", "Donations")
	alice.WaitText("Clean Water e.V.")
	alice.WaitText(fmt.Sprintf("%s (%s to partners, %s to charities)", euros(amount+donation), euros(amount), euros(donation)))
	if strings.Contains(alice.Text(), demoID) || strings.Contains(alice.Text(), "ch_water") {
		t.Errorf("the batch shows ids where names belong:\n%s", alice.Text())
	}
	alice.Screenshot("console-batch-names")

	// The screen still works: approving redraws the batch, not another screen.
	alice.Click("button", "Approve")
	alice.WaitGone("button", "Approve")
	alice.WaitText("finance-alice")
	alice.Wait("link", "Demo Reseller")
}

func TestPortalDrawsTheScreenTheUserIsOnInTheBrowser(t *testing.T) {
	h := newHarness(t)
	demo := h.createPartner(`{"name":"Demo Reseller","email":"demo@partner.example"}`)
	demoID := demo["id"].(string)
	statementPage := holdRoute(func(r *http.Request) bool {
		return r.Method == "GET" && r.URL.Path == "/v1/partners/"+demoID+"/statement" && r.URL.Query().Get("limit") == "25"
	})
	browser := devtest.NewBrowser(t, h.siteServing(demoID, statementPage.wrap(h.serve)).URL)
	partner := browser.NewTab("en-US", 1280, 900)
	signIn(partner, "/portal/#/statement", "Demo Reseller (partner)")
	if !closesSoon(statementPage.arrived) {
		t.Fatal("the statement was never asked for")
	}

	partner.Click("link", "Settings")
	partner.Wait("heading", "Settings")
	partner.Wait("button", "Save")
	if !closesSoon(statementPage.abandoned) {
		t.Error("leaving the statement did not abandon its request")
	}
	close(statementPage.release)
	settle(partner)
	if partner.Count("heading", "Statement") != 0 || partner.Count("heading", "Settings") != 1 || partner.Count("button", "Save") != 1 {
		t.Fatalf("the statement's late answer drew over the settings; the page shows:\n%s", partner.Text())
	}
	partner.Screenshot("portal-settings-after-navigation")

	partner.Click("link", "Statement")
	partner.Wait("heading", "Statement")
	partner.WaitText("No orders yet: share your link.")
}
