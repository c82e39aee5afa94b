// Package ledger turns normalised order events into commission accruals and
// balance movements. It holds the rules that keep the books straight under
// at-least-once, concurrent and out-of-order delivery; storage sits behind Store.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/partnerloop/partnerloop/internal/commission"
	"github.com/partnerloop/partnerloop/internal/evidence"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/program"
)

// ErrConflict means the order, or the evidence it was credited by, changed
// between read and commit.
var ErrConflict = errors.New("order changed concurrently")

// Store persists order records and balances. CommitOrder must be atomic: the
// order record (guarded by its version), the balance delta and the
// evidence write are written together or not at all, else ErrConflict when
// a condition failed, or ErrDeviceLimit when only the device visit's did.
// A purchase fingerprint belongs to the first order that claims it.
type Store interface {
	GetOrder(ctx context.Context, source, orderID string) (OrderRecord, error)
	// ReadOrder reads the order record (the zero record when new) and, when
	// q is set, its evidence, in one request; consistent asks for strongly
	// consistent reads.
	ReadOrder(ctx context.Context, source, orderID string, q *evidence.Query, consistent bool) (OrderRecord, evidence.Found, error)
	CommitOrder(ctx context.Context, prevVersion int64, change Change) error
	DuePending(ctx context.Context, now time.Time, limit int32) ([]OrderRecord, error)
	// CommitTransition writes a state change of an existing accrual
	// (maturity, release) with its balance delta.
	CommitTransition(ctx context.Context, prevVersion int64, change Change) error
	HeldAccruals(ctx context.Context) ([]OrderRecord, error)
	Balances(ctx context.Context, partnerID string) (map[money.Currency]Balance, error)
	// Statement returns a page of a partner's accruals, newest first, and
	// the cursor of the next page ("" after the last).
	Statement(ctx context.Context, partnerID string, limit int32, cursor string) ([]OrderRecord, string, error)
}

// Attributor finds the partner a paid order is credited to, or nil, from
// the evidence its Query names, and what the order adds to that evidence.
// With fresh set (a retry) it reads the partners it relies on afresh.
type Attributor interface {
	Query(o Order) evidence.Query
	// at is when the order was paid: windows and recurring months count to it.
	Attribute(ctx context.Context, o Order, at time.Time, prog program.Program, found evidence.Found, fresh bool) (*Attribution, evidence.Write, error)
}

// Service records order events and matures accruals.
type Service struct {
	Store      Store
	Attributor Attributor
	Programs   program.Provider
	// Events, if set, says which events endpoints subscribe to.
	Events outbox.Subscriptions
	// Fraud, if set, lets the program's fraud rules judge paid orders.
	Fraud FraudCases
	// Customers, if set, counts paying customers for first_payout_minimum.
	Customers PayingCustomers
	Now       func() time.Time
}

// Outcome statuses.
const (
	StatusApplied   = "applied"
	StatusDuplicate = "duplicate"
)

// Outcome tells the sender what its event did.
type Outcome struct {
	Status     string        `json:"status"` // StatusApplied or StatusDuplicate
	OrderID    string        `json:"order_id"`
	PartnerID  string        `json:"partner_id,omitempty"`
	Commission int64         `json:"commission"`
	Reversed   int64         `json:"reversed"`
	Accrual    AccrualStatus `json:"accrual_status,omitempty"`
}

const maxCommitAttempts = 8

