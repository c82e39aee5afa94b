package ledger

import (
	"testing"
	"time"
)

func TestDayCommissionAddsUpADayAndStartsAfreshTheNext(t *testing.T) {
	morning := time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)
	d := DayCommission{}.With(morning, Balance{Accrued: 1200, Pending: 1200})
	d = d.With(morning.Add(time.Hour), Balance{Reversed: 300, Pending: -300})
	if want := (DayCommission{Day: "2026-03-05", Booked: 1200, Reversed: 300}); d != want {
		t.Fatalf("the order's day: %+v, want %+v", d, want)
	}
	if matured := d.With(morning.Add(48*time.Hour), Balance{Pending: -900, Payable: 900}); matured != d {
		t.Errorf("maturing moved the digest day: %+v", matured)
	}
	// A refund in Rome's early morning is the day before in UTC.
	rome := time.FixedZone("CET", 3600)
	next := d.With(time.Date(2026, 3, 7, 0, 30, 0, 0, rome), Balance{Reversed: 900, Payable: -900})
	if want := (DayCommission{Day: "2026-03-06", Reversed: 900}); next != want {
		t.Errorf("a later day's refund: %+v, want %+v", next, want)
	}
}
