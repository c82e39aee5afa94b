package commission

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/partnerloop/partnerloop/internal/money"
)

func bps(v int64) *int64 { return &v }

func TestEvaluate(t *testing.T) {
	lines := []Line{
		{SKU: "DRILL", Category: "tools", Quantity: 1, Net: 14995},
		{SKU: "BITS", Category: "accessories", Quantity: 3, Net: 2997},
		{SKU: "GIFT", Category: "gift_cards", Quantity: 1, Net: 5000},
	}
	for _, tc := range []struct {
		name   string
		rules  Rules
		tier   string
		want   []int64
		via    []string
		total  int64
		capped bool
	}{
		{"tier rate on every line, half up", Rules{}, "silver",
			[]int64{1200, 240, 400}, []string{"tier", "tier", "tier"}, 1840, false}, // 1199.6→1200, 239.76→240
		{"excluded category earns nothing", Rules{ExcludeCategories: []string{"gift_cards"}}, "silver",
			[]int64{1200, 240, 0}, []string{"tier", "tier", "excluded"}, 1440, false},
		{"sku override beats category override listed after it", Rules{Overrides: []Override{
			{ID: "drill-promo", SKU: "DRILL", RateBps: bps(1500)},
			{ID: "tools", Category: "tools", RateBps: bps(100)},
		}}, "silver", []int64{2249, 240, 400}, []string{"drill-promo", "tier", "tier"}, 2889, false}, // 2249.25
		{"flat per unit", Rules{Overrides: []Override{{ID: "bits", SKU: "BITS", FlatPerUnit: map[money.Currency]int64{"EUR": 50}}}}, "silver",
			[]int64{1200, 150, 400}, []string{"tier", "bits", "tier"}, 1750, false},
		{"tier-specific override only for that tier", Rules{Overrides: []Override{{ID: "gold-tools", Category: "tools", Tier: "gold", RateBps: bps(2000)}}}, "silver",
			[]int64{1200, 240, 400}, []string{"tier", "tier", "tier"}, 1840, false},
		{"flat per order is its own line", Rules{FlatPerOrder: map[money.Currency]int64{"EUR": 500}}, "silver",
			[]int64{1200, 240, 400, 500}, []string{"tier", "tier", "tier", "flat_per_order"}, 2340, false},
		{"cap scales lines and keeps the sum exact", Rules{CapPerOrder: map[money.Currency]int64{"EUR": 1000}}, "silver",
			[]int64{652, 131, 217}, []string{"tier", "tier", "tier"}, 1000, true},
		{"cap in another currency does not apply", Rules{CapPerOrder: map[money.Currency]int64{"USD": 1}}, "silver",
			[]int64{1200, 240, 400}, []string{"tier", "tier", "tier"}, 1840, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.rules.Evaluate(Input{Currency: "EUR", Tier: tc.tier, TierRateBps: 800, Lines: lines})
			var sum int64
			for i, l := range res.Lines {
				sum += l.Amount
				if l.Amount != tc.want[i] || l.Rule != tc.via[i] {
					t.Errorf("line %d: %d by %s, want %d by %s", i, l.Amount, l.Rule, tc.want[i], tc.via[i])
				}
			}
			if len(res.Lines) != len(tc.want) || res.Total != tc.total || sum != res.Total || res.Capped != tc.capped {
				t.Errorf("total %d (lines sum %d) capped %v, want %d capped %v", res.Total, sum, res.Capped, tc.total, tc.capped)
			}
		})
	}
}

func TestRoundingModes(t *testing.T) {
	// 5% of 10.50 = 0.525 → half-up 53, half-even 52; 5% of 10.70 = 0.535 → 54 both.
	lines := []Line{{SKU: "A", Quantity: 1, Net: 1050}, {SKU: "B", Quantity: 1, Net: 1070}}
	for mode, want := range map[money.Rounding][2]int64{money.HalfUp: {53, 54}, money.HalfEven: {52, 54}} {
		res := Rules{Rounding: mode}.Evaluate(Input{Currency: "EUR", TierRateBps: 500, Lines: lines})
		if res.Lines[0].Amount != want[0] || res.Lines[1].Amount != want[1] {
			t.Errorf("%s: %+v", mode, res.Lines)
		}
	}
}

