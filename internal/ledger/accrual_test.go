package ledger

import (
	"fmt"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/commission"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/program"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func testProgram(holdDays int) program.Versioned {
	p := program.Default()
	p.HoldDays = holdDays
	p.Points = &program.Points{PerUnit: map[money.Currency]int64{"EUR": 3}}
	return program.Versioned{Version: 1, Program: p}
}

func paid(orderID string, lines ...int64) Event {
	o := &Order{Tax: 2200, Shipping: 500}
	for i, a := range lines {
		o.Lines = append(o.Lines, Line{SKU: fmt.Sprint("SKU-", i), Quantity: 1, Amount: a})
	}
	return Event{Source: "generic", ID: "evt_paid_" + orderID, Kind: OrderPaid, OrderID: orderID, Currency: "EUR", Order: o}
}

func refund(orderID, id string, amount int64) Event {
	return Event{Source: "generic", ID: "evt_" + id, Kind: OrderRefunded, OrderID: orderID, Currency: "EUR",
		Refund: &Refund{ID: id, Amount: amount, Basis: RefundNet}}
}

func cancel(orderID string) Event {
	return Event{Source: "generic", ID: "evt_cancel_" + orderID, Kind: OrderCancelled, OrderID: orderID}
}

var silver = &Attribution{PartnerID: "pt_1", Tier: program.TierSilver, Via: "referral_code"}

func TestApply(t *testing.T) {
	type step struct {
		evt  Event
		attr *Attribution
	}
	for _, tc := range []struct {
		name     string
		hold     int
		steps    []step
		want     Balance
		status   AccrualStatus
		reversed int64
	}{
		{"paid order accrues tier rate of net, pending during hold", 30,
			[]step{{paid("o", 10000, 10000), silver}}, Balance{Accrued: 1600, Pending: 1600}, AccrualPending, 0},
		{"zero hold makes commission payable at once", 0,
			[]step{{paid("o", 10000), silver}}, Balance{Accrued: 800, Payable: 800}, AccrualPayable, 0},
		{"unattributed order accrues nothing", 30,
			[]step{{paid("o", 10000), nil}}, Balance{}, AccrualNone, 0},
		{"duplicate paid event is a no-op", 30,
			[]step{{paid("o", 10000), silver}, {paid("o", 10000), silver}}, Balance{Accrued: 800, Pending: 800}, AccrualPending, 0},
		{"partial refund reverses proportionally, rounding down", 30,
			[]step{{paid("o", 9999), silver}, {refund("o", "rf1", 3333), nil}},
			Balance{Accrued: 800, Pending: 800 - 266, Reversed: 266}, AccrualPending, 266},
		{"two partial refunds equal to the order reverse everything", 30,
			[]step{{paid("o", 9999), silver}, {refund("o", "rf1", 3333), nil}, {refund("o", "rf2", 6666), nil}},
			Balance{Accrued: 800, Reversed: 800}, AccrualReversed, 800},
		{"the same refund twice reverses once", 30,
			[]step{{paid("o", 10000), silver}, {refund("o", "rf1", 5000), nil}, {refund("o", "rf1", 5000), nil}},
			Balance{Accrued: 800, Pending: 400, Reversed: 400}, AccrualPending, 400},
		{"refund before its order is applied when the order arrives", 30,
			[]step{{refund("o", "rf1", 5000), nil}, {paid("o", 10000), silver}},
			Balance{Accrued: 800, Pending: 400, Reversed: 400}, AccrualPending, 400},
		{"cancellation reverses the rest", 30,
			[]step{{paid("o", 10000), silver}, {refund("o", "rf1", 2500), nil}, {cancel("o"), nil}},
			Balance{Accrued: 800, Reversed: 800}, AccrualReversed, 800},
		{"refund of payable commission comes off payable", 0,
			[]step{{paid("o", 10000), silver}, {refund("o", "rf1", 10000), nil}},
			Balance{Accrued: 800, Reversed: 800}, AccrualReversed, 800},
		{"over-refund never reverses more than the commission", 30,
			[]step{{paid("o", 10000), silver}, {refund("o", "rf1", 999999), nil}},
			Balance{Accrued: 800, Reversed: 800}, AccrualReversed, 800},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec OrderRecord
			var total Balance
			for _, s := range tc.steps {
				c := Apply(rec, s.evt, s.attr, testProgram(tc.hold), t0)
				total = total.add(c.Delta)
				rec = c.Next
			}
			if total != tc.want {
				t.Errorf("balance = %+v, want %+v", total, tc.want)
			}
			if rec.Status != tc.status || rec.Reversed != tc.reversed {
				t.Errorf("status %q reversed %d, want %q %d", rec.Status, rec.Reversed, tc.status, tc.reversed)
			}
		})
	}
}

