// Package payout runs the money-out side: finance builds a batch from payable
// balances, a second finance user approves it, approved items are queued and
// workers settle each payout and donation exactly once.
package payout

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/program"
)

// BatchStatus is the lifecycle of a batch: draft → approved → processing →
// completed | completed_with_failures, or draft → cancelled. Processing and
// the completed states are derived from the items when a batch is read.
type BatchStatus string

const (
	BatchDraft                 BatchStatus = "draft"
	BatchApproved              BatchStatus = "approved"
	BatchProcessing            BatchStatus = "processing"
	BatchCompleted             BatchStatus = "completed"
	BatchCompletedWithFailures BatchStatus = "completed_with_failures"
	BatchCancelled             BatchStatus = "cancelled"
)

// ItemStatus is the lifecycle of one partner's payout in a batch.
type ItemStatus string

const (
	ItemDraft     ItemStatus = "draft"
	ItemQueued    ItemStatus = "queued"
	ItemPaid      ItemStatus = "paid"
	ItemFailed    ItemStatus = "failed"
	ItemExcluded  ItemStatus = "excluded"  // taken out of a draft by finance
	ItemCancelled ItemStatus = "cancelled" // its draft batch was cancelled
)

// LegStatus tracks the payout and the donation of an item separately; a leg
// with nothing to pay is "none".
type LegStatus string

const (
	LegNone   LegStatus = "none"
	LegDue    LegStatus = "due"
	LegPaid   LegStatus = "paid"
	LegFailed LegStatus = "failed"
)

// Leg names the two kinds of money an item sends.
type Leg string

const (
	LegPayout   Leg = "payout"
	LegDonation Leg = "donation"
)

// Batch is a set of payouts approved together.
type Batch struct {
	ID         string      `json:"id"`
	Status     BatchStatus `json:"status"`
	CreatedBy  string      `json:"created_by"`
	ApprovedBy string      `json:"approved_by"`
	CreatedAt  time.Time   `json:"created_at"`
	ApprovedAt *time.Time  `json:"approved_at,omitempty"`
	Items      []Item      `json:"items"`
	// Skipped lists partners with enough payable balance that the batch left
	// out, and why.
	Skipped []Skip `json:"skipped"`
	// Pledges are the program's own donations on partners' behalf that this
	// batch pays to their charities.
	Pledges []Pledge `json:"pledges"`
}

// Skip is a partner a batch left out.
type Skip struct {
	PartnerID string         `json:"partner_id" dynamodbav:"partner_id"`
	Currency  money.Currency `json:"currency" dynamodbav:"currency"`
	Reason    string         `json:"reason" dynamodbav:"reason"`
}

// Item is one partner's payout in one currency. Amount goes to the partner,
// Donation to the partner's chosen charity; together they are what was payable.
type Item struct {
	ID        string         `json:"id"`
	BatchID   string         `json:"-"`
	PartnerID string         `json:"partner_id"`
	Currency  money.Currency `json:"currency"`
	Amount    int64          `json:"amount"`
	Donation  int64          `json:"donation"`
	CharityID string         `json:"charity_id,omitempty"`
	Status    ItemStatus     `json:"status"`
	Reason    string         `json:"reason,omitempty"`
	QueuedAt  *time.Time     `json:"queued_at,omitempty"`
	// Method and Destination are the partner's payout details when the
	// batch was built, so a later change cannot redirect an approved payout.
	Method         string    `json:"method"`
	Destination    string    `json:"destination,omitempty"`
	Recipient      string    `json:"recipient,omitempty"` // the partner's name, for payout files and the console
	PayoutStatus   LegStatus `json:"-"`
	DonationStatus LegStatus `json:"-"`
}

// Message is what a worker receives for one leg of one item.
type Message struct {
	BatchID     string         `json:"batch_id"`
	ItemID      string         `json:"item_id"`
	PartnerID   string         `json:"partner_id"`
	Leg         Leg            `json:"leg"`
	Currency    money.Currency `json:"currency"`
	Amount      int64          `json:"amount"`
	CharityID   string         `json:"charity_id,omitempty"`
	Method      string         `json:"method,omitempty"`
	Destination string         `json:"destination,omitempty"`
}