// Record applies one event exactly once. The common case, a new paid
// order, reads once (the order with its evidence, eventually consistent)
// and commits once, as a new order. A failed condition (a concurrent or
// earlier delivery, changed evidence) re-reads strongly consistent and
// re-applies, so a duplicate turns into a no-op rather than a second
// accrual.
func (s *Service) Record(ctx context.Context, evt Event) (Outcome, error) {
	if err := evt.Validate(); err != nil {
		return Outcome{}, err
	}
	prog, err := s.Programs.Current(ctx)
	if err != nil {
		return Outcome{}, err
	}
	var q *evidence.Query
	if evt.Kind == OrderPaid {
		query := s.Attributor.Query(*evt.Order)
		q = &query
	}
	deviceFull := false
	for attempt := 0; attempt < maxCommitAttempts; attempt++ {
		retry := attempt > 0
		rec, found, err := s.Store.ReadOrder(ctx, evt.Source, evt.OrderID, q, retry)
		if err != nil {
			return Outcome{}, fmt.Errorf("read order: %w", err)
		}
		if rec.Version > 0 && rec.Currency != "" && evt.Currency != "" && rec.Currency != evt.Currency {
			return Outcome{}, invalid("currency %s does not match the order's %s", evt.Currency, rec.Currency)
		}
		if err := evt.fits(rec); err != nil {
			return Outcome{}, err
		}
		var attr *Attribution
		var write evidence.Write
		if evt.Kind == OrderPaid && !rec.Paid {
			if attr, write, err = s.Attributor.Attribute(ctx, *evt.Order, DatedAt(evt.At, s.Now().UTC()), prog.Program, found, retry); err != nil {
				return Outcome{}, fmt.Errorf("attribute order: %w", err)
			}
			attr, write.Claim = evt.checkCrossSource(attr, found, s.Now().UTC())
		}
		change := Apply(rec, evt, attr, prog, s.Now().UTC())
		if change.Noop {
			return outcome(StatusDuplicate, rec), nil
		}
		if attr != nil {
			if change, err = s.screen(ctx, rec, evt, attr, prog, change, s.Now().UTC(), deviceFull); err != nil {
				return Outcome{}, err
			}
		}
		change.Evidence = write
		change.Events = s.events(ctx, change)
		switch err := s.Store.CommitOrder(ctx, rec.Version, change); {
		case errors.Is(err, ErrDeviceLimit):
			deviceFull = true
			continue
		case errors.Is(err, ErrConflict):
			continue
		case err != nil:
			return Outcome{}, fmt.Errorf("commit order: %w", err)
		}
		if err := s.countPayingCustomer(ctx, evt, attr, prog); err != nil {
			return Outcome{}, err
		}
		return outcome(StatusApplied, change.Next), nil
	}
	return Outcome{}, fmt.Errorf("commit order %s: %w after %d attempts", evt.OrderID, ErrConflict, maxCommitAttempts)
}

// checkCrossSource holds an attributed order that another source already
// reported: the same customer, currency and amount on the same day (a shop
// posting the generic webhook for an order Stripe also reports, say).
// Otherwise the order claims the purchase's fingerprint, unless the same
// source already did for another order (it may sell the same thing twice
// a day) or for this one.
func (evt Event) checkCrossSource(attr *Attribution, found evidence.Found, now time.Time) (*Attribution, *evidence.Claim) {
	fp := evt.fingerprint(now)
	if attr == nil || fp == "" {
		return attr, nil
	}
	day := now.Format(time.DateOnly)
	owner, claimed := found.Purchases[fp]
	claimed = claimed && found.PurchaseDay == day
	switch {
	case claimed && owner.Source != evt.Source:
		if attr.Hold == "" {
			held := *attr
			held.Hold = HoldDuplicateAcross
			return &held, nil
		}
		return attr, nil
	case claimed:
		return attr, nil
	}
	return attr, &evidence.Claim{Fingerprint: fp, Purchase: evidence.Purchase{Source: evt.Source, OrderID: evt.OrderID},
		Day: day, NewDay: found.PurchaseDay != day}
}

func outcome(status string, rec OrderRecord) Outcome {
	return Outcome{Status: status, OrderID: rec.OrderID, PartnerID: rec.PartnerID,
		Commission: rec.Commission, Reversed: rec.Reversed, Accrual: rec.Status}
}

