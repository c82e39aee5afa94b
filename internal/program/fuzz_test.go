package program

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzParse: a program body never panics the parser; a refusal is
// ErrInvalid (answered 422 naming the field); an accepted program is valid
// and survives a round trip through its JSON unchanged.
func FuzzParse(f *testing.F) {
	def, _ := json.Marshal(Default())
	f.Add(def)
	f.Add([]byte(`{"landing_url":"https://shop.example/","hold_days":30,"cookie_days":30,"tier_rates_bps":{"authorized":500,"silver":800,"gold":1200},
		"minimum_payout":{"EUR":5000},"attribution":{"model":"coupon_wins","window_days":30},"recurring":{"months":0},
		"tier_rules":{"period":"quarter","thresholds":{"silver":{"revenue":{"EUR":2000000}},"gold":{"units":2000}}},
		"goals":[{"id":"q","period":"quarter","measure":"revenue","currency":"EUR","levels":[{"threshold":500000,"bonus_flat":10000}]}],
		"commission":{"overrides":[{"id":"a","sku":"X","rate_bps":1500},{"id":"b","category":"c","flat_per_unit":{"EUR":50}}],"cap_per_order":{"EUR":10000}}}`))
	f.Add([]byte(`{"hold_days":-1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := Parse(body)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("refusal is not ErrInvalid: %v", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted an invalid program: %v", err)
		}
		again, _ := json.Marshal(p)
		q, err := Parse(again)
		if err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, p, q)
		}
	})
}
