package program

import (
	"strings"
	"testing"
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
