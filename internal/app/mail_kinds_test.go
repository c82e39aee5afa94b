package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/payout"
)

// financeToken signs in a finance user whose sign-in name is an address.
func (h *harness) financeToken(subject string) string {
	tok, err := auth.HS256{Secret: []byte("test-jwt")}.Issue(subject, []string{"finance"}, "", time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// failStripeLeg settles the batch's Stripe leg as a transfer Stripe
// refuses (no destination): a final failure.
func failStripeLeg(t *testing.T, h *harness, partnerID string, b payout.Batch) {
	t.Helper()
	msg := payout.Message{BatchID: b.ID, ItemID: b.Items[0].ID, PartnerID: partnerID, Leg: payout.LegPayout, Currency: "EUR",
		Amount: b.Items[0].Amount, Method: "stripe"}
	if outcome, err := h.fns["PayoutWorker"].Payouts.Settle(context.Background(), msg); err != nil || outcome != payout.Failed {
		t.Fatalf("settle: %v %v", outcome, err)
	}
}

func TestMailInvitationAndWelcomeInThePartnersLanguage(t *testing.T) {
	h := newHarness(t)
	to := mailbox("olga")
	before := h.itemCount()
	bad := h.do("POST", "/v1/partners", h.tokens["alice"], fmt.Appendf(nil, `{"name":"Olga","email":%q,"tier":"silver","invite":true,"language":"de"}`, to), nil)
	if bad.Status != 422 || bad.errorCode() != "invalid_partner" || bad.Body["error"].(map[string]any)["field"] != "language" || h.itemCount() != before {
		t.Fatalf("unknown language: %d %s (items %d → %d)", bad.Status, bad.Raw, before, h.itemCount())
	}
	p := h.createPartner(fmt.Sprintf(`{"name":"Olga","email":%q,"tier":"silver","invite":true,"language":"ru"}`, to))
	id := p["id"].(string)
	h.deliverMail()
	invite := onlyMail(t, to, "Приглашение в нашу партнёрскую программу")
	wantUnsubscribe(t, invite, false)
	if !strings.Contains(invite.Body.Text, "https://go.partnerloop.example/portal/") || !strings.Contains(invite.Body.HTML, `href="https://go.partnerloop.example/portal/"`) ||
		!strings.Contains(invite.Body.Text, "Здравствуйте, Olga!") || invite.From != "partners@shop.example" {
		t.Fatalf("invitation: %+v", invite)
	}

	for range 3 { // every visit of the portal asks who is signed in
		if res := h.do("GET", "/v1/me", h.partnerToken(id), nil, nil); res.Status != 200 {
			t.Fatalf("me: %d %s", res.Status, res.Raw)
		}
	}
	h.deliverMail()
	welcome := onlyMail(t, to, "Добро пожаловать в партнёрскую программу")
	wantUnsubscribe(t, welcome, false)
	if !strings.Contains(welcome.Body.Text, "https://go.partnerloop.example/r/"+p["referral_code"].(string)) {
		t.Fatalf("welcome without the referral link: %s", welcome.Body.Text)
	}
	if n := len(mailTo(t, to)); n != 2 {
		t.Fatalf("%d e-mails, want the invitation and one welcome", n)
	}

	// Without "invite" nothing is sent.
	quiet := mailbox("quiet")
	h.createPartner(fmt.Sprintf(`{"name":"Q","email":%q,"tier":"silver"}`, quiet))
	h.deliverMail()
	if got := mailTo(t, quiet); len(got) != 0 {
		t.Fatalf("a partner created without invite got %v", got)
	}
}

func TestMailPayoutSentAndBatchWaitingForApproval(t *testing.T) {
	h := newHarness(t)
	to := mailbox("giulia")
	p := h.createPartner(fmt.Sprintf(`{"name":"Giulia","email":%q,"tier":"gold","language":"it"}`, to))
	if res := h.postGeneric("/webhooks/orders", genericOrder("evt_p1", "ord_p1", p["referral_code"].(string), "EUR", 1_000_000)); res.Status != 200 {
		t.Fatalf("order: %d %s", res.Status, res.Raw)
	}
	// anna creates the batch: the other finance address hears of it, not her.
	created := h.do("POST", "/v1/payout-batches", h.financeToken("anna@shop.example"), nil, nil)
	if created.Status != 201 {
		t.Fatalf("batch: %d %s", created.Status, created.Raw)
	}
	batchID := created.Body["id"].(string)
	h.deliverMail()
	waiting := onlyMail(t, "ben@shop.example", "Payout batch "+batchID+" waits for your approval")
	wantUnsubscribe(t, waiting, false)
	if !strings.Contains(waiting.Body.Text, "anna@shop.example created payout batch "+batchID) || !strings.Contains(waiting.Body.Text, "https://go.partnerloop.example/console/") {
		t.Fatalf("waiting: %s", waiting.Body.Text)
	}
	for _, m := range mailTo(t, "anna@shop.example") {
		if strings.Contains(m.Subject, batchID) {
			t.Fatalf("the batch's creator was asked to approve it: %q", m.Subject)
		}
	}

	h.do("POST", "/v1/payout-batches/"+batchID+"/approve", h.tokens["bob"], nil, nil)
	h.drainUntilCompleted(batchID)
	h.deliverMail()
	paid := onlyMail(t, to, "Pagamento inviato: ")
	wantUnsubscribe(t, paid, false)
	// 12% of 10,000.00 in Italian, by the partner's method, with the reference.
	if paid.Subject != "Pagamento inviato: 1.200,00\u00a0€" || !strings.Contains(paid.Body.Text, "tramite bonifico bancario") ||
		!strings.Contains(paid.Body.Text, "Riferimento: ") || !strings.Contains(paid.Body.Text, "https://go.partnerloop.example/portal/#/statement") {
		t.Fatalf("payout e-mail: %+q\n%s", paid.Subject, paid.Body.Text)
	}
}

func TestMailPayoutFailedToFinance(t *testing.T) {
	h := newHarness(t)
	id, b := stripePartnerBatch(t, h)
	h.do("POST", "/v1/payout-batches/"+b.ID+"/approve", h.tokens["bob"], nil, nil)
	failStripeLeg(t, h, id, b)
	h.deliverMail()
	for _, to := range []string{"anna@shop.example", "ben@shop.example"} {
		m := onlyMail(t, to, "Payout failed: €12.00 to partner "+id)
		wantUnsubscribe(t, m, false)
		if !strings.Contains(m.Body.Text, "batch "+b.ID) || !strings.Contains(m.Body.Text, "payable again") {
			t.Fatalf("payout failed: %s", m.Body.Text)
		}
	}
}

func TestMailPreferencesAndOneClickUnsubscribe(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(fmt.Sprintf(`{"name":"P","email":%q,"tier":"silver"}`, mailbox("prefs")))
	other := h.createPartner(fmt.Sprintf(`{"name":"O","email":%q,"tier":"silver"}`, mailbox("other")))
	id, self := p["id"].(string), h.partnerToken(p["id"].(string))
	path := "/v1/partners/" + id + "/notifications"

	got := h.do("GET", path, self, nil, nil)
	if got.Status != 200 || fmt.Sprint(got.Body) != "map[categories:map[announcements:true earnings:true engagement:true transactional:true] language:en]" {
		t.Fatalf("defaults: %d %s", got.Status, got.Raw)
	}
	if res := h.do("GET", path, h.partnerToken(other["id"].(string)), nil, nil); res.Status != 404 {
		t.Fatalf("another partner's preferences: %d", res.Status)
	}
	before := h.itemCount()
	off := h.do("PATCH", path, self, []byte(`{"categories":{"transactional":false,"earnings":false}}`), nil)
	if off.Status != 422 || off.errorCode() != "invalid_preferences" || off.Body["error"].(map[string]any)["field"] != "categories.transactional" || h.itemCount() != before {
		t.Fatalf("switching off transactional: %d %s", off.Status, off.Raw)
	}
	changed := h.do("PATCH", path, h.tokens["alice"], []byte(`{"language":"it","categories":{"engagement":false}}`), nil)
	if changed.Status != 200 || fmt.Sprint(changed.Body) != "map[categories:map[announcements:true earnings:true engagement:false transactional:true] language:it]" {
		t.Fatalf("finance changes them: %d %s", changed.Status, changed.Raw)
	}

	token := h.app.Mail.Signer.Token(id, "earnings")
	page := h.do("GET", "/unsubscribe/"+token, "", nil, nil)
	if page.Status != 200 || !strings.Contains(string(page.Raw), `<form method="post">`) || !strings.Contains(string(page.Raw), "Non ricevere più i riepiloghi dei guadagni?") {
		t.Fatalf("confirmation page: %d %s", page.Status, page.Raw)
	}
	if h.do("GET", path, self, nil, nil).Body["categories"].(map[string]any)["earnings"] != true {
		t.Fatal("a GET of the link unsubscribed (mail scanners follow links)")
	}
	oneClick := h.do("POST", "/unsubscribe/"+token, "", []byte("List-Unsubscribe=One-Click"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if oneClick.Status != 200 || !strings.Contains(string(oneClick.Raw), "non riceverai più i riepiloghi dei guadagni") {
		t.Fatalf("one-click: %d %s", oneClick.Status, oneClick.Raw)
	}
	if cats := h.do("GET", path, self, nil, nil).Body["categories"].(map[string]any); cats["earnings"] != false || cats["engagement"] != false || cats["announcements"] != true {
		t.Fatalf("after unsubscribing: %v", cats)
	}
	forged := strings.Replace(token, id, other["id"].(string), 1)
	if res := h.do("POST", "/unsubscribe/"+forged, "", nil, nil); res.Status != 404 {
		t.Fatalf("a link for another partner: %d %s", res.Status, res.Raw)
	}
	if res := h.do("GET", "/v1/partners/"+other["id"].(string)+"/notifications", h.tokens["alice"], nil, nil); res.Body["categories"].(map[string]any)["earnings"] != true {
		t.Fatal("a forged link unsubscribed another partner")
	}
	if res := h.do("GET", "/v1/partners/pt_missing/notifications", h.tokens["alice"], nil, nil); res.Status != http.StatusNotFound {
		t.Fatalf("unknown partner: %d", res.Status)
	}
}
