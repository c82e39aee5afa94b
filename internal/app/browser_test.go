package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/devenv"
	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
	"github.com/partnerloop/partnerloop/internal/program"
)

// site is the harness's functions behind one origin, with the local
// development sign-in, as `make run` serves them.
func (h *harness) site(demoPartnerID string) *httptest.Server {
	return h.siteServing(demoPartnerID, h.serve)
}

// siteServing is site with the functions reached through serve, which may
// wrap the harness's own (to slow a route down, say).
func (h *harness) siteServing(demoPartnerID string, serve http.HandlerFunc) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/", serve)
	devenv.SignIn{Users: devenv.DemoUsers(demoPartnerID), Tokens: auth.HS256{Secret: []byte("test-jwt")},
		SecurityHeaders: h.cfg.Web.SecurityHeaders}.Register(mux)
	srv := httptest.NewServer(mux)
	h.t.Cleanup(srv.Close)
	return srv
}

// signIn opens a page, which sends the visitor to the sign-in page, and
// signs in as the demo user with that label.
func signIn(tab *devtest.Tab, path, user string) {
	tab.Open(path)
	tab.Click("button", "Sign in as "+user)
}

// euros is how en-US shows an amount of EUR minor units.
func euros(minor int64) string { return fmt.Sprintf("€%d.%02d", minor/100, minor%100) }

