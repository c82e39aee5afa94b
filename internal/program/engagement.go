package program

import (
	"fmt"
	"maps"
	"slices"

	"github.com/partnerloop/partnerloop/internal/money"
)

// Activities partners earn points for outside sales.
const (
	ActivityTrainingCompleted = "training.completed"
	ActivityQuizPassed        = "quiz.passed"
)

// ActivityTypes lists the activities a program may give points for.
func ActivityTypes() []string { return []string{ActivityTrainingCompleted, ActivityQuizPassed} }

// MaxPoints bounds every points figure of a program (per unit, per
// activity, a badge or a reward), keeping sums far inside int64.
const MaxPoints = 1_000_000

// Points are what partners earn besides commission: per whole unit of net
// attributed revenue in a currency (1 point per 1.00 EUR), and per activity.
type Points struct {
	PerUnit    map[money.Currency]int64 `json:"per_unit,omitempty"`
	Activities map[string]int64         `json:"activities,omitempty"`
}

// ForRevenue is the points net minor units of cur earn: per_unit for each
// whole unit, fractions dropped.
func (p *Points) ForRevenue(cur money.Currency, net int64) int64 {
	if p == nil || net <= 0 {
		return 0
	}
	per := p.PerUnit[cur]
	if per == 0 {
		return 0
	}
	unit := int64(1)
	for range cur.Exponent() {
		unit *= 10
	}
	return money.MulDivFloor(net, per, unit)
}

// ForActivity is the points an activity earns, and whether the program
// gives any for it.
func (p *Points) ForActivity(kind string) (int64, bool) {
	if p == nil {
		return 0, false
	}
	n, ok := p.Activities[kind]
	return n, ok && n > 0
}

func (p *Points) check() error {
	if p == nil {
		return nil
	}
	for _, cur := range slices.Sorted(maps.Keys(p.PerUnit)) {
		if c, err := money.ParseCurrency(string(cur)); err != nil || c != cur {
			return fmt.Errorf("points.per_unit.%s is not an ISO 4217 currency", cur)
		}
		if v := p.PerUnit[cur]; v < 0 || v > MaxPoints {
			return fmt.Errorf("points.per_unit.%s must be between 0 and %d", cur, MaxPoints)
		}
	}
	for _, kind := range slices.Sorted(maps.Keys(p.Activities)) {
		if !slices.Contains(ActivityTypes(), kind) {
			return fmt.Errorf("points.activities.%s: activities are %v", kind, ActivityTypes())
		}
		if v := p.Activities[kind]; v < 0 || v > MaxPoints {
			return fmt.Errorf("points.activities.%s must be between 0 and %d", kind, MaxPoints)
		}
	}
	return nil
}

// Badge is awarded once per partner when its rule first holds.
type Badge struct {
	ID   string    `json:"id"`
	Name string    `json:"name"`
	Rule BadgeRule `json:"rule"`
}

// BadgeRule is exactly one condition: a first attributed sale, reaching a
// tier (or above), a number of completed challenges, or lifetime net
// revenue in a currency.
type BadgeRule struct {
	FirstSale           bool                     `json:"first_sale,omitempty"`
	Tier                Tier                     `json:"tier,omitempty"`
	ChallengesCompleted int                      `json:"challenges_completed,omitempty"`
	Revenue             map[money.Currency]int64 `json:"revenue,omitempty"`
}

// Standing is what badge rules are judged on.
type Standing struct {
	Tier                Tier
	AttributedOrders    int64
	ChallengesCompleted int
	LifetimeRevenue     map[money.Currency]int64
}

// Holds reports whether the rule holds for a partner in this standing.
func (r BadgeRule) Holds(s Standing) bool {
	switch {
	case r.FirstSale:
		return s.AttributedOrders > 0
	case r.Tier != "":
		return TierRank(s.Tier) >= TierRank(r.Tier)
	case r.ChallengesCompleted > 0:
		return s.ChallengesCompleted >= r.ChallengesCompleted
	}
	for cur, v := range r.Revenue {
		if s.LifetimeRevenue[cur] >= v {
			return true
		}
	}
	return false
}

// TierRank orders tiers from 0 (authorized) up; -1 for an unknown one.
func TierRank(t Tier) int { return slices.Index(Tiers(), t) }

func checkBadges(badges []Badge) error {
	ids := map[string]bool{}
	for i, b := range badges {
		f := fmt.Sprintf("badges[%d]", i)
		if b.ID == "" || len(b.ID) > 64 || ids[b.ID] {
			return fmt.Errorf("%s.id must be set, unique and at most 64 characters", f)
		}
		if b.Name == "" || len(b.Name) > 100 {
			return fmt.Errorf("%s.name must be 1 to 100 characters", f)
		}
		ids[b.ID] = true
		r := b.Rule
		set := 0
		for _, on := range []bool{r.FirstSale, r.Tier != "", r.ChallengesCompleted != 0, len(r.Revenue) > 0} {
			if on {
				set++
			}
		}
		if set != 1 {
			return fmt.Errorf("%s.rule must be exactly one of first_sale, tier, challenges_completed, revenue", f)
		}
		if r.Tier != "" && TierRank(r.Tier) < 0 {
			return fmt.Errorf("%s.rule.tier must be one of authorized, silver, gold", f)
		}
		if r.ChallengesCompleted < 0 || r.ChallengesCompleted > 1000 {
			return fmt.Errorf("%s.rule.challenges_completed must be between 1 and 1000", f)
		}
		for cur, v := range r.Revenue {
			if c, err := money.ParseCurrency(string(cur)); err != nil || c != cur || v <= 0 || v > money.MaxAmount {
				return fmt.Errorf("%s.rule.revenue.%s must be a positive amount (at most %d) in an ISO 4217 currency", f, cur, money.MaxAmount)
			}
		}
	}
	return nil
}
