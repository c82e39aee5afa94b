package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/partnerloop/partnerloop/internal/devenv"
	"github.com/partnerloop/partnerloop/internal/mail"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/sqsqueue"
)

// budget is what one scenario may cost in billed DynamoDB request units,
// and in requests (round trips) when requests is set.
type budget struct {
	read, write float64
	requests    int
}

// meter bills the harness's DynamoDB requests by AWS's rules.
func (h *harness) meter() *devenv.BillingRecorder {
	rec := devenv.NewBillingRecorder(dynamodb.New(h.env.DB.Options()), h.env.Table)
	h.useDynamoDBOptions(rec.Option)
	return rec
}

// within fails when a scenario's bill, per unit of work, exceeds its
// budget, and logs the figures the README's cost table shows.
func within(t *testing.T, scenario string, bill devenv.Bill, per int, b budget) {
	t.Helper()
	read, write := bill.ReadUnits/float64(per), bill.WriteUnits/float64(per)
	t.Logf("%-26s %5.1f read units %5.1f write units %4.1f requests", scenario, read, write, float64(bill.Requests)/float64(per))
	if read > b.read || write > b.write {
		t.Errorf("%s costs %.1f read and %.1f write units; budget %.1f and %.1f", scenario, read, write, b.read, b.write)
	}
	if b.requests > 0 && bill.Requests > b.requests*per {
		t.Errorf("%s makes %v; budget %d requests", scenario, bill.Calls, b.requests)
	}
}