func TestPortalAndConsoleInTheBrowser(t *testing.T) {
	h := newHarness(t)
	h.addCharity("ch_water")
	demo := h.createPartner(`{"name":"Demo Reseller","email":"demo@partner.example","tier":"silver"}`)
	other := h.createPartner(`{"name":"Other Shop","email":"other@shop.example"}`)
	demoID, code := demo["id"].(string), demo["referral_code"].(string)
	srv := h.site(demoID)
	browser := devtest.NewBrowser(t, srv.URL)

	partner := browser.NewTab("en-US", 1280, 900)
	t.Run("the partner signs in and sees its link, then its balance after an order", func(t *testing.T) {
		partner := partner.For(t)
		signIn(partner, "/portal/", "Demo Reseller (partner)")
		partner.Wait("heading", "Welcome, Demo Reseller")
		link := partner.Wait("textbox", "Referral link").Call(`function() { return this.value }`)
		if !strings.Contains(link, "/r/"+code) {
			t.Errorf("referral link field shows %s", link)
		}
		partner.Wait("image", "QR code of your referral link")
		partner.Wait("button", "Copy link")
		partner.WaitText("No commission yet.")

		if res := h.postGeneric("/webhooks/orders", genericOrder("evt_b1", "ord_b1", code, "EUR", 20000)); res.Status != 200 {
			t.Fatalf("order: %d %s", res.Status, res.Raw)
		}
		b := h.balances(demoID)
		owed := balance(b, "EUR", "pending") + balance(b, "EUR", "payable")
		partner.Open("/portal/")
		partner.WaitText(euros(owed))
		partner.Screenshot("portal-home")

		partner.Click("link", "Statement")
		partner.Wait("heading", "Statement")
		partner.WaitText("ord_b1")
		partner.Wait("button", "Download CSV")
		partner.Screenshot("portal-statement")
	})

	t.Run("the partner gives a share to a charity in its settings", func(t *testing.T) {
		partner := partner.For(t)
		partner.Click("link", "Settings")
		partner.Choose("Charity", "Clean Water e.V.")
		partner.Fill("spinbutton", "Share given (%)", "25")
		partner.Click("button", "Save")
		partner.WaitText("Saved. The next payout batch uses these settings.")
		partner.Screenshot("portal-settings")
		got := h.do("GET", "/v1/partners/"+demoID, h.tokens["alice"], nil, nil)
		if c, _ := got.Body["charity"].(map[string]any); c["charity_id"] != "ch_water" || c["share_bps"] != 2500.0 || got.Body["settings_changed_by"] != "partner-demo" {
			t.Errorf("saved settings: %s", got.Raw)
		}
	})

	t.Run("a partner cannot open the console or another partner's data", func(t *testing.T) {
		partner := partner.For(t)
		partner.Open("/console/")
		partner.Wait("heading", "Finance only")
		partner.Screenshot("console-refused-partner")
		status := partner.Evaluate(fmt.Sprintf(`fetch('/v1/partners/%s/statement', {headers: {Authorization: 'Bearer ' + sessionStorage.getItem('partnerloop.token')}}).then((r) => r.status)`, other["id"]))
		if status != "404" {
			t.Errorf("another partner's statement answered %s", status)
		}
		if status := partner.Evaluate(`fetch('/v1/payout-batches', {headers: {Authorization: 'Bearer ' + sessionStorage.getItem('partnerloop.token')}}).then((r) => r.status)`); status != "403" {
			t.Errorf("the batches list answered a partner %s", status)
		}
	})

	alice := browser.NewTab("en-US", 1280, 900)
	var batchPath string
	t.Run("finance A creates a batch and cannot approve it", func(t *testing.T) {
		alice := alice.For(t)
		signIn(alice, "/console/", "Alice (finance)")
		alice.Wait("heading", "Overview")
		alice.Wait("heading", "What is owed")
		alice.Screenshot("console-overview")
		alice.Click("link", "Batches")
		alice.Click("button", "Create batch")
		approve := alice.Wait("button", "Approve")
		if disabled := approve.Call(`function() { return this.disabled }`); disabled != "true" {
			t.Errorf("Approve is enabled for the batch's creator")
		}
		alice.WaitText("You created this batch: another finance user must approve it (four eyes).")
		if why := approve.Call(`function() { return document.getElementById(this.getAttribute('aria-describedby')).textContent }`); !strings.Contains(why, "four eyes") {
			t.Errorf("the disabled Approve button does not say why: %s", why)
		}
		alice.Screenshot("console-batch-draft")
		batchPath = strings.Trim(alice.Evaluate("location.pathname + location.hash"), `"`)
	})

	t.Run("finance B approves and the items show paid", func(t *testing.T) {
		bob := browser.NewTab("en-US", 1280, 900).For(t)
		signIn(bob, batchPath, "Bob (finance)")
		bob.Click("button", "Approve")
		bob.WaitText("finance-bob")
		batchID := batchPath[strings.LastIndex(batchPath, "/")+1:]
		h.drainUntilCompleted(batchID)
		bob.Wait("heading", "Batch "+batchID+" completed") // the page follows the workers by itself
		bob.Wait("cell", "paid")
		bob.WaitText("Payout paid")
		bob.Screenshot("console-batch-paid")
	})

	t.Run("an invalid program edit shows the error next to the field", func(t *testing.T) {
		alice := alice.For(t)
		alice.Click("link", "Program")
		alice.Fill("textbox", "Landing page URL", "not a url")
		alice.Click("button", "Save")
		field := alice.Wait("textbox", "Landing page URL")
		alice.WaitText("landing_url must be an absolute http(s) URL")
		if msg := field.Call(`function() { return this.getAttribute('aria-invalid') + ' ' + document.getElementById(this.getAttribute('aria-describedby')).textContent }`); !strings.Contains(msg, "true") || !strings.Contains(msg, "landing_url must be") {
			t.Errorf("the landing URL field is not marked with its error: %s", msg)
		}
		if v := field.Call(`function() { return this.value }`); v != `"not a url"` {
			t.Errorf("the typed value was lost: %s", v)
		}
		alice.Screenshot("console-program-error")

		// Someone else saves meanwhile: saving says so and keeps the edit.
		alice.Fill("textbox", "Landing page URL", "https://shop.example/spring")
		if res := h.do("PUT", "/v1/program", h.tokens["bob"], []byte(`{"landing_url":"https://shop.example/","cookie_days":30,
			"tier_rates_bps":{"authorized":500,"silver":800,"gold":1200},"minimum_payout":{"EUR":1000}}`), nil); res.Status != 200 {
			t.Fatalf("bob's save: %d %s", res.Status, res.Raw)
		}
		alice.Click("button", "Save")
		alice.WaitText("Someone else saved the program first; your changes were not saved.")
		if v := alice.Wait("textbox", "Landing page URL").Call(`function() { return this.value }`); v != `"https://shop.example/spring"` {
			t.Errorf("the edit was lost on a conflict: %s", v)
		}
	})

	t.Run("finance finds partners, reports and charities", func(t *testing.T) {
		alice := alice.For(t)
		alice.Click("link", "Partners")
		alice.Fill("searchbox", "Name or e-mail starts with", "demo")
		alice.Click("button", "Search")
		alice.WaitGone("link", "Other Shop")
		alice.Wait("link", "Demo Reseller")
		alice.Screenshot("console-partners")
		alice.Click("link", "Demo Reseller")
		alice.Wait("heading", "Tier history")
		alice.Screenshot("console-partner")
		alice.Click("link", "Reports")
		alice.Wait("image", "Owed")
		alice.Screenshot("console-reports")
		alice.Click("link", "Charities")
		alice.Click("button", "Receipts of Clean Water e.V.")
		alice.Wait("heading", "Receipts of Clean Water e.V.")
		alice.Screenshot("console-charities")
	})

	for _, lang := range []struct{ tag, welcome, copy string }{
		{"it-IT", "Benvenuto, Demo Reseller", "Copia link"},
		{"ru-RU", "Добро пожаловать, Demo Reseller", "Копировать ссылку"},
	} {
		t.Run("a browser in "+lang.tag+" gets the pages in its language and its money format", func(t *testing.T) {
			tab := browser.NewTab(lang.tag, 1280, 900).For(t)
			signIn(tab, "/portal/", "Demo Reseller (partner)")
			tab.Wait("heading", lang.welcome)
			tab.Wait("button", lang.copy)
			if got := tab.Evaluate("document.documentElement.lang"); got != `"`+lang.tag[:2]+`"` {
				t.Errorf("page language %s", got)
			}
			tab.WaitText("\u00a0€") // 16,00 € in both: the sign after the amount
			tab.Screenshot("portal-home-" + lang.tag[:2])
		})
	}

	t.Run("every text has its translations", func(t *testing.T) {
		partner := partner.For(t)
		missing := partner.Evaluate(`import('/assets/messages.js').then(({ messages }) =>
			Object.keys(messages).flatMap((lang) => Object.keys(messages.en).filter((k) => !(k in messages[lang])).map((k) => lang + ':' + k)))`)
		if missing != "[]" {
			t.Errorf("untranslated: %s", missing)
		}
	})

	t.Run("the keyboard alone reaches the page and its controls", func(t *testing.T) {
		kb := browser.NewTab("en-US", 1280, 900).For(t)
		signIn(kb, "/portal/", "Demo Reseller (partner)")
		kb.Wait("heading", "Welcome, Demo Reseller")
		kb.Press("\t")
		if focused := kb.Evaluate("document.activeElement.textContent"); focused != `"Skip to content"` {
			t.Errorf("the first Tab focuses %s, not the skip link", focused)
		}
		kb.Press("\r")
		if focused := kb.Evaluate("document.activeElement.id"); focused != `"main"` {
			t.Errorf("the skip link moved focus to %s", focused)
		}
		for range 12 {
			if kb.Evaluate("document.activeElement.textContent") == `"Copy link"` {
				break
			}
			kb.Press("\t")
		}
		if focused := kb.Evaluate("document.activeElement.textContent"); focused != `"Copy link"` {
			t.Fatalf("Tab never reached Copy link (at %s)", focused)
		}
		if outline := kb.Evaluate("getComputedStyle(document.activeElement).outlineStyle"); outline == `"none"` {
			t.Error("the focused button shows no focus outline")
		}
	})

	t.Run("the portal works on a 375 px phone", func(t *testing.T) {
		phone := browser.NewTab("en-US", 375, 800).For(t)
		signIn(phone, "/portal/", "Demo Reseller (partner)")
		phone.Wait("heading", "Welcome, Demo Reseller")
		phone.WaitText("Clean Water e.V.") // the donation made in the batch, by the charity's name
		if overflow := phone.Evaluate("document.documentElement.scrollWidth > window.innerWidth"); overflow != "false" {
			t.Error("the page scrolls sideways at 375 px")
		}
		phone.Screenshot("portal-home-phone")
	})
}

