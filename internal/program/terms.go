package program

import (
	"time"

	"github.com/partnerloop/partnerloop/internal/commission"
)

// DefaultGroup holds every partner not placed in another group, among them
// those stored before groups existed: a partner without a group is in it.
const DefaultGroup = "default"

// LevelProgram names the program as the level that set a term; a group's
// level is "group:<id>" (GroupTerms.Level).
const LevelProgram = "program"

// GroupTerms are what a group changes of the program's terms for its
// partners; a nil field keeps the program's.
type GroupTerms struct {
	ID         string
	Commission *commission.Rules
	HoldDays   *int
	// Fraud replaces, rule by rule, the program's fraud settings.
	Fraud map[string]FraudRule
	// CustomerRewards is how a group of customers is rewarded
	// (RewardMoney, RewardPoints); empty rewards as any partner.
	CustomerRewards string
}

// How a group's customers are rewarded: store credit the shop applies
// when the commission matures, or the commission as points for the
// rewards catalog, one point per minor unit.
const (
	RewardMoney  = "money"
	RewardPoints = "points"
)

// Level is how terms and commission lines name the group.
func (g GroupTerms) Level() string { return "group:" + g.ID }

// Terms are what one partner's orders earn by, and which level set each.
type Terms struct {
	GroupID     string           `json:"group_id"`
	Tier        Tier             `json:"tier"`
	TierRateBps int64            `json:"tier_rate_bps"`
	Commission  commission.Rules `json:"commission"`
	HoldDays    int              `json:"hold_days"`
	// CommissionFrom and HoldFrom are "program" or "group:<id>".
	CommissionFrom string `json:"commission_from"`
	HoldFrom       string `json:"hold_from"`
}

// TermsFor resolves a partner's terms, program ← group ← partner: the
// program's commission block and hold, each replaced whole where the
// partner's group sets its own, and then the partner's own tier, which
// picks the tier rate and the tier-specific overrides. Every accrual and
// every view of a partner's terms resolves them here.
func (p Program) TermsFor(g GroupTerms, tier Tier) Terms {
	t := Terms{GroupID: g.ID, Tier: tier, TierRateBps: p.TierRatesBps[tier],
		Commission: p.Commission, CommissionFrom: LevelProgram, HoldDays: p.HoldDays, HoldFrom: LevelProgram}
	if g.Commission != nil {
		t.Commission, t.CommissionFrom = *g.Commission, g.Level()
	}
	if g.HoldDays != nil {
		t.HoldDays, t.HoldFrom = *g.HoldDays, g.Level()
	}
	return t
}

// Evaluate computes an order's commission (in's currency and lines) under
// the terms; a line a group's rule decided names the group in its rule.
func (t Terms) Evaluate(in commission.Input) commission.Result {
	in.Tier, in.TierRateBps, in.Scope = string(t.Tier), t.TierRateBps, ""
	if t.CommissionFrom != LevelProgram {
		in.Scope = t.CommissionFrom
	}
	return t.Commission.Evaluate(in)
}

// Hold is the return window under the terms.
func (t Terms) Hold() time.Duration { return time.Duration(t.HoldDays) * 24 * time.Hour }
