package app_test

import (
	"testing"

	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
)

// TestBroadcastFromTheConsoleReadInThePortal writes a broadcast in the
// console, previews it in each language, sends it, reads and answers it
// in the portal and reads the answer back in the console.
func TestBroadcastFromTheConsoleReadInThePortal(t *testing.T) {
	h := newHarness(t)
	demoID := h.createPartner(`{"name":"Demo Reseller","email":"` + mailbox("browser-demo") + `","tier":"silver"}`)["id"].(string)
	browser := devtest.NewBrowser(t, h.site(demoID).URL)

	console := browser.NewTab("en-US", 1280, 1400).For(t)
	signIn(console, "/console/#/messages", "Alice (finance)")
	console.Wait("heading", "Write a broadcast")
	console.Fill("textbox", "Subject", "Spring offer")
	console.Fill("textbox", "Message", "Hello **partners**, see [the offer](https://shop.example/spring).\n\n- 10% more <b>commission</b>\n- free shipping")
	console.Choose("Audience", "Every partner")
	console.Click("button", "Preview the e-mail")
	for _, language := range []string{"English", "Italian", "Russian"} {
		console.Wait("heading", "E-mail in "+language)
	}
	console.Screenshot("console-broadcast-preview")
	console.Click("button", "Send broadcast")
	console.WaitText("Broadcast scheduled.")
	console.Wait("link", "Spring offer")

	h.sendBroadcasts()

	portal := browser.NewTab("en-US", 1280, 1000).For(t)
	signIn(portal, "/portal/", "Demo Reseller (partner)")
	portal.Click("link", "Inbox 1 new")
	portal.Click("button", "Spring offer")
	portal.Wait("heading", "Spring offer")
	portal.Wait("link", "the offer")
	portal.WaitText("10% more <b>commission</b>")
	portal.Wait("link", "Inbox") // read: the count is gone
	portal.Fill("textbox", "Your reply", "Count us in for the spring campaign.")
	portal.Click("button", "Send reply")
	portal.WaitText("Reply sent.")
	portal.Screenshot("portal-inbox")

	console.Click("link", "Spring offer")
	console.WaitText("Count us in for the spring campaign.")
	console.WaitText("1 reached · 1 e-mailed · 0 suppressed · 0 failed")
	console.Screenshot("console-broadcast-replies")
}
