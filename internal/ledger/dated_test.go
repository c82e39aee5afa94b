package ledger

import (
	"testing"
	"time"
)

func TestDatedAtBelievesOnlyPlausibleProviderTimes(t *testing.T) {
	for name, tc := range map[string]struct{ claimed, want time.Time }{
		"absent":                       {time.Time{}, t0},
		"an hour ago":                  {t0.Add(-time.Hour), t0.Add(-time.Hour)},
		"within the skew ahead":        {t0.Add(MaxClockSkew), t0.Add(MaxClockSkew)},
		"further ahead":                {t0.Add(MaxClockSkew + time.Second), t0},
		"older than an event may date": {t0.Add(-MaxEventAge - time.Second), t0},
	} {
		if got := DatedAt(tc.claimed, t0); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
}

// A payment reported late is dated by the provider: its hold counts from
// then, so a hold already over makes it payable at once.
func TestLatePaymentIsHeldFromWhenItWasPaid(t *testing.T) {
	for _, tc := range []struct {
		lateDays int
		status   AccrualStatus
	}{{0, AccrualPending}, {10, AccrualPending}, {31, AccrualPayable}} {
		evt := paid("o", 10000)
		evt.At = t0.AddDate(0, 0, -tc.lateDays)
		next := Apply(OrderRecord{}, evt, silver, testProgram(30), t0).Next
		if !next.PaidAt.Equal(evt.At) || !next.PayableAt.Equal(evt.At.AddDate(0, 0, 30)) || next.Status != tc.status {
			t.Errorf("%d days late: paid %v payable %v %s", tc.lateDays, next.PaidAt, next.PayableAt, next.Status)
		}
	}
}
