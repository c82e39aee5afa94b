package ledger

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/partnerloop/partnerloop/internal/fraud"
)

// decideKind marks where a fraud case's decision settles a held accrual;
// whether it releases or reverses it is drawn per order.
const decideKind EventKind = "test.decide"

// TestFraudHoldsKeepTheBooksThroughEveryDecision holds random orders for a
// fraud rule, delivers payments, refunds and cancellations duplicated and
// shuffled, and settles each hold (released or reversed in full) once or
// twice, anywhere after its payment: the books balance after every step,
// a reversed hold counts as earned and reversed, and a settled accrual is
// settled once.
func TestFraudHoldsKeepTheBooksThroughEveryDecision(t *testing.T) {
	reason := fraud.HoldReason("large_commission")
	rapid.Check(t, func(t *rapid.T) {
		hold := rapid.IntRange(0, 2).Draw(t, "hold")
		forfeit := map[string]bool{}
		var events []Event
		var decisions []Event
		for o := range rapid.IntRange(1, 4).Draw(t, "orders") {
			id := fmt.Sprintf("o%d", o)
			events = append(events, paid(id, rapid.SliceOfN(rapid.Int64Range(0, 50_000), 1, 3).Draw(t, "lines")...))
			for r := range rapid.IntRange(0, 2).Draw(t, "refunds") {
				events = append(events, refund(id, fmt.Sprintf("%s-rf%d", id, r), rapid.Int64Range(0, 60_000).Draw(t, "amount")))
			}
			if rapid.Bool().Draw(t, "cancel") {
				events = append(events, cancel(id))
			}
			forfeit[id] = rapid.Bool().Draw(t, "reverse")
			d := Event{Kind: decideKind, OrderID: id}
			decisions = append(decisions, d)
			if rapid.Bool().Draw(t, "retried decision") {
				decisions = append(decisions, d)
			}
		}
		for _, i := range rapid.SliceOfN(rapid.IntRange(0, len(events)-1), 0, 4).Draw(t, "dups") {
			events = append(events, events[i])
		}
		history := rapid.Permutation(append(events, decisions...)).Draw(t, "order")

		recs := map[string]OrderRecord{}
		var b Balance
		var pts Points
		now := t0
		settled := map[string]int{}
		for i, e := range history {
			var c Change
			switch e.Kind {
			case decideKind:
				rec := recs[e.OrderID]
				if !rec.Paid || rec.HoldReason != reason {
					continue // not held (yet, or any more): Service.Settle leaves it
				}
				step := Release
				if forfeit[e.OrderID] {
					step = Forfeit
				}
				c, _ = step(rec, now)
				settled[e.OrderID]++
			case OrderPaid:
				held := *silver
				held.Hold = reason
				c = Apply(recs[e.OrderID], e, &held, testProgram(hold), now)
			default:
				c = Apply(recs[e.OrderID], e, silver, testProgram(hold), now)
			}
			recs[e.OrderID], b, pts = c.Next, b.add(c.Delta), pts.Add(c.Points)
			if i%2 == 1 {
				now = now.Add(24 * time.Hour)
				for id, rec := range recs {
					if m, ok := Mature(rec, now); ok {
						recs[id], b, pts = m.Next, b.add(m.Delta), pts.Add(m.Points)
					}
				}
			}
			checkInvariant(t, b)
			checkPointsInvariant(t, pts)
		}
		var want Balance
		for id, rec := range recs {
			if settled[id] > 1 {
				t.Fatalf("order %s settled %d times", id, settled[id])
			}
			if rec.Status == AccrualHeld {
				continue
			}
			want.Accrued += rec.Commission
			want.Reversed += rec.Reversed
			if forfeit[id] && settled[id] == 1 && rec.Reversed != rec.Commission {
				t.Fatalf("reversed hold %s keeps %d of %d", id, rec.Commission-rec.Reversed, rec.Commission)
			}
		}
		if want != (Balance{Accrued: b.Accrued, Reversed: b.Reversed}) {
			t.Fatalf("balance %+v does not match the orders' accruals %+v", b, want)
		}
	})
}

func TestForfeitOnlyTakesAHeldAccrual(t *testing.T) {
	held := *silver
	held.Hold = fraud.HoldReason("disposable_email")
	rec := Apply(OrderRecord{}, paid("o1", 10_000), &held, testProgram(30), t0).Next
	c, ok := Forfeit(rec, t0)
	if !ok || c.Next.Status != AccrualReversed || c.Next.HoldReason != "" || c.Delta != (Balance{Accrued: rec.Commission, Reversed: rec.Commission}) {
		t.Fatalf("forfeit of a held accrual: %v %+v", ok, c)
	}
	if _, ok := Forfeit(c.Next, t0); ok {
		t.Fatal("a forfeited accrual is not held any more: nothing to forfeit")
	}
}
