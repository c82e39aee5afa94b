// Package outbox names the events Partnerloop tells other systems about.
// A change that emits an event writes it in its own transaction (the
// transactional outbox): no event for a change that did not commit, none
// lost for one that did. Package notify delivers them.
package outbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Event types.
const (
	CommissionCreated  = "commission.created"
	CommissionReversed = "commission.reversed"
	TierChanged        = "tier.changed"
	ChallengeCompleted = "challenge.completed"
	BadgeAwarded       = "badge.awarded"
	RedemptionCreated  = "redemption.created"
	PayoutPaid         = "payout.paid"
	DonationPaid       = "donation.paid"
	FraudCaseOpened    = "fraud.case_opened"
	FraudCaseDecided   = "fraud.case_decided"
	// Store credit for a customer rewarded in money, for the shop to apply
	// when the commission matures, and to take back when a later refund
	// reverses it.
	CustomerCreditEarned   = "customer_credit.earned"
	CustomerCreditReversed = "customer_credit.reversed"
)

// Event types only the e-mail pipeline reads (not offered to endpoints).
const (
	PartnerInvited        = "partner.invited"
	PartnerSignedIn       = "partner.signed_in" // the first sign-in only
	RedemptionFulfilled   = "redemption.fulfilled"
	BatchAwaitingApproval = "payout_batch.created"
	PayoutFailed          = "payout.failed"
	// An application to a group: submitted (its e-mail to confirm) and
	// rejected (the answer to the applicant).
	ApplicationSubmitted = "application.submitted"
	ApplicationRejected  = "application.rejected"
	// A partner reaching a level of one of the program's goals in a period.
	GoalLevelReached = "goal.level_reached"
	// Finance's decision on a partner's submission to a task challenge.
	SubmissionApproved = "submission.approved"
	SubmissionRejected = "submission.rejected"
)

// Types lists every event type an endpoint may subscribe to.
func Types() []string {
	return []string{CommissionCreated, CommissionReversed, TierChanged, ChallengeCompleted, BadgeAwarded,
		RedemptionCreated, PayoutPaid, DonationPaid, FraudCaseOpened, FraudCaseDecided, CustomerCreditEarned, CustomerCreditReversed}
}

// Event is one thing that happened, as endpoints receive it. Its id is
// derived from what happened, so every retry carries the same id.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// New builds the event of type typ about ref (unique per occurrence: an
// order and its reversed total, a challenge and a partner); data is its body.
func New(typ, ref string, at time.Time, data any) Event {
	raw, err := json.Marshal(data)
	if err != nil {
		panic(fmt.Sprintf("outbox: event data %T: %v", data, err)) // only our own structs
	}
	sum := sha256.Sum256([]byte(typ + "|" + ref))
	return Event{ID: "evt_" + hex.EncodeToString(sum[:12]), Type: typ, CreatedAt: at.UTC(), Data: raw}
}

// Subscriptions tells whether any endpoint wants an event type, so a
// change records only events someone will receive.
type Subscriptions interface {
	Wants(ctx context.Context, eventType string) bool
}

// Subscribers is every subscriber of a deployment: an event is recorded if
// any of them wants it (the outbound webhooks, the e-mail pipeline).
type Subscribers []Subscriptions

// Wants reports whether any subscriber wants the type.
func (all Subscribers) Wants(ctx context.Context, eventType string) bool {
	for _, s := range all {
		if s.Wants(ctx, eventType) {
			return true
		}
	}
	return false
}

// Emit returns the event if someone wants its type, else nothing; a nil
// Subscriptions wants nothing.
func Emit(ctx context.Context, subs Subscriptions, typ, ref string, at time.Time, data any) []Event {
	if subs == nil || !subs.Wants(ctx, typ) {
		return nil
	}
	return []Event{New(typ, ref, at, data)}
}
