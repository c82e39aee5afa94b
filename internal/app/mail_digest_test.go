package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/mail"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/webhook"
)

func TestMailDailyDigestFoldsTheDaysOrdersAndRefundsIntoOneEmail(t *testing.T) {
	h := newHarness(t)
	to := mailbox("dora")
	p := h.createPartner(fmt.Sprintf(`{"name":"Dora","email":%q,"tier":"gold"}`, to))
	code := p["referral_code"].(string)
	for _, d := range [][]byte{
		genericOrder("evt_d1", "ord_d1", code, "EUR", 10000),
		genericOrder("evt_d2", "ord_d2", code, "EUR", 20000),
		[]byte(`{"id":"evt_d3","type":"order.refunded","order":{"id":"ord_d1","currency":"EUR","refund":{"id":"rf_d1","amount":10000}}}`),
	} {
		if res := h.postGeneric("/webhooks/orders", d); res.Status != 200 {
			t.Fatalf("order: %d %s", res.Status, res.Raw)
		}
	}
	day := time.Now().UTC()
	h.deliverMail()
	h.deliverMail() // the dispatcher forwarding again adds nothing
	if got := mailTo(t, to); len(got) != 0 {
		t.Fatalf("commission mailed per order: %v", got)
	}
	if n, err := h.fns["Maturity"].Mail.SendDigests(context.Background()); err != nil || n != 0 {
		t.Fatalf("a digest of a day not over: %d %v", n, err)
	}

	h.ahead.Add(int64(25 * time.Hour))
	if n, err := h.fns["Maturity"].Mail.SendDigests(context.Background()); err != nil || n != 1 {
		t.Fatalf("digests queued: %d %v", n, err)
	}
	if n, err := h.fns["Maturity"].Mail.SendDigests(context.Background()); err != nil || n != 0 {
		t.Fatalf("queued again: %d %v", n, err)
	}
	h.deliverMail()
	// 12% of 100.00 and of 200.00, the first taken back: 24.00.
	digest := onlyMail(t, to, "Your earnings on "+mail.LocaleOf("en").Date(day)+": €24.00")
	wantUnsubscribe(t, digest, true)
	for _, line := range []string{"Order ord_d1  €12.00", "Order ord_d2  €24.00", "Refunded order ord_d1  -€12.00", "Total  €24.00",
		"https://go.partnerloop.example/portal/#/statement"} {
		if !strings.Contains(digest.Body.Text, line) {
			t.Errorf("digest lacks %q:\n%s", line, digest.Body.Text)
		}
	}
	if len(mailTo(t, to)) != 1 {
		t.Fatalf("more than one digest: %v", mailTo(t, to))
	}

	// The one-click link of the e-mail switches the digests off.
	link := strings.Trim(digest.header("List-Unsubscribe"), "<>")
	path := strings.TrimPrefix(link, "https://go.partnerloop.example")
	if res := h.do("POST", path, "", []byte("List-Unsubscribe=One-Click"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); res.Status != 200 {
		t.Fatalf("one-click unsubscribe: %d %s", res.Status, res.Raw)
	}
	if res := h.postGenericNow("/webhooks/orders", genericOrder("evt_d4", "ord_d4", code, "EUR", 10000)); res.Body["status"] != "applied" {
		t.Fatalf("the next day's order: %d %s", res.Status, res.Raw)
	}
	h.deliverMail()
	h.ahead.Add(int64(25 * time.Hour))
	if _, err := h.fns["Maturity"].Mail.SendDigests(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.deliverMail()
	if len(mailTo(t, to)) != 1 {
		t.Fatalf("a digest after unsubscribing: %v", mailTo(t, to))
	}
}

func TestMailDigestTellsOfARefundOnTheDayItCame(t *testing.T) {
	h := newHarness(t)
	to := mailbox("rita")
	p := h.createPartner(fmt.Sprintf(`{"name":"Rita","email":%q,"tier":"gold","language":"it"}`, to))
	if res := h.postGeneric("/webhooks/orders", genericOrder("evt_r1", "ord_r1", p["referral_code"].(string), "EUR", 10000)); res.Body["status"] != "applied" {
		t.Fatalf("order: %d %s", res.Status, res.Raw)
	}
	sendDigests := func() {
		t.Helper()
		if _, err := h.fns["Maturity"].Mail.SendDigests(context.Background()); err != nil {
			t.Fatal(err)
		}
		h.deliverMail()
	}
	day := time.Now().UTC()
	h.ahead.Add(int64(25 * time.Hour))
	sendDigests()
	onlyMail(t, to, "I tuoi guadagni del "+mail.LocaleOf("it").Date(day)+": 12,00\u00a0€")

	// Half the order comes back the next day: that day's digest takes back
	// half the commission and lists no order again.
	refund := []byte(`{"id":"evt_r2","type":"order.refunded","order":{"id":"ord_r1","currency":"EUR","refund":{"id":"rf_r1","amount":5000}}}`)
	if res := h.postGenericNow("/webhooks/orders", refund); res.Status != 200 {
		t.Fatalf("refund: %d %s", res.Status, res.Raw)
	}
	h.ahead.Add(int64(24 * time.Hour))
	sendDigests()
	next := onlyMail(t, to, "I tuoi guadagni del "+mail.LocaleOf("it").Date(day.Add(25*time.Hour))+": -6,00\u00a0€")
	if !strings.Contains(next.Body.Text, "Ordine rimborsato ord_r1") || strings.Contains(next.Body.Text, "Ordine ord_r1") {
		t.Fatalf("the refund's digest:\n%s", next.Body.Text)
	}
	if got := len(mailTo(t, to)); got != 2 {
		t.Fatalf("%d digests, want 2", got)
	}
}

// postGenericNow posts a generic webhook signed at the services' clock,
// which tests move ahead.
func (h *harness) postGenericNow(path string, body []byte) response {
	return h.do("POST", path, "", body, map[string]string{
		"Partnerloop-Signature": webhook.SignTimestamped(body, []byte(secrets.Generic), h.cfg.Now())})
}

func TestMailTierBadgeAndRedemptionAreEngagementMail(t *testing.T) {
	h := newHarness(t)
	h.putProgram(func(p *program.Program) {
		withPoints(p)
		p.Badges = []program.Badge{{ID: "first-sale", Name: "First sale", Rule: program.BadgeRule{FirstSale: true}}}
		// Nobody keeps gold: the partners drop to authorized.
		p.TierRules = &program.TierRules{RollingMonths: 1, Thresholds: map[program.Tier]program.Threshold{
			"gold": {Revenue: map[money.Currency]int64{"EUR": 1_000_000_000}}}}
	})
	to, quiet := mailbox("ivan"), mailbox("quiet")
	p := h.createPartner(fmt.Sprintf(`{"name":"Ivan","email":%q,"tier":"gold","language":"ru"}`, to))
	q := h.createPartner(fmt.Sprintf(`{"name":"Q","email":%q,"tier":"gold"}`, quiet))
	if res := h.do("PATCH", "/v1/partners/"+q["id"].(string)+"/notifications", h.partnerToken(q["id"].(string)), []byte(`{"categories":{"engagement":false}}`), nil); res.Status != 200 {
		t.Fatalf("opt out: %d %s", res.Status, res.Raw)
	}
	for i, partner := range []map[string]any{p, q} {
		h.postGeneric("/webhooks/orders", genericOrder(fmt.Sprint("evt_e", i), fmt.Sprint("ord_e", i), partner["referral_code"].(string), "EUR", 200000))
	}
	h.runPerformance()
	if res := h.do("POST", "/v1/rewards", h.tokens["alice"], []byte(`{"id":"mug","name":"Mug","description":"A mug","points_cost":100,"stock":7,"kind":"item"}`), nil); res.Status != 201 {
		t.Fatalf("reward: %d %s", res.Status, res.Raw)
	}
	for _, partner := range []map[string]any{p, q} {
		red := h.do("POST", "/v1/redemptions", h.partnerToken(partner["id"].(string)), []byte(`{"reward_id":"mug","quantity":2}`), nil)
		if red.Status != 201 {
			t.Fatalf("redeem: %d %s", red.Status, red.Raw)
		}
		if res := h.do("POST", "/v1/redemptions/"+red.Body["id"].(string)+"/fulfil", h.tokens["alice"], []byte(`{"reference":"DHL 123"}`), nil); res.Status != 200 {
			t.Fatalf("fulfil: %d %s", res.Status, res.Raw)
		}
	}
	h.deliverMail()
	tier := onlyMail(t, to, "Ваш уровень теперь Авторизованный")
	badge := onlyMail(t, to, "Вы получили значок: First sale")
	reward := onlyMail(t, to, "Ваша награда в пути: Mug")
	for _, m := range []sentMail{tier, badge, reward} {
		wantUnsubscribe(t, m, true)
	}
	if !strings.Contains(tier.Body.Text, "Золотой → Авторизованный") || !strings.Contains(reward.Body.Text, "2 × Mug") || !strings.Contains(reward.Body.Text, "DHL 123") ||
		!strings.Contains(badge.Body.HTML, `href="https://go.partnerloop.example/portal/#/rewards"`) {
		t.Fatalf("engagement e-mails:\n%s\n%s\n%s", tier.Body.Text, reward.Body.Text, badge.Body.HTML)
	}
	if got := mailTo(t, quiet); len(got) != 0 {
		t.Fatalf("a partner who switched engagement off got %d e-mails", len(got))
	}
}

func TestMailDonationMadeOnThePartnersBehalf(t *testing.T) {
	h := newHarness(t)
	h.addCharity("ch_water")
	to := mailbox("hans")
	p := h.createPartner(fmt.Sprintf(`{"name":"Hans","email":%q,"tier":"gold","charity":{"charity_id":"ch_water","share_bps":2500}}`, to))
	h.postGeneric("/webhooks/orders", genericOrder("evt_g1", "ord_g1", p["referral_code"].(string), "EUR", 100000))
	created := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
	h.do("POST", "/v1/payout-batches/"+created.Body["id"].(string)+"/approve", h.tokens["bob"], nil, nil)
	h.drainUntilCompleted(created.Body["id"].(string))
	h.deliverMail()
	// A quarter of the 120.00 commission goes to the charity.
	gift := onlyMail(t, to, "A donation in your name: €30.00")
	wantUnsubscribe(t, gift, false)
	if !strings.Contains(gift.Body.Text, "to Clean Water e.V. on your behalf") {
		t.Fatalf("donation: %s", gift.Body.Text)
	}
	onlyMail(t, to, "Payout sent: €90.00")
}

// sesNotification is an SNS delivery of an SES event, as the mailer receives it.
func sesNotification(t *testing.T, message map[string]any) json.RawMessage {
	t.Helper()
	msg, _ := json.Marshal(message)
	raw, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:partnerloop-mail-feedback:1",
		"Sns": map[string]any{"Type": "Notification", "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e", "TopicArn": "arn:aws:sns:us-east-1:123456789012:partnerloop-mail-feedback",
			"Subject": "Amazon SES Email Event Notification", "Message": string(msg), "Timestamp": "2026-03-05T10:00:00.000Z", "SignatureVersion": "1"}}}})
	return raw
}