// Payment is a settled leg: money that left for a partner or a charity.
type Payment struct {
	At        time.Time      `json:"at" dynamodbav:"at"`
	BatchID   string         `json:"batch_id" dynamodbav:"batch_id"`
	ItemID    string         `json:"item_id" dynamodbav:"item_id"`
	PartnerID string         `json:"partner_id" dynamodbav:"partner_id"`
	Leg       Leg            `json:"leg" dynamodbav:"leg"`
	Currency  money.Currency `json:"currency" dynamodbav:"currency"`
	Amount    int64          `json:"amount" dynamodbav:"amount"`
	CharityID string         `json:"charity_id,omitempty" dynamodbav:"charity_id,omitempty"`
	Reference string         `json:"reference" dynamodbav:"reference"`
}

// DeduplicationID is stable per item and leg, so a re-sent message is
// dropped by the FIFO queue and a re-delivered one is a no-op for the worker.
func (m Message) DeduplicationID() string { return m.ItemID + ":" + string(m.Leg) }

// PayableBalance is a partner's payable amount in one currency.
type PayableBalance struct {
	PartnerID string
	Payable   int64
}

var (
	ErrNotFound       = errors.New("batch not found")
	ErrNotDraft       = errors.New("batch is not a draft")
	ErrSameApprover   = errors.New("a batch must be approved by someone other than its creator")
	ErrNothingPayable = errors.New("no partner has a payable balance at or above the minimum")
	// ErrBuildInProgress is a batch build refused while another one runs.
	ErrBuildInProgress = errors.New("another payout batch is being built; retry when it is done")
	ErrConflict        = errors.New("balance changed concurrently")
	ErrAlreadySettled  = errors.New("leg already settled")
	// ErrUnknownItem is a message for an item that does not exist; it fails
	// so that it ends in the dead-letter queue for finance to look at.
	ErrUnknownItem = errors.New("payout message for an unknown item")
)

// Store persists batches. The money of a batch moves only by CommitMove,
// which writes a Move (the item, the partner's balance, the audit entry and
// a settled leg's payment) in one transaction; ApproveBatch flips the batch
// and writes its outbox row atomically.
type Store interface {
	// LockBuild takes the build lock for owner until the given time, unless
	// another owner holds it past now (ErrBuildInProgress).
	LockBuild(ctx context.Context, owner string, now, until time.Time) error
	// UnlockBuild gives the lock back if owner still holds it.
	UnlockBuild(ctx context.Context, owner string) error
	// PutBatch writes a new batch header with its events.
	PutBatch(ctx context.Context, b Batch, events ...outbox.Event) error
	// SetSkipped replaces the stored list of partners a batch left out.
	SetSkipped(ctx context.Context, batchID string, skipped []Skip) error
	// DiscardBatch removes a draft header that holds no item.
	DiscardBatch(ctx context.Context, b Batch) error
	GetBatch(ctx context.Context, id string) (Batch, error)
	// GetItem reads one item; a missing one is ErrItemNotFound.
	GetItem(ctx context.Context, batchID, itemID string) (Item, error)
	// CommitMove answers ErrConflict when the item, the balance or the
	// batch is no longer as the move found it.
	CommitMove(ctx context.Context, mv Move) error
	ApproveBatch(ctx context.Context, id, approver string, at time.Time) error
	// AppendAudit records a step no other write of the store carries.
	AppendAudit(ctx context.Context, batchID string, entry AuditEntry) error
	// CancelBatch marks a draft batch cancelled, with the audit entry.
	CancelBatch(ctx context.Context, id string, entry AuditEntry) error
	Audit(ctx context.Context, batchID string) ([]AuditEntry, error)
	BatchIDs(ctx context.Context, limit int32, cursor string) ([]string, string, error)
	PendingDispatches(ctx context.Context) ([]OpenOutbox, error)
	// MarkQueued records that an item's messages were (re)sent at a time,
	// unless the item is already settled.
	MarkQueued(ctx context.Context, it Item, at time.Time) error
	ClearDispatch(ctx context.Context, batchID string) error
}

