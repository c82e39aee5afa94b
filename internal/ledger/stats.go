package ledger

import (
	"maps"
	"time"

	"github.com/partnerloop/partnerloop/internal/fraud"
	"github.com/partnerloop/partnerloop/internal/money"
)

// Sales is what one order contributes to its partner's performance in the
// month it was paid: net revenue in the order's currency and units, in total
// and per product category. Tiers and goals are measured on these.
type Sales struct {
	Net           int64            `dynamodbav:"Net"`
	Units         int64            `dynamodbav:"Units"`
	CategoryNet   map[string]int64 `dynamodbav:"CategoryNet"`
	CategoryUnits map[string]int64 `dynamodbav:"CategoryUnits"`
}

// SalesDelta is the change to a partner's monthly sales counters that an
// event causes. Keys are counter names: "net:EUR", "units",
// "net:EUR:tools", "units:tools".
type SalesDelta struct {
	PartnerID string
	Month     string // 2006-01 of the order's payment
	Counters  map[string]int64
}

// Month is the counter bucket of a time.
func Month(t time.Time) string { return t.UTC().Format("2006-01") }

// NetCounter and UnitsCounter name the sales counters.
func NetCounter(cur money.Currency, category string) string {
	if category == "" {
		return "net:" + string(cur)
	}
	return "net:" + string(cur) + ":" + category
}

func UnitsCounter(category string) string {
	if category == "" {
		return "units"
	}
	return "units:" + category
}

func salesOf(o Order) Sales {
	s := Sales{CategoryNet: map[string]int64{}, CategoryUnits: map[string]int64{}}
	for _, l := range o.Lines {
		s.Net += l.Amount
		s.Units += l.Quantity
		if l.Category != "" {
			s.CategoryNet[l.Category] += l.Amount
			s.CategoryUnits[l.Category] += l.Quantity
		}
	}
	return s
}

// Cost and revenue counters, per currency, for ROI reports.
func RevenueCounter(cur money.Currency) string    { return "revenue:" + string(cur) }
func RefundedCounter(cur money.Currency) string   { return "refunded:" + string(cur) }
func CommissionCounter(cur money.Currency) string { return "commission:" + string(cur) }
func BonusCounter(cur money.Currency) string      { return "bonus:" + string(cur) }

// PointsCounter counts the points earned in the month, net of reversals;
// leaderboards rank on it.
const PointsCounter = "points"

// OrdersCounter counts attributed orders not wholly refunded or cancelled.
const OrdersCounter = "orders"

// Counters are what the record counts for in its month's sales counters.
func (r OrderRecord) Counters() map[string]int64 { return r.salesCounters() }

// salesCounters is what the record counts for now: nothing unless its
// commission is booked (attributed, not held); its commission (or bonus)
// net of reversals; its revenue, the refunded part, and what is kept, in
// total and per category; no revenue once cancelled. Deriving it from the
// record (not from the event) keeps the counters right under any delivery
// order.
func (r OrderRecord) salesCounters() map[string]int64 {
	out := map[string]int64{}
	if r.PartnerID == "" || !r.Paid || r.Status == AccrualHeld || r.Status == AccrualNone {
		return out
	}
	if r.Source == BonusSource {
		out[BonusCounter(r.Currency)] = r.Commission - r.Reversed
		return out
	}
	out[CommissionCounter(r.Currency)] = r.Commission - r.Reversed
	if r.Points > 0 {
		out[PointsCounter] = r.Points - r.PointsReversed
	}
	// coupon_leak judges where a coupon converted, so a refund or a
	// cancellation does not take the order off these counts.
	if r.Via == "coupon" {
		out[fraud.CouponOrdersCounter] = 1
		if !r.Clicked {
			out[fraud.CouponWithoutClickCounter] = 1
		}
	}
	if r.Cancelled || r.Net <= 0 {
		return out
	}
	refunded := r.refundedNet()
	out[RevenueCounter(r.Currency)] = r.Sales.Net
	out[RefundedCounter(r.Currency)] = refunded
	keep := func(v int64) int64 { return v - money.MulDivFloor(v, refunded, r.Net) }
	out[NetCounter(r.Currency, "")] = keep(r.Sales.Net)
	out[UnitsCounter("")] = keep(r.Sales.Units)
	out[OrdersCounter] = keep(1)
	for c, v := range r.Sales.CategoryNet {
		out[NetCounter(r.Currency, c)] = keep(v)
	}
	for c, v := range r.Sales.CategoryUnits {
		out[UnitsCounter(c)] = keep(v)
	}
	return out
}

// salesDelta is the counter change from prev to next, or nil for none.
func salesDelta(prev, next OrderRecord) *SalesDelta {
	before, after := prev.salesCounters(), next.salesCounters()
	d := map[string]int64{}
	for k := range maps.Keys(after) {
		if v := after[k] - before[k]; v != 0 {
			d[k] = v
		}
	}
	for k := range maps.Keys(before) {
		if _, ok := after[k]; !ok && before[k] != 0 {
			d[k] = -before[k]
		}
	}
	if len(d) == 0 {
		return nil
	}
	return &SalesDelta{PartnerID: next.PartnerID, Month: Month(next.PaidAt), Counters: d}
}
