package payout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AuditEntry is one recorded step of a batch: who did what, when and why.
// Entries are only ever added.
type AuditEntry struct {
	At     time.Time `json:"at" dynamodbav:"at"`
	By     string    `json:"by" dynamodbav:"by"`
	Action string    `json:"action" dynamodbav:"action"` // created, excluded, approved, cancelled
	ItemID string    `json:"item_id,omitempty" dynamodbav:"item_id,omitempty"`
	Reason string    `json:"reason,omitempty" dynamodbav:"reason,omitempty"`
}

// ErrReasonRequired means a change that needs a reason came without one.
var ErrReasonRequired = errors.New("a reason is required")

// ErrItemNotFound means the batch has no such item.
var ErrItemNotFound = errors.New("batch item not found")

// draft reads a batch that a change with a reason is about to alter: it
// must be a draft, and the reason must be given.
func (s *Service) draft(ctx context.Context, batchID, why string) (Batch, string, error) {
	why = strings.TrimSpace(why)
	if why == "" || len(why) > 500 {
		return Batch{}, "", fmt.Errorf("%w (at most 500 characters)", ErrReasonRequired)
	}
	b, err := s.Store.GetBatch(ctx, batchID)
	if err != nil {
		return Batch{}, "", err
	}
	if b.Status != BatchDraft {
		return Batch{}, "", ErrNotDraft
	}
	return b, why, nil
}

// Exclude takes one partner's item out of a draft batch; its amount goes
// back to the partner's payable balance for a later batch.
func (s *Service) Exclude(ctx context.Context, batchID, itemID, by, why string) (Batch, error) {
	b, why, err := s.draft(ctx, batchID, why)
	if err != nil {
		return Batch{}, err
	}
	for _, it := range b.Items {
		if it.ID != itemID {
			continue
		}
		entry := AuditEntry{At: s.Now().UTC(), By: by, Action: "excluded", ItemID: itemID, Reason: why}
		if err := s.release(ctx, it, ItemExcluded, entry); err != nil {
			return Batch{}, err
		}
		return s.Get(ctx, batchID)
	}
	return Batch{}, ErrItemNotFound
}

// Cancel drops a draft batch: every item's amount returns to payable, then
// the batch is marked cancelled. Safe to repeat after a failure halfway.
func (s *Service) Cancel(ctx context.Context, batchID, by, why string) (Batch, error) {
	b, why, err := s.draft(ctx, batchID, why)
	if err != nil {
		return Batch{}, err
	}
	now := s.Now().UTC()
	for _, it := range b.Items {
		if it.Status != ItemDraft {
			continue
		}
		if err := s.release(ctx, it, ItemCancelled, AuditEntry{At: now, By: by, Action: "released", ItemID: it.ID, Reason: why}); err != nil {
			return Batch{}, fmt.Errorf("release %s: %w", it.ID, err)
		}
	}
	for _, p := range b.Pledges {
		if err := s.Pledges.DetachPledge(ctx, p, batchID); err != nil {
			return Batch{}, fmt.Errorf("return pledge %s: %w", p.Ref, err)
		}
	}
	if err := s.Store.CancelBatch(ctx, batchID, AuditEntry{At: now, By: by, Action: "cancelled", Reason: why}); err != nil {
		return Batch{}, err
	}
	return s.Get(ctx, batchID)
}

// release returns a draft item's total to payable; the batch or the item
// having moved on since it was read means it is no longer a draft.
func (s *Service) release(ctx context.Context, it Item, status ItemStatus, entry AuditEntry) error {
	mv, err := Release(it, status, entry)
	if err != nil {
		return err
	}
	if err := s.Store.CommitMove(ctx, mv); errors.Is(err, ErrConflict) {
		return ErrNotDraft
	} else if err != nil {
		return err
	}
	return nil
}

// Audit returns a batch's recorded steps, oldest first.
func (s *Service) Audit(ctx context.Context, batchID string) ([]AuditEntry, error) {
	if _, err := s.Store.GetBatch(ctx, batchID); err != nil {
		return nil, err
	}
	return s.Store.Audit(ctx, batchID)
}