// TestWhatEachScenarioCosts bills the order path, the redirect, sign-ups
// and the payout jobs, and holds each to a budget: what it costs today, so
// a change that makes one dearer must say so here. The program is the
// default one (a 30-day return window) with points. An attributed order,
// by its code or by earlier evidence, is one read and one transaction
// (at most 3 read and 15 write units, its entry in the day's digest index
// included; TestWhatTheDailyDigestCosts bills the digest's later work). The maturity and batch figures
// carry a fixed fan-out over the shards of the due, partners and
// open-pledge indexes (an empty shard is billed half a unit), here divided
// by only 13 accruals and 4 partners.
func TestWhatEachScenarioCosts(t *testing.T) {
	h := newHarness(t)
	h.addCharity("ch_water")
	// The default program's 30-day return window, with points: an order's
	// accrual is pending (in the due index) and earns points.
	h.putProgram(func(p *program.Program) { withPoints(p); p.HoldDays = program.Default().HoldDays })
	rec := h.meter()
	ctx := context.Background()

	p := h.createPartner(`{"name":"A","email":"a@a.example","tier":"gold","charity":{"charity_id":"ch_water","share_bps":1000}}`)
	code := p["referral_code"].(string)
	// Each function has read the program once (it keeps it 30 seconds):
	// the figures are a warm function's.
	warm := h.createPartner(`{"name":"W","email":"w@w.example"}`)["referral_code"].(string)
	h.postGeneric("/webhooks/orders", bytes.Replace(genericOrder("evt_warm", "ord_warm", warm, "EUR", 10000),
		[]byte(`"id":"c1","email":"a@b.example"`), []byte(`"id":"c-warm","email":"warm@b.example"`), 1))
	h.do("GET", "/r/"+warm, "", nil, nil)
	order := genericOrder("evt_cost", "ord_cost", code, "EUR", 10000)
	rec.Reset()
	if res := h.postGeneric("/webhooks/orders", order); res.Body["status"] != "applied" {
		t.Fatalf("order: %d %s", res.Status, res.Raw)
	}
	within(t, "attributed order", rec.Bill(), 1, budget{read: 3, write: 13, requests: 2})
	attributed := rec.Bill()

	rec.Reset()
	if res := h.postGeneric("/webhooks/orders", order); res.Body["status"] != "duplicate" {
		t.Fatalf("duplicate: %d %s", res.Status, res.Raw)
	}
	within(t, "duplicate delivery", rec.Bill(), 1, budget{read: 2, write: 0, requests: 1})

	rec.Reset()
	refund := []byte(`{"id":"evt_cost_rf","type":"order.refunded","order":{"id":"ord_cost","currency":"EUR","refund":{"id":"rf_1","amount":5000}}}`)
	if res := h.postGeneric("/webhooks/orders", refund); res.Status != 200 {
		t.Fatalf("refund: %d %s", res.Status, res.Raw)
	}
	within(t, "refund", rec.Bill(), 1, budget{read: 1, write: 10, requests: 2})

	rec.Reset()
	if res := h.do("GET", "/r/"+code, "", nil, nil); res.Status != 302 {
		t.Fatalf("click: %d", res.Status)
	}
	within(t, "click", rec.Bill(), 1, budget{read: 1, write: 1, requests: 2})

	rec.Reset()
	lead := fmt.Appendf(nil, `{"id":"lead_cost","type":"referral.signed_up","referral_code":%q,"customer":{"id":"c9","email":"n@b.example"}}`, code)
	if res := h.postGeneric("/webhooks/referrals", lead); res.Status != 200 {
		t.Fatalf("sign-up: %d %s", res.Status, res.Raw)
	}
	within(t, "sign-up", rec.Bill(), 1, budget{read: 1, write: 2, requests: 3})

	// The signed-up customer's first order, without a code: credited by
	// the touch, whose remembered partner the commit checks.
	rec.Reset()
	if res := h.postGeneric("/webhooks/orders", bytes.Replace(genericOrder("evt_touch", "ord_touch", "", "EUR", 10000),
		[]byte(`"id":"c1","email":"a@b.example"`), []byte(`"id":"c9","email":"n@b.example"`), 1)); res.Body["partner_id"] != p["id"] {
		t.Fatalf("order by earlier evidence: %d %s", res.Status, res.Raw)
	}
	within(t, "order by earlier evidence", rec.Bill(), 1, budget{read: 3, write: 15, requests: 2})

	// Every order-path fraud rule on: an order none fires on costs what the
	// attributed order above cost without them.
	h.putProgram(func(p *program.Program) {
		withPoints(p)
		p.HoldDays = program.Default().HoldDays
		p.Fraud.Rules = map[string]program.FraudRule{}
		for _, rule := range []string{program.FraudCustomerIsPartner, program.FraudSameCompanyDomain, program.FraudDisposableEmail,
			program.FraudSameDevice, program.FraudLargeCommission} {
			p.Fraud.Rules[rule] = program.FraudRule{Enabled: true, Amounts: map[money.Currency]int64{"EUR": 100_000}}
		}
	})
	h.postGeneric("/webhooks/orders", bytes.Replace(genericOrder("evt_rules_warm", "ord_rules_warm", warm, "EUR", 10000),
		[]byte(`"id":"c1","email":"a@b.example"`), []byte(`"id":"c-rules-warm","email":"rules-warm@b.example"`), 1))
	rec.Reset()
	if res := h.postGeneric("/webhooks/orders", bytes.Replace(genericOrder("evt_rules", "ord_rules", code, "EUR", 10000),
		[]byte(`"id":"c1","email":"a@b.example"`), []byte(`"id":"c-rules","email":"rules@b.example"`), 1)); res.Body["accrual_status"] != "pending" {
		t.Fatalf("order with rules on: %d %s", res.Status, res.Raw)
	}
	within(t, "order with rules on", rec.Bill(), 1, budget{read: attributed.ReadUnits, write: attributed.WriteUnits, requests: attributed.Requests})
	// An order a rule fires on also reads its partner's open case of the
	// rule (none yet) and writes the new case, the event and the pointer to
	// the case in its transaction, its accrual held out of the balances;
	// asking whether endpoints want fraud.case_opened reads the endpoints,
	// once per 30 seconds.
	rec.Reset()
	if res := h.postGeneric("/webhooks/orders", bytes.Replace(genericOrder("evt_fired", "ord_fired", code, "EUR", 10000),
		[]byte(`"id":"c1","email":"a@b.example"`), []byte(`"id":"c-fired","email":"x@mailinator.com"`), 1)); res.Body["accrual_status"] != "held" {
		t.Fatalf("order a rule fires on: %d %s", res.Status, res.Raw)
	}
	within(t, "order a rule fires on", rec.Bill(), 1, budget{read: attributed.ReadUnits + 1.5, write: attributed.WriteUnits + 6, requests: attributed.Requests + 2})
	// An order naming its partner's click reads the click's counter in its
	// one BatchGetItem and, same_device on, adds its customer to the
	// device's record in its transaction: no read of the record.
	clickID := h.click(code, "", "", "198.51.100.40")
	rec.Reset()
	if res := h.postGeneric("/webhooks/orders", paidAfterClick("ord_click", code, clickID, "click@b.example")); res.Body["accrual_status"] != "pending" {
		t.Fatalf("order naming a click: %d %s", res.Status, res.Raw)
	}
	within(t, "order naming a click", rec.Bill(), 1, budget{read: attributed.ReadUnits + 0.5, write: attributed.WriteUnits + 2, requests: attributed.Requests})

	// Maturity: accruals held 30 days, matured by a run 31 days later;
	// with them those of two more partners, B and C, so that the batch
	// below pays four partners (A, the warm-up partner W, B and C).
	for _, email := range []string{"b@partner-b.example", "c@partner-c.example"} {
		q := h.createPartner(`{"name":"` + strings.ToUpper(email[:1]) + `","email":"` + email + `","charity":{"charity_id":"ch_water","share_bps":1000}}`)
		if res := h.postGeneric("/webhooks/orders", genericOrder("evt_"+email, "ord_"+email, q["referral_code"].(string), "EUR", 50000)); res.Status != 200 {
			t.Fatalf("order: %s", res.Raw)
		}
	}
	const accruals = 5
	for i := range accruals {
		if res := h.postGeneric("/webhooks/orders", genericOrder(fmt.Sprint("evt_m", i), fmt.Sprint("ord_m", i), code, "EUR", 10000)); res.Status != 200 {
			t.Fatalf("order %d: %s", i, res.Raw)
		}
	}
	maturity := h.fns["Maturity"].Ledger
	maturity.Now = func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }
	rec.Reset()
	matured, merr := maturity.MatureDue(ctx)
	if merr != nil || matured < accruals {
		t.Fatalf("matured %d: %v", matured, merr)
	}
	within(t, "maturity per accrual", rec.Bill(), matured, budget{read: 1.5, write: 8})

	// A batch of the four partners, approved, its legs paid and donated.
	rec.Reset()
	created := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
	if created.Status != 201 {
		t.Fatalf("batch: %d %s", created.Status, created.Raw)
	}
	items := len(created.Body["items"].([]any))
	if items != 4 {
		t.Fatalf("the batch pays %d partners, want A, W, B and C: %s", items, created.Raw)
	}
	if res := h.do("POST", "/v1/payout-batches/"+created.Body["id"].(string)+"/approve", h.tokens["bob"], nil, nil); res.Status != 200 {
		t.Fatalf("approve: %d %s", res.Status, res.Raw)
	}
	// The build lock is one put and one delete per batch (2 write units).
	within(t, "batch per partner", rec.Bill(), items, budget{read: 12, write: 11})

	// The workers have read the webhook endpoints (kept 30 seconds too).
	for _, worker := range []string{"PayoutWorker", "DonationWorker"} {
		h.fns[worker].Notify.Wants(ctx, outbox.PayoutPaid)
	}
	rec.Reset()
	legs, err := sqsqueuePoll(h, h.env.PayoutsURL())
	if err != nil || legs != items {
		t.Fatalf("paid %d legs of %d: %v", legs, items, err)
	}
	// A leg's e-mail follows its payout.paid event: the event's row, twice
	// in the leg's transaction, and its outbox index entry (5 write units).
	within(t, "payout leg", rec.Bill(), legs, budget{read: 1, write: 13})

	rec.Reset()
	charities, err := sqsqueuePoll(h, h.env.DonationsURL())
	if err != nil || charities != 1 {
		t.Fatalf("donations to %d charities: %v", charities, err)
	}
	// The charity's receipt (1 write unit) and each of its three donors'
	// legs (15), with the donation.paid event of the donor's e-mail, as for
	// a payout leg.
	within(t, "donation, three donors", rec.Bill(), charities, budget{read: 2, write: 46})
}

