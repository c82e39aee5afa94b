// Package performance measures what partners sell per period and acts on
// it: it moves partners between tiers by the program's thresholds and credits
// goal bonuses, once per level and period.
package performance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/program"
)

// TierChange is one entry of a partner's tier history.
type TierChange struct {
	From     program.Tier `json:"from" dynamodbav:"from"`
	To       program.Tier `json:"to" dynamodbav:"to"`
	At       time.Time    `json:"at" dynamodbav:"at"`
	Period   string       `json:"period" dynamodbav:"period"`
	Measured string       `json:"measured" dynamodbav:"measured"`
}

// Store reads partners and records tier changes. ChangeTier must only apply
// if the partner is still at change.From.
type Store interface {
	ListPartners(ctx context.Context) ([]partner.Partner, error)
	ChangeTier(ctx context.Context, partnerID string, change TierChange, events []outbox.Event) error
	TierHistory(ctx context.Context, partnerID string) ([]TierChange, error)
}

// Sales reads partners' monthly sales counters (the ledger keeps them).
type Sales interface {
	MonthlySales(ctx context.Context, partnerID string, months []string) (map[string]map[string]int64, error)
}

// ErrTierChanged means the partner's tier moved since it was read.
var ErrTierChanged = errors.New("tier changed concurrently")

// Bonuses credits goal bonuses (the ledger).
type Bonuses interface {
	CreditBonus(ctx context.Context, b ledger.Bonus) (bool, error)
}

// Pledges records donations the program makes on a partner's behalf.
type Pledges interface {
	Pledge(ctx context.Context, p payout.Pledge, events ...outbox.Event) (bool, error)
}

// Service runs the evaluation.
type Service struct {
	Store    Store
	Sales    Sales
	Bonuses  Bonuses
	Pledges  Pledges
	Programs program.Provider
	// Events, if set, says which events endpoints subscribe to.
	Events outbox.Subscriptions
	// Engagement, if set, judges challenges, badges and leaderboards in
	// the same pass over the partners.
	Engagement Engagement
	Now        func() time.Time
}

// Engagement starts a pass of the engagement rules over every partner.
type Engagement interface {
	Begin(ctx context.Context, prog program.Program, now time.Time) (EngagementPass, error)
}

// EngagementPass judges each partner (monthly sums its sales counters
// over months) and stores what it ranked at the end.
type EngagementPass interface {
	Evaluate(ctx context.Context, p partner.Partner, monthly func(months []string) (map[string]int64, error)) error
	Finish(ctx context.Context) error
}