// Balances finds the balances a batch pays.
type Balances interface {
	// PayableBalances lists the balances in cur whose payable amount reaches minimum.
	PayableBalances(ctx context.Context, cur money.Currency, minimum int64) ([]PayableBalance, error)
}

// Partners reads the partners a batch pays, for their payout details.
type Partners interface {
	GetPartner(ctx context.Context, id string) (partner.Partner, error)
}

// FraudRules names the fraud rule a batch leaves a partner of a group out
// for ("fraud:<rule>"), or "" to pay it.
type FraudRules interface {
	Skip(ctx context.Context, partnerID, groupID string, prog program.Program) (string, error)
}

// Queue sends one leg's message to the payouts or donations queue.
type Queue interface {
	Send(ctx context.Context, m Message) error
}

// Method executes a payout or donation and returns its reference. It must be
// idempotent for the same message (providers get DeduplicationID as key).
// An error wrapping ErrFinal will not succeed on retry; any other is retried.
type Method interface {
	Pay(ctx context.Context, m Message) (reference string, err error)
}

// MethodManual names the Manual method (partner.MethodManual too).
const MethodManual = "manual"

// ErrFinal marks a provider error that retrying cannot fix (a closed
// account, say): the leg fails and its amount returns to payable.
var ErrFinal = errors.New("final payout failure")

// Manual records the payout in the ledger for finance to execute by bank
// transfer; the reference ties the ledger entry to the item.
type Manual struct{}

func (Manual) Pay(_ context.Context, m Message) (string, error) {
	return "manual:" + m.DeduplicationID(), nil
}

// Service implements the batch lifecycle.
type Service struct {
	Store     Store
	Balances  Balances
	Partners  Partners
	Queue     Queue
	Charities CharityStore
	Pledges   PledgeStore
	// Methods pays each leg by its method; manual is used when a leg names none.
	Methods  map[string]Method
	Programs program.Provider
	// Fraud, if set, keeps out the partners a fraud rule stops.
	Fraud FraudRules
	// Events, if set, says which events endpoints subscribe to.
	Events outbox.Subscriptions
	Now    func() time.Time
	// ResendAfter is how long a queued, unsettled item waits before the
	// sweep sends it again; default 15 minutes.
	ResendAfter time.Duration
	Log         *slog.Logger
}

// BuildLease is how long a build holds the build lock: longer than the API
// function may run (29 s), so a build that crashed blocks the next one for
// a minute at most. A build outliving it stays safe, as every reservation
// is conditional on the balance it read; the lock only keeps concurrent
// builds from splitting the payable partners between them.
const BuildLease = time.Minute

