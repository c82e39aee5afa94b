// Package commission computes what an order earns a partner, line by line,
// from the program's rules. It is pure: no clock, no storage.
//
// Evaluation order, fixed so every result can be reproduced:
//  1. Each line is looked at on its own. A line whose category is excluded
//     earns nothing.
//  2. Otherwise the first override (in the order the program lists them)
//     whose sku, category and tier criteria all match the line decides:
//     a percentage of the line's net amount, or a flat amount per unit.
//  3. Otherwise the partner's tier rate applies to the line's net amount.
//  4. A flat amount per order, if the program has one, is added as its own line.
//  5. A cap per order scales every line down so that the lines still add up
//     to the order's commission to the unit (largest remainder).
//
// Net amounts exclude tax and shipping and are after discounts; gift cards
// are excluded by the source adapters or by excluding their category.
package commission

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/money"
)

// Rules are the commission part of a program.
type Rules struct {
	Rounding          money.Rounding           `json:"rounding,omitempty"` // half_up (default) or half_even
	Overrides         []Override               `json:"overrides,omitempty"`
	FlatPerOrder      map[money.Currency]int64 `json:"flat_per_order,omitempty"`
	CapPerOrder       map[money.Currency]int64 `json:"cap_per_order,omitempty"`
	ExcludeCategories []string                 `json:"exclude_categories,omitempty"`
}

// Override replaces the tier rate for matching lines. Empty criteria match
// anything; exactly one of RateBps and FlatPerUnit is set.
type Override struct {
	ID          string                   `json:"id"`
	SKU         string                   `json:"sku,omitempty"`
	Category    string                   `json:"category,omitempty"`
	Tier        string                   `json:"tier,omitempty"`
	RateBps     *int64                   `json:"rate_bps,omitempty"`
	FlatPerUnit map[money.Currency]int64 `json:"flat_per_unit,omitempty"`
}

// Validate names the first field that is wrong.
func (r Rules) Validate() error {
	if err := r.checkLengths(); err != nil {
		return err
	}
	switch r.Rounding {
	case "", money.HalfUp, money.HalfEven:
	default:
		return fmt.Errorf("commission.rounding must be half_up or half_even")
	}
	ids := map[string]bool{}
	for i, o := range r.Overrides {
		field := fmt.Sprintf("commission.overrides[%d]", i)
		if o.ID == "" || ids[o.ID] {
			return fmt.Errorf("%s.id must be set and unique", field)
		}
		ids[o.ID] = true
		if (o.RateBps == nil) == (len(o.FlatPerUnit) == 0) {
			return fmt.Errorf("%s must set exactly one of rate_bps and flat_per_unit", field)
		}
		if o.RateBps != nil && (*o.RateBps < 0 || *o.RateBps > money.BasisPointsPerUnit) {
			return fmt.Errorf("%s.rate_bps must be between 0 and 10000", field)
		}
		if err := amountsUpTo(field+".flat_per_unit", o.FlatPerUnit, true, money.MaxUnitAmount); err != nil {
			return err
		}
	}
	if err := amounts("commission.flat_per_order", r.FlatPerOrder, false); err != nil {
		return err
	}
	return amounts("commission.cap_per_order", r.CapPerOrder, false)
}

// checkLengths holds the rules' ids, SKUs and categories to the bound of ids.
func (r Rules) checkLengths() error {
	var errs []error
	for i, o := range r.Overrides {
		f := fmt.Sprintf("commission.overrides[%d]", i)
		errs = append(errs, bounds.ID.Check(f+".id", o.ID), bounds.ID.Check(f+".sku", o.SKU),
			bounds.ID.Check(f+".category", o.Category), bounds.ID.Check(f+".tier", o.Tier))
	}
	for i, c := range r.ExcludeCategories {
		errs = append(errs, bounds.ID.Check(fmt.Sprintf("commission.exclude_categories[%d]", i), c))
	}
	return bounds.First(errs...)
}

func amounts(field string, m map[money.Currency]int64, allowZero bool) error {
	return amountsUpTo(field, m, allowZero, money.MaxAmount)
}

