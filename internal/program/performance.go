package program

import (
	"fmt"
	"time"

	"github.com/partnerloop/partnerloop/internal/money"
)

// TierRules promote and demote partners by what they sold in the last
// complete period: a calendar month, quarter or year, or the last
// RollingMonths complete months.
type TierRules struct {
	Period        string             `json:"period,omitempty"`
	RollingMonths int                `json:"rolling_months,omitempty"`
	Thresholds    map[Tier]Threshold `json:"thresholds"`
}

// Threshold is met by reaching any of its amounts: net revenue in one of the
// listed currencies, or units.
type Threshold struct {
	Revenue map[money.Currency]int64 `json:"revenue,omitempty"`
	Units   int64                    `json:"units,omitempty"`
}

// Goal pays a bonus per level reached in a calendar period, once per level
// and period: revenue (in Currency) or units, of one category or of all.
type Goal struct {
	ID       string         `json:"id"`
	Period   string         `json:"period"`             // month, quarter or year
	Measure  string         `json:"measure"`            // revenue or units
	Category string         `json:"category,omitempty"` // empty: every category
	Currency money.Currency `json:"currency"`           // of revenue and of the bonus
	Levels   []GoalLevel    `json:"levels"`
}

// GoalLevel is one step of a goal: a bonus for the partner (flat, or a
// share of the period's revenue), a donation the program makes on the
// partner's behalf, or both.
type GoalLevel struct {
	Threshold    int64 `json:"threshold"`
	BonusFlat    int64 `json:"bonus_flat,omitempty"`
	BonusBps     int64 `json:"bonus_bps,omitempty"`
	DonationFlat int64 `json:"donation_flat,omitempty"`
}

// Donations are what the program itself gives to charities on its partners'
// behalf, on top of their commission: a share of each partner's net revenue
// per closed month. They go to the partner's charity, or to DefaultCharity.
type Donations struct {
	RevenueBps     int64  `json:"revenue_bps,omitempty"`
	DefaultCharity string `json:"default_charity,omitempty"`
}

func validPeriod(p string) bool { return p == "month" || p == "quarter" || p == "year" }

func (r *TierRules) check() error {
	if r == nil {
		return nil
	}
	if validPeriod(r.Period) == (r.RollingMonths > 0) {
		return fmt.Errorf("tier_rules needs either period (month, quarter, year) or rolling_months")
	}
	if r.RollingMonths > 24 {
		return fmt.Errorf("tier_rules.rolling_months must be at most 24")
	}
	for tier, th := range r.Thresholds {
		if _, err := ParseTier(string(tier)); err != nil || tier == TierAuthorized {
			return fmt.Errorf("tier_rules.thresholds.%s: only silver and gold have thresholds", tier)
		}
		if len(th.Revenue) == 0 && th.Units <= 0 {
			return fmt.Errorf("tier_rules.thresholds.%s needs revenue or units", tier)
		}
		for cur, v := range th.Revenue {
			if c, err := money.ParseCurrency(string(cur)); err != nil || c != cur || v <= 0 || v > money.MaxAmount {
				return fmt.Errorf("tier_rules.thresholds.%s.revenue.%s must be a positive amount (at most %d) in an ISO 4217 currency", tier, cur, money.MaxAmount)
			}
		}
	}
	return nil
}

func checkGoals(goals []Goal) error {
	ids := map[string]bool{}
	for i, g := range goals {
		f := fmt.Sprintf("goals[%d]", i)
		switch {
		case g.ID == "" || ids[g.ID]:
			return fmt.Errorf("%s.id must be set and unique", f)
		case !validPeriod(g.Period):
			return fmt.Errorf("%s.period must be month, quarter or year", f)
		case g.Measure != "revenue" && g.Measure != "units":
			return fmt.Errorf("%s.measure must be revenue or units", f)
		case len(g.Levels) == 0 || len(g.Levels) > 3:
			return fmt.Errorf("%s.levels must have one to three levels", f)
		}
		if c, err := money.ParseCurrency(string(g.Currency)); err != nil || c != g.Currency {
			return fmt.Errorf("%s.currency must be an ISO 4217 currency", f)
		}
		ids[g.ID] = true
		prev := int64(0)
		for j, l := range g.Levels {
			lf := fmt.Sprintf("%s.levels[%d]", f, j)
			if l.Threshold <= prev || l.Threshold > money.MaxAmount {
				return fmt.Errorf("%s.threshold must be positive, above the previous level's and at most %d", lf, money.MaxAmount)
			}
			if l.BonusFlat > money.MaxAmount || l.DonationFlat > money.MaxAmount {
				return fmt.Errorf("%s: bonus_flat and donation_flat must be at most %d", lf, money.MaxAmount)
			}
			if l.BonusFlat > 0 && l.BonusBps > 0 || l.BonusFlat < 0 || l.BonusBps < 0 || l.BonusBps > money.BasisPointsPerUnit ||
				l.DonationFlat < 0 || l.BonusFlat+l.BonusBps+l.DonationFlat == 0 {
				return fmt.Errorf("%s needs one of bonus_flat and bonus_bps (0 to 10000), a donation_flat, or both", lf)
			}
			if l.BonusBps > 0 && g.Measure != "revenue" {
				return fmt.Errorf("%s.bonus_bps needs measure revenue", lf)
			}
			prev = l.Threshold
		}
	}
	return nil
}

// Period is a calendar period: its key ("2026-11", "2026-Q4", "2026") and
// the months it spans.
type Period struct {
	Key    string
	Start  time.Time // inclusive
	End    time.Time // exclusive
	Months []string
}

// PeriodAt returns the calendar period of kind (month, quarter, year) holding t.
func PeriodAt(kind string, t time.Time) Period {
	t = t.UTC()
	var start time.Time
	var months int
	var key string
	switch kind {
	case "year":
		start, months, key = time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC), 12, t.Format("2006")
	case "quarter":
		q := (int(t.Month()) - 1) / 3
		start, months = time.Date(t.Year(), time.Month(q*3+1), 1, 0, 0, 0, 0, time.UTC), 3
		key = fmt.Sprintf("%d-Q%d", t.Year(), q+1)
	default:
		start, months, key = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC), 1, t.Format("2006-01")
	}
	return monthsFrom(key, start, months)
}

// Previous is the period of the same kind just before p.
func (p Period) Previous(kind string) Period { return PeriodAt(kind, p.Start.Add(-time.Hour)) }

// RollingMonths is the last n complete months before t.
func RollingMonths(n int, t time.Time) Period {
	t = t.UTC()
	end := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	start := end.AddDate(0, -n, 0)
	return monthsFrom(fmt.Sprintf("%s..%s", start.Format("2006-01"), end.AddDate(0, -1, 0).Format("2006-01")), start, n)
}

func monthsFrom(key string, start time.Time, n int) Period {
	p := Period{Key: key, Start: start, End: start.AddDate(0, n, 0)}
	for i := range n {
		p.Months = append(p.Months, start.AddDate(0, i, 0).Format("2006-01"))
	}
	return p
}
