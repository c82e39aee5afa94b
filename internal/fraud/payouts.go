package fraud

import (
	"context"
	"fmt"

	"github.com/partnerloop/partnerloop/internal/program"
)

// PayoutEvidence is what the batch rules read of a partner, only for the
// rules the partner's terms turn on.
type PayoutEvidence interface {
	// PayingCustomers counts the partner's distinct paying customers, as
	// far as the order path counted them (up to first_payout_minimum's
	// number, no further).
	PayingCustomers(ctx context.Context, partnerID string) (int, error)
}

// BatchRules judges, while a payout batch is built, the rules that keep a
// partner out of it rather than hold an accrual.
type BatchRules struct {
	Evidence PayoutEvidence
	// PaidBefore reports whether the partner has been paid (or is being
	// paid) in some currency: first_payout_minimum is about a first payout.
	PaidBefore func(ctx context.Context, partnerID string) (bool, error)
	// Groups gives a group's terms, whose fraud rules replace the program's.
	Groups interface {
		GroupTerms(ctx context.Context, id string) (program.GroupTerms, error)
	}
}

// Skip answers the reason ("fraud:<rule>") a batch leaves the partner of
// the group out for, or "" to pay it.
func (b *BatchRules) Skip(ctx context.Context, partnerID, groupID string, prog program.Program) (string, error) {
	terms, err := b.Groups.GroupTerms(ctx, groupID)
	if err != nil {
		return "", fmt.Errorf("read the partner's group: %w", err)
	}
	r, on := prog.FraudFor(terms.Fraud).Rule(program.FraudFirstPayoutMinimum)
	if !on {
		return "", nil
	}
	customers, err := b.Evidence.PayingCustomers(ctx, partnerID)
	if err != nil {
		return "", fmt.Errorf("count paying customers: %w", err)
	}
	if _, fires := FirstPayoutMinimum(customers, false, r); !fires {
		return "", nil
	}
	// Only a partner short of customers costs the read of its balances.
	paid, err := b.PaidBefore(ctx, partnerID)
	if err != nil {
		return "", fmt.Errorf("read whether the partner was paid: %w", err)
	}
	if _, fires := FirstPayoutMinimum(customers, paid, r); fires {
		return HoldReason(program.FraudFirstPayoutMinimum), nil
	}
	return "", nil
}
