package payout

import (
	"context"
	"time"

	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/outbox"
)

// Pledge is a donation the program makes to a charity on a partner's behalf
// (for its revenue, or for reaching a goal level). It is program money, not
// the partner's commission: it never touches the partner's balance. Open
// pledges join the next batch's donation to their charity.
type Pledge struct {
	Ref       string         `json:"ref" dynamodbav:"ref"` // unique per reason; a pledge is made once
	PartnerID string         `json:"partner_id" dynamodbav:"partner_id"`
	CharityID string         `json:"charity_id" dynamodbav:"charity_id"`
	Currency  money.Currency `json:"currency" dynamodbav:"currency"`
	Amount    int64          `json:"amount" dynamodbav:"amount"`
	Reason    string         `json:"reason" dynamodbav:"reason"`
	At        time.Time      `json:"at" dynamodbav:"at"`
	Status    LegStatus      `json:"status" dynamodbav:"status"` // due until the batch pays it
}

// PledgeStore keeps pledges. PutPledge keeps the first pledge per Ref, with
// its events, and reports whether this call made it. AttachPledge moves an
// open pledge into a draft batch (false if it was taken meanwhile);
// DetachPledge returns it when that batch is cancelled; SettlePledge marks
// it paid with its payment (and so the partner's donation record), once.
type PledgeStore interface {
	PutPledge(ctx context.Context, p Pledge, events ...outbox.Event) (bool, error)
	OpenPledges(ctx context.Context) ([]Pledge, error)
	AttachPledge(ctx context.Context, p Pledge, batchID string) (bool, error)
	DetachPledge(ctx context.Context, p Pledge, batchID string) error
	SettlePledge(ctx context.Context, p Pledge, batchID string, paid Payment) error
}

// Pledge records a donation on a partner's behalf; repeating the same Ref
// changes nothing. It reports whether this call made the pledge; events
// are committed with it (the e-mail of a goal level that brings only a
// donation).
func (s *Service) Pledge(ctx context.Context, p Pledge, events ...outbox.Event) (bool, error) {
	if p.Amount <= 0 || p.CharityID == "" {
		return false, nil
	}
	if _, err := s.Charities.GetCharity(ctx, p.CharityID); err != nil {
		return false, err
	}
	p.At, p.Status = s.Now().UTC(), LegDue
	return s.Pledges.PutPledge(ctx, p, events...)
}

// attachPledges moves every open pledge into the draft batch.
func (s *Service) attachPledges(ctx context.Context, b *Batch) error {
	open, err := s.Pledges.OpenPledges(ctx)
	if err != nil {
		return err
	}
	for _, p := range open {
		ok, err := s.Pledges.AttachPledge(ctx, p, b.ID)
		if err != nil {
			return err
		}
		if ok {
			b.Pledges = append(b.Pledges, p)
		}
	}
	return nil
}

// payment is the settled donation of a pledge paid with a batch.
func (p Pledge) payment(batchID, reference string, at time.Time) Payment {
	return Payment{At: at, BatchID: batchID, ItemID: "pledge:" + p.Ref, PartnerID: p.PartnerID, Leg: LegDonation,
		Currency: p.Currency, Amount: p.Amount, CharityID: p.CharityID, Reference: reference}
}