func TestStripeCumulativeGrossRefunds(t *testing.T) {
	// Gross 12700 (net 10000 + tax 2200 + shipping 500); Stripe reports the running total.
	rec := Apply(OrderRecord{}, paid("pi", 10000), silver, testProgram(30), t0).Next
	gross := func(total int64) Event {
		e := refund("pi", fmt.Sprintf("ch_1@%d", total), total)
		e.Refund.Basis, e.Refund.Cumulative = RefundGross, true
		return e
	}
	c1 := Apply(rec, gross(6350), nil, testProgram(30), t0)
	if c1.Delta.Reversed != 400 {
		t.Fatalf("half the gross refunded reversed %d, want 400", c1.Delta.Reversed)
	}
	// An older running total arriving late changes nothing.
	c2 := Apply(c1.Next, gross(3000), nil, testProgram(30), t0)
	if c2.Delta.Reversed != 0 {
		t.Fatalf("stale running total reversed %d", c2.Delta.Reversed)
	}
	c3 := Apply(c2.Next, gross(12700), nil, testProgram(30), t0)
	if c3.Delta.Reversed != 400 || c3.Next.Status != AccrualReversed {
		t.Fatalf("full refund reversed %d more, status %s", c3.Delta.Reversed, c3.Next.Status)
	}
}

func TestMature(t *testing.T) {
	rec := Apply(OrderRecord{}, paid("o", 10000), silver, testProgram(30), t0).Next
	if _, ok := Mature(rec, t0.Add(29*24*time.Hour)); ok {
		t.Fatal("matured inside the return window")
	}
	rec = Apply(rec, refund("o", "rf", 2500), nil, testProgram(30), t0).Next
	c, ok := Mature(rec, t0.Add(30*24*time.Hour))
	if !ok || c.Next.Status != AccrualPayable || c.Delta != (Balance{Pending: -600, Payable: 600}) {
		t.Fatalf("mature = %+v %v", c, ok)
	}
	if _, ok := Mature(c.Next, t0.Add(31*24*time.Hour)); ok {
		t.Fatal("matured twice")
	}
}