// MatureDue makes every accrual whose return window has ended payable, in
// pages, and returns how many it moved. Safe to run concurrently and again.
func (s *Service) MatureDue(ctx context.Context) (int, error) {
	now := s.Now().UTC()
	moved := 0
	for {
		due, err := s.Store.DuePending(ctx, now, 100)
		if err != nil {
			return moved, fmt.Errorf("list due accruals: %w", err)
		}
		progressed := false
		for _, rec := range due {
			change, ok := Mature(rec, now)
			if !ok {
				continue
			}
			change.Events = s.events(ctx, change)
			switch err := s.Store.CommitTransition(ctx, rec.Version, change); {
			case errors.Is(err, ErrConflict):
				// Changed meanwhile (refund, another run); the next page re-reads it.
			case err != nil:
				return moved, fmt.Errorf("mature %s/%s: %w", rec.Source, rec.OrderID, err)
			default:
				moved++
				progressed = true
			}
		}
		if len(due) < 100 || !progressed {
			return moved, nil
		}
	}
}

// Balances returns a partner's balance per currency.
func (s *Service) Balances(ctx context.Context, partnerID string) (map[money.Currency]Balance, error) {
	return s.Store.Balances(ctx, partnerID)
}

// Statement returns a page of the partner's accrual lines, newest first.
func (s *Service) Statement(ctx context.Context, partnerID string, limit int32, cursor string) ([]OrderRecord, string, error) {
	return s.Store.Statement(ctx, partnerID, limit, cursor)
}

// Held lists accruals waiting for finance, oldest first.
func (s *Service) Held(ctx context.Context) ([]OrderRecord, error) {
	return s.Store.HeldAccruals(ctx)
}

// ErrNotHeld means the accrual does not exist or is not held.
var ErrNotHeld = errors.New("accrual is not held")

// Release books a held accrual into the partner's balance.
func (s *Service) Release(ctx context.Context, source, orderID string) (OrderRecord, error) {
	for attempt := 0; attempt < maxCommitAttempts; attempt++ {
		rec, err := s.Store.GetOrder(ctx, source, orderID)
		if err != nil {
			return OrderRecord{}, err
		}
		change, ok := Release(rec, s.Now().UTC())
		if !ok {
			return OrderRecord{}, ErrNotHeld
		}
		change.Events = s.events(ctx, change)
		switch err := s.Store.CommitTransition(ctx, rec.Version, change); {
		case errors.Is(err, ErrConflict):
			continue
		case err != nil:
			return OrderRecord{}, err
		}
		change.Next.Version = rec.Version + 1
		return change.Next, nil
	}
	return OrderRecord{}, fmt.Errorf("release %s/%s: %w", source, orderID, ErrConflict)
}

// Bonus is commission earned by reaching a goal rather than by one order.
type Bonus struct {
	PartnerID string
	Currency  money.Currency
	Amount    int64
	Ref       string // unique per goal, period and level: credited once
	Rule      string
	// Events are committed with the bonus, besides the commission's (the
	// goal level's e-mail).
	Events []outbox.Event
}

// CreditBonus books a bonus like an order's commission, under the same
// return window, once per Ref. It reports whether this call credited it.
func (s *Service) CreditBonus(ctx context.Context, b Bonus) (bool, error) {
	prog, err := s.Programs.Current(ctx)
	if err != nil {
		return false, err
	}
	now := s.Now().UTC()
	rec := OrderRecord{Source: BonusSource, OrderID: b.Ref, Currency: b.Currency, Paid: true, PaidAt: now, UpdatedAt: now,
		PartnerID: b.PartnerID, Via: "goal", ProgramVersion: prog.Version, Commission: b.Amount,
		Lines: []commission.LineResult{{Rule: b.Rule, Amount: b.Amount}}, PayableAt: now.Add(prog.Program.Hold()), Status: AccrualPending}
	if !rec.PayableAt.After(now) {
		rec.Status = AccrualPayable
	}
	change := Change{Next: rec, Delta: accrue(rec.Status, b.Amount), Sales: salesDelta(OrderRecord{}, rec)}
	change.Events = append(s.events(ctx, change), b.Events...)
	err = s.Store.CommitOrder(ctx, 0, change)
	if errors.Is(err, ErrConflict) {
		return false, nil
	}
	return err == nil, err
}

