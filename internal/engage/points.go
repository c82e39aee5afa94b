package engage

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/program"
)

// Activity is something a partner did that earns points: a training
// completed, a quiz passed.
type Activity struct {
	ID         string       `json:"id" dynamodbav:"id"`
	Type       string       `json:"type" dynamodbav:"type"`
	PartnerID  string       `json:"partner_id" dynamodbav:"partner_id"`
	Activity   ActivityInfo `json:"activity" dynamodbav:"activity"`
	OccurredAt time.Time    `json:"occurred_at" dynamodbav:"occurred_at"`
}

// ActivityInfo names the training or quiz.
type ActivityInfo struct {
	ID   string `json:"id" dynamodbav:"id"`
	Name string `json:"name" dynamodbav:"name"`
	// Score is kept as the sender wrote it: it is shown, never computed with.
	Score *json.Number `json:"score,omitempty" dynamodbav:"score,omitempty"`
}

// ActivityOutcome tells the sender what its event did.
type ActivityOutcome struct {
	Status    string `json:"status" dynamodbav:"status"` // applied or duplicate
	ID        string `json:"id" dynamodbav:"id"`
	PartnerID string `json:"partner_id" dynamodbav:"partner_id"`
	Points    int64  `json:"points" dynamodbav:"points"`
}

func (a Activity) validate() error {
	switch {
	case a.ID == "" || len(a.ID) > 200:
		return fmt.Errorf("%w: id is required (at most 200 characters)", ErrInvalid)
	case a.PartnerID == "" || len(a.PartnerID) > 100:
		return fmt.Errorf("%w: partner_id is required", ErrInvalid)
	case a.Activity.ID == "" || len(a.Activity.ID) > 200 || len(a.Activity.Name) > 200:
		return fmt.Errorf("%w: activity.id is required; activity.id and activity.name at most 200 characters", ErrInvalid)
	case a.OccurredAt.IsZero():
		return fmt.Errorf("%w: occurred_at is required", ErrInvalid)
	}
	return nil
}

// RecordActivity credits the program's points for the activity's type,
// once per activity id, available at once (there is nothing to return).
func (s *Service) RecordActivity(ctx context.Context, a Activity) (ActivityOutcome, error) {
	if err := a.validate(); err != nil {
		return ActivityOutcome{}, err
	}
	prog, err := s.Programs.Current(ctx)
	if err != nil {
		return ActivityOutcome{}, err
	}
	points, ok := prog.Program.Points.ForActivity(a.Type)
	if !ok {
		return ActivityOutcome{}, fmt.Errorf("%w: the program gives no points for %q", ErrUnknownActivity, a.Type)
	}
	out := ActivityOutcome{Status: ledger.StatusApplied, ID: a.ID, PartnerID: a.PartnerID, Points: points}
	line := PointLine{Ref: "activity:" + a.ID, PartnerID: a.PartnerID, Kind: LineActivity, Points: points,
		Description: cmp.Or(a.Activity.Name, a.Activity.ID), At: s.Now().UTC()}
	err = s.Store.CreditPoints(ctx, Credit{Line: line, Points: ledger.Points{Earned: points, Available: points}})
	if errors.Is(err, ErrDuplicate) {
		out.Status = ledger.StatusDuplicate
		return out, nil
	}
	return out, err
}

// OrderPointLines are the point lines of accrual records: what each order
// earned and what refunds took back.
func OrderPointLines(recs []ledger.OrderRecord) []PointLine {
	var out []PointLine
	for _, r := range recs {
		ref := r.Source + ":" + r.OrderID
		if r.Points > 0 && r.Status != ledger.AccrualHeld {
			out = append(out, PointLine{Ref: ref, Kind: LineOrder, Points: r.Points, Description: "order " + r.OrderID, At: r.PaidAt})
		}
		if r.PointsReversed > 0 && r.Status != ledger.AccrualHeld {
			out = append(out, PointLine{Ref: ref, Kind: LineReversal, Points: -r.PointsReversed, Description: "refund of order " + r.OrderID, At: r.UpdatedAt})
		}
	}
	return out
}

// StatementLines merges a statement page's order point lines with the
// partner's latest stored lines, newest first.
func (s *Service) StatementLines(ctx context.Context, partnerID string, recs []ledger.OrderRecord, limit int32) ([]PointLine, error) {
	stored, err := s.Store.PointLines(ctx, partnerID, limit)
	if err != nil {
		return nil, err
	}
	lines := append(OrderPointLines(recs), stored...)
	slices.SortStableFunc(lines, func(a, b PointLine) int { return b.At.Compare(a.At) })
	if lines == nil {
		lines = []PointLine{}
	}
	return lines, nil
}

// MaxAdjustment bounds one staff adjustment of a partner's points, either way.
const MaxAdjustment = program.MaxPoints

// Adjustment is staff correcting a partner's points by Delta (positive
// credits, negative takes back), saying why.
type Adjustment struct {
	Delta  int64  `json:"delta"`
	Reason string `json:"reason"`
}

// Adjusted is a booked adjustment with the partner's points after it.
type Adjusted struct {
	ID        string        `json:"id"`
	PartnerID string        `json:"partner_id"`
	Delta     int64         `json:"delta"`
	Reason    string        `json:"reason"`
	By        string        `json:"by"`
	At        time.Time     `json:"at"`
	Points    ledger.Points `json:"points"`
}

func (a Adjustment) validate() error {
	if a.Delta == 0 || a.Delta > MaxAdjustment || a.Delta < -MaxAdjustment {
		return fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: "delta",
			Reason: fmt.Sprintf("must be a whole number of points from -%d to %d, not 0", MaxAdjustment, MaxAdjustment)})
	}
	if strings.TrimSpace(a.Reason) == "" || utf8.RuneCountInString(a.Reason) > 500 {
		return fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: "reason", Reason: "is required, at most 500 characters"})
	}
	return nil
}

// adjustmentPoints is how an adjustment moves the books: a credit is earned
// and available at once, a debit is reversed out of available points, so
// earned − reversed = pending + available + redeemed holds either way.
func adjustmentPoints(delta int64) ledger.Points {
	if delta > 0 {
		return ledger.Points{Earned: delta, Available: delta}
	}
	return ledger.Points{Reversed: -delta, Available: delta}
}

// AdjustPoints books a staff adjustment as its own point line. A debit
// needs that many available points (ErrInsufficientPoints otherwise, and
// nothing changes): points already redeemed or still pending are not
// taken back this way.
func (s *Service) AdjustPoints(ctx context.Context, partnerID string, a Adjustment, by string) (Adjusted, error) {
	if err := a.validate(); err != nil {
		return Adjusted{}, err
	}
	if _, err := s.Partners.Get(ctx, partnerID); err != nil {
		return Adjusted{}, err
	}
	out := Adjusted{ID: "pa_" + randomHex(8), PartnerID: partnerID, Delta: a.Delta, Reason: a.Reason, By: by, At: s.Now().UTC()}
	line := PointLine{Ref: "adjustment:" + out.ID, PartnerID: partnerID, Kind: LineAdjustment, Points: a.Delta, Description: a.Reason, At: out.At}
	if err := s.Store.CreditPoints(ctx, Credit{Line: line, Points: adjustmentPoints(a.Delta)}); err != nil {
		return Adjusted{}, err
	}
	points, err := s.Points.Points(ctx, partnerID)
	out.Points = points
	return out, err
}
