package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/partnerloop/partnerloop/internal/fraud"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/program"
)

// FraudCases is what the order path reads when a fraud rule fires: the
// partner's open case of that rule (the zero case when none). An order no
// rule fires on reads nothing more.
type FraudCases interface {
	OpenCase(ctx context.Context, partnerID, rule string) (fraud.Case, error)
}

// PayingCustomers counts each partner's distinct paying customers for
// first_payout_minimum, after the order's commit, so the order's
// transaction stays as it is.
type PayingCustomers interface {
	// AddPayingCustomer adds the customer's hash to the partner's set
	// while the set holds fewer than upTo; a full set is left as it is.
	AddPayingCustomer(ctx context.Context, partnerID, customer string, upTo int) error
}

// countPayingCustomer counts a committed, attributed paid order's customer
// when the partner's terms turn first_payout_minimum on; adding a customer
// counted already changes nothing.
func (s *Service) countPayingCustomer(ctx context.Context, evt Event, attr *Attribution, prog program.Versioned) error {
	if s.Customers == nil || attr == nil || evt.Order == nil || evt.Order.Customer.NormalHash == "" {
		return nil
	}
	r, on := prog.Program.FraudFor(attr.Group.Fraud).Rule(program.FraudFirstPayoutMinimum)
	if !on || r.Customers <= 0 {
		return nil
	}
	if err := s.Customers.AddPayingCustomer(ctx, attr.PartnerID, evt.Order.Customer.NormalHash, r.Customers); err != nil {
		return fmt.Errorf("count the paying customer: %w", err)
	}
	return nil
}

// PaidBefore reports whether the partner has been paid, or is being paid
// by a batch, in some currency.
func (s *Service) PaidBefore(ctx context.Context, partnerID string) (bool, error) {
	balances, err := s.Store.Balances(ctx, partnerID)
	if err != nil {
		return false, err
	}
	for _, b := range balances {
		if b.Paid > 0 || b.InPayout > 0 {
			return true, nil
		}
	}
	return false, nil
}

// ErrDeviceLimit means the order's customer would bring its click's
// device to the same_device limit: the store wrote nothing, and the order
// is screened again with the rule firing.
var ErrDeviceLimit = errors.New("device reached the same_device limit")

// screen runs the fraud rules of the credited partner's terms over a paid
// order whose accrual change would be, inside the decision: the first rule
// that fires and holds holds the accrual ("fraud:<rule>"), and every event
// is filed in its case, both committed with the order. An accrual already
// held for another reason keeps it; the events then only flag. An order
// naming its partner's click counts its customer on the click's device
// (change.Device) unless deviceFull says the store refused that customer.
func (s *Service) screen(ctx context.Context, rec OrderRecord, evt Event, attr *Attribution, prog program.Versioned, change Change, now time.Time, deviceFull bool) (Change, error) {
	cfg := prog.Program.FraudFor(attr.Group.Fraud)
	if len(cfg.Rules) == 0 || s.Fraud == nil {
		return change, nil
	}
	n := change.Next
	o := fraud.Order{Source: n.Source, OrderID: n.OrderID, Currency: n.Currency, Commission: n.Commission,
		Customer: fraud.Customer{NormalHash: evt.Order.Customer.NormalHash, Domain: evt.Order.Customer.Domain}, Click: attr.Click}
	var visit *fraud.DeviceVisit
	if r, on := cfg.Rule(program.FraudSameDevice); on && attr.Click != nil && attr.Click.Device != "" && o.Customer.NormalHash != "" {
		o.Device = attr.Click.Device
		if v := fraud.NewDeviceVisit(attr.PartnerID, o.Device, o.Customer.NormalHash, n.PaidAt, r); deviceFull || v.Limit <= 1 {
			o.DeviceCustomers = v.Limit
		} else {
			visit = &v
		}
	}
	p := attr.Screened
	p.ID = attr.PartnerID
	events, hold := fraud.Screen(o, p, cfg, n.PaidAt)
	if len(events) == 0 {
		change.Device = visit
		return change, nil
	}
	if hold != "" && attr.Hold == "" {
		held := *attr
		held.Hold = hold
		change = Apply(rec, evt, &held, prog, now)
	} else {
		for i := range events {
			events[i].Held = nil
		}
	}
	byRule := map[string][]fraud.Event{}
	var rules []string
	for _, e := range events {
		if byRule[e.Rule] == nil {
			rules = append(rules, e.Rule)
		}
		byRule[e.Rule] = append(byRule[e.Rule], e)
	}
	for _, rule := range rules {
		open, err := s.Fraud.OpenCase(ctx, attr.PartnerID, rule)
		if err != nil {
			return change, fmt.Errorf("read open fraud case: %w", err)
		}
		// The order is new, so none of its events is in a case yet.
		if filed, ok := fraud.File(open, byRule[rule], func(string) bool { return false }, cfg, now); ok {
			change.Fraud = append(change.Fraud, filed)
		}
	}
	change.Device = visit
	return change, nil
}

// fraudEvents are what filing events tells subscribed endpoints: a case
// opened.
func (s *Service) fraudEvents(ctx context.Context, filed []fraud.Filed) []outbox.Event {
	var out []outbox.Event
	for _, f := range filed {
		if f.Opened {
			out = append(out, outbox.Emit(ctx, s.Events, outbox.FraudCaseOpened, f.Case.ID, f.Case.OpenedAt, f.Case)...)
		}
	}
	return out
}

// Forfeit books a held accrual as reversed in full, as if released and
// then refunded: the partner's balance counts it earned and reversed, and
// none of it can be paid.
func Forfeit(rec OrderRecord, now time.Time) (Change, bool) {
	if rec.Status != AccrualHeld {
		return Change{Next: rec, Noop: true}, false
	}
	next := rec
	next.HoldReason, next.UpdatedAt, next.Status = "", now, AccrualReversed
	next.Reversed, next.PointsReversed = rec.Commission, rec.Points
	return Change{Next: next, Delta: Balance{Accrued: rec.Commission, Reversed: rec.Commission},
		Points: Points{Earned: rec.Points, Reversed: rec.Points}, Sales: salesDelta(rec, next)}, true
}

// Settle ends the hold of an accrual held for reason: released into the
// partner's balance, or with forfeit reversed in full (Forfeit). It
// reports false, changing nothing, when the accrual is not held for that
// reason (settled already, released by hand, or held for another reason),
// so a retried decision settles nothing twice.
func (s *Service) Settle(ctx context.Context, source, orderID, reason string, forfeit bool) (bool, error) {
	step := Release
	if forfeit {
		step = Forfeit
	}
	for attempt := 0; attempt < maxCommitAttempts; attempt++ {
		rec, err := s.Store.GetOrder(ctx, source, orderID)
		if err != nil {
			return false, err
		}
		if rec.Status != AccrualHeld || rec.HoldReason != reason {
			return false, nil
		}
		change, _ := step(rec, s.Now().UTC())
		change.Events = s.events(ctx, change)
		switch err := s.Store.CommitTransition(ctx, rec.Version, change); {
		case errors.Is(err, ErrConflict):
			continue
		case err != nil:
			return false, err
		}
		return true, nil
	}
	return false, fmt.Errorf("settle %s/%s: %w", source, orderID, ErrConflict)
}
