package payout

import (
	"fmt"
	"time"

	"github.com/partnerloop/partnerloop/internal/outbox"

	"github.com/partnerloop/partnerloop/internal/ledger"
)

// Move is what one step of a batch does to one item, computed without
// storage like ledger.Apply: the item as the step leaves it, the movement of
// the partner's balance in the item's currency, and what is recorded with
// it. The store commits a Move in one transaction, and only if the stored
// item is still as the step found it (Was), so two steps racing on one item
// cannot both apply; a lost race is ErrConflict and the step is computed
// again from a fresh read.
type Move struct {
	Item Item
	// Was is the item the step started from; nil when the step creates it.
	Was *Item
	// PayableWas, when set, is the payable balance the step counted on: a
	// reservation commits only if no accrual or refund moved it meanwhile.
	PayableWas *int64
	// BatchDraft makes the move depend on its batch still being a draft.
	BatchDraft bool
	Balance    ledger.Balance
	Audit      *AuditEntry
	// Settled is the leg this move paid, with its payment record.
	Settled *Payment
	// Events are committed with the move (payout.paid, donation.paid).
	Events []outbox.Event
}

// LegStatus is the status of one of the item's legs.
func (it Item) LegStatus(l Leg) LegStatus {
	if l == LegDonation {
		return it.DonationStatus
	}
	return it.PayoutStatus
}

// LegAmount is what one of the item's legs pays.
func (it Item) LegAmount(l Leg) int64 {
	if l == LegDonation {
		return it.Donation
	}
	return it.Amount
}

func (it Item) withLeg(l Leg, s LegStatus) Item {
	if l == LegDonation {
		it.DonationStatus = s
	} else {
		it.PayoutStatus = s
	}
	return it
}

// settled reports whether nothing is left to pay: an item is paid once both
// legs are paid or never had anything to pay.
func (it Item) settled() bool {
	done := func(s LegStatus) bool { return s == LegPaid || s == LegNone }
	return done(it.PayoutStatus) && done(it.DonationStatus)
}

// Reserve puts a new item in a batch: its total leaves payable for
// in_payout, provided payable is still what the batch was built from.
func Reserve(it Item, payable int64) Move {
	total := it.Amount + it.Donation
	return Move{Item: it, PayableWas: &payable, Balance: ledger.Balance{Payable: -total, InPayout: total}}
}

// Release takes a draft item out of its draft batch (excluded or
// cancelled): its total returns to payable, and its legs are no longer due
// so a stray message for it pays nothing.
func Release(it Item, status ItemStatus, entry AuditEntry) (Move, error) {
	if it.Status != ItemDraft {
		return Move{}, fmt.Errorf("%w: item is %s", ErrNotDraft, it.Status)
	}
	next := it
	next.Status, next.Reason, next.PayoutStatus, next.DonationStatus = status, entry.Reason, LegNone, LegNone
	total := it.Amount + it.Donation
	return Move{Item: next, Was: &it, BatchDraft: true, Balance: ledger.Balance{Payable: total, InPayout: -total}, Audit: &entry}, nil
}

// SettleLeg pays a due leg: its amount leaves in_payout as paid (or as
// donated, for the donation leg), and the item becomes paid with its last
// leg. A leg that is not due any more is ErrAlreadySettled.
func SettleLeg(it Item, leg Leg, reference, by string, at time.Time) (Move, error) {
	if it.LegStatus(leg) != LegDue {
		return Move{}, ErrAlreadySettled
	}
	next := it.withLeg(leg, LegPaid)
	if next.settled() {
		next.Status = ItemPaid
	}
	amount := it.LegAmount(leg)
	delta := ledger.Balance{InPayout: -amount, Paid: amount}
	if leg == LegDonation {
		delta = ledger.Balance{InPayout: -amount, Donated: amount}
	}
	return Move{Item: next, Was: &it, Balance: delta,
		Audit: &AuditEntry{At: at, By: by, Action: string(leg) + "_settled", ItemID: it.ID, Reason: reference},
		Settled: &Payment{At: at, BatchID: it.BatchID, ItemID: it.ID, PartnerID: it.PartnerID, Leg: leg,
			Currency: it.Currency, Amount: amount, CharityID: it.CharityID, Reference: reference}}, nil
}

// FailLeg records a final provider failure of a due leg: the leg and the
// item become failed with the reason, and the leg's amount returns from
// in_payout to payable. A leg that is not due any more is ErrAlreadySettled.
func FailLeg(it Item, leg Leg, reason string, at time.Time) (Move, error) {
	if it.LegStatus(leg) != LegDue {
		return Move{}, ErrAlreadySettled
	}
	next := it.withLeg(leg, LegFailed)
	next.Status, next.Reason = ItemFailed, reason
	amount := it.LegAmount(leg)
	return Move{Item: next, Was: &it, Balance: ledger.Balance{InPayout: -amount, Payable: amount},
		Audit: &AuditEntry{At: at, By: "worker", Action: "failed", ItemID: it.ID, Reason: reason}}, nil
}
