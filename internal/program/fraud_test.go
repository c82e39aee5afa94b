package program

import (
	"errors"
	"testing"

	"github.com/partnerloop/partnerloop/internal/money"
)

func TestFraudSettingsAreValidated(t *testing.T) {
	for body, field := range map[string]string{
		`{"rules":{"made_up":{"enabled":true}}}`:                                  "fraud.rules.made_up",
		`{"rules":{"large_commission":{"enabled":true,"action":"block"}}}`:        "fraud.rules.large_commission.action",
		`{"rules":{"large_commission":{"enabled":true,"amounts":{"EUR":0}}}}`:     "fraud.rules.large_commission.amounts.EUR",
		`{"rules":{"banned_referrer":{"enabled":true,"hosts":["https://x.io"]}}}`: "fraud.rules.banned_referrer.hosts[0]",
		`{"four_eyes_above":{"eur":100}}`:                                         "fraud.four_eyes_above.eur",
	} {
		_, err := Parse([]byte(`{"landing_url":"https://shop.example/","hold_days":30,"cookie_days":30,
			"tier_rates_bps":{"authorized":500,"silver":800,"gold":1200},"minimum_payout":{"EUR":5000},"fraud":` + body + `}`))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: got %v, want a refusal naming %s", body, err, field)
		}
	}
}

func TestGroupReplacesAFraudRuleWhole(t *testing.T) {
	p := Default()
	p.Fraud.Rules = map[string]FraudRule{
		FraudLargeCommission: {Enabled: true, Amounts: map[money.Currency]int64{"EUR": 100}},
		FraudDisposableEmail: {Enabled: true},
	}
	f := p.FraudFor(map[string]FraudRule{FraudLargeCommission: {Enabled: true, Action: FraudFlag}})
	if r, on := f.Rule(FraudLargeCommission); !on || r.Holds() || len(r.Amounts) != 0 {
		t.Errorf("the group's rule replaces the program's: %+v", r)
	}
	if _, on := f.Rule(FraudDisposableEmail); !on {
		t.Error("a rule the group does not set stays the program's")
	}
	if r := p.Fraud.Rules[FraudLargeCommission]; !r.Holds() {
		t.Error("resolving a group's settings must not change the program's")
	}
}
