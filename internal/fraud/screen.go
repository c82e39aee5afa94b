package fraud

import (
	"time"

	"github.com/partnerloop/partnerloop/internal/program"
)

// orderRules are the rules judged on the order path, in the order their
// holds take precedence.
var orderRules = []struct {
	id    string
	fires func(Order, Partner, program.FraudRule) (Evidence, bool)
}{
	{program.FraudCustomerIsPartner, func(o Order, p Partner, _ program.FraudRule) (Evidence, bool) { return CustomerIsPartner(o, p) }},
	{program.FraudSameCompanyDomain, func(o Order, p Partner, _ program.FraudRule) (Evidence, bool) { return SameCompanyDomain(o, p) }},
	{program.FraudDisposableEmail, func(o Order, _ Partner, _ program.FraudRule) (Evidence, bool) { return DisposableEmail(o) }},
	{program.FraudSameDevice, func(o Order, _ Partner, r program.FraudRule) (Evidence, bool) {
		return SameDevice(o.Device, o.DeviceCustomers, r)
	}},
	{program.FraudPaidAdClick, func(o Order, _ Partner, r program.FraudRule) (Evidence, bool) { return byClick(o, r, PaidAdClick) }},
	{program.FraudBannedReferrer, func(o Order, _ Partner, r program.FraudRule) (Evidence, bool) { return byClick(o, r, BannedReferrer) }},
	{program.FraudLargeCommission, func(o Order, _ Partner, r program.FraudRule) (Evidence, bool) { return LargeCommission(o, r) }},
}

// byClick judges the order's click by a click rule; an order that names
// no click of its partner gives the rule nothing to judge.
func byClick(o Order, r program.FraudRule, rule func(Click, program.FraudRule) (Evidence, bool)) (Evidence, bool) {
	if o.Click == nil {
		return nil, false
	}
	return rule(*o.Click, r)
}

// Screen runs the order-path rules cfg turns on over an order credited to
// p, at the time it was paid: the events they fire, and the hold reason of
// the first rule that fires and holds ("" for none). It reads nothing: the
// order's one read and the device counter's write gave it all it needs.
func Screen(o Order, p Partner, cfg program.Fraud, at time.Time) ([]Event, string) {
	var events []Event
	hold := ""
	for _, rule := range orderRules {
		r, on := cfg.Rule(rule.id)
		if !on {
			continue
		}
		ev, fired := rule.fires(o, p, r)
		if !fired {
			continue
		}
		ev["order"] = o.Source + "/" + o.OrderID
		// One hold per accrual: the rules firing after the first that
		// holds only record their events.
		var held *Accrual
		if r.Holds() && o.Commission > 0 && hold == "" {
			held = &Accrual{Source: o.Source, OrderID: o.OrderID, Currency: o.Currency, Amount: o.Commission}
			hold = HoldReason(rule.id)
		}
		events = append(events, NewEvent(rule.id, p.ID, ev, held, at))
	}
	return events, hold
}