func TestCapNeverLosesOrInventsAUnit(t *testing.T) {
	for limit := int64(1); limit < 200; limit++ {
		r := Rules{CapPerOrder: map[money.Currency]int64{"EUR": limit}}
		res := r.Evaluate(Input{Currency: "EUR", TierRateBps: 333, Lines: []Line{
			{SKU: "A", Net: 1999}, {SKU: "B", Net: 777}, {SKU: "C", Net: 3001}, {SKU: "D", Net: 1}}})
		var sum int64
		for _, l := range res.Lines {
			sum += l.Amount
		}
		if res.Total > 0 && (sum != res.Total || res.Total > limit) {
			t.Fatalf("limit %d: total %d, lines sum %d", limit, res.Total, sum)
		}
	}
}

func TestValidateNamesTheField(t *testing.T) {
	for _, tc := range []struct{ json, field string }{
		{`{"rounding":"up"}`, "commission.rounding"},
		{`{"overrides":[{"id":"a","rate_bps":100},{"id":"a","rate_bps":200}]}`, "commission.overrides[1].id"},
		{`{"overrides":[{"id":"a"}]}`, "commission.overrides[0] must set exactly one"},
		{`{"overrides":[{"id":"a","rate_bps":100,"flat_per_unit":{"EUR":1}}]}`, "commission.overrides[0] must set exactly one"},
		{`{"overrides":[{"id":"a","rate_bps":10001}]}`, "commission.overrides[0].rate_bps"},
		{`{"overrides":[{"id":"a","flat_per_unit":{"EURO":1}}]}`, "commission.overrides[0].flat_per_unit.EURO"},
		{`{"cap_per_order":{"EUR":-1}}`, "commission.cap_per_order.EUR"},
		{`{"flat_per_order":{"EUR":0}}`, "commission.flat_per_order.EUR"},
	} {
		var r Rules
		if err := json.Unmarshal([]byte(tc.json), &r); err != nil {
			t.Fatal(err)
		}
		if err := r.Validate(); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v, want an error naming %s", tc.json, err, tc.field)
		}
	}
}

func BenchmarkEvaluateTypicalOrder(b *testing.B) {
	r := Rules{
		Overrides: []Override{
			{ID: "drill-promo", SKU: "DRILL", RateBps: bps(1500)},
			{ID: "bits", Category: "accessories", FlatPerUnit: map[money.Currency]int64{"EUR": 50}},
			{ID: "gold-tools", Category: "tools", Tier: "gold", RateBps: bps(2000)},
		},
		ExcludeCategories: []string{"gift_cards"},
		FlatPerOrder:      map[money.Currency]int64{"EUR": 100},
		CapPerOrder:       map[money.Currency]int64{"EUR": 2000},
	}
	in := Input{Currency: "EUR", Tier: "silver", TierRateBps: 800, Lines: []Line{
		{SKU: "DRILL", Category: "tools", Quantity: 1, Net: 14995}, {SKU: "BITS", Category: "accessories", Quantity: 3, Net: 2997},
		{SKU: "SAW", Category: "tools", Quantity: 1, Net: 8999}, {SKU: "GIFT", Category: "gift_cards", Quantity: 1, Net: 5000},
		{SKU: "GLOVES", Category: "apparel", Quantity: 2, Net: 1998}}}
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Evaluate(in)
	}
}

// The worked example of the README's "Cap per order": 10% of 333, 333 and
// 334 is 33.3 + 33.3 + 33.4 = 100 (rounded lines 33, 33, 33 plus a flat 10 =
// 109) capped at 50: each line is scaled by 50/109 and floored (15, 15, 15,
// 4 = 49) and the unit left over goes to the line with the largest remainder
// (the flat line: 10·50 mod 109 = 64 beats 33·50 mod 109 = 15).
func TestCapWorkedExampleFromTheREADME(t *testing.T) {
	r := Rules{CapPerOrder: map[money.Currency]int64{"EUR": 50}, FlatPerOrder: map[money.Currency]int64{"EUR": 10}}
	res := r.Evaluate(Input{Currency: "EUR", TierRateBps: 1000, Lines: []Line{{SKU: "A", Net: 333}, {SKU: "B", Net: 333}, {SKU: "C", Net: 334}}})
	var got []int64
	for _, l := range res.Lines {
		got = append(got, l.Amount)
	}
	if !slices.Equal(got, []int64{15, 15, 15, 5}) || res.Total != 50 || !res.Capped {
		t.Fatalf("lines %v total %d capped %v", got, res.Total, res.Capped)
	}
}
