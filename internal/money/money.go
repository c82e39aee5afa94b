// Package money holds exact monetary amounts: integer minor units tagged with an
// ISO 4217 currency. Floating point never touches an amount.
package money

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
)

// BasisPointsPerUnit is 100% expressed in basis points.
const BasisPointsPerUnit = 10_000

// ErrInvalidAmount is returned for amounts that are malformed, negative where
// that is not allowed, or too large to hold exactly.
var ErrInvalidAmount = errors.New("invalid amount")

// Bounds on what arrives from outside. They keep every sum and product the
// rules compute far inside int64 (an order's 1,000 lines at MaxAmount sum
// to 10^16; a rate or a per-unit amount times a line stays below 10^17), so
// arithmetic on validated input cannot overflow.
const (
	// MaxAmount bounds one amount: a line, tax, shipping, a refund, a
	// program value (10^13 minor units is 100 billion EUR).
	MaxAmount int64 = 10_000_000_000_000
	// MaxQuantity bounds the units of one order line.
	MaxQuantity int64 = 1_000_000
	// MaxUnitAmount bounds an amount paid per unit, so that times
	// MaxQuantity it stays within MaxAmount.
	MaxUnitAmount = MaxAmount / MaxQuantity
)

// MulChecked returns a*b, or false if the product does not fit in an int64.
func MulChecked(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	p := a * b
	if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return p, true
}

// AddChecked returns a+b, or false if the sum does not fit in an int64.
func AddChecked(a, b int64) (int64, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}

// ParseDecimal turns a decimal string such as "12.50" (as Shopify sends prices)
// into minor units of c. More decimals than the currency has is an error rather
// than a silent rounding.
func ParseDecimal(s string, c Currency) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("%w: empty", ErrInvalidAmount)
	}
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(digits, ".")
	exp := c.Exponent()
	frac = strings.TrimRight(frac, "0")
	if len(frac) > exp {
		return 0, fmt.Errorf("%w: %q has more than %d decimals for %s", ErrInvalidAmount, s, exp, c)
	}
	frac += strings.Repeat("0", exp-len(frac))
	if whole == "" {
		whole = "0"
	}
	n, ok := new(big.Int).SetString(whole+frac, 10)
	if !ok || !n.IsInt64() || strings.ContainsAny(whole+frac, "+-") {
		return 0, fmt.Errorf("%w: %q", ErrInvalidAmount, s)
	}
	v := n.Int64()
	if neg {
		v = -v
	}
	return v, nil
}

// Rounding says how a fractional minor unit is resolved.
type Rounding string

const (
	// HalfUp rounds halves away from zero (0.5 → 1, −0.5 → −1).
	HalfUp Rounding = "half_up"
	// HalfEven rounds halves to the even neighbour (banker's rounding).
	HalfEven Rounding = "half_even"
)

// FormatDecimal writes minor units as a plain decimal ("1234" EUR → "12.34"),
// the form payout files expect.
func FormatDecimal(v int64, c Currency) string {
	exp := c.Exponent()
	neg := v < 0
	if neg {
		v = -v
	}
	digits := fmt.Sprintf("%0*d", exp+1, v)
	out := digits
	if exp > 0 {
		out = digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
	}
	if neg {
		out = "-" + out
	}
	return out
}

// MulDiv returns a*num/den rounded half away from zero, computed without
// overflow. It panics on a zero denominator, which is a programming error.
func MulDiv(a, num, den int64) int64 { return MulDivRound(a, num, den, HalfUp) }

// MulDivRound returns a*num/den rounded as mode says, without overflow.
func MulDivRound(a, num, den int64, mode Rounding) int64 {
	if den == 0 {
		panic("money: MulDiv by zero")
	}
	p := new(big.Int).Mul(big.NewInt(a), big.NewInt(num))
	d := big.NewInt(den)
	q, r := new(big.Int).QuoRem(p, d, new(big.Int))
	if r.Sign() != 0 {
		twice := new(big.Int).Abs(r)
		twice.Lsh(twice, 1)
		cmp := twice.Cmp(new(big.Int).Abs(d))
		if cmp > 0 || cmp == 0 && (mode != HalfEven || q.Bit(0) == 1) {
			if p.Sign()*d.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	if !q.IsInt64() {
		return math.MaxInt64
	}
	return q.Int64()
}

// MulDivFloor returns floor(a*num/den) for non-negative inputs; used where a
// share must never exceed its whole (refund reversals, donation splits).
func MulDivFloor(a, num, den int64) int64 {
	if den == 0 {
		panic("money: MulDivFloor by zero")
	}
	p := new(big.Int).Mul(big.NewInt(a), big.NewInt(num))
	q := p.Quo(p, big.NewInt(den))
	if !q.IsInt64() {
		return math.MaxInt64
	}
	return q.Int64()
}

// MulDivFloorRem returns floor(a*num/den) and the remainder a*num − q*den
// for non-negative inputs, without overflow in the product.
func MulDivFloorRem(a, num, den int64) (q, rem int64) {
	p := new(big.Int).Mul(big.NewInt(a), big.NewInt(num))
	qq, rr := p.QuoRem(p, big.NewInt(den), new(big.Int))
	return qq.Int64(), rr.Int64()
}

// ApplyBasisPoints returns amount*bps/10000 rounded half away from zero.
func ApplyBasisPoints(amount int64, bps int64) int64 {
	return MulDiv(amount, bps, BasisPointsPerUnit)
}
