package ledger

import "time"

// DayCommission is what an accrual booked and took back on the last UTC
// day its commission moved: its lines in the partner's daily earnings
// digest.
type DayCommission struct {
	Day      string // 2006-01-02; empty until the commission first moves
	Booked   int64
	Reversed int64
}

// With adds a change's booked and reversed commission at a time, starting
// the day's figures afresh when the day is a new one. A change that books
// and takes back nothing leaves the figures alone.
func (d DayCommission) With(at time.Time, delta Balance) DayCommission {
	if delta.Accrued == 0 && delta.Reversed == 0 {
		return d
	}
	if day := at.UTC().Format(time.DateOnly); day != d.Day {
		d = DayCommission{Day: day}
	}
	d.Booked += delta.Accrued
	d.Reversed += delta.Reversed
	return d
}