func TestMailBouncesAndComplaintsSuppressTheAddress(t *testing.T) {
	h := newHarness(t)
	bounced, complained, soft := mailbox("bounced"), mailbox("complained"), mailbox("soft")
	mailMeta := map[string]any{"timestamp": "2026-03-05T09:59:58.000Z", "source": "partners@shop.example", "messageId": "0100018e-1"}
	for _, ev := range []map[string]any{
		{"eventType": "Bounce", "mail": mailMeta, "bounce": map[string]any{"bounceType": "Permanent", "bounceSubType": "General",
			"bouncedRecipients": []any{map[string]any{"emailAddress": bounced, "action": "failed", "status": "5.1.1"}}, "timestamp": "2026-03-05T10:00:00.000Z"}},
		{"eventType": "Complaint", "mail": mailMeta, "complaint": map[string]any{"complaintFeedbackType": "abuse",
			"complainedRecipients": []any{map[string]any{"emailAddress": strings.ToUpper(complained)}}, "timestamp": "2026-03-05T10:00:00.000Z"}},
		{"eventType": "Bounce", "mail": mailMeta, "bounce": map[string]any{"bounceType": "Transient", "bounceSubType": "MailboxFull",
			"bouncedRecipients": []any{map[string]any{"emailAddress": soft}}, "timestamp": "2026-03-05T10:00:00.000Z"}},
		{"eventType": "Delivery", "mail": mailMeta, "delivery": map[string]any{"recipients": []any{soft}}},
	} {
		if _, err := h.fns["Mailer"].HandleMailerEvent(context.Background(), sesNotification(t, ev)); err != nil {
			t.Fatal(err)
		}
	}
	for _, to := range []string{bounced, complained, soft} {
		h.createPartner(fmt.Sprintf(`{"name":"P","email":%q,"tier":"silver","invite":true}`, to))
	}
	h.deliverMail()
	if len(mailTo(t, bounced)) != 0 || len(mailTo(t, complained)) != 0 {
		t.Fatal("mail sent to a suppressed address")
	}
	onlyMail(t, soft, "You are invited") // a full mailbox is not suppressed
}
