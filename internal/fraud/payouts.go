package fraud

import (
	"context"
	"fmt"
	"time"

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

// Sales reads a partner's monthly sales counters, where the order path
// counts its coupon orders for coupon_leak.
type Sales interface {
	MonthlySales(ctx context.Context, partnerID string, months []string) (map[string]map[string]int64, error)
}

// BatchRules judges, while a payout batch is built, the rules that keep a
// partner out of it rather than hold an accrual.
type BatchRules struct {
	Evidence PayoutEvidence
	Sales    Sales
	// PaidBefore reports whether the partner has been paid (or is being
	// paid) in some currency: first_payout_minimum is about a first payout.
	PaidBefore func(ctx context.Context, partnerID string) (bool, error)
	Groups     Groups
	// Cases reads a partner's open case of a rule.
	Cases interface {
		OpenCase(ctx context.Context, partnerID, rule string) (Case, error)
	}
	Now func() time.Time
}

// Skip answers the reason ("fraud:<rule>") a batch leaves the partner of
// the group out for, or "" to pay it.
func (b *BatchRules) Skip(ctx context.Context, partnerID, groupID string, prog program.Program) (string, error) {
	terms, err := b.Groups.GroupTerms(ctx, groupID)
	if err != nil {
		return "", fmt.Errorf("read the partner's group: %w", err)
	}
	cfg := prog.FraudFor(terms.Fraud)
	if r, on := cfg.Rule(program.FraudFirstPayoutMinimum); on {
		short, err := b.shortOfCustomers(ctx, partnerID, r)
		if err != nil || short {
			return skipFor(program.FraudFirstPayoutMinimum, short), err
		}
	}
	// A flagged coupon_leak keeps nobody out, so it costs no read.
	if r, on := cfg.Rule(program.FraudCouponLeak); on && r.Holds() {
		leaks, err := b.couponLeaks(ctx, partnerID, r)
		if err != nil || leaks {
			return skipFor(program.FraudCouponLeak, leaks), err
		}
	}
	// The case, opened when the payout settings were stored, is the
	// rule's finding: a pending one keeps the partner out until decided.
	if r, on := cfg.Rule(program.FraudSharedPayoutMethod); on && r.Holds() {
		open, err := b.Cases.OpenCase(ctx, partnerID, program.FraudSharedPayoutMethod)
		if err != nil {
			return "", fmt.Errorf("read the partner's shared_payout_method case: %w", err)
		}
		return skipFor(program.FraudSharedPayoutMethod, open.Status == StatusPending), nil
	}
	return "", nil
}

func skipFor(rule string, fires bool) string {
	if !fires {
		return ""
	}
	return HoldReason(rule)
}

// shortOfCustomers judges first_payout_minimum.
func (b *BatchRules) shortOfCustomers(ctx context.Context, partnerID string, r program.FraudRule) (bool, error) {
	customers, err := b.Evidence.PayingCustomers(ctx, partnerID)
	if err != nil {
		return false, fmt.Errorf("count paying customers: %w", err)
	}
	if _, fires := FirstPayoutMinimum(customers, false, r); !fires {
		return false, nil
	}
	// Only a partner short of customers costs the read of its balances.
	paid, err := b.PaidBefore(ctx, partnerID)
	if err != nil {
		return false, fmt.Errorf("read whether the partner was paid: %w", err)
	}
	_, fires := FirstPayoutMinimum(customers, paid, r)
	return fires, nil
}

// couponLeaks judges coupon_leak on the partner's counts of the current
// month, the one its sales item keeps them in.
func (b *BatchRules) couponLeaks(ctx context.Context, partnerID string, r program.FraudRule) (bool, error) {
	month := program.PeriodAt("month", b.Now()).Months
	sales, err := b.Sales.MonthlySales(ctx, partnerID, month)
	if err != nil {
		return false, fmt.Errorf("read the partner's coupon orders: %w", err)
	}
	_, fires := CouponLeak(CouponCountsOf(sales[month[0]]), r)
	return fires, nil
}
