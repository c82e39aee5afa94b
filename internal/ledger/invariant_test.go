package ledger

import (
	"fmt"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/program"
	"pgregory.net/rapid"
)

// TestLedgerInvariantUnderReorderingAndDuplicates applies random histories of
// payments, refunds, cancellations and maturity runs, with duplicates and in
// shuffled order, and checks the books after every step and at the end,
// for a partner and for customers rewarded in store credit or points.
func TestLedgerInvariantUnderReorderingAndDuplicates(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		hold := rapid.IntRange(0, 2).Draw(t, "hold")
		attr := *silver
		attr.Group.CustomerRewards = rapid.SampledFrom([]string{"", program.RewardMoney, program.RewardPoints}).Draw(t, "customer rewards")
		orders := rapid.IntRange(1, 4).Draw(t, "orders")
		heldOrders := map[string]bool{}
		var events, releases []Event
		for o := range orders {
			id := fmt.Sprintf("o%d", o)
			lines := rapid.SliceOfN(rapid.Int64Range(0, 50_000), 1, 3).Draw(t, "lines")
			events = append(events, paid(id, lines...))
			for r := range rapid.IntRange(0, 3).Draw(t, "refunds") {
				rf := refund(id, fmt.Sprintf("%s-rf%d", id, r), rapid.Int64Range(0, 60_000).Draw(t, "amount"))
				if rapid.Bool().Draw(t, "names a line") {
					line := rapid.IntRange(0, len(lines)-1).Draw(t, "line")
					rf.Refund.Lines = []RefundLine{{SKU: fmt.Sprint("SKU-", line), Amount: rf.Refund.Amount}}
				}
				events = append(events, rf)
			}
			if rapid.Bool().Draw(t, "cancel") {
				events = append(events, cancel(id))
			}
			if rapid.Bool().Draw(t, "held") {
				heldOrders[id] = true
				releases = append(releases, Event{Kind: releaseKind, OrderID: id})
			}
		}
		// Duplicate some deliveries, then shuffle everything.
		for _, i := range rapid.SliceOfN(rapid.IntRange(0, len(events)-1), 0, 4).Draw(t, "dups") {
			events = append(events, events[i])
		}
		perm := rapid.Permutation(events).Draw(t, "order")
		// Finance releases held accruals after seeing them, in any order.
		perm = append(perm, rapid.Permutation(releases).Draw(t, "releases")...)
		events = append(events, releases...)

		totals, points := replay(t, perm, hold, heldOrders, &attr)
		inOrder, pointsInOrder := replay(t, events, hold, heldOrders, &attr)
		if totals.Accrued != inOrder.Accrued || totals.Reversed != inOrder.Reversed {
			t.Fatalf("delivery order changed the books: %+v vs %+v", totals, inOrder)
		}
		if points.Earned != pointsInOrder.Earned || points.Reversed != pointsInOrder.Reversed {
			t.Fatalf("delivery order changed the points: %+v vs %+v", points, pointsInOrder)
		}
	})
}

// releaseKind marks where finance releases a held accrual in a history.
const releaseKind EventKind = "test.release"

func replay(t *rapid.T, events []Event, hold int, heldOrders map[string]bool, attr *Attribution) (Balance, Points) {
	recs := map[string]OrderRecord{}
	counters := map[string]int64{}
	count := func(c Change) {
		if c.Sales != nil {
			for k, v := range c.Sales.Counters {
				counters[k] += v
			}
		}
	}
	var b Balance
	var pts Points
	now := t0
	for i, e := range events {
		var c Change
		switch {
		case e.Kind == releaseKind:
			c, _ = Release(recs[e.OrderID], now)
		case e.Kind == OrderPaid && heldOrders[e.OrderID]:
			a := *attr
			a.Hold = HoldSelfReferral
			c = Apply(recs[e.OrderID], e, &a, testProgram(hold), now)
		default:
			c = Apply(recs[e.OrderID], e, attr, testProgram(hold), now)
		}
		recs[e.OrderID], b, pts = c.Next, b.add(c.Delta), pts.Add(c.Points)
		count(c)
		if i%2 == 1 { // a maturity run between some deliveries
			now = now.Add(24 * time.Hour)
			for id, rec := range recs {
				if m, ok := Mature(rec, now); ok {
					recs[id], b, pts = m.Next, b.add(m.Delta), pts.Add(m.Points)
					count(m)
				}
			}
		}
		checkInvariant(t, b)
		checkPointsInvariant(t, pts)
		checkCustomerRewards(t, b, attr.Group.CustomerRewards)
	}
	var want Balance
	var wantPts Points
	for _, rec := range recs {
		if rec.Status == AccrualHeld {
			continue // not in the balances until released
		}
		want.Accrued += rec.Commission
		want.Reversed += rec.Reversed
		wantPts.Earned += rec.Points
		wantPts.Reversed += rec.PointsReversed
		if rec.Status == AccrualCredited {
			want.Paid += rec.Commission - rec.Reversed
		}
		if matured(rec.Status) {
			wantPts.Available += rec.Points - rec.PointsReversed
		}
		if rec.Reversed > rec.Commission || rec.Commission > rec.Net {
			t.Fatalf("order %s: reversed %d commission %d net %d", rec.OrderID, rec.Reversed, rec.Commission, rec.Net)
		}
	}
	if want.Accrued != b.Accrued || want.Reversed != b.Reversed || want.Paid != b.Paid {
		t.Fatalf("balance %+v does not match the orders' accruals %+v", b, want)
	}
	if wantPts.Earned != pts.Earned || wantPts.Reversed != pts.Reversed || wantPts.Available != pts.Available {
		t.Fatalf("points %+v do not match the orders' points %+v", pts, wantPts)
	}
	wantCounters := map[string]int64{}
	for _, rec := range recs {
		for k, v := range rec.salesCounters() {
			wantCounters[k] += v
		}
	}
	for k := range wantCounters {
		if wantCounters[k] != counters[k] {
			t.Fatalf("sales counter %s = %d, the orders say %d", k, counters[k], wantCounters[k])
		}
	}
	return b, pts
}

// checkPointsInvariant: earned − reversed = pending + available + redeemed.
func checkPointsInvariant(t *rapid.T, p Points) {
	if p.Earned-p.Reversed != p.Pending+p.Available+p.Redeemed {
		t.Fatalf("points earned − reversed ≠ pending + available + redeemed: %+v", p)
	}
	if p.Pending < 0 || p.Reversed < 0 || p.Earned < 0 || p.Reversed > p.Earned {
		t.Fatalf("negative points counter: %+v", p)
	}
}

// checkCustomerRewards: a customer rewarded in store credit is paid as its
// commission matures, never through a payout (nothing payable); one
// rewarded in points earns no money at all.
func checkCustomerRewards(t *rapid.T, b Balance, rewards string) {
	switch {
	case rewards == program.RewardMoney && (b.Payable != 0 || b.Paid < 0):
		t.Fatalf("store credit left payable or paid below zero: %+v", b)
	case rewards == program.RewardPoints && b != (Balance{}):
		t.Fatalf("a customer rewarded in points booked money: %+v", b)
	}
}

func checkInvariant(t *rapid.T, b Balance) {
	if b.Accrued-b.Reversed != b.Pending+b.Payable+b.InPayout+b.Paid+b.Donated {
		t.Fatalf("accrued − reversed ≠ pending + payable + in_payout + paid + donated: %+v", b)
	}
	if b.Pending < 0 || b.Reversed < 0 || b.Accrued < 0 {
		t.Fatalf("negative counter: %+v", b)
	}
}