// Create builds a draft batch of every active partner whose payable balance
// reaches the program minimum in a currency, reserving those amounts. One
// build runs at a time (ErrBuildInProgress for the others), and a batch
// left with nothing to pay is not kept (ErrNothingPayable).
func (s *Service) Create(ctx context.Context, createdBy string) (Batch, error) {
	prog, err := s.Programs.Current(ctx)
	if err != nil {
		return Batch{}, err
	}
	now := s.Now().UTC()
	b := Batch{ID: "pb_" + now.Format("20060102T150405") + "_" + shortID(), Status: BatchDraft, CreatedBy: createdBy, CreatedAt: now}
	if err := s.Store.LockBuild(ctx, b.ID, now, now.Add(BuildLease)); err != nil {
		return Batch{}, err
	}
	defer func() {
		// Even when the caller went away: the lease would block builds meanwhile.
		if err := s.Store.UnlockBuild(context.WithoutCancel(ctx), b.ID); err != nil {
			s.Log.WarnContext(ctx, "build lock not released; it lapses by itself", "batch_id", b.ID, "error", err)
		}
	}()
	var items []reservation
	for _, cur := range prog.Program.Currencies() {
		balances, err := s.Balances.PayableBalances(ctx, cur, prog.Program.MinimumPayout[cur])
		if err != nil {
			return Batch{}, fmt.Errorf("list payable balances: %w", err)
		}
		for _, bal := range balances {
			p, err := s.Partners.GetPartner(ctx, bal.PartnerID)
			if err != nil {
				return Batch{}, fmt.Errorf("read partner %s: %w", bal.PartnerID, err)
			}
			if p.Status != partner.StatusActive {
				b.Skipped = append(b.Skipped, Skip{PartnerID: p.ID, Currency: cur, Reason: "partner " + string(p.Status)})
				continue
			}
			if s.Fraud != nil {
				reason, err := s.Fraud.Skip(ctx, p.ID, p.GroupID, prog.Program)
				if err != nil {
					return Batch{}, fmt.Errorf("judge partner %s: %w", p.ID, err)
				}
				if reason != "" {
					b.Skipped = append(b.Skipped, Skip{PartnerID: p.ID, Currency: cur, Reason: reason})
					continue
				}
			}
			items = append(items, reservation{item: newItem(b.ID, p, cur, bal.Payable), payable: bal.Payable})
		}
	}
	open, err := s.Pledges.OpenPledges(ctx)
	if err != nil {
		return Batch{}, fmt.Errorf("list pledges: %w", err)
	}
	if len(items) == 0 && len(open) == 0 {
		return Batch{}, ErrNothingPayable
	}
	waiting := outbox.Emit(ctx, s.Events, outbox.BatchAwaitingApproval, b.ID, now,
		map[string]any{"batch_id": b.ID, "created_by": b.CreatedBy, "created_at": now})
	if err := s.Store.PutBatch(ctx, b, waiting...); err != nil {
		return Batch{}, fmt.Errorf("write batch: %w", err)
	}
	if err := s.attachPledges(ctx, &b); err != nil {
		return Batch{}, fmt.Errorf("attach pledges: %w", err)
	}
	skippedBefore := len(b.Skipped)
	for _, r := range items {
		switch err := s.Store.CommitMove(ctx, Reserve(r.item, r.payable)); {
		case errors.Is(err, ErrConflict):
			// The balance moved since it was listed (an order or a refund);
			// leave the partner for the next batch.
			b.Skipped = append(b.Skipped, Skip{PartnerID: r.item.PartnerID, Currency: r.item.Currency, Reason: "balance changed while the batch was built"})
		case err != nil:
			return Batch{}, fmt.Errorf("reserve item %s: %w", r.item.ID, err)
		default:
			b.Items = append(b.Items, r.item)
		}
	}
	if !b.hasSomethingToPay() {
		if err := s.Store.DiscardBatch(ctx, b); err != nil {
			return Batch{}, fmt.Errorf("discard empty batch: %w", err)
		}
		return Batch{}, ErrNothingPayable
	}
	if len(b.Skipped) > skippedBefore {
		if err := s.Store.SetSkipped(ctx, b.ID, b.Skipped); err != nil {
			return Batch{}, fmt.Errorf("record skipped partners: %w", err)
		}
	}
	if err := s.Store.AppendAudit(ctx, b.ID, AuditEntry{At: b.CreatedAt, By: b.CreatedBy, Action: "created"}); err != nil {
		return Batch{}, fmt.Errorf("record the batch's creation: %w", err)
	}
	return b.withLists(), nil
}

// hasSomethingToPay reports whether approving the batch would pay anyone:
// an item still in the draft, or a pledge.
func (b Batch) hasSomethingToPay() bool {
	return len(b.Pledges) > 0 || slices.ContainsFunc(b.Items, func(it Item) bool { return it.Status == ItemDraft })
}

// withLists gives every list of the batch a value, so a batch with nothing
// skipped reads "skipped": [] wherever it is shown.
func (b Batch) withLists() Batch {
	if b.Items == nil {
		b.Items = []Item{}
	}
	if b.Skipped == nil {
		b.Skipped = []Skip{}
	}
	if b.Pledges == nil {
		b.Pledges = []Pledge{}
	}
	return b
}

