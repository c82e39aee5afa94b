package app_test

import (
	"strings"
	"testing"

	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
)

// TestAVisitorJoinsInItalianAndFinanceApprovesInTheConsole walks a visitor
// through a group's join page in Italian, confirms the e-mail from the
// link the SES emulator received, has finance approve in the console and
// the new partner sign in to the portal.
func TestAVisitorJoinsInItalianAndFinanceApprovesInTheConsole(t *testing.T) {
	h := newHarness(t)
	h.createGroup(joinGroup("rivenditori", `"landing":{`, `"landing":{"brand_color":"#0b6e4f",`,
		`"description":{"en":"**Earn** 20% <script>x</script>","it":"","ru":"Зарабатывайте"}`,
		`"description":{"en":"**Earn** 20%","it":"**Guadagna** il 20% sugli attrezzi","ru":"Зарабатывайте"}`))
	demoID := h.createPartner(`{"name":"Demo Reseller","email":"` + mailbox("join-demo") + `","tier":"silver"}`)["id"].(string)
	browser := devtest.NewBrowser(t, h.site(demoID).URL)
	to := mailbox("giulia")

	visitor := browser.NewTab("it-IT", 900, 1400).For(t)
	visitor.Open("/join/rivenditori")
	visitor.Wait("heading", "Vendi con noi")
	visitor.WaitText("Guadagna il 20% sugli attrezzi")
	visitor.Fill("textbox", "Il tuo nome", "Giulia Bianchi")
	visitor.Fill("textbox", "E-mail", to)
	visitor.Choose("Paese", "Italia")
	visitor.Fill("textbox", "Il tuo negozio", "https://shop.giulia.example")
	visitor.Click("checkbox", "Accetto le condizioni del programma")
	// The name box is as wide as the other boxes of the form.
	if widths := visitor.Evaluate(`document.querySelector('[name=name]').offsetWidth === document.querySelector('[name=email]').offsetWidth`); widths != "true" {
		t.Error("the name box is not as wide as the e-mail box")
	}
	visitor.Screenshot("join-form-it")
	visitor.Click("button", "Invia la candidatura")
	visitor.Wait("heading", "Ci siamo quasi")
	visitor.WaitText("Abbiamo inviato un link a " + to)
	visitor.Screenshot("join-sent-it")

	token := h.confirmationToken(to, "Conferma la tua e-mail per candidarti a Resellers rivenditori")
	visitor.Open("/join/confirm/" + token)
	visitor.Wait("heading", "Conferma la tua e-mail")
	visitor.Click("button", "Conferma la mia e-mail")
	visitor.WaitText("Grazie: la tua e-mail è confermata")
	visitor.Screenshot("join-confirmed-it")

	console := browser.NewTab("en-US", 1280, 1400).For(t)
	signIn(console, "/console/#/groups/rivenditori", "Alice (finance)")
	console.Wait("heading", "Join page preview")
	console.Click("button", "Preview in it")
	console.WaitText("Guadagna il 20% sugli attrezzi")
	// The preview labels the page's own fields in its language too, and
	// marks the optional ones as the page does.
	console.WaitText("Il tuo nome")
	console.WaitText("Canale (facoltativo)")
	// The editor's text boxes span the form, and the auto-approval box sits
	// on its label's line.
	if layout := console.Evaluate(`(() => {
		const label = (text) => [...document.querySelectorAll('label')].find((l) => l.textContent === text);
		const name = label('Name').control, auto = label('Approve matching applications automatically');
		const middle = (r) => r.top + r.height / 2;
		return name.offsetWidth === name.closest('form').clientWidth &&
			Math.abs(middle(auto.control.getBoundingClientRect()) - middle(auto.getBoundingClientRect())) < 4;
	})()`); layout != "true" {
		t.Error("the group editor's boxes are not laid out as the form's")
	}
	console.Screenshot("console-group-preview-it")

	console.Click("link", "Applications")
	console.Click("link", "Giulia Bianchi")
	console.Wait("heading", "Giulia Bianchi")
	console.WaitText("https://shop.giulia.example")
	// The answers carry the form's labels, the group its name, the
	// country and the language their names, all in the viewer's language.
	details := console.Text()
	for _, want := range []string{"Your shop\nhttps://shop.giulia.example", "News\nNo", "Group\nResellers rivenditori", "Country\nItaly", "Language\nItalian"} {
		if !strings.Contains(details, want) {
			t.Errorf("the application does not show %q:\n%s", want, details)
		}
	}
	// The decision is two parts: approving at a tier, rejecting with a
	// reason and a note.
	parts := console.Evaluate(`[...document.querySelectorAll('fieldset')].map((f) => f.querySelector('legend').textContent + ': ' +
		[...f.querySelectorAll('label, button')].map((e) => e.textContent).join(', ')).join(' | ')`)
	if want := `"Approve and invite: Tier, Approve | Reject with a reason: Reason, Note, Reject"`; parts != want {
		t.Errorf("decision parts: %s, want %s", parts, want)
	}
	console.Screenshot("console-application")
	console.Click("button", "Approve")
	console.WaitText("Approved: the partner is invited.")
	console.Wait("link", "Open the partner")
	console.Screenshot("console-application-approved")

	approved := h.do("GET", "/v1/applications?status=approved", h.tokens["alice"], nil, nil).Body["applications"].([]any)
	partnerID := approved[0].(map[string]any)["partner_id"].(string)
	h.deliverMail()
	if invite := onlyMail(t, to, "Sei invitato al nostro programma partner"); !strings.Contains(invite.Body.Text, "Giulia Bianchi") {
		t.Errorf("invitation: %s", invite.Body.Text)
	}
	// The new partner signs in (the development sign-in's partner is it).
	portal := devtest.NewBrowser(t, h.site(partnerID).URL).NewTab("it-IT", 1280, 1000).For(t)
	signIn(portal, "/portal/", "Demo Reseller (partner)")
	portal.WaitText("Resellers rivenditori")
	portal.Screenshot("portal-joined-partner-it")
}
