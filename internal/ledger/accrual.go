package ledger

import (
	"slices"
	"time"

	"github.com/partnerloop/partnerloop/internal/commission"
	"github.com/partnerloop/partnerloop/internal/evidence"
	"github.com/partnerloop/partnerloop/internal/fraud"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/program"
)

// AccrualStatus is where an order's commission stands.
type AccrualStatus string

const (
	AccrualNone     AccrualStatus = ""         // unattributed or not yet paid
	AccrualPending  AccrualStatus = "pending"  // inside the return window
	AccrualPayable  AccrualStatus = "payable"  // may be paid out
	AccrualReversed AccrualStatus = "reversed" // fully refunded or cancelled
	AccrualHeld     AccrualStatus = "held"     // suspected abuse: waits for finance
	// A customer rewarded in money: matured, it was paid as store credit
	// (a customer_credit.earned event for the shop) and never enters a
	// payout batch.
	AccrualCredited AccrualStatus = "credited"
)

// Reasons an accrual is held.
const (
	HoldSelfReferral     = "self_referral"
	HoldPartnerSuspended = "partner_suspended"
	HoldDuplicateAcross  = "duplicate_across_sources"
	HoldClickFlood       = "click_flood"
	// A fraud rule's hold is "fraud:<rule>" (fraud.HoldReason).
)

// Attribution names the partner an order earns commission for and the
// evidence that decided it.
type Attribution struct {
	PartnerID string
	Tier      program.Tier
	// Group is what the partner's group changes of the program's terms.
	Group program.GroupTerms
	Via   string // referral_code, coupon or referral (a recorded sign-up)
	Hold  string // non-empty: accrue as held, for this reason
	// Screened is what the fraud rules know of the partner.
	Screened fraud.Partner
	// Click is the partner's click the order came by, when it names one.
	Click *fraud.Click
}

// OrderRecord is everything known about one order of one source. It exists
// before the order itself when a refund or cancellation arrives first.
type OrderRecord struct {
	Source    string
	OrderID   string
	Currency  money.Currency
	Paid      bool
	Cancelled bool
	Net       int64
	Gross     int64
	Sales     Sales
	Refunds   []Refund

	PartnerID string
	Via       string
	// Clicked says the order named a click of its partner (coupon_leak
	// counts the coupon orders that did not).
	Clicked bool
	// DiscountCode is the code the referred customer used (a Stripe
	// promotion code by its id) and BuyerFirstName the customer's first
	// name, kept for referred orders only.
	DiscountCode   string
	BuyerFirstName string
	Tier           program.Tier
	RateBps        int64
	ProgramVersion int64
	Lines          []commission.LineResult
	Commission     int64
	Reversed       int64
	// Points the order earns, and how many refunds took back; they follow
	// the commission's hold and reversals.
	Points         int64
	PointsReversed int64
	// CustomerReward is the partner's group's customer rewards
	// (program.RewardMoney, RewardPoints) when the order was paid.
	CustomerReward string
	Status         AccrualStatus
	HoldReason     string
	PaidAt         time.Time
	PayableAt      time.Time
	UpdatedAt      time.Time
	// Day is what the commission did on the last day it moved, for the
	// partner's daily earnings digest.
	Day DayCommission

	// Version guards read-modify-write: a commit only succeeds if the stored
	// record still has the version it was read at (0 = not stored yet).
	Version int64
}

// Balance counts a partner's money in one currency, in minor units.
// Invariant: Accrued − Reversed = Pending + Payable + InPayout + Paid + Donated.
type Balance struct {
	Accrued  int64 `json:"-"`
	Pending  int64 `json:"pending"`
	Payable  int64 `json:"payable"`
	InPayout int64 `json:"in_payout"`
	Paid     int64 `json:"paid"`
	Reversed int64 `json:"reversed"`
	Donated  int64 `json:"donated"`
}

// IsZero reports whether applying the delta would change nothing.
func (b Balance) IsZero() bool { return b == Balance{} }

// Points counts a partner's points. Invariant:
// Earned − Reversed = Pending + Available + Redeemed. Available may go
// below zero when a refund takes back points already redeemed; the
// partner earns it back before redeeming again.
type Points struct {
	Earned    int64 `json:"-"`
	Reversed  int64 `json:"-"`
	Pending   int64 `json:"pending"`
	Available int64 `json:"available"`
	Redeemed  int64 `json:"redeemed"`
}