func TestValidateRejectsBadEvents(t *testing.T) {
	neg := paid("o", -1)
	unknownCur := paid("o", 100)
	unknownCur.Currency = "XYZ"
	negRefund := refund("o", "rf", -5)
	noLines := paid("o")
	for name, e := range map[string]Event{"negative line": neg, "unknown currency": unknownCur,
		"negative refund": negRefund, "no lines": noLines, "no id": {Source: "generic", Kind: OrderCancelled, OrderID: "o"}} {
		if err := e.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestHeldAccrualStaysOutOfBalancesUntilReleased(t *testing.T) {
	held := &Attribution{PartnerID: "pt_1", Tier: program.TierSilver, Via: "referral_code", Hold: HoldSelfReferral}
	c := Apply(OrderRecord{}, paid("o", 10000), held, testProgram(0), t0)
	if !c.Delta.IsZero() || c.Next.Status != AccrualHeld || c.Next.HoldReason != HoldSelfReferral || c.Next.Commission != 800 {
		t.Fatalf("held accrual: %+v", c)
	}
	c = Apply(c.Next, refund("o", "rf", 2500), nil, testProgram(0), t0)
	if !c.Delta.IsZero() || c.Next.Reversed != 200 || c.Next.Status != AccrualHeld {
		t.Fatalf("refund of held accrual: %+v", c)
	}
	r, ok := Release(c.Next, t0.Add(time.Hour))
	if !ok || r.Next.Status != AccrualPayable || r.Next.HoldReason != "" || r.Delta != (Balance{Accrued: 800, Payable: 600, Reversed: 200}) {
		t.Fatalf("release: %+v %v", r, ok)
	}
	if _, ok := Release(r.Next, t0); ok {
		t.Fatal("released twice")
	}
}

func TestSalesCountersFollowRefundsAndCancellation(t *testing.T) {
	o := paid("o", 0)
	o.Order.Lines = []Line{{SKU: "D", Category: "tools", Quantity: 2, Amount: 6000}, {SKU: "G", Category: "apparel", Quantity: 1, Amount: 4000}}
	c := Apply(OrderRecord{}, o, silver, testProgram(30), t0)
	if c.Sales == nil || c.Sales.Month != "2026-11" || c.Sales.Counters["net:EUR"] != 10000 || c.Sales.Counters["net:EUR:tools"] != 6000 ||
		c.Sales.Counters["units"] != 3 || c.Sales.Counters["units:apparel"] != 1 {
		t.Fatalf("paid: %+v", c.Sales)
	}
	c = Apply(c.Next, refund("o", "rf", 5000), nil, testProgram(30), t0)
	if c.Sales.Counters["net:EUR"] != -5000 || c.Sales.Counters["net:EUR:tools"] != -3000 || c.Sales.Counters["units:tools"] != -1 {
		t.Fatalf("half refunded: %+v", c.Sales)
	}
	c = Apply(c.Next, cancel("o"), nil, testProgram(30), t0)
	if c.Sales.Counters["net:EUR"] != -5000 || c.Sales.Counters["units"] != -2 {
		t.Fatalf("cancelled: %+v", c.Sales)
	}
	held := *silver
	held.Hold = HoldSelfReferral
	if c := Apply(OrderRecord{}, o, &held, testProgram(30), t0); c.Sales != nil {
		t.Fatalf("a held order counted: %+v", c.Sales)
	}
}

func TestRefundOfNamedLinesReversesThoseLinesCommission(t *testing.T) {
	prog := testProgram(30)
	rate := int64(1500)
	prog.Program.Commission.Overrides = []commission.Override{{ID: "drill", SKU: "DRILL", RateBps: &rate}}
	o := paid("o", 0)
	o.Order.Lines = []Line{{SKU: "DRILL", Quantity: 1, Amount: 10000}, {SKU: "BITS", Quantity: 2, Amount: 10000}}
	rec := Apply(OrderRecord{}, o, silver, prog, t0).Next // 1500 + 800
	bits := refund("o", "rf1", 5000)
	bits.Refund.Lines = []RefundLine{{SKU: "BITS", Amount: 5000}}
	c := Apply(rec, bits, nil, prog, t0)
	if c.Delta.Reversed != 400 {
		t.Fatalf("half of the bits refunded reversed %d, want 400 (not the order-wide 575)", c.Delta.Reversed)
	}
	general := refund("o", "rf2", 2000) // no lines: spread over both
	c = Apply(c.Next, general, nil, prog, t0)
	// DRILL: 1000 of 10000 refunded → 150; BITS: 5000 + 1000 → 480 in all.
	if c.Next.Reversed != 150+480 {
		t.Fatalf("reversed %d, want 630", c.Next.Reversed)
	}
	bad := refund("o", "rf3", 100)
	bad.Refund.Lines = []RefundLine{{SKU: "BITS", Amount: 99}}
	if err := bad.Validate(); err == nil {
		t.Fatal("lines not adding up to the amount were accepted")
	}
}

func TestPointsFollowTheAccrual(t *testing.T) {
	prog := testProgram(30)
	// 123.45 EUR at 3 points per euro: 370 points, fractions dropped.
	c := Apply(OrderRecord{}, paid("o", 12345), silver, prog, t0)
	if c.Points != (Points{Earned: 370, Pending: 370}) || c.Next.Points != 370 {
		t.Fatalf("paid: %+v", c.Points)
	}
	if c.Sales.Counters[PointsCounter] != 370 {
		t.Fatalf("monthly points counter: %v", c.Sales.Counters)
	}
	c = Apply(c.Next, refund("o", "rf1", 6000), nil, prog, t0)
	// 6000/12345 of 370 = 179.8: 179 points reversed, from pending.
	if c.Points != (Points{Reversed: 179, Pending: -179}) {
		t.Fatalf("refund: %+v", c.Points)
	}
	m, ok := Mature(c.Next, t0.Add(31*24*time.Hour))
	if !ok || m.Points != (Points{Pending: -191, Available: 191}) {
		t.Fatalf("maturity: %v %+v", ok, m.Points)
	}
	c = Apply(m.Next, cancel("o"), nil, prog, t0)
	if c.Points != (Points{Reversed: 191, Available: -191}) || c.Next.Status != AccrualReversed {
		t.Fatalf("cancel after maturity: %+v %s", c.Points, c.Next.Status)
	}
	held := *silver
	held.Hold = HoldSelfReferral
	if c := Apply(OrderRecord{}, paid("h", 10000), &held, prog, t0); !c.Points.IsZero() || c.Next.Points != 300 {
		t.Fatalf("a held accrual books no points until released: %+v", c.Points)
	}
}