// TestWhatTheDailyDigestCosts bills the daily earnings digest, the work an
// order's e-mail leaves for later. An order writes no event for it: its
// accrual enters the day's digest index in the order's own transaction
// (billed with the order above). After the day the maturity job's run
// finds the day's partners in that index and queues one e-mail each; the
// mailer reads the partner's accruals of the day, one read per order.
func TestWhatTheDailyDigestCosts(t *testing.T) {
	h := newHarness(t)
	h.putProgram(func(p *program.Program) { withPoints(p); p.HoldDays = program.Default().HoldDays })
	rec := h.meter()
	ctx := context.Background()

	const many = 11
	one, busy := h.createPartner(fmt.Sprintf(`{"name":"One","email":%q}`, mailbox("one"))), h.createPartner(fmt.Sprintf(`{"name":"Busy","email":%q}`, mailbox("busy")))
	orders := map[string]int{one["id"].(string): 1, busy["id"].(string): many}
	for _, p := range []map[string]any{one, busy} {
		for i := range orders[p["id"].(string)] {
			id := fmt.Sprint(p["id"], "_", i)
			if res := h.postGeneric("/webhooks/orders", genericOrder("evt_"+id, "ord_"+id, p["referral_code"].(string), "EUR", 10000)); res.Body["status"] != "applied" {
				t.Fatalf("order: %d %s", res.Status, res.Raw)
			}
		}
	}
	digests := h.fns["Maturity"].Mail
	if _, err := digests.SendDigests(ctx); err != nil { // the days before: a run a day later is the steady state
		t.Fatal(err)
	}

	h.ahead.Add(int64(25 * time.Hour))
	rec.Reset()
	if n, err := digests.SendDigests(ctx); err != nil || n != len(orders) {
		t.Fatalf("digests queued: %d %v", n, err)
	}
	// A query per shard of the day, the days looked back on read once.
	within(t, "digest run per day", rec.Bill(), 1, budget{read: 12, write: 1})

	bills := map[string]devenv.Bill{}
	for {
		out, err := h.env.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(h.cfg.MailURL), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			var job mail.Job
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &job); err != nil {
				t.Fatal(err)
			}
			rec.Reset()
			ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body)}}}
			if failed := sqsqueue.HandleMailJobs(ctx, h.fns["Mailer"].Mail, ev).BatchItemFailures; len(failed) > 0 {
				t.Fatalf("digest of %s failed", job.PartnerID)
			}
			bills[job.PartnerID] = rec.Bill()
			if _, err := h.env.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(h.cfg.MailURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, p := range []map[string]any{one, busy} {
		if got := len(mailTo(t, p["email"].(string))); got != 1 {
			t.Fatalf("%s received %d digests", p["name"], got)
		}
	}
	// The partner, its preferences, its address's suppression, the day's
	// index entries and its accrual; the claim and the mark of the e-mail.
	single := bills[one["id"].(string)]
	within(t, "digest e-mail, one order", single, 1, budget{read: 4, write: 2, requests: 7})
	whole := bills[busy["id"].(string)]
	further := devenv.Bill{ReadUnits: whole.ReadUnits - single.ReadUnits, WriteUnits: whole.WriteUnits - single.WriteUnits, Requests: whole.Requests - single.Requests}
	within(t, "digest, each further order", further, many-1, budget{read: 0.5, write: 0})

	// A refund on a later day than its order moves the accrual into that
	// day's digest: its index entry is deleted and written again. (The
	// first refund has the function read the program again, a day on.)
	for i, p := range []map[string]any{one, busy} {
		refund := fmt.Appendf(nil, `{"id":"evt_late_rf%d","type":"order.refunded","order":{"id":"ord_%s_0","currency":"EUR","refund":{"id":"rf_late","amount":5000}}}`, i, p["id"])
		rec.Reset()
		if res := h.postGenericNow("/webhooks/orders", refund); res.Status != 200 {
			t.Fatalf("refund: %d %s", res.Status, res.Raw)
		}
	}
	within(t, "refund on a later day", rec.Bill(), 1, budget{read: 1, write: 12, requests: 2})
}

