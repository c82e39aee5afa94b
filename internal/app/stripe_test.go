package app_test

import (
	"context"
	"io"
	"testing"

	"github.com/partnerloop/partnerloop/internal/devenv"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/stripepay"
)

func stripePartnerBatch(t *testing.T, h *harness) (partnerID string, b payout.Batch) {
	t.Helper()
	p := h.createPartner(`{"name":"A","email":"a@a.example","tier":"gold","payout":{"method":"stripe","stripe_account":"acct_1Qx"}}`)
	h.postGeneric("/webhooks/orders", genericOrder("evt_1", "ord_1", p["referral_code"].(string), "EUR", 10000))
	created := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
	if created.Status != 201 {
		t.Fatalf("batch: %d %s", created.Status, created.Raw)
	}
	b, err := h.app.Payouts.Get(context.Background(), created.Body["id"].(string))
	if err != nil || len(b.Items) != 1 || b.Items[0].Method != "stripe" || b.Items[0].Destination != "acct_1Qx" {
		t.Fatalf("batch %+v %v", b, err)
	}
	return p["id"].(string), b
}

func TestStripeConnectPayoutsThroughStripeMock(t *testing.T) {
	h := newHarness(t)
	id, b := stripePartnerBatch(t, h)
	h.do("POST", "/v1/payout-batches/"+b.ID+"/approve", h.tokens["bob"], nil, nil)
	h.drainUntilCompleted(b.ID)
	if bal := h.balances(id); balance(bal, "EUR", "paid") != 1200 || balance(bal, "EUR", "in_payout") != 0 {
		t.Fatalf("balances %v", bal)
	}
}

func TestStripeOutageIsRetriedAndPaysOnce(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	mock, err := devenv.StartStripeMock(ctx, io.Discard, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mock.Stop() })
	h.app.Payouts.Methods["stripe"] = stripepay.New("sk_test_partnerloop", mock.Endpoint)
	id, b := stripePartnerBatch(t, h)
	msg := payout.Message{BatchID: b.ID, ItemID: b.Items[0].ID, PartnerID: id, Leg: payout.LegPayout, Currency: "EUR",
		Amount: b.Items[0].Amount, Method: "stripe", Destination: "acct_1Qx"}

	mock.Stop()
	if _, err := h.app.Payouts.Settle(ctx, msg); err == nil {
		t.Fatal("a payout with Stripe unreachable was acknowledged")
	}
	if bal := h.balances(id); balance(bal, "EUR", "in_payout") != 1200 || balance(bal, "EUR", "paid") != 0 {
		t.Fatalf("after the outage: %v", bal)
	}
	restarted, err := devenv.StartStripeMock(ctx, io.Discard, mock.Port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { restarted.Stop() })
	for range 2 { // the retry pays; a later redelivery does not pay again
		if _, err := h.app.Payouts.Settle(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	if bal := h.balances(id); balance(bal, "EUR", "paid") != 1200 || balance(bal, "EUR", "in_payout") != 0 {
		t.Fatalf("after recovery: %v", bal)
	}
}

func TestFinalStripeErrorReturnsTheAmountToPayable(t *testing.T) {
	h := newHarness(t)
	id, b := stripePartnerBatch(t, h)
	// Stripe rejects a transfer without a destination as an invalid request:
	// no retry can fix that.
	msg := payout.Message{BatchID: b.ID, ItemID: b.Items[0].ID, PartnerID: id, Leg: payout.LegPayout, Currency: "EUR",
		Amount: b.Items[0].Amount, Method: "stripe"}
	h.do("POST", "/v1/payout-batches/"+b.ID+"/approve", h.tokens["bob"], nil, nil)
	if _, err := h.app.Payouts.Settle(context.Background(), msg); err != nil {
		t.Fatalf("a final failure must be acknowledged, not retried: %v", err)
	}
	// The queued message for the same leg arrives afterwards and changes nothing.
	for range 3 {
		for _, url := range []string{h.env.PayoutsURL(), h.env.DonationsURL()} {
			if _, err := sqsqueuePoll(h, url); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := h.do("GET", "/v1/payout-batches/"+b.ID, h.tokens["alice"], nil, nil)
	item := got.Body["items"].([]any)[0].(map[string]any)
	if got.Body["status"] != "completed_with_failures" || item["status"] != "failed" || item["reason"] == "" {
		t.Fatalf("batch after a final failure: %s", got.Raw)
	}
	if bal := h.balances(id); balance(bal, "EUR", "payable") != 1200 || balance(bal, "EUR", "in_payout") != 0 || balance(bal, "EUR", "paid") != 0 {
		t.Fatalf("balances %v", bal)
	}
	audit := h.do("GET", "/v1/payout-batches/"+b.ID+"/audit", h.tokens["alice"], nil, nil)
	entries := audit.Body["entries"].([]any)
	if last := entries[len(entries)-1].(map[string]any); last["action"] != "failed" {
		t.Fatalf("audit %s", audit.Raw)
	}
}
