package program

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/money"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestParseNamesTheBadField(t *testing.T) {
	for _, tc := range []struct{ json, field string }{
		{`{"landing_url":"javascript:alert(1)","cookie_days":1,"tier_rates_bps":{"authorized":1,"silver":1,"gold":1},"minimum_payout":{"EUR":1}}`, "landing_url"},
		{`{"landing_url":"https://a.example/","hold_days":-1,"cookie_days":1,"tier_rates_bps":{"authorized":1,"silver":1,"gold":1},"minimum_payout":{"EUR":1}}`, "hold_days"},
		{`{"landing_url":"https://a.example/","cookie_days":1,"tier_rates_bps":{"authorized":1,"silver":1},"minimum_payout":{"EUR":1}}`, "tier_rates_bps.gold"},
		{`{"landing_url":"https://a.example/","cookie_days":1,"tier_rates_bps":{"authorized":1,"silver":1,"gold":10001},"minimum_payout":{"EUR":1}}`, "tier_rates_bps.gold"},
		{`{"landing_url":"https://a.example/","cookie_days":1,"tier_rates_bps":{"authorized":1,"silver":1,"gold":1},"minimum_payout":{"EURO":1}}`, "minimum_payout.EURO"},
		{`{"landing_url":"https://a.example/","cookie_days":1,"tier_rates_bps":{"authorized":1,"silver":1,"gold":1},"minimum_payout":{"EUR":0}}`, "minimum_payout.EUR"},
	} {
		_, err := Parse([]byte(tc.json))
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("Parse(%s) = %v, want error naming %s", tc.json, err, tc.field)
		}
	}
}

func TestParseTier(t *testing.T) {
	if tier, err := ParseTier(""); err != nil || tier != TierAuthorized {
		t.Fatalf("empty tier = %q, %v", tier, err)
	}
	if _, err := ParseTier("platinum"); err == nil {
		t.Fatal("unknown tier accepted")
	}
}

func TestPeriods(t *testing.T) {
	at := time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		p          Period
		key        string
		start, end string
		months     int
	}{
		{PeriodAt("month", at), "2026-11", "2026-11-01", "2026-12-01", 1},
		{PeriodAt("quarter", at), "2026-Q4", "2026-10-01", "2027-01-01", 3},
		{PeriodAt("year", at), "2026", "2026-01-01", "2027-01-01", 12},
		{PeriodAt("quarter", at).Previous("quarter"), "2026-Q3", "2026-07-01", "2026-10-01", 3},
		{PeriodAt("month", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).Previous("month"), "2025-12", "2025-12-01", "2026-01-01", 1},
		{RollingMonths(3, at), "2026-08..2026-10", "2026-08-01", "2026-11-01", 3},
	} {
		if tc.p.Key != tc.key || tc.p.Start.Format(time.DateOnly) != tc.start || tc.p.End.Format(time.DateOnly) != tc.end || len(tc.p.Months) != tc.months {
			t.Errorf("%+v, want %s %s..%s (%d months)", tc.p, tc.key, tc.start, tc.end, tc.months)
		}
	}
}

func TestPerformanceRulesNameTheField(t *testing.T) {
	base := Default()
	for _, tc := range []struct {
		mutate func(*Program)
		field  string
	}{
		{func(p *Program) { p.TierRules = &TierRules{Thresholds: map[Tier]Threshold{"silver": {Units: 1}}} }, "tier_rules"},
		{func(p *Program) {
			p.TierRules = &TierRules{Period: "quarter", Thresholds: map[Tier]Threshold{"authorized": {Units: 1}}}
		}, "tier_rules.thresholds.authorized"},
		{func(p *Program) {
			p.TierRules = &TierRules{Period: "month", Thresholds: map[Tier]Threshold{"gold": {}}}
		}, "tier_rules.thresholds.gold"},
		{func(p *Program) { p.Goals = []Goal{{ID: "g", Period: "week", Measure: "units", Currency: "EUR"}} }, "goals[0].period"},
		{func(p *Program) {
			p.Goals = []Goal{{ID: "g", Period: "month", Measure: "units", Currency: "EUR", Levels: []GoalLevel{{Threshold: 5, BonusFlat: 1}, {Threshold: 5, BonusFlat: 2}}}}
		}, "goals[0].levels[1].threshold"},
		{func(p *Program) {
			p.Goals = []Goal{{ID: "g", Period: "month", Measure: "units", Currency: "EUR", Levels: []GoalLevel{{Threshold: 5}}}}
		}, "goals[0].levels[0] needs"},
		{func(p *Program) { p.Donations = &Donations{RevenueBps: 20000} }, "donations.revenue_bps"},
		{func(p *Program) {
			p.Goals = []Goal{{ID: "g", Period: "month", Measure: "units", Currency: "EUR", Levels: []GoalLevel{{Threshold: 5, BonusBps: 100}}}}
		}, "goals[0].levels[0].bonus_bps"},
		{func(p *Program) {
			p.Goals = []Goal{{ID: "g", Period: "month", Measure: "units", Currency: "EUR", Levels: []GoalLevel{{Threshold: 1, BonusFlat: 1}, {Threshold: 2, BonusFlat: 1}, {Threshold: 3, BonusFlat: 1}, {Threshold: 4, BonusFlat: 1}}}}
		}, "goals[0].levels"},
	} {
		p := base
		tc.mutate(&p)
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("got %v, want an error naming %s", err, tc.field)
		}
	}
}

