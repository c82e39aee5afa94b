// Package reports answers finance's questions: what is owed, what was paid
// and donated in a period, and what each partner and tier returned for what
// they cost. Everything is read from balances, monthly counters and payment
// records, never by walking accruals.
package reports

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/program"
)

// Ledger is what the reports read of the ledger: sales and balances.
type Ledger interface {
	MonthlySales(ctx context.Context, partnerID string, months []string) (map[string]map[string]int64, error)
	CurrencyBalances(ctx context.Context, cur money.Currency) (map[string]ledger.Balance, error)
}

// Partners lists every partner.
type Partners interface {
	ListPartners(ctx context.Context) ([]partner.Partner, error)
}

// Paid lists the legs settled in given months.
type Paid interface {
	Payments(ctx context.Context, months []string) ([]payout.Payment, error)
}

// Service builds the reports.
type Service struct {
	Ledger   Ledger
	Partners Partners
	Paid     Paid
	Programs program.Provider
}

// ErrBadPeriod means from/to are not months (2026-01) in order, at most 36 apart.
var ErrBadPeriod = errors.New("period must be from=YYYY-MM&to=YYYY-MM, at most 36 months")

// Months lists the months from..to inclusive.
func Months(from, to string) ([]string, error) {
	start, err1 := time.Parse("2006-01", from)
	end, err2 := time.Parse("2006-01", to)
	if err1 != nil || err2 != nil || end.Before(start) {
		return nil, ErrBadPeriod
	}
	var out []string
	for m := start; !m.After(end); m = m.AddDate(0, 1, 0) {
		if len(out) == 36 {
			return nil, ErrBadPeriod
		}
		out = append(out, m.Format("2006-01"))
	}
	return out, nil
}

// Owed is what the program owes its partners in one currency.
type Owed struct {
	Currency money.Currency `json:"currency"`
	Partners int            `json:"partners"`
	Pending  int64          `json:"pending"`
	Payable  int64          `json:"payable"`
	InPayout int64          `json:"in_payout"`
	// ClawedBack is what partners owe back after refunds of paid commission
	// (negative payable balances), netted by later batches.
	ClawedBack int64 `json:"clawed_back"`
}

