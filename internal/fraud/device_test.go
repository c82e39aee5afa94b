package fraud

import (
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/program"
)

func TestDeviceVisitCountsInFixedWindowsWithDefaults(t *testing.T) {
	at := time.Date(2026, 3, 4, 17, 30, 0, 0, time.FixedZone("CET", 3600))
	v := NewDeviceVisit("p1", "dev", "cust", at, program.FraudRule{})
	if v.Limit != DefaultDeviceCustomers || !v.Window.Equal(time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("defaults: %+v", v)
	}
	v = NewDeviceVisit("p1", "dev", "cust", at, program.FraudRule{Customers: 5, WindowHours: 6})
	if v.Limit != 5 || !v.Window.Equal(time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("a 6-hour window of 5 customers: %+v", v)
	}
	if _, fired := SameDevice("dev", 4, program.FraudRule{Customers: 5}); fired {
		t.Error("four customers of five fire")
	}
	if ev, fired := SameDevice("dev", 5, program.FraudRule{Customers: 5}); !fired || ev["customers"] != "5" {
		t.Errorf("the fifth customer: %v %v", ev, fired)
	}
}