// IsZero reports whether applying the delta would change nothing.
func (p Points) IsZero() bool { return p == Points{} }

// Add sums two point movements.
func (p Points) Add(o Points) Points {
	return Points{Earned: p.Earned + o.Earned, Reversed: p.Reversed + o.Reversed, Pending: p.Pending + o.Pending,
		Available: p.Available + o.Available, Redeemed: p.Redeemed + o.Redeemed}
}

// matured reports whether an accrual of the status is past its return
// window and not taken back.
func matured(status AccrualStatus) bool {
	return status == AccrualPayable || status == AccrualCredited
}

// maturedStatus is where the accrual goes when its return window ends:
// payable, or paid at once as store credit for a customer rewarded in money.
func (r OrderRecord) maturedStatus() AccrualStatus {
	if r.CustomerReward == program.RewardMoney {
		return AccrualCredited
	}
	return AccrualPayable
}

// earnPoints books points into the bucket of the accrual's status.
func earnPoints(status AccrualStatus, n int64) Points {
	if matured(status) {
		return Points{Earned: n, Available: n}
	}
	return Points{Earned: n, Pending: n}
}

// reversePoints takes points back from where the accrual's status keeps them.
func reversePoints(status AccrualStatus, n int64) Points {
	if status == AccrualPending {
		return Points{Reversed: n, Pending: -n}
	}
	return Points{Reversed: n, Available: -n}
}

// Change is what one event does: the order's new state and the movement of
// the attributed partner's balance. A zero Change means the event was already
// reflected (a replay under another delivery id).
type Change struct {
	Next  OrderRecord
	Delta Balance
	Noop  bool
	// Evidence is what the order adds to its customer's referral evidence
	// (a remembered touch, a claimed purchase fingerprint), written with it;
	// see Service.Record.
	Evidence evidence.Write
	// Sales moves the partner's monthly sales counters, if set.
	Sales *SalesDelta
	// Points moves the partner's points.
	Points Points
	// Events are committed with the change, for the outbound webhooks.
	Events []outbox.Event
	// Fraud files the fraud events the order fired in their cases.
	Fraud []fraud.Filed
	// Device counts the order's customer on its click's device
	// (same_device), refused when it would reach the rule's limit.
	Device *fraud.DeviceVisit
}