type reservation struct {
	item    Item
	payable int64
}

func newItem(batchID string, p partner.Partner, cur money.Currency, total int64) Item {
	it := Item{ID: batchID + "." + p.ID + "." + string(cur), BatchID: batchID, PartnerID: p.ID,
		Currency: cur, Amount: total, Status: ItemDraft, PayoutStatus: LegDue, DonationStatus: LegNone, Method: partner.MethodManual, Recipient: p.Name}
	if d := p.Payout; d != nil {
		it.Method, it.Destination = d.Method, d.StripeAccount
		if d.Method == partner.MethodPayPal || d.Method == partner.MethodWise {
			it.Destination = cmp.Or(d.Email, p.Email)
		}
	}
	if c := p.Charity; c != nil && c.ShareBps > 0 {
		it.Donation = money.MulDivFloor(total, c.ShareBps, money.BasisPointsPerUnit)
		it.Amount = total - it.Donation
		it.CharityID = c.CharityID
	}
	if it.Donation > 0 {
		it.DonationStatus = LegDue
	}
	if it.Amount == 0 {
		it.PayoutStatus = LegNone
	}
	return it
}

// List returns a page of batches, newest first, with their derived status.
func (s *Service) List(ctx context.Context, limit int32, cursor string) ([]Batch, string, error) {
	ids, next, err := s.Store.BatchIDs(ctx, limit, cursor)
	if err != nil {
		return nil, "", err
	}
	out := make([]Batch, 0, len(ids))
	for _, id := range ids {
		b, err := s.Get(ctx, id)
		if err != nil {
			return nil, "", err
		}
		out = append(out, b)
	}
	return out, next, nil
}

// Get returns a batch with its items and derived status.
func (s *Service) Get(ctx context.Context, id string) (Batch, error) {
	b, err := s.Store.GetBatch(ctx, id)
	if err != nil {
		return Batch{}, err
	}
	b.Status = derivedStatus(b)
	return b.withLists(), nil
}

func derivedStatus(b Batch) BatchStatus {
	if b.Status != BatchApproved {
		return b.Status
	}
	var open, paid, failed, started int
	for _, it := range b.Items {
		switch it.Status {
		case ItemExcluded, ItemCancelled:
			continue
		case ItemPaid:
			paid++
			started++
		case ItemFailed:
			failed++
			started++
		case ItemQueued:
			started++
		}
		open++
	}
	pledgesDue := slices.ContainsFunc(b.Pledges, func(p Pledge) bool { return p.Status == LegDue })
	switch {
	case pledgesDue && started > 0:
		return BatchProcessing
	case pledgesDue:
		return BatchApproved
	case paid+failed == open && failed > 0:
		return BatchCompletedWithFailures
	case paid == open:
		return BatchCompleted
	case started > 0:
		return BatchProcessing
	}
	return BatchApproved
}

// Approve records the second pair of eyes and queues the items. The approval
// and its outbox row commit together; queueing right away is an optimisation,
// the dispatcher sweep guarantees it.
func (s *Service) Approve(ctx context.Context, id, approver string) (Batch, error) {
	b, err := s.Store.GetBatch(ctx, id)
	if err != nil {
		return Batch{}, err
	}
	if b.Status != BatchDraft {
		return Batch{}, ErrNotDraft
	}
	if b.CreatedBy == approver {
		return Batch{}, ErrSameApprover
	}
	// A draft whose items were all excluded, or one an earlier release kept
	// after losing every reservation, would complete having paid nobody.
	if !b.hasSomethingToPay() {
		return Batch{}, ErrNothingPayable
	}
	if err := s.Store.ApproveBatch(ctx, id, approver, s.Now().UTC()); err != nil {
		return Batch{}, err
	}
	if err := s.dispatch(ctx, id); err != nil {
		s.Log.WarnContext(ctx, "dispatch after approval failed; the sweeper will retry", "batch_id", id, "error", err)
	}
	return s.Get(ctx, id)
}

