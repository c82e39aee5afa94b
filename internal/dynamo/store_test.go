package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
	"github.com/partnerloop/partnerloop/internal/dynamo"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/performance"
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/referral"
)

func TestMain(m *testing.M) { os.Exit(devtest.Main(m)) }

type fixture struct {
	store       dynamo.Adapters
	partners    *partner.Service
	refs        *referral.Service
	ledger      *ledger.Service
	performance *performance.Service
	clock       *clock
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func (c *clock) Set(t time.Time)         { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func newFixture(t *testing.T, holdDays int) fixture {
	return newFixtureWith(t, func(p *program.Program) { p.HoldDays = holdDays })
}

func newFixtureWith(t *testing.T, configure func(*program.Program)) fixture {
	env := devtest.New(t)
	store := dynamo.Open(env.DB, env.Table)
	c := &clock{t: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	prog := program.Default()
	configure(&prog)
	refs := &referral.Service{Store: store.Partners, Hasher: referral.EmailHasher{Key: []byte("k")}, Now: c.Now}
	led := &ledger.Service{Store: store.Ledger, Attributor: refs, Programs: program.Static{Program: prog}, Now: c.Now}
	return fixture{store: store, partners: &partner.Service{Store: store.Partners, Charities: store.Charities, Programs: program.Static{Program: prog}, Now: c.Now}, refs: refs, ledger: led,
		performance: &performance.Service{Store: store.Partners, Sales: store.Ledger, Bonuses: led, Programs: program.Static{Program: prog}, Now: c.Now}, clock: c}
}

func (f fixture) partner(t *testing.T, tier string) partner.Partner {
	t.Helper()
	p, err := f.partners.Create(context.Background(), partner.NewPartner{Name: "Acme Tools", Email: "sales@acme.example", Tier: tier})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f fixture) balance(t *testing.T, partnerID string) ledger.Balance {
	t.Helper()
	b, err := f.ledger.Balances(context.Background(), partnerID)
	if err != nil {
		t.Fatal(err)
	}
	return b["EUR"]
}

func paidEvent(id, orderID, code string, amount int64) ledger.Event {
	return ledger.Event{Source: "generic", ID: id, Kind: ledger.OrderPaid, OrderID: orderID, Currency: "EUR",
		Order: &ledger.Order{ReferralCode: code, Lines: []ledger.Line{{SKU: "SKU-1", Quantity: 1, Amount: amount}}, Tax: 100}}
}

func refundEvent(id, orderID, refundID string, amount int64) ledger.Event {
	return ledger.Event{Source: "generic", ID: id, Kind: ledger.OrderRefunded, OrderID: orderID, Currency: "EUR",
		Refund: &ledger.Refund{ID: refundID, Amount: amount, Basis: ledger.RefundNet}}
}

func recordConcurrently(t *testing.T, l *ledger.Service, evts ...ledger.Event) []ledger.Outcome {
	t.Helper()
	out := make([]ledger.Outcome, len(evts))
	errs := make([]error, len(evts))
	var wg sync.WaitGroup
	for i, e := range evts {
		wg.Go(func() { out[i], errs[i] = l.Record(context.Background(), e) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSameDeliveryThreeTimesConcurrentlyAccruesOnce(t *testing.T) {
	f := newFixture(t, 30)
	p := f.partner(t, "gold")
	evt := paidEvent("evt_1", "ord_1", p.ReferralCode, 10000)
	outs := recordConcurrently(t, f.ledger, evt, evt, evt)
	applied := 0
	for _, o := range outs {
		if o.Status == "applied" {
			applied++
		}
	}
	if applied != 1 {
		t.Fatalf("%d deliveries applied, want 1: %+v", applied, outs)
	}
	if got := f.balance(t, p.ID); got != (ledger.Balance{Accrued: 1200, Pending: 1200}) {
		t.Fatalf("balance %+v", got)
	}
	lines, _, err := f.ledger.Statement(context.Background(), p.ID, 50, "")
	if err != nil || len(lines) != 1 || lines[0].Commission != 1200 || lines[0].Via != "referral_code" {
		t.Fatalf("statement %+v %v", lines, err)
	}
}

func TestSameOrderUnderDifferentDeliveryIDsAccruesOnce(t *testing.T) {
	f := newFixture(t, 30)
	p := f.partner(t, "")
	recordConcurrently(t, f.ledger,
		paidEvent("evt_a", "ord_1", p.ReferralCode, 10000), paidEvent("evt_b", "ord_1", p.ReferralCode, 10000),
		paidEvent("evt_c", "ord_1", p.ReferralCode, 10000))
	if got := f.balance(t, p.ID); got != (ledger.Balance{Accrued: 500, Pending: 500}) {
		t.Fatalf("balance %+v", got)
	}
}

func TestConcurrentRefundsAndOutOfOrderDeliveryKeepTheBooks(t *testing.T) {
	f := newFixture(t, 30)
	p := f.partner(t, "silver")
	// A refund arrives before its order; then the order and two more refunds race.
	if out, err := f.ledger.Record(context.Background(), refundEvent("evt_r1", "ord_9", "rf_1", 2500)); err != nil || out.Status != "applied" {
		t.Fatalf("early refund: %+v %v", out, err)
	}
	recordConcurrently(t, f.ledger,
		paidEvent("evt_p", "ord_9", p.ReferralCode, 10000),
		refundEvent("evt_r2", "ord_9", "rf_2", 2500), refundEvent("evt_r2", "ord_9", "rf_2", 2500),
		refundEvent("evt_r3", "ord_9", "rf_3", 1000))
	// 8% of 100.00 = 8.00; 60.00 of 100.00 refunded reverses 4.80.
	if got := f.balance(t, p.ID); got != (ledger.Balance{Accrued: 800, Pending: 320, Reversed: 480}) {
		t.Fatalf("balance %+v", got)
	}
	cancel := ledger.Event{Source: "generic", ID: "evt_c", Kind: ledger.OrderCancelled, OrderID: "ord_9"}
	if _, err := f.ledger.Record(context.Background(), cancel); err != nil {
		t.Fatal(err)
	}
	if got := f.balance(t, p.ID); got != (ledger.Balance{Accrued: 800, Reversed: 800}) {
		t.Fatalf("after cancel %+v", got)
	}
}

func TestUnattributedAndUnknownCodeOrdersAccrueNothing(t *testing.T) {
	f := newFixture(t, 30)
	out, err := f.ledger.Record(context.Background(), paidEvent("evt_u", "ord_u", "NOSUCHCODE", 10000))
	if err != nil || out.PartnerID != "" || out.Commission != 0 {
		t.Fatalf("%+v %v", out, err)
	}
}

func TestCurrencyMismatchIsRejected(t *testing.T) {
	f := newFixture(t, 30)
	p := f.partner(t, "")
	if _, err := f.ledger.Record(context.Background(), paidEvent("e1", "o1", p.ReferralCode, 1000)); err != nil {
		t.Fatal(err)
	}
	rf := refundEvent("e2", "o1", "r1", 500)
	rf.Currency = "USD"
	if _, err := f.ledger.Record(context.Background(), rf); !errors.Is(err, ledger.ErrInvalidEvent) {
		t.Fatalf("got %v", err)
	}
}

func TestAReferredCustomerStaysWithThePartnerAcrossDevices(t *testing.T) {
	f := newFixture(t, 30)
	p := f.partner(t, "gold")
	h := referral.EmailHasher{Key: []byte("k")}
	first := paidEvent("e1", "o1", p.ReferralCode, 10000)
	first.Order.Customer = ledger.Customer{ID: "cust-1", EmailHash: h.Hash("kim@b.example")}
	if _, err := f.ledger.Record(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(10 * 24 * time.Hour)
	// Another device, no cookie, no code: the e-mail finds the earlier referral.
	later := paidEvent("e2", "o2", "", 10000)
	later.Order.Customer = ledger.Customer{EmailHash: h.Hash("KIM@b.example")}
	out, err := f.ledger.Record(context.Background(), later)
	if err != nil || out.PartnerID != p.ID || out.Commission != 1200 {
		t.Fatalf("%+v %v", out, err)
	}
}

// A touch remembers its partner as it was; an order it credits after the
// partner changed (promoted, suspended) fails its check, reads the partner
// afresh and is credited as the partner is now.
func TestAnOrderByEarlierEvidenceSeesThePartnerAsItIsNow(t *testing.T) {
	f := newFixture(t, 30)
	ctx := context.Background()
	p := f.partner(t, "authorized")
	h := referral.EmailHasher{Key: []byte("k")}
	if _, err := f.refs.RecordSignUp(ctx, "lead-1", p.ReferralCode, "", h.Hash("kim@b.example")); err != nil {
		t.Fatal(err)
	}
	gold, suspended := "gold", string(partner.StatusSuspended)
	if _, err := f.partners.Update(ctx, p.ID, partner.Change{Tier: &gold}); err != nil {
		t.Fatal(err)
	}
	order := paidEvent("e1", "o1", "", 10000)
	order.Order.Customer = ledger.Customer{EmailHash: h.Hash("kim@b.example")}
	out, err := f.ledger.Record(ctx, order)
	if err != nil || out.PartnerID != p.ID || out.Commission != 1200 {
		t.Fatalf("credited %+v (%v), want gold's 12%%", out, err)
	}
	if _, err := f.partners.Update(ctx, p.ID, partner.Change{Status: &suspended}); err != nil {
		t.Fatal(err)
	}
	order = paidEvent("e2", "o2", "", 10000)
	order.Order.Customer = ledger.Customer{EmailHash: h.Hash("kim@b.example")}
	if out, err := f.ledger.Record(ctx, order); err != nil || out.Accrual != ledger.AccrualHeld {
		t.Fatalf("a suspended partner's order by earlier evidence: %+v (%v), want held", out, err)
	}
}

func TestMaturityMovesPendingToPayableOnce(t *testing.T) {
	f := newFixture(t, 14)
	p := f.partner(t, "")
	for i := range 3 {
		if _, err := f.ledger.Record(context.Background(), paidEvent(fmt.Sprint("e", i), fmt.Sprint("o", i), p.ReferralCode, 10000)); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(24 * time.Hour)
	}
	f.clock.Advance(12 * 24 * time.Hour) // the first two orders are past 14 days
	var wg sync.WaitGroup
	for range 2 { // two overlapping runs must not double-move
		wg.Go(func() {
			if _, err := f.ledger.MatureDue(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := f.balance(t, p.ID); got != (ledger.Balance{Accrued: 1500, Pending: 500, Payable: 1000}) {
		t.Fatalf("balance %+v", got)
	}
}

func TestReferralCodesAreUniqueAndResolve(t *testing.T) {
	f := newFixture(t, 30)
	p := f.partner(t, "")
	err := f.store.Partners.CreatePartner(context.Background(), partner.Partner{ID: "pt_other", ReferralCode: p.ReferralCode, Status: partner.StatusActive})
	if !errors.Is(err, partner.ErrCodeTaken) {
		t.Fatalf("duplicate code: %v", err)
	}
	got, _, err := f.refs.Click(context.Background(), " "+p.ReferralCode, referral.Visit{Source: "src"}, 100)
	if err != nil || got.ID != p.ID {
		t.Fatalf("click %+v %v", got, err)
	}
	if _, _, err := f.refs.Click(context.Background(), "../../evil", referral.Visit{Source: "src"}, 100); !errors.Is(err, partner.ErrNotFound) {
		t.Fatalf("malformed code: %v", err)
	}
}

func TestProgramVersionsAreAppendOnlyAndRaceSafe(t *testing.T) {
	f := newFixture(t, 30)
	reg := &program.Registry{Store: f.store.Programs, Default: program.Default(), Now: f.clock.Now}
	v0, err := reg.Current(context.Background())
	if err != nil || v0.Version != 0 || v0.Program.LandingURL != program.Default().LandingURL {
		t.Fatalf("default: %+v %v", v0, err)
	}
	p := program.Default()
	p.HoldDays = 14
	v1, err := reg.Update(context.Background(), p, "alice", nil)
	if err != nil || v1.Version != 1 {
		t.Fatalf("first save: %+v %v", v1, err)
	}
	// Two editors save on top of version 1 at once: one wins, one is told to reload.
	p.HoldDays = 7
	err = f.store.Programs.PutVersion(context.Background(), program.Versioned{Version: 2, UpdatedBy: "bob", Program: p})
	if err != nil {
		t.Fatal(err)
	}
	err = f.store.Programs.PutVersion(context.Background(), program.Versioned{Version: 2, UpdatedBy: "carol", Program: p})
	if !errors.Is(err, program.ErrVersionConflict) {
		t.Fatalf("second save of v2: %v", err)
	}
	cur, found, err := f.store.Programs.CurrentProgram(context.Background())
	if err != nil || !found || cur.Version != 2 || cur.UpdatedBy != "bob" || cur.Program.HoldDays != 7 {
		t.Fatalf("current %+v %v %v", cur, found, err)
	}
}

func TestSuspectOrdersAreHeldUntilReleased(t *testing.T) {
	f := newFixture(t, 0)
	h := referral.EmailHasher{Key: []byte("k")}
	ctx := context.Background()
	self, suspended, honest := f.partner(t, ""), f.partner(t, ""), f.partner(t, "")
	if _, err := f.partners.Update(ctx, suspended.ID, partner.Change{Status: ptr("suspended")}); err != nil {
		t.Fatal(err)
	}

	selfOrder := paidEvent("e1", "o1", self.ReferralCode, 10000)
	selfOrder.Order.Customer.EmailHash = h.Hash(self.Email) // the partner buys through its own link
	cases := []struct {
		evt    ledger.Event
		reason string
	}{
		{selfOrder, ledger.HoldSelfReferral},
		{paidEvent("e2", "o2", suspended.ReferralCode, 10000), ledger.HoldPartnerSuspended},
	}
	// One purchase reported by two sources: the second report is held.
	first := paidEvent("e3", "o3", honest.ReferralCode, 10000)
	first.Order.Customer.EmailHash = h.Hash("kim@b.example")
	second := first
	second.Source, second.ID, second.OrderID = "stripe", "evt_s", "pi_3"
	cases = append(cases, struct {
		evt    ledger.Event
		reason string
	}{second, ledger.HoldDuplicateAcross})
	if out, err := f.ledger.Record(ctx, first); err != nil || out.Accrual != ledger.AccrualPayable {
		t.Fatalf("first report: %+v %v", out, err)
	}
	for _, c := range cases {
		out, err := f.ledger.Record(ctx, c.evt)
		if err != nil || out.Accrual != ledger.AccrualHeld {
			t.Fatalf("%s: %+v %v", c.reason, out, err)
		}
	}
	held, err := f.ledger.Held(ctx)
	if err != nil || len(held) != 3 {
		t.Fatalf("held %+v %v", held, err)
	}
	reasons := map[string]string{}
	for _, h := range held {
		reasons[h.OrderID] = h.HoldReason
	}
	if reasons["o1"] != ledger.HoldSelfReferral || reasons["o2"] != ledger.HoldPartnerSuspended || reasons["pi_3"] != ledger.HoldDuplicateAcross {
		t.Fatalf("reasons %v", reasons)
	}
	if b := f.balance(t, self.ID); !(b == ledger.Balance{}) {
		t.Fatalf("held accrual reached the balance: %+v", b)
	}
	if _, err := f.ledger.Record(ctx, refundEvent("e4", "o1", "rf", 5000)); err != nil {
		t.Fatal(err)
	}
	rel, err := f.ledger.Release(ctx, "generic", "o1")
	if err != nil || rel.Status != ledger.AccrualPayable {
		t.Fatalf("release %+v %v", rel, err)
	}
	if b := f.balance(t, self.ID); b != (ledger.Balance{Accrued: 500, Payable: 250, Reversed: 250}) {
		t.Fatalf("after release %+v", b)
	}
	if _, err := f.ledger.Release(ctx, "generic", "o1"); !errors.Is(err, ledger.ErrNotHeld) {
		t.Fatalf("second release: %v", err)
	}
	if held, _ := f.ledger.Held(ctx); len(held) != 2 {
		t.Fatalf("still held: %d", len(held))
	}
}

func TestTwoSourcesRacingForOnePurchaseAccrueOnce(t *testing.T) {
	f := newFixture(t, 0)
	p := f.partner(t, "")
	h := referral.EmailHasher{Key: []byte("k")}
	a := paidEvent("e1", "o1", p.ReferralCode, 10000)
	a.Order.Customer.EmailHash = h.Hash("lee@b.example")
	b := a
	b.Source, b.ID, b.OrderID = "shopify", "wh-1", "9001"
	recordConcurrently(t, f.ledger, a, b)
	if got := f.balance(t, p.ID); got != (ledger.Balance{Accrued: 500, Payable: 500}) {
		t.Fatalf("balance %+v", got)
	}
	if held, err := f.ledger.Held(context.Background()); err != nil || len(held) != 1 {
		t.Fatalf("held %v %v", held, err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestSubscriptionInvoicesEarnForTheRecurringPeriod(t *testing.T) {
	for _, tc := range []struct {
		name      string
		recurring program.Recurring
		earns     []bool // invoices at start, +20 days, +40 days, +400 days
	}{
		{"first invoice only", program.Recurring{Months: 0}, []bool{true, false, false, false}},
		{"one month", program.Recurring{Months: 1}, []bool{true, true, false, false}},
		{"forever", program.Recurring{Forever: true}, []bool{true, true, true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureWith(t, func(p *program.Program) { p.Recurring = tc.recurring })
			p := f.partner(t, "silver")
			cust := ledger.Customer{ID: "cus_1"}
			if _, err := f.refs.RecordSubscription(context.Background(), "sub_1", p.ReferralCode, cust, time.Time{}); err != nil {
				t.Fatal(err)
			}
			start := f.clock.Now()
			for i, offset := range []int{0, 20, 40, 400} {
				f.clock.Set(start.AddDate(0, 0, offset))
				evt := paidEvent(fmt.Sprint("evt_in", i), fmt.Sprint("in_", i), "", 5000)
				evt.Source, evt.Order.Subscription, evt.Order.Customer = "stripe", "sub_1", cust
				out, err := f.ledger.Record(context.Background(), evt)
				if err != nil || (out.PartnerID == p.ID) != tc.earns[i] {
					t.Fatalf("invoice %d (+%d days): %+v %v, want earns=%v", i, offset, out, err, tc.earns[i])
				}
				if tc.earns[i] && (out.Commission != 400) {
					t.Fatalf("invoice %d commission %d", i, out.Commission)
				}
			}
		})
	}
}

// TestTierAndBonusesReachTheLedger checks the performance job against the
// ledger and the table (its rules are tested in internal/performance): a
// goal bonus is booked into the balance once, and a promotion sets the rate
// of the next order.
func TestTierAndBonusesReachTheLedger(t *testing.T) {
	f := newFixtureWith(t, func(p *program.Program) {
		p.HoldDays = 0
		p.TierRules = &program.TierRules{Period: "month", Thresholds: map[program.Tier]program.Threshold{
			program.TierSilver: {Revenue: map[money.Currency]int64{"EUR": 20000}}}}
		p.Goals = []program.Goal{{ID: "tools", Period: "month", Measure: "revenue", Category: "tools", Currency: "EUR",
			Levels: []program.GoalLevel{{Threshold: 10000, BonusFlat: 500}}}}
	})
	ctx := context.Background()
	p := f.partner(t, "")
	f.clock.Set(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	order := func(id string, amount int64) ledger.Outcome {
		t.Helper()
		evt := paidEvent(id, id, p.ReferralCode, amount)
		evt.Order.Lines[0].Category = "tools"
		out, err := f.ledger.Record(ctx, evt)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	order("o1", 25000)
	for range 2 {
		if _, err := f.performance.Run(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// 5% of 250.00, and the 5.00 bonus once.
	if b := f.balance(t, p.ID); b.Payable != 1250+500 {
		t.Fatalf("November balance %+v", b)
	}
	f.clock.Set(time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC))
	if rep, err := f.performance.Run(ctx); err != nil || rep.Promoted != 1 {
		t.Fatalf("December: %+v %v", rep, err)
	}
	if out := order("o2", 10000); out.Commission != 800 {
		t.Fatalf("a December order earns the new tier's rate: %+v", out)
	}
}
