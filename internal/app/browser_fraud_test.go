package app_test

import (
	"strings"
	"testing"

	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
)

// TestAFraudCaseInTheConsoleNamesThePartnerAndFormatsItsEvidence opens a
// large-commission case in the console in English and Italian: the
// partner goes by name, the evidence by label, its amounts as money in the
// viewer's locale.
func TestAFraudCaseInTheConsoleNamesThePartnerAndFormatsItsEvidence(t *testing.T) {
	h := newHarness(t)
	h.saveProgram(fraudProgram(`{"large_commission":{"enabled":true,"amounts":{"EUR":400}}}`, `{}`))
	p := h.createPartner(`{"name":"Big Shop","email":"big@big.example","tier":"silver"}`)
	if res := h.postGeneric("/webhooks/orders", paidBy("big1", p["referral_code"].(string), "kim@shop-customer.example")); res.Body["accrual_status"] != "held" {
		t.Fatalf("a commission above the amount: %s", res.Raw)
	}
	browser := devtest.NewBrowser(t, h.site(p["id"].(string)).URL)

	console := browser.NewTab("en-US", 1280, 1000).For(t)
	signIn(console, "/console/#/fraud", "Alice (finance)")
	console.Wait("link", "Big Shop")
	console.Click("link", "Large commission")
	console.Wait("heading", "Large commission")
	console.Wait("link", "Big Shop")
	// 8% of 100.00 EUR is above the 4.00 EUR the rule allows.
	text := console.Text()
	for _, want := range []string{"Commission\n" + euros(800), "Above\n" + euros(400), "Order\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("the case does not show %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Currency") || strings.Contains(text, p["id"].(string)) {
		t.Errorf("the case shows the bare currency or the partner's id:\n%s", text)
	}
	// The decision is two parts: releasing, confirming with its options.
	parts := console.Evaluate(`[...document.querySelectorAll('fieldset')].map((f) => f.querySelector('legend').textContent + ': ' +
		[...f.querySelectorAll('label, button')].map((e) => e.textContent).join(', ')).join(' | ')`)
	if want := `"Not fraud: Not fraud: release | Fraud: Reverse the held accruals, Suspend the partner, Fraud: confirm"`; parts != want {
		t.Errorf("decision parts: %s, want %s", parts, want)
	}
	console.Screenshot("console-fraud-case")

	italian := browser.NewTab("it-IT", 1280, 1000).For(t)
	signIn(italian, "/console/#/fraud", "Alice (finance)")
	italian.Click("link", "Commissione elevata")
	italian.WaitText("Oltre\n4,00\u00a0€")
	italian.WaitText("Commissione\n8,00\u00a0€")
}
