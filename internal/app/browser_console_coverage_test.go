package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
)

// TestConsoleEngagementAndWebhookScreens walks the screens that took the
// last staff work off curl: a challenge created and its submission
// reviewed, points adjusted, a reward created and its redemption
// fulfilled, an endpoint created (its secret shown once), its secret
// rotated and a delivery resent.
func TestConsoleEngagementAndWebhookScreens(t *testing.T) {
	h := newHarness(t)
	demo := h.createPartner(`{"name":"Demo Reseller","email":"demo@reseller.example"}`)
	demoID := demo["id"].(string)
	browser := devtest.NewBrowser(t, h.site(demoID).URL)
	console := browser.NewTab("en-US", 1280, 1400).For(t)
	signIn(console, "/console/#/challenges", "Ada (admin)")

	console.Wait("heading", "New challenge")
	console.Fill("textbox", "Name", "Share a review")
	console.Fill("textbox", "Description", "Review our tools on your blog.")
	console.Click("button", "Create challenge")
	console.Wait("heading", "Task submissions")
	if res := h.do("POST", "/v1/challenges", h.partnerToken(demoID), nil, nil); res.Status != 403 {
		t.Fatalf("a partner creates a challenge: %d", res.Status)
	}
	challenge := h.do("GET", "/v1/challenges", h.tokens["alice"], nil, nil).Body["challenges"].([]any)[0].(map[string]any)["id"].(string)
	if res := h.do("POST", "/v1/challenges/"+challenge+"/submissions", h.partnerToken(demoID),
		[]byte(`{"text":"My review is up.","urls":["https://blog.example/review"]}`), nil); res.Status != 201 {
		t.Fatalf("submission: %d %s", res.Status, res.Raw)
	}
	console.Open("/console/#/challenges")
	console.Click("link", "Share a review")
	console.Wait("link", "https://blog.example/review")
	console.WaitText("My review is up.")
	console.Screenshot("console-challenge-review")
	console.Click("button", "Approve the submission of Demo Reseller")
	console.WaitGone("button", "Approve the submission of Demo Reseller")
	console.Click("button", "End the challenge now")
	console.WaitGone("button", "End the challenge now")
	console.Wait("heading", "Share a review ended")

	console.Open("/console/#/partner/" + demoID)
	console.Fill("spinbutton", "Points to add or take back", "500")
	console.Fill("textbox", "Reason the partner reads", "Welcome to the rewards program")
	console.Click("button", "Adjust points")
	console.WaitText("Points adjusted: 600 available now.") // 100 for the challenge
	console.Screenshot("console-partner-points")

	console.Open("/console/#/rewards")
	console.Fill("textbox", "Id (letters, digits, - and _)", "mug")
	console.Fill("textbox", "Name", "Partner mug")
	console.Fill("spinbutton", "Points", "150")
	console.Fill("spinbutton", "Stock", "10")
	console.Click("button", "Add reward")
	console.Wait("heading", "Edit the reward")
	if res := h.do("POST", "/v1/redemptions", h.partnerToken(demoID), []byte(`{"reward_id":"mug","quantity":1}`), nil); res.Status != 201 {
		t.Fatalf("redemption: %d %s", res.Status, res.Raw)
	}
	console.Click("link", "All rewards")
	console.Fill("textbox", "Shipping or voucher reference for Demo Reseller", "DHL 00340434")
	console.Screenshot("console-rewards")
	console.Click("button", "Fulfil the redemption of Demo Reseller")
	console.WaitGone("button", "Fulfil the redemption of Demo Reseller")

	rc := newReceiver(t)
	console.Open("/console/#/webhooks")
	console.Fill("textbox", "URL", rc.url)
	console.Click("checkbox", "commission.created")
	console.Click("button", "Create endpoint")
	console.WaitText("The signing secret, shown this once")
	console.Screenshot("console-endpoint-secret")
	console.Click("link", "Open "+rc.url)
	console.Choose("Old secret keeps signing for", "1 hour")
	console.Click("button", "Rotate secret")
	console.WaitText("The previous secret signs too until")
	console.Screenshot("console-endpoint-rotated")

	h.ahead.Add(int64(time.Minute))
	h.postGeneric("/webhooks/orders", genericOrder("e1", "o1", demo["referral_code"].(string), "EUR", 10000))
	if rep, err := h.fns["Dispatcher"].Notify.Dispatch(context.Background()); err != nil || rep.Deliveries != 1 {
		t.Fatalf("dispatch: %+v %v", rep, err)
	}
	sent := h.deliverAll(rc, 1)[0]
	console.Open("/console/#/webhooks")
	console.Click("link", rc.url)
	console.Click("button", "Resend event "+sent.eventID)
	console.WaitText("Resend queued")
	if got := h.deliverAll(rc, 2); got[1].eventID != sent.eventID {
		t.Errorf("the resend delivered %s, want %s", got[1].eventID, sent.eventID)
	}
	console.Screenshot("console-endpoint-deliveries")
}
