package fraud

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/program"
)

// ErrConflict means the case changed between read and write.
var ErrConflict = errors.New("fraud case changed concurrently")

// Query selects cases: by status (required), rule and partner.
type Query struct {
	Status    Status
	Rule      string
	PartnerID string
}

// Store keeps cases and their events. SaveDecision writes the case's next
// version if it is still at prevVersion (else ErrConflict), with events
// for the outbound webhooks; a decided case stops being its partner's
// open case of the rule.
type Store interface {
	Case(ctx context.Context, id string) (Case, error)
	CaseEvents(ctx context.Context, id string) ([]Event, error)
	Cases(ctx context.Context, q Query, limit int32, cursor string) ([]Case, string, error)
	PartnerCases(ctx context.Context, partnerID string) ([]Case, error)
	SaveDecision(ctx context.Context, c Case, prevVersion int64, events []outbox.Event) error
	// OpenCase reads the partner's open case of rule: the zero Case if none.
	OpenCase(ctx context.Context, partnerID, rule string) (Case, error)
	// FileCase writes events filed outside an order (File's result) with
	// the outbound events, if the case is still as read (else ErrConflict).
	FileCase(ctx context.Context, f Filed, events []outbox.Event) error
	// PayoutHolders gives, of the payout-method hashes, the partner that
	// registered each (those nobody registered are left out).
	PayoutHolders(ctx context.Context, hashes []string) (map[string]string, error)
}

// Groups give a group's terms, whose fraud rules replace the program's.
type Groups interface {
	GroupTerms(ctx context.Context, id string) (program.GroupTerms, error)
}

// Ledger settles the accruals a case holds. Settle releases an accrual
// held for reason, or with forfeit reverses it in full; it reports false
// when the accrual is no longer held for that reason (settled already,
// or held for another), which leaves it as it is.
type Ledger interface {
	Settle(ctx context.Context, source, orderID, reason string, forfeit bool) (bool, error)
}

// Auditor records a staff change in the audit trail.
type Auditor interface {
	Record(ctx context.Context, action, target string, before, after any) error
}

// Service lists cases and carries out finance's decisions.
type Service struct {
	Store    Store
	Ledger   Ledger
	Programs program.Provider
	Groups   Groups
	// Suspend suspends a partner (a confirmation that asks for it).
	Suspend func(ctx context.Context, partnerID string) error
	Audit   Auditor
	Events  outbox.Subscriptions
	Now     func() time.Time
}

// Detail is a case as the review screen shows it: its events with their
// evidence, the accruals it holds and the partner's other cases.
type Detail struct {
	Case
	EventList []Event   `json:"event_list"`
	Accruals  []Settled `json:"accruals"`
	History   []Case    `json:"partner_history"`
}

// Settled is an accrual a case names and what became of it.
type Settled struct {
	Accrual
	// Settled is false while the accrual waits for the decision.
	Settled bool `json:"settled"`
}

// List returns a page of cases.
func (s *Service) List(ctx context.Context, q Query, limit int32, cursor string) ([]Case, string, error) {
	if q.Status == "" {
		q.Status = StatusPending
	}
	if !slices.Contains([]Status{StatusPending, StatusResolved, StatusConfirmed}, q.Status) {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: "status", Reason: "must be pending, resolved or confirmed"})
	}
	if q.Rule != "" && !slices.Contains(program.FraudRules(), q.Rule) {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: "rule", Reason: "is not a fraud rule"})
	}
	cases, next, err := s.Store.Cases(ctx, q, limit, cursor)
	return nonNil(cases), next, err
}

// nonNil answers an empty list as [] rather than null.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// Get reads a case with its events, held accruals and the partner's
// history.
func (s *Service) Get(ctx context.Context, id string) (Detail, error) {
	c, err := s.Store.Case(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	events, err := s.Store.CaseEvents(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	history, err := s.Store.PartnerCases(ctx, c.PartnerID)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Case: c, EventList: nonNil(events), Accruals: []Settled{}, History: nonNil(slices.DeleteFunc(history, func(h Case) bool { return h.ID == id }))}
	for _, e := range events {
		if e.Held != nil {
			settled := c.Decision != nil && (c.Decision.Kind == Resolve || c.Decision.Reverse)
			d.Accruals = append(d.Accruals, Settled{Accrual: *e.Held, Settled: settled})
		}
	}
	return d, nil
}

// Open lists a partner's pending cases.
func (s *Service) Open(ctx context.Context, partnerID string) ([]Case, error) {
	all, err := s.Store.PartnerCases(ctx, partnerID)
	return nonNil(slices.DeleteFunc(all, func(c Case) bool { return c.Status != StatusPending })), err
}

// MaxNote bounds a decision's note.
var MaxNote = bounds.Text

// Decide records finance's decision on a case by d.By. Once it takes
// effect, the accruals the case holds are released (resolve) or, on a
// confirmation asking for it, reversed through the ledger, and the partner
// is suspended if asked. Settling is idempotent: a retried request, or one
// after a failure half-way, settles what is left and nothing twice.
func (s *Service) Decide(ctx context.Context, id string, d Decision) (Detail, Outcome, error) {
	if err := MaxNote.Check("note", d.Note); err != nil {
		return Detail{}, 0, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	prog, err := s.Programs.Current(ctx)
	if err != nil {
		return Detail{}, 0, err
	}
	d.At = s.Now().UTC()
	for range 3 {
		c, err := s.Store.Case(ctx, id)
		if err != nil {
			return Detail{}, 0, err
		}
		next, out, err := Decide(c, d, prog.Program.Fraud)
		if err != nil {
			return Detail{}, out, err
		}
		if out != AlreadyDone {
			var events []outbox.Event
			if out == Decided {
				events = outbox.Emit(ctx, s.Events, outbox.FraudCaseDecided, next.ID, d.At, next)
			}
			switch err := s.Store.SaveDecision(ctx, next, c.Version, events); {
			case errors.Is(err, ErrConflict):
				continue
			case err != nil:
				return Detail{}, 0, err
			}
			if s.Audit != nil {
				if err := s.Audit.Record(ctx, "fraud_case."+d.Kind, "fraud_case:"+id, c, next); err != nil {
					return Detail{}, 0, fmt.Errorf("record decision in the audit trail: %w", err)
				}
			}
		}
		if next.Decision != nil {
			if err := s.carryOut(ctx, next); err != nil {
				return Detail{}, 0, err
			}
		}
		detail, err := s.Get(ctx, id)
		return detail, out, err
	}
	return Detail{}, 0, ErrConflict
}

// carryOut settles the case's held accruals as decided and suspends the
// partner when asked.
func (s *Service) carryOut(ctx context.Context, c Case) error {
	events, err := s.Store.CaseEvents(ctx, c.ID)
	if err != nil {
		return err
	}
	dec := c.Decision
	if dec.Kind == Resolve || dec.Reverse {
		for _, e := range events {
			if e.Held == nil {
				continue
			}
			if _, err := s.Ledger.Settle(ctx, e.Held.Source, e.Held.OrderID, HoldReason(c.Rule), dec.Kind == Confirm); err != nil {
				return fmt.Errorf("settle %s/%s: %w", e.Held.Source, e.Held.OrderID, err)
			}
		}
	}
	if dec.SuspendPartner && s.Suspend != nil {
		if err := s.Suspend(ctx, c.PartnerID); err != nil {
			return fmt.Errorf("suspend partner: %w", err)
		}
	}
	return nil
}