func TestPortalRewardsInTheBrowser(t *testing.T) {
	h := newHarness(t)
	h.putProgram(func(p *program.Program) {
		withPoints(p)
		p.Badges = []program.Badge{{ID: "first-sale", Name: "First sale", Rule: program.BadgeRule{FirstSale: true}}}
	})
	demo := h.createPartner(`{"name":"Demo Reseller","email":"demo@partner.example","tier":"silver"}`)
	rival := h.createPartner(`{"name":"Rival Shop","email":"rival@shop.example"}`)
	demoID := demo["id"].(string)
	h.postGeneric("/webhooks/orders", genericOrder("e1", "o1", demo["referral_code"].(string), "EUR", 25000))
	h.postGeneric("/webhooks/orders", genericOrder("e2", "o2", rival["referral_code"].(string), "EUR", 40000))
	starts, ends := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), time.Now().UTC().Add(7*24*time.Hour).Format(time.RFC3339)
	for path, body := range map[string]string{
		"/v1/rewards":    `{"id":"mug","name":"Team mug","description":"Ceramic, 350 ml","points_cost":100,"stock":3,"kind":"item"}`,
		"/v1/challenges": `{"id":"review","name":"Review the X200","description":"Post a review with a photo","starts_at":"` + starts + `","ends_at":"` + ends + `","kind":"task","reward":{"points":75}}`,
	} {
		if res := h.do("POST", path, h.tokens["alice"], []byte(body), nil); res.Status != 201 {
			t.Fatalf("POST %s: %d %s", path, res.Status, res.Raw)
		}
	}
	h.runPerformance()
	browser := devtest.NewBrowser(t, h.site(demoID).URL)

	for _, c := range []struct{ lang, heading, redeem, redeemed, left, sent string }{
		{"en-US", "Rewards", "Redeem Team mug", "Team mug redeemed: finance sends it to you.", "100 redeemed", "Sent. Finance reviews it and credits the reward."},
		{"it-IT", "Premi", "Riscatta Team mug", "Team mug riscattato: la finanza te lo invia.", "200 riscattati", ""},
	} {
		t.Run(c.lang, func(t *testing.T) {
			tab := browser.NewTab(c.lang, 1280, 1000).For(t)
			signIn(tab, "/portal/#/rewards", "Demo Reseller (partner)")
			tab.Wait("heading", c.heading)
			tab.Wait("heading", map[string]string{"en-US": "Leaderboard this month", "it-IT": "Classifica del mese"}[c.lang])
			tab.WaitText("First sale")
			tab.WaitText("Review the X200")
			tab.Click("button", c.redeem)
			tab.WaitText(c.redeemed)
			tab.WaitText(c.left)
			tab.Screenshot("portal-rewards-" + c.lang)
			if c.lang != "en-US" {
				return
			}
			tab.Fill("textbox", `What you did for "Review the X200"`, "Posted on the shop with two photos")
			tab.Click("button", "Send for review")
			tab.WaitText(c.sent)
		})
	}
	if _, available, redeemed := h.points(demoID); available != 250-200 || redeemed != 200 {
		t.Fatalf("points after two redemptions: available %d redeemed %d", available, redeemed)
	}
	if subs := h.do("GET", "/v1/challenges/review/submissions", h.tokens["alice"], nil, nil).Body["submissions"].([]any); len(subs) != 1 {
		t.Fatalf("submissions: %v", subs)
	}
}