// CommissionEvent is the body of commission.created and
// commission.reversed; Amount is what this event booked or took back.
type CommissionEvent struct {
	PartnerID  string         `json:"partner_id"`
	Source     string         `json:"source"`
	OrderID    string         `json:"order_id"`
	Currency   money.Currency `json:"currency"`
	Amount     int64          `json:"amount"`
	Commission int64          `json:"commission"`
	Reversed   int64          `json:"reversed"`
	Status     AccrualStatus  `json:"status"`
	Points     int64          `json:"points"`
}

// events are what a change tells subscribed endpoints: commission booked
// (paid order, released hold, bonus) and commission taken back, each
// once, by the order and the total reversed so far.
func (s *Service) events(ctx context.Context, c Change) []outbox.Event {
	n := c.Next
	body := func(amount int64) CommissionEvent {
		return CommissionEvent{PartnerID: n.PartnerID, Source: n.Source, OrderID: n.OrderID, Currency: n.Currency, Amount: amount,
			Commission: n.Commission, Reversed: n.Reversed, Status: n.Status, Points: n.Points - n.PointsReversed}
	}
	var out []outbox.Event
	if c.Delta.Accrued > 0 {
		out = append(out, outbox.Emit(ctx, s.Events, outbox.CommissionCreated, n.Source+":"+n.OrderID, n.UpdatedAt, body(c.Delta.Accrued))...)
	}
	if c.Delta.Reversed > 0 {
		ref := fmt.Sprintf("%s:%s:%d", n.Source, n.OrderID, n.Reversed)
		out = append(out, outbox.Emit(ctx, s.Events, outbox.CommissionReversed, ref, n.UpdatedAt, body(c.Delta.Reversed))...)
	}
	out = append(out, s.creditEvents(ctx, c)...)
	return append(out, s.fraudEvents(ctx, c.Fraud)...)
}

// CustomerCreditEvent is the body of customer_credit.earned and
// customer_credit.reversed: store credit the shop gives its customer (the
// partner its embed token request created), or takes back, once per
// order and credited total.
type CustomerCreditEvent struct {
	PartnerID string         `json:"partner_id"`
	Source    string         `json:"source"`
	OrderID   string         `json:"order_id"`
	Currency  money.Currency `json:"currency"`
	Amount    int64          `json:"amount"`
	// Credited is the order's store credit after this event.
	Credited int64 `json:"credited"`
}

// creditEvents tell the shop of store credit a change issued or took back:
// only a customer rewarded in money moves its paid balance in the ledger.
func (s *Service) creditEvents(ctx context.Context, c Change) []outbox.Event {
	n := c.Next
	body := func(amount int64) CustomerCreditEvent {
		return CustomerCreditEvent{PartnerID: n.PartnerID, Source: n.Source, OrderID: n.OrderID, Currency: n.Currency,
			Amount: amount, Credited: n.Commission - n.Reversed}
	}
	ref := fmt.Sprintf("%s:%s:%d", n.Source, n.OrderID, n.Reversed)
	switch {
	case c.Delta.Paid > 0:
		return outbox.Emit(ctx, s.Events, outbox.CustomerCreditEarned, ref, n.UpdatedAt, body(c.Delta.Paid))
	case c.Delta.Paid < 0:
		return outbox.Emit(ctx, s.Events, outbox.CustomerCreditReversed, ref, n.UpdatedAt, body(-c.Delta.Paid))
	}
	return nil
}

// BonusSource is the source of bonus accruals in statements.
const BonusSource = "bonus"