// DispatchPending sends the messages of every approved batch whose outbox
// row is still open. Run on a schedule; safe to run concurrently and again.
func (s *Service) DispatchPending(ctx context.Context) (OutboxReport, error) {
	open, err := s.Store.PendingDispatches(ctx)
	if err != nil {
		return OutboxReport{}, fmt.Errorf("list outbox: %w", err)
	}
	report := OutboxReport{Open: len(open)}
	var errs []error
	for _, o := range open {
		report.OldestAge = max(report.OldestAge, s.Now().Sub(o.ApprovedAt))
		if err := s.dispatch(ctx, o.BatchID); err != nil {
			errs = append(errs, fmt.Errorf("batch %s: %w", o.BatchID, err))
		}
	}
	return report, errors.Join(errs...)
}

// OpenOutbox is an approved batch whose legs are not all settled yet.
type OpenOutbox struct {
	BatchID    string
	ApprovedAt time.Time
}

// OutboxReport is what a dispatch sweep found: the batches still open and
// how long the oldest has waited (an alarm fires past 30 minutes).
type OutboxReport struct {
	Open      int
	OldestAge time.Duration
}

// dispatch sends what an approved batch still owes the queues: items never
// sent, and items sent longer than ResendAfter ago and still not settled (a
// message lost or stuck; re-sending is safe because workers settle each leg
// once). The outbox row stays open until every item is settled, so the
// sweep keeps looking after stragglers.
func (s *Service) dispatch(ctx context.Context, batchID string) error {
	b, err := s.Store.GetBatch(ctx, batchID)
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	resendAfter := cmp.Or(s.ResendAfter, 15*time.Minute)
	open := 0
	var sending []Item
	for _, it := range b.Items {
		switch {
		case it.Status == ItemDraft, it.Status == ItemQueued && it.QueuedAt != nil && now.Sub(*it.QueuedAt) >= resendAfter:
			sending = append(sending, it)
			open++
		case it.Status == ItemQueued:
			open++
		}
	}
	for _, p := range b.Pledges {
		if p.Status == LegDue {
			open++
		}
	}
	var msgs []Message
	for _, it := range sending {
		// File methods are paid by finance from the exported file.
		if it.PayoutStatus == LegDue && !fileMethod(it.Method) {
			msgs = append(msgs, payoutMessage(it))
		}
	}
	for _, m := range append(msgs, donationMessages(b, sending)...) {
		if err := s.Queue.Send(ctx, m); err != nil {
			return fmt.Errorf("send %s: %w", m.DeduplicationID(), err)
		}
	}
	for _, it := range sending {
		if err := s.Store.MarkQueued(ctx, it, now); err != nil {
			return fmt.Errorf("mark %s queued: %w", it.ID, err)
		}
	}
	if open > 0 {
		return nil
	}
	return s.Store.ClearDispatch(ctx, batchID)
}

func payoutMessage(it Item) Message {
	return Message{BatchID: it.BatchID, ItemID: it.ID, PartnerID: it.PartnerID, Currency: it.Currency, Leg: LegPayout,
		Amount: it.Amount, Method: it.Method, Destination: it.Destination}
}

// Settlement is what settling a message did.
type Settlement string

const (
	Paid           Settlement = "paid"            // the leg (or a charity's donation) was paid now
	AlreadySettled Settlement = "already_settled" // a redelivery: nothing to do
	Failed         Settlement = "failed"          // a final provider error: the amount is back in payable
)