// TestWhatFirstPayoutMinimumCosts bills the count first_payout_minimum
// keeps: after its commit, an attributed order adds its customer to the
// partner's set in one conditional write (no read) while the partner has
// fewer customers than the rule asks; once it has them, the write is
// refused by its condition, which DynamoDB still bills as one write unit.
func TestWhatFirstPayoutMinimumCosts(t *testing.T) {
	h := newHarness(t)
	h.saveProgram(fraudProgram(`{"first_payout_minimum":{"enabled":true,"customers":1}}`, `{}`))
	code := h.createPartner(`{"name":"A","email":"a@a.example"}`)["referral_code"].(string)
	warm := h.createPartner(`{"name":"W","email":"w@w.example"}`)["referral_code"].(string)
	h.postGeneric("/webhooks/orders", paidOrder("warm", warm, "warm@b.example"))
	rec := h.meter()
	bill := func(orderID, email string) devenv.Bill {
		t.Helper()
		rec.Reset()
		if res := h.postGeneric("/webhooks/orders", paidOrder(orderID, code, email)); res.Body["status"] != "applied" {
			t.Fatalf("%s: %d %s", orderID, res.Status, res.Raw)
		}
		return rec.Bill()
	}
	first := bill("first", "first@b.example")
	h.saveProgram(fraudProgram(`{"large_commission":{"enabled":true,"amounts":{"EUR":100000}}}`, `{}`))
	off := bill("off", "off@b.example")
	h.saveProgram(fraudProgram(`{"first_payout_minimum":{"enabled":true,"customers":1}}`, `{}`))
	bill("warm-again", "again@b.example")
	full := bill("full", "full@b.example")
	within(t, "order counting a customer", first, 1, budget{read: off.ReadUnits, write: off.WriteUnits + 1, requests: off.Requests + 1})
	within(t, "order past the minimum", full, 1, budget{read: off.ReadUnits, write: off.WriteUnits + 1, requests: off.Requests + 1})
}
