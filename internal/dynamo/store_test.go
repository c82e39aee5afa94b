package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
	"github.com/partnerloop/partnerloop/internal/dynamo"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/payout"
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

func TestAttributionModelsAndWindow(t *testing.T) {
	h := referral.EmailHasher{Key: []byte("k")}
	kim := ledger.Customer{EmailHash: h.Hash("kim@b.example")}
	day := 24 * time.Hour
	type setup struct {
		f          fixture
		a, b, c, d partner.Partner
	}
	// a and b sign kim up a day apart; the order then carries c's code and d's coupon, or neither.
	prepare := func(t *testing.T, model string) setup {
		f := newFixtureWith(t, func(p *program.Program) { p.Attribution.Model = model })
		s := setup{f: f, a: f.partner(t, ""), b: f.partner(t, ""), c: f.partner(t, ""), d: f.partner(t, "")}
		for i, p := range []partner.Partner{s.a, s.b} {
			if _, err := f.refs.RecordSignUp(context.Background(), fmt.Sprint("lead", i), p.ReferralCode, "", kim.EmailHash); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(day)
		}
		return s
	}
	for _, tc := range []struct {
		name, model  string
		code, coupon bool
		want         func(setup) string
		via          string
	}{
		{"last click: the latest sign-up", program.LastClick, false, false, func(s setup) string { return s.b.ID }, "sign_up"},
		{"first click: the earliest sign-up", program.FirstClick, false, false, func(s setup) string { return s.a.ID }, "sign_up"},
		{"last click: the order's own code", program.LastClick, true, true, func(s setup) string { return s.c.ID }, "referral_code"},
		{"coupon wins", program.CouponWins, true, true, func(s setup) string { return s.d.ID }, "coupon"},
		{"first click beats the order's code", program.FirstClick, true, true, func(s setup) string { return s.a.ID }, "sign_up"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := prepare(t, tc.model)
			evt := paidEvent("e", "o", "", 10000)
			evt.Order.Customer = kim
			if tc.code {
				evt.Order.ReferralCode = s.c.ReferralCode
			}
			if tc.coupon {
				evt.Order.Coupon = strings.ToLower(s.d.ReferralCode)
			}
			out, err := s.f.ledger.Record(context.Background(), evt)
			if err != nil || out.PartnerID != tc.want(s) {
				t.Fatalf("credited %q (%v), want %q", out.PartnerID, err, tc.want(s))
			}
			lines, _, _ := s.f.ledger.Statement(context.Background(), out.PartnerID, 50, "")
			if len(lines) != 1 || lines[0].Via != tc.via {
				t.Fatalf("statement says %+v, want via %s", lines, tc.via)
			}
		})
	}
	t.Run("outside the window nobody is credited", func(t *testing.T) {
		s := prepare(t, program.LastClick)
		s.f.clock.Advance(30 * day)
		evt := paidEvent("e", "o", "", 10000)
		evt.Order.Customer = kim
		if out, err := s.f.ledger.Record(context.Background(), evt); err != nil || out.PartnerID != "" {
			t.Fatalf("%+v %v", out, err)
		}
	})
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
	got, err := f.refs.Click(context.Background(), " "+p.ReferralCode, "src", 100)
	if err != nil || got.ID != p.ID {
		t.Fatalf("click %+v %v", got, err)
	}
	if _, err := f.refs.Click(context.Background(), "../../evil", "src", 100); !errors.Is(err, partner.ErrNotFound) {
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
			if _, err := f.refs.RecordSubscription(context.Background(), "sub_1", p.ReferralCode, cust); err != nil {
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

func TestTiersAndGoalsAcrossPeriodBoundaries(t *testing.T) {
	f := newFixtureWith(t, func(p *program.Program) {
		p.HoldDays = 0
		p.TierRules = &program.TierRules{Period: "month", Thresholds: map[program.Tier]program.Threshold{
			program.TierSilver: {Revenue: map[money.Currency]int64{"EUR": 20000}},
			program.TierGold:   {Revenue: map[money.Currency]int64{"EUR": 50000}},
		}}
		p.Goals = []program.Goal{{ID: "tools", Period: "month", Measure: "revenue", Category: "tools", Currency: "EUR",
			Levels: []program.GoalLevel{{Threshold: 10000, BonusFlat: 500}, {Threshold: 25000, BonusBps: 100}}}}
	})
	ctx := context.Background()
	p := f.partner(t, "")
	f.clock.Set(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	n := 0
	order := func(category string, amount int64) ledger.Outcome {
		t.Helper()
		n++
		evt := paidEvent(fmt.Sprint("e", n), fmt.Sprint("o", n), p.ReferralCode, amount)
		evt.Order.Lines[0].Category = category
		out, err := f.ledger.Record(ctx, evt)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	run := func() performance.Report {
		t.Helper()
		rep, err := f.performance.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	tier := func() program.Tier {
		t.Helper()
		got, err := f.partners.Get(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Tier
	}

	order("tools", 15000)
	if rep := run(); rep.Bonuses != 1 || rep.Promoted != 0 || tier() != program.TierAuthorized {
		t.Fatalf("November, level 1: %+v, tier %s", rep, tier())
	}
	if rep := run(); rep.Bonuses != 0 {
		t.Fatalf("the level-1 bonus was credited twice: %+v", rep)
	}
	order("tools", 15000)
	order("apparel", 5000) // counts for the tier, not for the tools goal
	if rep := run(); rep.Bonuses != 1 {
		t.Fatalf("November, level 2: %+v", rep)
	}
	// 5% of 350.00 in orders, 5.00 for level 1 and 1% of 300.00 for level 2.
	if b := f.balance(t, p.ID); b.Payable != 1750+500+300 {
		t.Fatalf("November balance %+v", b)
	}

	f.clock.Set(time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC))
	if rep := run(); rep.Promoted != 1 || rep.Bonuses != 0 || tier() != program.TierSilver {
		t.Fatalf("December: promoted on November's 350.00: %+v, tier %s", rep, tier())
	}
	if run().Promoted != 0 {
		t.Fatal("promoted twice in one period")
	}
	if out := order("tools", 10000); out.Commission != 800 {
		t.Fatalf("a December order earns the new tier's rate: %+v", out)
	}
	standing, err := f.performance.Standing(ctx, p.ID)
	if err != nil || len(standing.Goals) != 1 || standing.Goals[0].Period != "2026-12" || standing.Goals[0].Measured != 10000 ||
		standing.Goals[0].LevelsReached != 1 || *standing.Goals[0].NextThreshold != 25000 {
		t.Fatalf("December standing %+v %v", standing, err)
	}

	f.clock.Set(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC))
	if rep := run(); rep.Demoted != 1 || tier() != program.TierAuthorized {
		t.Fatalf("January: demoted on December's 100.00: %+v, tier %s", rep, tier())
	}
	hist, err := f.store.Partners.TierHistory(ctx, p.ID)
	if err != nil || len(hist) != 2 || hist[0].To != program.TierSilver || hist[0].Period != "2026-11" || hist[1].To != program.TierAuthorized {
		t.Fatalf("history %+v %v", hist, err)
	}
}

func TestClickFloodHoldsCodeCreditedOrders(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	p := f.partner(t, "")
	for range 4 {
		if _, err := f.refs.Click(ctx, p.ReferralCode, "bot", 3); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.refs.Click(ctx, p.ReferralCode, "person", 3); err != nil {
		t.Fatal(err)
	}
	flagged, err := f.partners.Get(ctx, p.ID)
	if err != nil || flagged.FlaggedUntil == nil || !flagged.FlaggedUntil.Equal(f.clock.Now().Add(referral.FloodHold)) {
		t.Fatalf("partner after a flood: %+v %v", flagged, err)
	}
	if out, err := f.ledger.Record(ctx, paidEvent("e1", "o1", p.ReferralCode, 10000)); err != nil || out.Accrual != ledger.AccrualHeld {
		t.Fatalf("order during the flag: %+v %v", out, err)
	}
	f.clock.Advance(referral.FloodHold + time.Minute)
	if out, err := f.ledger.Record(ctx, paidEvent("e2", "o2", p.ReferralCode, 10000)); err != nil || out.Accrual != ledger.AccrualPayable {
		t.Fatalf("order after the flag: %+v %v", out, err)
	}
	held, _ := f.ledger.Held(ctx)
	if len(held) != 1 || held[0].HoldReason != ledger.HoldClickFlood {
		t.Fatalf("held %+v", held)
	}
}

func TestPartnersMayOnlyChooseTheProgramsCharities(t *testing.T) {
	f := newFixtureWith(t, func(p *program.Program) { p.CharityOptions = []string{"ch_water", "ch_trees"} })
	for _, id := range []string{"ch_water", "ch_trees", "ch_other"} {
		if err := f.store.Charities.PutCharity(context.Background(), payout.Charity{ID: id, Name: id, RegistrationNumber: "1", Country: "DE"}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.partners.Create(context.Background(), partner.NewPartner{Name: "A", Email: "a@a.example",
		Charity: &partner.CharityShare{CharityID: "ch_other", ShareBps: 500}})
	if !errors.Is(err, partner.ErrInvalid) {
		t.Fatalf("unlisted charity: %v", err)
	}
	if _, err := f.partners.Create(context.Background(), partner.NewPartner{Name: "A", Email: "a@a.example",
		Charity: &partner.CharityShare{CharityID: "ch_trees", ShareBps: 500}}); err != nil {
		t.Fatal(err)
	}
}