// Settle pays one leg. A leg that is no longer due is acknowledged without
// calling the provider, which makes SQS redelivery and worker crashes
// harmless; the provider also gets the leg's deduplication id as idempotency
// key for the window between paying and recording. A final provider error
// fails the leg and returns its amount to payable; other errors are returned
// so SQS retries the message.
func (s *Service) Settle(ctx context.Context, m Message) (Settlement, error) {
	if m.Leg == LegDonation {
		return s.settleDonation(ctx, m)
	}
	it, err := s.Store.GetItem(ctx, m.BatchID, m.ItemID)
	if errors.Is(err, ErrItemNotFound) || err == nil && it.PartnerID != m.PartnerID {
		return "", fmt.Errorf("%w: %s", ErrUnknownItem, m.DeduplicationID())
	}
	if err != nil {
		return "", err
	}
	if it.LegStatus(m.Leg) != LegDue {
		s.Log.InfoContext(ctx, "leg already settled", "item_id", m.ItemID, "leg", m.Leg)
		return AlreadySettled, nil
	}
	method, ok := s.Methods[cmp.Or(m.Method, MethodManual)]
	if !ok {
		return Failed, s.fail(ctx, it, m.Leg, "unknown payout method "+m.Method)
	}
	ref, err := method.Pay(ctx, m)
	if errors.Is(err, ErrFinal) {
		s.Log.WarnContext(ctx, "payout failed", "item_id", m.ItemID, "leg", m.Leg, "error", err)
		return Failed, s.fail(ctx, it, m.Leg, err.Error())
	}
	if err != nil {
		return "", fmt.Errorf("pay %s: %w", m.DeduplicationID(), err)
	}
	switch err := s.settleLeg(ctx, it, m.Leg, ref, "worker", s.Now().UTC(), ""); {
	case errors.Is(err, ErrAlreadySettled):
		return AlreadySettled, nil
	case err != nil:
		return "", err
	}
	return Paid, nil
}

// commitMoves retries a step that lost a race for its item (the other leg
// settled at the same moment, say): it reads the item again and computes
// the step anew, so the rules always see the item as stored.
func (s *Service) commitMoves(ctx context.Context, it Item, step func(Item) (Move, error)) error {
	const attempts = 5
	for range attempts {
		mv, err := step(it)
		if err != nil {
			return err
		}
		if err = s.Store.CommitMove(ctx, mv); !errors.Is(err, ErrConflict) {
			return err
		}
		if it, err = s.Store.GetItem(ctx, it.BatchID, it.ID); err != nil {
			return err
		}
	}
	return fmt.Errorf("item %s: %w", it.ID, ErrConflict)
}

// DonationEvent is the body of donation.paid: the partner's share of the
// donation, with its charity named for the partner's e-mail.
type DonationEvent struct {
	Payment
	CharityName string `json:"charity_name"`
}

// settleLeg records a paid leg; ErrAlreadySettled when it was not due. A
// donation leg's event names its charity, charityName.
func (s *Service) settleLeg(ctx context.Context, it Item, leg Leg, reference, by string, at time.Time, charityName string) error {
	return s.commitMoves(ctx, it, func(it Item) (Move, error) {
		mv, err := SettleLeg(it, leg, reference, by, at)
		if p := mv.Settled; err == nil && p != nil {
			typ, data := outbox.PayoutPaid, any(p)
			if leg == LegDonation {
				typ, data = outbox.DonationPaid, DonationEvent{Payment: *p, CharityName: charityName}
			}
			mv.Events = outbox.Emit(ctx, s.Events, typ, p.ItemID+":"+string(leg), at, data)
		}
		return mv, err
	})
}

// fail records a final failure of a leg; one settled or failed meanwhile by
// another delivery stays as it is.
func (s *Service) fail(ctx context.Context, it Item, leg Leg, reason string) error {
	err := s.commitMoves(ctx, it, func(it Item) (Move, error) {
		at := s.Now().UTC()
		mv, err := FailLeg(it, leg, reason, at)
		if err == nil {
			mv.Events = outbox.Emit(ctx, s.Events, outbox.PayoutFailed, it.ID+":"+string(leg), at, map[string]any{"partner_id": it.PartnerID,
				"batch_id": it.BatchID, "item_id": it.ID, "leg": leg, "currency": it.Currency, "amount": it.LegAmount(leg), "reason": reason})
		}
		return mv, err
	})
	if errors.Is(err, ErrAlreadySettled) {
		return nil
	}
	return err
}