func sortableAt(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Report counts what a run did.
type Report struct {
	Partners int `json:"partners"`
	Promoted int `json:"promoted"`
	Demoted  int `json:"demoted"`
	Bonuses  int `json:"bonuses"`
	Pledges  int `json:"pledges"`
}

// Run evaluates every partner. It is idempotent: tiers follow the last
// complete period, so a second run in the same period changes nothing, and
// every bonus has a unique reference.
func (s *Service) Run(ctx context.Context) (Report, error) {
	prog, err := s.Programs.Current(ctx)
	if err != nil {
		return Report{}, err
	}
	partners, err := s.Store.ListPartners(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("list partners: %w", err)
	}
	now := s.Now().UTC()
	rep := Report{Partners: len(partners)}
	var pass EngagementPass
	if s.Engagement != nil {
		if pass, err = s.Engagement.Begin(ctx, prog.Program, now); err != nil {
			return rep, err
		}
	}
	var errs []error
	for _, p := range partners {
		sales := s.salesOf(ctx, p.ID)
		if err := s.evaluate(ctx, prog.Program, p, now, sales, &rep); err != nil {
			errs = append(errs, fmt.Errorf("partner %s: %w", p.ID, err))
		}
		if pass == nil {
			continue
		}
		monthly := func(months []string) (map[string]int64, error) {
			return sales(program.Period{Key: strings.Join(months, "+"), Months: months})
		}
		if err := pass.Evaluate(ctx, p, monthly); err != nil {
			errs = append(errs, fmt.Errorf("partner %s engagement: %w", p.ID, err))
		}
	}
	if pass != nil {
		errs = append(errs, pass.Finish(ctx))
	}
	return rep, errors.Join(errs...)
}

// salesFor sums a partner's counters per period, reading each period once
// per evaluation however many rules look at it.
type salesFor func(program.Period) (map[string]int64, error)

func (s *Service) salesOf(ctx context.Context, partnerID string) salesFor {
	seen := map[string]map[string]int64{}
	return func(p program.Period) (map[string]int64, error) {
		if v, ok := seen[p.Key]; ok {
			return v, nil
		}
		v, err := s.sum(ctx, partnerID, p)
		if err == nil {
			seen[p.Key] = v
		}
		return v, err
	}
}

func (s *Service) evaluate(ctx context.Context, prog program.Program, p partner.Partner, now time.Time, sales salesFor, rep *Report) error {
	if r := prog.TierRules; r != nil && p.Status == partner.StatusActive {
		window := tierWindow(*r, now)
		measured, err := sales(window)
		if err != nil {
			return err
		}
		if to := qualifies(*r, measured); to != p.Tier {
			change := TierChange{From: p.Tier, To: to, At: now, Period: window.Key, Measured: fmt.Sprint(measured)}
			events := outbox.Emit(ctx, s.Events, outbox.TierChanged, fmt.Sprintf("%s:%s", p.ID, sortableAt(now)), now,
				map[string]any{"partner_id": p.ID, "from": change.From, "to": change.To, "period": change.Period, "at": now})
			switch err := s.Store.ChangeTier(ctx, p.ID, change, events); {
			case errors.Is(err, ErrTierChanged):
			case err != nil:
				return err
			case program.TierRank(to) > program.TierRank(p.Tier):
				rep.Promoted++
			default:
				rep.Demoted++
			}
		}
	}
	for _, g := range prog.Goals {
		// The previous period too: a level reached in its last hour is
		// credited after the boundary.
		cur := program.PeriodAt(g.Period, now)
		for _, period := range []program.Period{cur.Previous(g.Period), cur} {
			if err := s.creditGoal(ctx, prog, p, g, period, sales, rep); err != nil {
				return err
			}
		}
	}
	return s.pledgeForRevenue(ctx, prog, p, now, sales, rep)
}

// charityFor is where the program's donations on a partner's behalf go.
func charityFor(prog program.Program, p partner.Partner) string {
	if p.Charity != nil {
		return p.Charity.CharityID
	}
	if prog.Donations != nil {
		return prog.Donations.DefaultCharity
	}
	return ""
}

func (s *Service) pledge(ctx context.Context, pl payout.Pledge, rep *Report, events ...outbox.Event) error {
	made, err := s.Pledges.Pledge(ctx, pl, events...)
	if err != nil {
		return fmt.Errorf("pledge %s: %w", pl.Ref, err)
	}
	if made {
		rep.Pledges++
	}
	return nil
}

// pledgeForRevenue donates the program's share of the partner's net revenue
// of the last closed month, once per month and currency.
func (s *Service) pledgeForRevenue(ctx context.Context, prog program.Program, p partner.Partner, now time.Time, sales salesFor, rep *Report) error {
	d := prog.Donations
	charity := charityFor(prog, p)
	if d == nil || d.RevenueBps == 0 || charity == "" {
		return nil
	}
	month := program.PeriodAt("month", now).Previous("month")
	measured, err := sales(month)
	if err != nil {
		return err
	}
	for _, cur := range prog.Currencies() {
		amount := money.ApplyBasisPoints(measured[ledger.NetCounter(cur, "")], d.RevenueBps)
		pl := payout.Pledge{Ref: fmt.Sprintf("revenue:%s:%s:%s", p.ID, month.Key, cur), PartnerID: p.ID, CharityID: charity,
			Currency: cur, Amount: amount, Reason: fmt.Sprintf("%d bps of net revenue in %s", d.RevenueBps, month.Key)}
		if err := s.pledge(ctx, pl, rep); err != nil {
			return err
		}
	}
	return nil
}

func tierWindow(r program.TierRules, now time.Time) program.Period {
	if r.RollingMonths > 0 {
		return program.RollingMonths(r.RollingMonths, now)
	}
	return program.PeriodAt(r.Period, now).Previous(r.Period)
}

// sum adds up a partner's counters over a period's months.
func (s *Service) sum(ctx context.Context, partnerID string, p program.Period) (map[string]int64, error) {
	months, err := s.Sales.MonthlySales(ctx, partnerID, p.Months)
	if err != nil {
		return nil, fmt.Errorf("read sales: %w", err)
	}
	total := map[string]int64{}
	for _, counters := range months {
		for k, v := range counters {
			total[k] += v
		}
	}
	return total, nil
}

// qualifies returns the highest tier whose threshold the sales meet.
func qualifies(r program.TierRules, sales map[string]int64) program.Tier {
	best := program.TierAuthorized
	for _, tier := range program.Tiers() {
		th, ok := r.Thresholds[tier]
		if !ok {
			continue
		}
		met := th.Units > 0 && sales[ledger.UnitsCounter("")] >= th.Units
		for cur, v := range th.Revenue {
			met = met || sales[ledger.NetCounter(cur, "")] >= v
		}
		if met {
			best = tier
		}
	}
	return best
}

// GoalProgress is where a partner stands on a goal in a period.
type GoalProgress struct {
	Goal          string `json:"goal"`
	Period        string `json:"period"`
	Measure       string `json:"measure"`
	Category      string `json:"category,omitempty"`
	Measured      int64  `json:"measured"`
	LevelsReached int    `json:"levels_reached"`
	NextThreshold *int64 `json:"next_threshold,omitempty"`
}

func measured(g program.Goal, sales map[string]int64) int64 {
	if g.Measure == "units" {
		return sales[ledger.UnitsCounter(g.Category)]
	}
	return sales[ledger.NetCounter(g.Currency, g.Category)]
}

func progress(g program.Goal, period program.Period, sales map[string]int64) GoalProgress {
	gp := GoalProgress{Goal: g.ID, Period: period.Key, Measure: g.Measure, Category: g.Category, Measured: measured(g, sales)}
	for _, l := range g.Levels {
		if gp.Measured < l.Threshold {
			next := l.Threshold
			gp.NextThreshold = &next
			break
		}
		gp.LevelsReached++
	}
	return gp
}

func (s *Service) creditGoal(ctx context.Context, prog program.Program, p partner.Partner, g program.Goal, period program.Period, sales salesFor, rep *Report) error {
	measured, err := sales(period)
	if err != nil {
		return err
	}
	gp := progress(g, period, measured)
	for i := range gp.LevelsReached {
		l := g.Levels[i]
		ref := fmt.Sprintf("goal:%s:%s:%d:%s", g.ID, period.Key, i+1, p.ID)
		rule := fmt.Sprintf("goal %s level %d", g.ID, i+1)
		amount := l.BonusFlat
		if l.BonusBps > 0 {
			amount = money.ApplyBasisPoints(gp.Measured, l.BonusBps)
		}
		donation := l.DonationFlat
		if charityFor(prog, p) == "" {
			donation = 0
		}
		// The level's e-mail commits with its first write, the bonus or
		// else the donation, so it is told once, when that is made.
		reached := outbox.Emit(ctx, s.Events, outbox.GoalLevelReached, ref, s.Now().UTC(), map[string]any{"partner_id": p.ID,
			"goal_id": g.ID, "level": i + 1, "period": period.Key, "currency": g.Currency, "amount": amount, "donation": donation})
		if amount > 0 {
			ok, err := s.Bonuses.CreditBonus(ctx, ledger.Bonus{PartnerID: p.ID, Currency: g.Currency, Amount: amount, Ref: ref, Rule: rule,
				Events: reached})
			if err != nil {
				return fmt.Errorf("credit goal %s: %w", g.ID, err)
			}
			if ok {
				rep.Bonuses++
			}
			reached = nil
		}
		if donation > 0 {
			pl := payout.Pledge{Ref: ref, PartnerID: p.ID, CharityID: charityFor(prog, p), Currency: g.Currency, Amount: donation, Reason: rule}
			if err := s.pledge(ctx, pl, rep, reached...); err != nil {
				return err
			}
		}
	}
	return nil
}

// Standing is a partner's tier history and goal progress this period.
type Standing struct {
	TierHistory  []TierChange   `json:"tier_history"`
	Goals        []GoalProgress `json:"goals"`
	TierProgress *TierProgress  `json:"tier_progress,omitempty"`
}

// TierProgress is how far a partner is toward the next tier in the period
// now running, the one that decides its tier when it closes. Reaching any
// one of the needed amounts is enough.
type TierProgress struct {
	NextTier      program.Tier             `json:"next_tier"`
	Period        string                   `json:"period"`
	Units         int64                    `json:"units"`
	UnitsNeeded   int64                    `json:"units_needed,omitempty"`
	Revenue       map[money.Currency]int64 `json:"revenue"`
	RevenueNeeded map[money.Currency]int64 `json:"revenue_needed,omitempty"`
}

// progressToNextTier is nil at the top tier or without tier rules.
func progressToNextTier(r *program.TierRules, current program.Tier, period program.Period, sales map[string]int64) *TierProgress {
	if r == nil {
		return nil
	}
	for _, tier := range program.Tiers()[program.TierRank(current)+1:] {
		th, ok := r.Thresholds[tier]
		if !ok {
			continue
		}
		tp := &TierProgress{NextTier: tier, Period: period.Key, Units: sales[ledger.UnitsCounter("")], UnitsNeeded: th.Units,
			Revenue: map[money.Currency]int64{}, RevenueNeeded: th.Revenue}
		for cur := range th.Revenue {
			tp.Revenue[cur] = sales[ledger.NetCounter(cur, "")]
		}
		return tp
	}
	return nil
}

// runningWindow is the tier window that includes now.
func runningWindow(r program.TierRules, now time.Time) program.Period {
	if r.RollingMonths > 0 {
		return program.RollingMonths(r.RollingMonths, program.PeriodAt("month", now).End)
	}
	return program.PeriodAt(r.Period, now)
}

// Standing reports a partner's progress for its statement.
func (s *Service) Standing(ctx context.Context, partnerID string, tier program.Tier) (Standing, error) {
	prog, err := s.Programs.Current(ctx)
	if err != nil {
		return Standing{}, err
	}
	hist, err := s.Store.TierHistory(ctx, partnerID)
	if err != nil {
		return Standing{}, err
	}
	st := Standing{TierHistory: hist, Goals: []GoalProgress{}}
	if st.TierHistory == nil {
		st.TierHistory = []TierChange{}
	}
	sales := s.salesOf(ctx, partnerID)
	for _, g := range prog.Program.Goals {
		period := program.PeriodAt(g.Period, s.Now())
		measured, err := sales(period)
		if err != nil {
			return Standing{}, err
		}
		st.Goals = append(st.Goals, progress(g, period, measured))
	}
	if r := prog.Program.TierRules; r != nil {
		window := runningWindow(*r, s.Now())
		measured, err := sales(window)
		if err != nil {
			return Standing{}, err
		}
		st.TierProgress = progressToNextTier(r, tier, window, measured)
	}
	return st, nil
}
