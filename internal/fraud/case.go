package fraud

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/program"
)

// HoldPrefix starts the hold reason of an accrual a rule holds:
// "fraud:<rule>".
const HoldPrefix = "fraud:"

// HoldReason is the hold reason rule gives an accrual.
func HoldReason(rule string) string { return HoldPrefix + rule }

// Event is one firing of a rule. Its id is a hash of the rule, the partner
// and the evidence, so a redelivered order or click records nothing new.
type Event struct {
	ID        string   `json:"id" dynamodbav:"id"`
	Rule      string   `json:"rule" dynamodbav:"rule"`
	PartnerID string   `json:"partner_id" dynamodbav:"partner_id"`
	Evidence  Evidence `json:"evidence" dynamodbav:"evidence"`
	// Held names the accrual the event holds, if its rule holds money.
	Held *Accrual  `json:"held,omitempty" dynamodbav:"held,omitempty"`
	At   time.Time `json:"at" dynamodbav:"at"`
}

// Accrual names an order's commission a case holds.
type Accrual struct {
	Source   string         `json:"source" dynamodbav:"source"`
	OrderID  string         `json:"order_id" dynamodbav:"order_id"`
	Currency money.Currency `json:"currency" dynamodbav:"currency"`
	Amount   int64          `json:"amount" dynamodbav:"amount"`
}

// NewEvent is the event of rule firing for partnerID with ev, about the
// order's accrual when held is set.
func NewEvent(rule, partnerID string, ev Evidence, held *Accrual, at time.Time) Event {
	keys := slices.Sorted(maps.Keys(ev))
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s", rule, partnerID)
	for _, k := range keys {
		fmt.Fprintf(h, "|%s=%s", k, ev[k])
	}
	if held != nil {
		fmt.Fprintf(h, "|order=%s/%s", held.Source, held.OrderID)
	}
	return Event{ID: "fe_" + hex.EncodeToString(h.Sum(nil)[:12]), Rule: rule, PartnerID: partnerID, Evidence: ev, Held: held, At: at.UTC()}
}

// Status is where a case stands.
type Status string

const (
	StatusPending   Status = "pending"   // waits for finance
	StatusResolved  Status = "resolved"  // not fraud: its accruals were released
	StatusConfirmed Status = "confirmed" // fraud: its accruals reversed, or left held
)

// Case gathers one partner's events of one rule while it is pending.
type Case struct {
	ID          string    `json:"id" dynamodbav:"id"`
	PartnerID   string    `json:"partner_id" dynamodbav:"partner_id"`
	Rule        string    `json:"rule" dynamodbav:"rule"`
	Status      Status    `json:"status" dynamodbav:"status"`
	OpenedAt    time.Time `json:"opened_at" dynamodbav:"opened_at"`
	LastEventAt time.Time `json:"last_event_at" dynamodbav:"last_event_at"`
	// ExpiresAt is when the case stops gathering events: the next event
	// after it opens a new case. A pending case stays in the queue until
	// decided, since it may hold money.
	ExpiresAt time.Time `json:"expires_at" dynamodbav:"expires_at"`
	Events    int       `json:"events" dynamodbav:"events"`
	// Held sums, per currency, the commission the case's events hold.
	Held map[money.Currency]int64 `json:"held" dynamodbav:"held"`
	// Approval is the first of two decisions a four-eyes case takes.
	Approval *Decision `json:"pending_approval,omitempty" dynamodbav:"pending_approval,omitempty"`
	Decision *Decision `json:"decision,omitempty" dynamodbav:"decision,omitempty"`
	Version  int64     `json:"-" dynamodbav:"version"`
}

// Decision kinds.
const (
	Resolve = "resolve"
	Confirm = "confirm"
)

// Decision is what finance decided on a case, and who.
type Decision struct {
	Kind           string    `json:"kind" dynamodbav:"kind"`
	Note           string    `json:"note" dynamodbav:"note"`
	Reverse        bool      `json:"reverse,omitempty" dynamodbav:"reverse,omitempty"`
	SuspendPartner bool      `json:"suspend_partner,omitempty" dynamodbav:"suspend_partner,omitempty"`
	By             string    `json:"by" dynamodbav:"by"`
	At             time.Time `json:"at" dynamodbav:"at"`
	// ApprovedBy is the second finance user of a four-eyes decision.
	ApprovedBy string `json:"approved_by,omitempty" dynamodbav:"approved_by,omitempty"`
}

// Filed is what recording events does to a case: its next state (a new
// case when Opened), its version before (0 for a new case), and the
// events new to it. Replaced is the earlier open case a new case takes
// the place of, decided or expired.
type Filed struct {
	Case        Case
	PrevVersion int64
	Opened      bool
	Replaced    string
	Events      []Event
}

