package money

import (
	"errors"
	"math"
	"math/big"
	"testing"
)

func TestParseCurrency(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Currency
		err  bool
	}{
		{"EUR", "EUR", false},
		{" eur ", "EUR", false},
		{"jpy", "JPY", false},
		{"XXX", "", true},
		{"EURO", "", true},
		{"", "", true},
	} {
		got, err := ParseCurrency(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseCurrency(%q) = %q, %v", tc.in, got, err)
		}
		if tc.err && !errors.Is(err, ErrUnknownCurrency) {
			t.Errorf("ParseCurrency(%q) error %v is not ErrUnknownCurrency", tc.in, err)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		cur  Currency
		want int64
		err  bool
	}{
		{"12.50", "EUR", 1250, false},
		{"12.5", "EUR", 1250, false},
		{"12", "EUR", 1200, false},
		{"0.01", "USD", 1, false},
		{".99", "USD", 99, false},
		{"1000", "JPY", 1000, false},
		{"1.000", "JPY", 1, false},
		{"1.234", "KWD", 1234, false},
		{"-3.10", "EUR", -310, false},
		{"12.505", "EUR", 0, true},
		{"1.5", "JPY", 0, true},
		{"abc", "EUR", 0, true},
		{"1.-5", "EUR", 0, true},
		{"", "EUR", 0, true},
		{"99999999999999999999", "EUR", 0, true},
	} {
		got, err := ParseDecimal(tc.in, tc.cur)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseDecimal(%q, %s) = %d, %v; want %d, err=%v", tc.in, tc.cur, got, err, tc.want, tc.err)
		}
	}
}

func TestMulDivRoundsHalfAwayFromZero(t *testing.T) {
	for _, tc := range []struct{ a, num, den, want int64 }{
		{10000, 500, 10000, 500},
		{999, 500, 10000, 50},   // 49.95 → 50
		{989, 500, 10000, 49},   // 49.45 → 49
		{990, 500, 10000, 50},   // 49.5 → 50
		{-990, 500, 10000, -50}, // -49.5 → -50
		{math.MaxInt64, 2, 2, math.MaxInt64},
	} {
		if got := MulDiv(tc.a, tc.num, tc.den); got != tc.want {
			t.Errorf("MulDiv(%d,%d,%d) = %d, want %d", tc.a, tc.num, tc.den, got, tc.want)
		}
	}
}

func TestMulDivRoundHalfEven(t *testing.T) {
	for _, tc := range []struct{ a, want int64 }{
		{250, 2}, {350, 4}, {251, 3}, {-250, -2}, {-350, -4}, {249, 2},
	} {
		if got := MulDivRound(tc.a, 1, 100, HalfEven); got != tc.want {
			t.Errorf("half-even %d/100 = %d, want %d", tc.a, got, tc.want)
		}
	}
	if got := MulDivRound(250, 1, 100, HalfUp); got != 3 {
		t.Errorf("half-up 2.5 = %d", got)
	}
}

func TestMulDivFloorNeverExceedsShare(t *testing.T) {
	if got := MulDivFloor(999, 1, 2); got != 499 {
		t.Fatalf("got %d", got)
	}
	if got := ApplyBasisPoints(20000, 800); got != 1600 {
		t.Fatalf("8%% of 200.00 = %d", got)
	}
}

func TestFormatDecimal(t *testing.T) {
	for _, tc := range []struct {
		v    int64
		c    Currency
		want string
	}{{1234, "EUR", "12.34"}, {5, "EUR", "0.05"}, {0, "USD", "0.00"}, {-1050, "EUR", "-10.50"}, {1500, "JPY", "1500"}, {1234, "KWD", "1.234"}} {
		if got := FormatDecimal(tc.v, tc.c); got != tc.want {
			t.Errorf("FormatDecimal(%d, %s) = %s, want %s", tc.v, tc.c, got, tc.want)
		}
		if back, err := ParseDecimal(tc.want, tc.c); err != nil || back != tc.v {
			t.Errorf("round trip of %s: %d %v", tc.want, back, err)
		}
	}
}

func TestCheckedArithmetic(t *testing.T) {
	for _, tc := range []struct {
		a, b    int64
		mul, ok bool
	}{
		{math.MaxInt64, 1, false, false},
		{math.MaxInt64, -1, false, true},
		{math.MinInt64, -1, false, false},
		{1 << 62, 2, true, false},
		{(1 << 62) + 5, 4, true, false}, // wraps to 20 unchecked
		{-(1 << 62), 2, true, true},
		{MaxUnitAmount, MaxQuantity, true, true},
		{MaxAmount, MaxQuantity, true, false},
		{math.MinInt64, -1, true, false},
		{-1, math.MinInt64, true, false},
		{3, -7, true, true},
	} {
		var got int64
		var ok bool
		var want big.Int
		if tc.mul {
			got, ok = MulChecked(tc.a, tc.b)
			want.Mul(big.NewInt(tc.a), big.NewInt(tc.b))
		} else {
			got, ok = AddChecked(tc.a, tc.b)
			want.Add(big.NewInt(tc.a), big.NewInt(tc.b))
		}
		if ok != tc.ok || ok && (!want.IsInt64() || want.Int64() != got) {
			t.Errorf("%d op %d (mul %v): %d %v", tc.a, tc.b, tc.mul, got, ok)
		}
	}
}