// Owed sums the balances of every partner, per program currency.
func (s *Service) Owed(ctx context.Context) ([]Owed, error) {
	prog, err := s.Programs.Current(ctx)
	if err != nil {
		return nil, err
	}
	curs := prog.Program.Currencies()
	slices.Sort(curs)
	out := make([]Owed, 0, len(curs))
	for _, cur := range curs {
		balances, err := s.Ledger.CurrencyBalances(ctx, cur)
		if err != nil {
			return nil, fmt.Errorf("balances in %s: %w", cur, err)
		}
		o := Owed{Currency: cur, Partners: len(balances)}
		for _, b := range balances {
			o.Pending += b.Pending
			o.InPayout += b.InPayout
			if b.Payable >= 0 {
				o.Payable += b.Payable
			} else {
				o.ClawedBack -= b.Payable
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// PaidMonth is what left in one month and currency.
type PaidMonth struct {
	Month    string         `json:"month"`
	Currency money.Currency `json:"currency"`
	Paid     int64          `json:"paid"`
	Donated  int64          `json:"donated"`
}

// CharityTotal is what one charity received in a period, and on whose behalf.
type CharityTotal struct {
	CharityID string         `json:"charity_id"`
	Currency  money.Currency `json:"currency"`
	Amount    int64          `json:"amount"`
	Partners  []string       `json:"partners"`
}

// Payments sums settled payouts and donations per month, and donations per charity.
func (s *Service) Payments(ctx context.Context, months []string) ([]PaidMonth, []CharityTotal, error) {
	payments, err := s.Paid.Payments(ctx, months)
	if err != nil {
		return nil, nil, err
	}
	type mk struct {
		month string
		cur   money.Currency
	}
	type ck struct {
		charity string
		cur     money.Currency
	}
	byMonth := map[mk]*PaidMonth{}
	byCharity := map[ck]*CharityTotal{}
	for _, p := range payments {
		k := mk{p.At.UTC().Format("2006-01"), p.Currency}
		if byMonth[k] == nil {
			byMonth[k] = &PaidMonth{Month: k.month, Currency: k.cur}
		}
		if p.Leg == payout.LegPayout {
			byMonth[k].Paid += p.Amount
			continue
		}
		byMonth[k].Donated += p.Amount
		c := ck{p.CharityID, p.Currency}
		if byCharity[c] == nil {
			byCharity[c] = &CharityTotal{CharityID: c.charity, Currency: c.cur, Partners: []string{}}
		}
		byCharity[c].Amount += p.Amount
		if !slices.Contains(byCharity[c].Partners, p.PartnerID) {
			byCharity[c].Partners = append(byCharity[c].Partners, p.PartnerID)
		}
	}
	months2 := make([]PaidMonth, 0, len(byMonth))
	for _, v := range byMonth {
		months2 = append(months2, *v)
	}
	slices.SortFunc(months2, func(a, b PaidMonth) int {
		return cmp.Or(cmp.Compare(a.Month, b.Month), cmp.Compare(a.Currency, b.Currency))
	})
	charities := make([]CharityTotal, 0, len(byCharity))
	for _, v := range byCharity {
		slices.Sort(v.Partners)
		charities = append(charities, *v)
	}
	slices.SortFunc(charities, func(a, b CharityTotal) int {
		return cmp.Or(cmp.Compare(a.CharityID, b.CharityID), cmp.Compare(a.Currency, b.Currency))
	})
	return months2, charities, nil
}

// ROI is what a partner (or a tier) brought in and cost in one currency.
// Revenue is net merchandise, Refunds what was refunded of it, Commission
// and Bonuses what was earned net of reversals, Donations what went to
// charities on the partner's behalf (part of its commission). ReturnBps is
// (revenue − refunds) / (commission + bonuses) in basis points.
type ROI struct {
	PartnerID  string         `json:"partner_id,omitempty"`
	Name       string         `json:"name,omitempty"`
	Tier       program.Tier   `json:"tier"`
	Currency   money.Currency `json:"currency"`
	Revenue    int64          `json:"revenue"`
	Refunds    int64          `json:"refunds"`
	Commission int64          `json:"commission"`
	Bonuses    int64          `json:"bonuses"`
	Donations  int64          `json:"donations"`
	ReturnBps  int64          `json:"return_bps"`
}

func (r *ROI) add(o ROI) {
	r.Revenue += o.Revenue
	r.Refunds += o.Refunds
	r.Commission += o.Commission
	r.Bonuses += o.Bonuses
	r.Donations += o.Donations
}

func (r *ROI) finish() {
	if cost := r.Commission + r.Bonuses; cost > 0 {
		r.ReturnBps = money.MulDivFloor(r.Revenue-r.Refunds, money.BasisPointsPerUnit, cost)
	}
}

// ROI reports every partner with activity in the months, and the totals per
// tier (partners counted in their current tier).
func (s *Service) ROI(ctx context.Context, months []string) ([]ROI, []ROI, error) {
	prog, err := s.Programs.Current(ctx)
	if err != nil {
		return nil, nil, err
	}
	partners, err := s.Partners.ListPartners(ctx)
	if err != nil {
		return nil, nil, err
	}
	payments, err := s.Paid.Payments(ctx, months)
	if err != nil {
		return nil, nil, err
	}
	donated := map[string]map[money.Currency]int64{}
	for _, p := range payments {
		if p.Leg == payout.LegDonation {
			if donated[p.PartnerID] == nil {
				donated[p.PartnerID] = map[money.Currency]int64{}
			}
			donated[p.PartnerID][p.Currency] += p.Amount
		}
	}
	curs := prog.Program.Currencies()
	slices.Sort(curs)
	var rows []ROI
	tiers := map[program.Tier]map[money.Currency]*ROI{}
	for _, p := range partners {
		sales, err := s.Ledger.MonthlySales(ctx, p.ID, months)
		if err != nil {
			return nil, nil, err
		}
		total := map[string]int64{}
		for _, counters := range sales {
			for k, v := range counters {
				total[k] += v
			}
		}
		for _, cur := range curs {
			r := ROI{PartnerID: p.ID, Name: p.Name, Tier: p.Tier, Currency: cur,
				Revenue: total[ledger.RevenueCounter(cur)], Refunds: total[ledger.RefundedCounter(cur)],
				Commission: total[ledger.CommissionCounter(cur)], Bonuses: total[ledger.BonusCounter(cur)], Donations: donated[p.ID][cur]}
			if r == (ROI{PartnerID: p.ID, Name: p.Name, Tier: p.Tier, Currency: cur}) {
				continue // no activity in this currency
			}
			r.finish()
			rows = append(rows, r)
			if tiers[p.Tier] == nil {
				tiers[p.Tier] = map[money.Currency]*ROI{}
			}
			if tiers[p.Tier][cur] == nil {
				tiers[p.Tier][cur] = &ROI{Tier: p.Tier, Currency: cur}
			}
			tiers[p.Tier][cur].add(r)
		}
	}
	var byTier []ROI
	for _, tier := range program.Tiers() {
		for _, cur := range curs {
			if t := tiers[tier][cur]; t != nil {
				t.finish()
				byTier = append(byTier, *t)
			}
		}
	}
	slices.SortFunc(rows, func(a, b ROI) int {
		return cmp.Or(cmp.Compare(a.PartnerID, b.PartnerID), cmp.Compare(a.Currency, b.Currency))
	})
	return rows, byTier, nil
}
