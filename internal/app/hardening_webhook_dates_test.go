package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/webhook"
)

func (h *harness) postStripe(body []byte) response {
	h.t.Helper()
	return h.do("POST", "/webhooks/stripe", "", body, map[string]string{
		"Stripe-Signature": webhook.SignTimestamped(body, []byte(secrets.Stripe), time.Now())})
}

func stripeSubscriptionCheckout(code string, created time.Time) []byte {
	return fmt.Appendf(nil, `{"id":"evt_sub_checkout","object":"event","type":"checkout.session.completed","created":%d,
		"data":{"object":{"id":"cs_sub","object":"checkout.session","mode":"subscription","payment_status":"paid","subscription":"sub_late",
		"currency":"eur","amount_total":5000,"client_reference_id":%q,"customer":"cus_late"}}}`, created.Unix(), code)
}

func stripeInvoice(id string, paidAt time.Time) []byte {
	return fmt.Appendf(nil, `{"id":"evt_%s","object":"event","type":"invoice.paid","created":%d,
		"data":{"object":{"id":%q,"object":"invoice","created":%d,"customer":"cus_late","subscription":"sub_late",
		"currency":"eur","amount_paid":5000,"status_transitions":{"paid_at":%d}}}}`,
		id, time.Now().Unix(), id, paidAt.Add(-time.Hour).Unix(), paidAt.Unix())
}

// A delivery that arrives late (Stripe retried it, or the endpoint was
// down) earns what it would have earned on time: the invoice is dated by
// Stripe's paid_at, its hold counts from then, and recurring months count
// from the checkout's own time to the invoice's.
func TestLateStripeInvoicesAreDatedByWhenTheyWerePaid(t *testing.T) {
	h := newHarness(t)
	h.putProgram(func(p *program.Program) { p.HoldDays = 30; p.Recurring = program.Recurring{Months: 1} })
	p := h.createPartner(`{"name":"A","email":"a@a.example","tier":"silver"}`)
	id := p["id"].(string)
	now := time.Now().UTC().Truncate(time.Second)
	statementLine := func(orderID string) map[string]any {
		st := h.do("GET", "/v1/partners/"+id+"/statement", h.tokens["alice"], nil, nil)
		lines, _ := st.Body["lines"].([]any)
		for _, l := range lines {
			if line := l.(map[string]any); line["order_id"] == orderID {
				return line
			}
		}
		t.Fatalf("no statement line for %s: %s", orderID, st.Raw)
		return nil
	}
	checkout := now.AddDate(0, 0, -45)
	if res := h.postStripe(stripeSubscriptionCheckout(p["referral_code"].(string), checkout)); res.Status != 200 || res.Body["status"] != "recorded" {
		t.Fatalf("checkout: %d %s", res.Status, res.Raw)
	}
	for _, inv := range []struct {
		id      string
		paidAt  time.Time
		earns   bool
		status  string
		payable time.Time
	}{
		// The first invoice, 45 days late: its 30-day hold is over.
		{"in_first", checkout.Add(time.Hour), true, "payable", checkout.Add(time.Hour).AddDate(0, 0, 30)},
		// Twenty days into the month: earns, and is held 30 days from then.
		{"in_day20", checkout.AddDate(0, 0, 20), true, "pending", checkout.AddDate(0, 0, 50)},
		// Forty days after checkout: past recurring.months, however late it arrives.
		{"in_day40", checkout.AddDate(0, 0, 40), false, "", time.Time{}},
	} {
		res := h.postStripe(stripeInvoice(inv.id, inv.paidAt))
		if res.Status != 200 || (res.Body["partner_id"] == id) != inv.earns {
			t.Fatalf("%s: earns %v, got %d %s", inv.id, inv.earns, res.Status, res.Raw)
		}
		if !inv.earns {
			continue
		}
		line := statementLine(inv.id)
		payable, _ := time.Parse(time.RFC3339Nano, line["payable_at"].(string))
		if line["status"] != inv.status || payable.Sub(inv.payable).Abs() > time.Minute {
			t.Errorf("%s: status %v payable_at %v, want %s at %v", inv.id, line["status"], payable, inv.status, inv.payable)
		}
	}
	// A time in the future is not believed: the order is dated on receipt.
	future := fmt.Appendf(nil, `{"id":"evt_future","object":"event","type":"checkout.session.completed","created":%d,
		"data":{"object":{"id":"cs_future","object":"checkout.session","mode":"payment","payment_status":"paid","payment_intent":"pi_future",
		"currency":"eur","amount_total":5000,"client_reference_id":%q,"customer":"cus_future"}}}`, now.AddDate(0, 0, 2).Unix(), p["referral_code"])
	if res := h.postStripe(future); res.Status != 200 || res.Body["partner_id"] != id {
		t.Fatalf("future-dated checkout: %d %s", res.Status, res.Raw)
	}
	line := statementLine("pi_future")
	if payable, _ := time.Parse(time.RFC3339Nano, line["payable_at"].(string)); line["status"] != "pending" || payable.Sub(now.AddDate(0, 0, 30)).Abs() > time.Minute {
		t.Errorf("future-dated checkout: %v", line)
	}
}
