package discount

import (
	"errors"
	"testing"
)

func TestResolveTakesTheGroupsDiscountElseTheProgramsElseNone(t *testing.T) {
	group := &Discount{Kind: Percent, Value: 15, Duration: Once, Provider: CodeList}
	program := &Discount{Kind: Percent, Value: 10, Duration: Once, Provider: Stripe}
	if o, ok := Resolve("friends", group, program); !ok || o.Value != 15 || o.Level != "group:friends" {
		t.Errorf("group's own: %+v %v", o, ok)
	}
	if o, ok := Resolve("friends", nil, program); !ok || o.Value != 10 || o.Level != LevelProgram {
		t.Errorf("the program's: %+v %v", o, ok)
	}
	if o, ok := Resolve("friends", nil, nil); ok {
		t.Errorf("none: %+v", o)
	}
}

func TestTheProgramsDiscountIsNoCodeList(t *testing.T) {
	d := Discount{Kind: Percent, Value: 10, Duration: Once, Provider: CodeList}
	if err := d.Validate("discount"); err != nil {
		t.Fatalf("a group's code list: %v", err)
	}
	if err := d.ValidateForProgram("discount"); !errors.Is(err, ErrInvalid) {
		t.Errorf("the program's code list: %v", err)
	}
}

func TestCouponIsWhatAnOrderNames(t *testing.T) {
	for _, c := range []struct {
		code Code
		want string
	}{
		{Code{Provider: Stripe, Code: "ABC", PromotionCode: "promo_1"}, "promo_1"},
		{Code{Provider: CodeList, Code: "FRIEND-A1"}, "FRIEND-A1"},
		{Code{Provider: Shopify, Code: "ABC"}, ""},
	} {
		if got := c.code.Coupon(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.code, got, c.want)
		}
	}
}