// Apply computes the effect of evt on rec. It is pure: attribution (found by
// the caller for a paid order) and the clock come in as arguments, so the same
// inputs always give the same books, whatever order events arrive in.
func Apply(rec OrderRecord, evt Event, attr *Attribution, prog program.Versioned, now time.Time) Change {
	next := rec
	next.Refunds = slices.Clone(rec.Refunds)
	next.Source, next.OrderID = evt.Source, evt.OrderID
	if next.Currency == "" {
		next.Currency = evt.Currency
	}
	switch evt.Kind {
	case OrderPaid:
		if rec.Paid {
			return Change{Next: rec, Noop: true}
		}
		next.Paid = true
		next.PaidAt = DatedAt(evt.At, now)
		next.Currency = evt.Currency
		next.Net, next.Gross, next.Sales = evt.Order.Net(), evt.Order.Gross(), salesOf(*evt.Order)
		if attr != nil && next.Net > 0 {
			next.PartnerID, next.Via, next.Tier, next.Clicked = attr.PartnerID, attr.Via, attr.Tier, attr.Click != nil
			next.DiscountCode, next.BuyerFirstName = evt.Order.Coupon, evt.Order.Customer.FirstName
			terms := prog.Program.TermsFor(attr.Group, attr.Tier)
			next.RateBps = terms.TierRateBps
			next.ProgramVersion = prog.Version
			res := terms.Evaluate(commissionInput(evt))
			next.Lines, next.Commission = res.Lines, res.Total
			next.Points = prog.Program.Points.ForRevenue(next.Currency, next.Net)
			next.CustomerReward = attr.Group.CustomerRewards
			if next.CustomerReward == program.RewardPoints {
				next.Points += next.Commission
				next.Commission = 0
			}
			next.PayableAt = next.PaidAt.Add(terms.Hold()) // a late delivery's hold has partly passed
			next.Status = AccrualPending
			if !next.PayableAt.After(now) {
				next.Status = next.maturedStatus()
			}
			if attr.Hold != "" {
				next.Status, next.HoldReason = AccrualHeld, attr.Hold
			}
		}
	case OrderRefunded:
		if slices.ContainsFunc(rec.Refunds, func(r Refund) bool { return r.ID == evt.Refund.ID }) {
			return Change{Next: rec, Noop: true}
		}
		next.Refunds = append(next.Refunds, *evt.Refund)
	case OrderCancelled:
		if rec.Cancelled {
			return Change{Next: rec, Noop: true}
		}
		next.Cancelled = true
	}
	next.UpdatedAt = now

	var delta Balance
	var points Points
	if next.PartnerID != "" && next.Paid {
		reverse := next.dueReversal() - rec.Reversed
		next.Reversed += max(reverse, 0)
		reversePts := next.duePointsReversal() - rec.PointsReversed
		next.PointsReversed += max(reversePts, 0)
		// A held accrual is kept out of the balances until finance releases it.
		if next.Status != AccrualHeld {
			if !rec.Paid {
				delta = delta.add(accrue(next.Status, next.Commission))
				points = points.Add(earnPoints(next.Status, next.Points))
			}
			if reverse > 0 {
				delta = delta.add(reversal(next.Status, reverse))
			}
			if reversePts > 0 {
				points = points.Add(reversePoints(next.Status, reversePts))
			}
			if (reverse > 0 || reversePts > 0) && next.fullyReversed() {
				next.Status = AccrualReversed
			}
		}
	}
	return Change{Next: next, Delta: delta, Points: points, Sales: salesDelta(rec, next)}
}

// fullyReversed reports whether refunds took back all the commission and
// all the points, leaving nothing to mature.
func (r OrderRecord) fullyReversed() bool {
	return r.Reversed == r.Commission && r.PointsReversed == r.Points
}

// duePointsReversal is how many of the order's points refunds take back in
// total: the refunded share of its net amount, all of them once cancelled.
func (r OrderRecord) duePointsReversal() int64 {
	if r.Cancelled {
		return r.Points
	}
	if r.Net <= 0 {
		return 0
	}
	return min(r.Points, money.MulDivFloor(r.Points, r.refundedNet(), r.Net))
}

// bucket is the balance an accrual of the status keeps its amount in:
// pending inside the return window, paid once issued as store credit,
// payable otherwise (matured, or paid out through a batch).
func bucket(status AccrualStatus, amount int64) Balance {
	switch status {
	case AccrualPending:
		return Balance{Pending: amount}
	case AccrualCredited:
		return Balance{Paid: amount}
	}
	return Balance{Payable: amount}
}

// accrue books commission into the bucket of its status.
func accrue(status AccrualStatus, amount int64) Balance {
	b := bucket(status, amount)
	b.Accrued = amount
	return b
}

// reversal takes commission back: still in the return window it comes off
// pending; payable (or already paid out) it comes off payable, which may go
// negative and is netted by the next batch. Store credit already issued
// comes off paid: the shop takes it back (customer_credit.reversed), as no
// batch would net it.
func reversal(status AccrualStatus, amount int64) Balance {
	b := bucket(status, -amount)
	b.Reversed = amount
	return b
}

func (b Balance) add(o Balance) Balance {
	return Balance{Accrued: b.Accrued + o.Accrued, Pending: b.Pending + o.Pending, Payable: b.Payable + o.Payable,
		InPayout: b.InPayout + o.InPayout, Paid: b.Paid + o.Paid, Reversed: b.Reversed + o.Reversed, Donated: b.Donated + o.Donated}
}