func TestRecurringCutOff(t *testing.T) {
	jan31 := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		r    Recurring
		at   time.Time
		want bool
	}{
		{"months 0: the first invoice earns", Recurring{Months: 0}, jan31.Add(time.Hour), true},
		{"months 0: nothing after it", Recurring{Months: 0}, jan31.AddDate(0, 0, 2), false},
		{"months 1: the last day of the shorter month still earns", Recurring{Months: 1}, time.Date(2026, 2, 28, 9, 59, 0, 0, time.UTC), true},
		{"months 1: ends on 28 February, not 3 March", Recurring{Months: 1}, time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC), false},
		{"months 12: a year later it ends", Recurring{Months: 12}, time.Date(2027, 1, 31, 10, 0, 0, 0, time.UTC), false},
		{"forever", Recurring{Forever: true}, jan31.AddDate(5, 0, 0), true},
	} {
		if got := tc.r.Earns(jan31, tc.at); got != tc.want {
			t.Errorf("%s: Earns = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := AddMonths(time.Date(2028, 1, 31, 0, 0, 0, 0, time.UTC), 1); got.Day() != 29 || got.Month() != time.February {
		t.Errorf("leap year: %v", got)
	}
}

func TestRefusalsNameTheirField(t *testing.T) {
	for body, field := range map[string]string{
		`{"landing_url":"nope"}`: "landing_url",
		`{"hold_days":"ten"}`:    "hold_days",
		`{"landing_urll":"x"}`:   "landing_urll",
		`{"landing_url":"https://a.example/","cookie_days":30,"tier_rates_bps":{"authorized":1,"silver":2,"gold":20000}}`: "tier_rates_bps.gold",
	} {
		_, err := Parse([]byte(body))
		var fe *FieldError
		if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) || fe.Field != field {
			t.Errorf("%s: %v names %q, want %q", body, err, fieldOf(fe), field)
		}
	}
}

func fieldOf(fe *FieldError) string {
	if fe == nil {
		return "(no field)"
	}
	return fe.Field
}

func TestPointsAndBadgeRules(t *testing.T) {
	pts := &Points{PerUnit: map[money.Currency]int64{"EUR": 2, "JPY": 1}}
	if got := pts.ForRevenue("EUR", 12399); got != 247 {
		t.Fatalf("123.99 EUR at 2 per euro: %d", got)
	}
	if got := pts.ForRevenue("JPY", 500); got != 500 {
		t.Fatalf("JPY has no minor unit: %d", got)
	}
	if got := pts.ForRevenue("USD", 10000); got != 0 {
		t.Fatalf("a currency without points: %d", got)
	}
	s := Standing{Tier: TierSilver, AttributedOrders: 1, ChallengesCompleted: 2, LifetimeRevenue: map[money.Currency]int64{"EUR": 5000}}
	for rule, want := range map[string]bool{
		`{"first_sale":true}`: true, `{"tier":"silver"}`: true, `{"tier":"gold"}`: false,
		`{"challenges_completed":3}`: false, `{"revenue":{"EUR":5000}}`: true, `{"revenue":{"USD":1}}`: false,
	} {
		var r BadgeRule
		if err := json.Unmarshal([]byte(rule), &r); err != nil {
			t.Fatal(err)
		}
		if r.Holds(s) != want {
			t.Errorf("%s holds = %v", rule, !want)
		}
	}
	for field, p := range map[string]func(*Program){
		"points.per_unit.eur":       func(p *Program) { p.Points = &Points{PerUnit: map[money.Currency]int64{"eur": 1}} },
		"points.activities.webinar": func(p *Program) { p.Points = &Points{Activities: map[string]int64{"webinar": 1}} },
		"badges[0].rule": func(p *Program) {
			p.Badges = []Badge{{ID: "b", Name: "B", Rule: BadgeRule{FirstSale: true, Tier: TierGold}}}
		},
		"badges[1].id": func(p *Program) {
			p.Badges = []Badge{{ID: "b", Name: "B", Rule: BadgeRule{FirstSale: true}}, {ID: "b", Name: "C", Rule: BadgeRule{FirstSale: true}}}
		},
	} {
		prog := Default()
		p(&prog)
		var fe *FieldError
		if err := prog.Validate(); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("want a refusal of %s, got %v", field, err)
		}
	}
}