func amountsUpTo(field string, m map[money.Currency]int64, allowZero bool, limit int64) error {
	for cur, v := range m {
		if c, err := money.ParseCurrency(string(cur)); err != nil || c != cur {
			return fmt.Errorf("%s.%s is not an ISO 4217 currency", field, cur)
		}
		if v < 0 || (!allowZero && v == 0) {
			return fmt.Errorf("%s.%s must be positive", field, cur)
		}
		if v > limit {
			return fmt.Errorf("%s.%s must be at most %d", field, cur, limit)
		}
	}
	return nil
}

// Line is one order line as the engine sees it.
type Line struct {
	SKU      string
	Category string
	Quantity int64
	Net      int64
}

// Input is an order to evaluate.
type Input struct {
	Currency    money.Currency
	Tier        string
	TierRateBps int64
	Lines       []Line
	// Scope, if set, names who set the rules ("group:<id>") before every
	// rule they decided ("group:<id>/<override id>"), so a statement says
	// which level decided; the tier rate's lines stay "tier".
	Scope string
}

// LineResult is what one line (or the per-order flat amount) earned and why.
type LineResult struct {
	SKU    string `json:"sku" dynamodbav:"sku"`
	Net    int64  `json:"net" dynamodbav:"net"`
	Rule   string `json:"rule" dynamodbav:"rule"` // override id, "tier", "excluded" or "flat_per_order", scoped by Input.Scope
	Amount int64  `json:"amount" dynamodbav:"amount"`
}

// Result is an order's commission; Total is the sum of the lines.
type Result struct {
	Lines  []LineResult `json:"lines"`
	Total  int64        `json:"total"`
	Capped bool         `json:"capped,omitempty"`
}

// Evaluate applies the rules to an order.
func (r Rules) Evaluate(in Input) Result {
	mode := cmp.Or(r.Rounding, money.HalfUp)
	var res Result
	for _, l := range in.Lines {
		lr := LineResult{SKU: l.SKU, Net: l.Net}
		switch o, ok := r.match(l, in.Tier); {
		case slices.Contains(r.ExcludeCategories, l.Category) && l.Category != "":
			lr.Rule = in.scoped("excluded")
		case ok && o.RateBps != nil:
			lr.Rule, lr.Amount = in.scoped(o.ID), money.MulDivRound(l.Net, *o.RateBps, money.BasisPointsPerUnit, mode)
		case ok:
			lr.Rule, lr.Amount = in.scoped(o.ID), o.FlatPerUnit[in.Currency]*l.Quantity
		default:
			lr.Rule, lr.Amount = "tier", money.MulDivRound(l.Net, in.TierRateBps, money.BasisPointsPerUnit, mode)
		}
		res.Lines = append(res.Lines, lr)
	}
	if flat := r.FlatPerOrder[in.Currency]; flat > 0 {
		res.Lines = append(res.Lines, LineResult{Rule: in.scoped("flat_per_order"), Amount: flat})
	}
	for _, l := range res.Lines {
		res.Total += l.Amount
	}
	if limit, ok := r.CapPerOrder[in.Currency]; ok && res.Total > limit {
		res.capTo(limit)
	}
	return res
}

// scoped is a rule's name as the statement shows it.
func (in Input) scoped(rule string) string {
	if in.Scope == "" {
		return rule
	}
	return in.Scope + "/" + rule
}

func (r Rules) match(l Line, tier string) (Override, bool) {
	for _, o := range r.Overrides {
		if (o.SKU == "" || o.SKU == l.SKU) && (o.Category == "" || o.Category == l.Category) && (o.Tier == "" || o.Tier == tier) {
			return o, true
		}
	}
	return Override{}, false
}

// capTo scales the lines down to limit in total, giving the units lost to
// flooring to the lines with the largest remainders (ties: earlier line).
func (res *Result) capTo(limit int64) {
	total := res.Total
	type rem struct {
		i int
		r int64
	}
	rems := make([]rem, len(res.Lines))
	var sum int64
	for i := range res.Lines {
		scaled, r := money.MulDivFloorRem(res.Lines[i].Amount, limit, total)
		rems[i] = rem{i, r}
		res.Lines[i].Amount = scaled
		sum += scaled
	}
	slices.SortStableFunc(rems, func(a, b rem) int { return cmp.Compare(b.r, a.r) })
	for k := 0; sum < limit; k++ {
		res.Lines[rems[k].i].Amount++
		sum++
	}
	res.Total, res.Capped = limit, true
}