// Release books a held accrual as if it had never been held: its commission
// accrues, less whatever refunds already reversed.
func Release(rec OrderRecord, now time.Time) (Change, bool) {
	if rec.Status != AccrualHeld {
		return Change{Next: rec, Noop: true}, false
	}
	next := rec
	next.HoldReason, next.UpdatedAt = "", now
	next.Status = AccrualPending
	if !next.PayableAt.After(now) {
		next.Status = rec.maturedStatus()
	}
	delta := accrue(next.Status, rec.Commission)
	points := earnPoints(next.Status, rec.Points)
	if rec.Reversed > 0 {
		delta = delta.add(reversal(next.Status, rec.Reversed))
	}
	if rec.PointsReversed > 0 {
		points = points.Add(reversePoints(next.Status, rec.PointsReversed))
	}
	if (rec.Reversed > 0 || rec.PointsReversed > 0) && rec.fullyReversed() {
		next.Status = AccrualReversed
	}
	return Change{Next: next, Delta: delta, Points: points, Sales: salesDelta(rec, next)}, true
}

// commissionInput is the order as the commission rules see it; the
// partner's terms add its tier.
func commissionInput(evt Event) commission.Input {
	in := commission.Input{Currency: evt.Currency}
	for _, l := range evt.Order.Lines {
		in.Lines = append(in.Lines, commission.Line{SKU: l.SKU, Category: l.Category, Quantity: l.Quantity, Net: l.Amount})
	}
	return in
}

// dueReversal is how much commission should be reversed in total given every
// refund and cancellation known so far. Computing the total (not increments)
// makes the result independent of the order refunds arrive in.
func (r OrderRecord) dueReversal() int64 {
	if r.Cancelled {
		return r.Commission
	}
	refundedNet := r.refundedNet()
	if r.Net <= 0 || refundedNet <= 0 {
		return 0
	}
	if refundedNet >= r.Net {
		return r.Commission
	}
	if len(r.Lines) == 0 {
		return money.MulDivFloor(r.Commission, refundedNet, r.Net)
	}
	// Each line's commission is reversed by the share of that line refunded:
	// refunds that name lines count for those lines, the rest of the refunded
	// amount is spread over all lines. A per-order flat line follows the
	// order's refunded share. Every term only grows as refunds arrive, so
	// the result does not depend on their order.
	specific := r.lineRefunds()
	taken := make([]int64, len(r.Lines))
	var allocated int64
	for i, l := range r.Lines {
		take := min(specific[l.SKU], l.Net)
		specific[l.SKU] -= take
		taken[i], allocated = take, allocated+take
	}
	general := refundedNet - allocated
	var due int64
	for i, l := range r.Lines {
		if l.Net <= 0 {
			due += money.MulDivFloor(l.Amount, refundedNet, r.Net)
			continue
		}
		refunded := min(l.Net, taken[i]+money.MulDivFloor(l.Net, general, r.Net))
		due += money.MulDivFloor(l.Amount, refunded, l.Net)
	}
	return min(due, r.Commission)
}

// lineRefunds sums the net refunded per SKU by refunds that name lines.
func (r OrderRecord) lineRefunds() map[string]int64 {
	out := map[string]int64{}
	for _, rf := range r.Refunds {
		for _, l := range rf.Lines {
			out[l.SKU] += l.Amount
		}
	}
	return out
}

func (r OrderRecord) refundedNet() int64 {
	var net, grossCumulative, grossIncremental int64
	for _, rf := range r.Refunds {
		switch {
		case rf.Basis == RefundNet:
			net += rf.Amount
		case rf.Cumulative:
			grossCumulative = max(grossCumulative, rf.Amount)
		default:
			grossIncremental += rf.Amount
		}
	}
	if gross := max(grossCumulative, grossIncremental); gross > 0 && r.Gross > 0 {
		net += money.MulDivFloor(min(gross, r.Gross), r.Net, r.Gross)
	}
	return min(net, r.Net)
}

// Mature moves a pending accrual whose return window has passed to payable,
// or to paid as store credit for a customer rewarded in money.
func Mature(rec OrderRecord, now time.Time) (Change, bool) {
	if rec.Status != AccrualPending || rec.PayableAt.After(now) {
		return Change{Next: rec, Noop: true}, false
	}
	next := rec
	next.Status = rec.maturedStatus()
	next.UpdatedAt = now
	open, openPts := rec.Commission-rec.Reversed, rec.Points-rec.PointsReversed
	return Change{Next: next, Delta: Balance{Pending: -open}.add(bucket(next.Status, open)), Points: Points{Pending: -openPts, Available: openPts}}, true
}
