package program

import (
	"testing"

	"github.com/partnerloop/partnerloop/internal/commission"
	"github.com/partnerloop/partnerloop/internal/money"
)

func TestTermsResolveProgramThenGroupThenPartnerTier(t *testing.T) {
	prog := Default()
	prog.Commission = commission.Rules{ExcludeCategories: []string{"gift_cards"}}
	rate := int64(2000)
	holdDays := 7
	groupRules := commission.Rules{Overrides: []commission.Override{{ID: "tools", Category: "tools", RateBps: &rate}}}
	lines := []commission.Line{{SKU: "DRILL", Category: "tools", Quantity: 1, Net: 10000}, {SKU: "GIFT", Category: "gift_cards", Quantity: 1, Net: 5000}}

	for _, tc := range []struct {
		name           string
		group          GroupTerms
		tier           Tier
		rateBps        int64
		holdDays       int
		commissionFrom string
		holdFrom       string
		rules          []string
		amounts        []int64
	}{
		{"the program's terms when the group sets none", GroupTerms{ID: DefaultGroup}, TierSilver, 800, 30, "program", "program",
			[]string{"tier", "excluded"}, []int64{800, 0}},
		{"the group's commission block replaces the program's whole", GroupTerms{ID: "resellers", Commission: &groupRules}, TierSilver, 800, 30,
			"group:resellers", "program", []string{"group:resellers/tools", "tier"}, []int64{2000, 400}},
		{"the group's hold alone", GroupTerms{ID: "fast", HoldDays: &holdDays}, TierGold, 1200, 7, "program", "group:fast",
			[]string{"tier", "excluded"}, []int64{1200, 0}},
		{"the partner's tier picks the rate under the group's rules", GroupTerms{ID: "resellers", Commission: &groupRules, HoldDays: &holdDays}, TierGold, 1200, 7,
			"group:resellers", "group:resellers", []string{"group:resellers/tools", "tier"}, []int64{2000, 600}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			terms := prog.TermsFor(tc.group, tc.tier)
			if terms.TierRateBps != tc.rateBps || terms.HoldDays != tc.holdDays || terms.CommissionFrom != tc.commissionFrom || terms.HoldFrom != tc.holdFrom {
				t.Fatalf("terms %+v", terms)
			}
			if terms.Hold().Hours() != float64(24*tc.holdDays) {
				t.Errorf("hold %v", terms.Hold())
			}
			res := terms.Evaluate(commission.Input{Currency: "EUR", Lines: lines})
			for i, l := range res.Lines {
				if l.Rule != tc.rules[i] || l.Amount != tc.amounts[i] {
					t.Errorf("line %d: %s %d, want %s %d", i, l.Rule, l.Amount, tc.rules[i], tc.amounts[i])
				}
			}
		})
	}
}

func TestGroupFlatPerOrderNamesTheGroup(t *testing.T) {
	rules := commission.Rules{FlatPerOrder: map[money.Currency]int64{"EUR": 500}}
	terms := Default().TermsFor(GroupTerms{ID: "events", Commission: &rules}, TierAuthorized)
	res := terms.Evaluate(commission.Input{Currency: "EUR", Lines: []commission.Line{{SKU: "A", Quantity: 1, Net: 1000}}})
	if len(res.Lines) != 2 || res.Lines[0].Rule != "tier" || res.Lines[1].Rule != "group:events/flat_per_order" || res.Total != 550 {
		t.Fatalf("lines %+v", res)
	}
}