// File adds events of one partner and rule to open, the partner's open
// case of that rule (the zero Case when there is none): a pending case
// that has not expired gathers them, otherwise a new case opens, named
// after its first event. Events the case has (by id) are left out.
func File(open Case, events []Event, known func(id string) bool, cfg program.Fraud, now time.Time) (Filed, bool) {
	var fresh []Event
	for _, e := range events {
		if !known(e.ID) && !slices.ContainsFunc(fresh, func(f Event) bool { return f.ID == e.ID }) {
			fresh = append(fresh, e)
		}
	}
	if len(fresh) == 0 {
		return Filed{}, false
	}
	f := Filed{Case: open, PrevVersion: open.Version}
	if open.ID == "" || open.Status != StatusPending || !now.Before(open.ExpiresAt) {
		first := fresh[0]
		f = Filed{Case: Case{ID: caseOpenedBy(first.ID), PartnerID: first.PartnerID, Rule: first.Rule, Status: StatusPending,
			OpenedAt: now}, Opened: true, Replaced: open.ID}
	}
	c := &f.Case
	c.Held = maps.Clone(c.Held)
	if c.Held == nil {
		c.Held = map[money.Currency]int64{}
	}
	for _, e := range fresh {
		c.Events++
		if e.Held != nil {
			c.Held[e.Held.Currency] += e.Held.Amount
		}
	}
	c.LastEventAt = now
	c.ExpiresAt = now.Add(time.Duration(cfg.CaseExpiry()) * 24 * time.Hour)
	c.Version = f.PrevVersion + 1
	f.Events = fresh
	return f, true
}

// caseOpenedBy is the id of the case an event opens, named after it.
func caseOpenedBy(eventID string) string { return "fc_" + eventID[len("fe_"):] }

// Errors of a decision.
var (
	ErrNotFound = errors.New("fraud case not found")
	// ErrDecided is a decision on a case already decided otherwise.
	ErrDecided = errors.New("fraud case already decided")
	// ErrSameApprover is the second decision of a four-eyes case by the
	// user who made the first.
	ErrSameApprover = errors.New("a second finance user must approve this decision")
	// ErrOtherDecision is a second decision that differs from the first.
	ErrOtherDecision = errors.New("the pending approval is for another decision")
	ErrInvalid       = errors.New("invalid decision")
)

// Outcome is what Decide makes of a decision.
type Outcome int

const (
	// AlreadyDone: the case was decided so already; nothing changes.
	AlreadyDone Outcome = iota
	// AwaitsApproval: the decision is recorded as the first of two.
	AwaitsApproval
	// Decided: the decision takes effect.
	Decided
)

// NeedsFourEyes reports whether the case holds more, in some currency,
// than the program lets one finance user decide on.
func (c Case) NeedsFourEyes(cfg program.Fraud) bool {
	for cur, held := range c.Held {
		if limit, ok := cfg.FourEyesAbove[cur]; ok && held > limit {
			return true
		}
	}
	return false
}

// Decide applies d to c: a repeat of the decision the case already has is
// AlreadyDone (a retried request), another decision on a decided case is
// ErrDecided; above the four-eyes threshold the first decision waits for a
// second, different user who makes the same decision.
func Decide(c Case, d Decision, cfg program.Fraud) (Case, Outcome, error) {
	if d.Kind != Resolve && d.Kind != Confirm {
		return c, 0, fmt.Errorf("%w: kind must be resolve or confirm", ErrInvalid)
	}
	if d.Kind == Resolve && (d.Reverse || d.SuspendPartner) {
		return c, 0, fmt.Errorf("%w: reverse and suspend_partner belong to a confirmation", ErrInvalid)
	}
	if c.Decision != nil {
		if c.Decision.same(d) {
			return c, AlreadyDone, nil
		}
		return c, 0, ErrDecided
	}
	next := c
	next.Version = c.Version + 1
	if c.NeedsFourEyes(cfg) {
		switch a := c.Approval; {
		case a == nil:
			next.Approval = &d
			return next, AwaitsApproval, nil
		case !a.same(d):
			return c, 0, ErrOtherDecision
		case a.By == d.By:
			return c, AwaitsApproval, ErrSameApprover
		}
		approved := *c.Approval
		approved.ApprovedBy = d.By
		d = approved
	}
	next.Approval, next.Decision = nil, &d
	next.Status = StatusResolved
	if d.Kind == Confirm {
		next.Status = StatusConfirmed
	}
	return next, Decided, nil
}

// same reports whether two decisions decide alike (whoever made them).
func (d Decision) same(o Decision) bool {
	return d.Kind == o.Kind && d.Reverse == o.Reverse && d.SuspendPartner == o.SuspendPartner
}
