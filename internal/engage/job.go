package engage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/performance"
	"github.com/partnerloop/partnerloop/internal/program"
)

// lateSales is how long after a sales challenge ends the job still looks
// at it: orders paid inside the window may be reported a little later.
const lateSales = 48 * time.Hour

// Pass is one run of the engagement job over every partner: it completes
// sales challenges, awards badges and collects leaderboard values, which
// Finish ranks and stores. The performance job drives it.
type Pass struct {
	s          *Service
	prog       program.Program
	now        time.Time
	challenges []Challenge // sales challenges to judge
	periods    []string    // leaderboard months: this one and the last
	values     map[string][]entry
	Completed  int
	Awarded    int
}

type entry struct {
	partnerID string
	name      string // empty: not shown
	tier      program.Tier
	value     int64
}

// Begin starts a pass.
func (s *Service) Begin(ctx context.Context, prog program.Program, now time.Time) (performance.EngagementPass, error) {
	all, err := s.Store.ListChallenges(ctx)
	if err != nil {
		return nil, fmt.Errorf("list challenges: %w", err)
	}
	p := &Pass{s: s, prog: prog, now: now, values: map[string][]entry{}}
	for _, c := range all {
		if c.Kind == KindSales && !c.StartsAt.After(now) && now.Before(c.EndsAt.Add(lateSales)) {
			p.challenges = append(p.challenges, c)
		}
	}
	month := program.PeriodAt("month", now)
	p.periods = []string{month.Key, month.Previous("month").Key}
	return p, nil
}

// Evaluate judges one partner; monthly sums its sales counters over months.
func (p *Pass) Evaluate(ctx context.Context, pt partner.Partner, monthly func(months []string) (map[string]int64, error)) error {
	var done map[string]time.Time
	if len(p.challenges) > 0 || needsCompletions(p.prog.Badges) {
		var err error
		if done, err = p.s.Store.Completions(ctx, pt.ID); err != nil {
			return err
		}
	}
	for _, c := range p.challenges {
		ok, err := p.s.completeBySales(ctx, c, pt, monthly, done)
		if err != nil {
			return fmt.Errorf("challenge %s: %w", c.ID, err)
		}
		if ok {
			p.Completed++
			done[c.ID] = p.now
		}
	}
	if err := p.awardBadges(ctx, pt, len(done)); err != nil {
		return err
	}
	for _, period := range p.periods {
		counters, err := monthly([]string{period})
		if err != nil {
			return err
		}
		p.collect(period, pt, counters)
	}
	return nil
}

func needsCompletions(badges []program.Badge) bool {
	return slices.ContainsFunc(badges, func(b program.Badge) bool { return b.Rule.ChallengesCompleted > 0 })
}

func (p *Pass) awardBadges(ctx context.Context, pt partner.Partner, completed int) error {
	if len(p.prog.Badges) == 0 {
		return nil
	}
	held, err := p.s.Store.Badges(ctx, pt.ID)
	if err != nil {
		return err
	}
	standing := program.Standing{Tier: pt.Tier, ChallengesCompleted: completed}
	salesRead := false
	for _, b := range p.prog.Badges {
		if slices.ContainsFunc(held, func(a Award) bool { return a.ID == b.ID }) {
			continue
		}
		if !salesRead && (b.Rule.FirstSale || len(b.Rule.Revenue) > 0) {
			// Read once, and only for a partner still missing a sales badge.
			lifetime, err := p.s.Store.LifetimeSales(ctx, pt.ID)
			if err != nil {
				return err
			}
			standing.AttributedOrders, standing.LifetimeRevenue = lifetime[ledger.OrdersCounter], revenueOf(lifetime)
			salesRead = true
		}
		if !b.Rule.Holds(standing) {
			continue
		}
		if err := p.s.award(ctx, pt.ID, b.ID, "rule", p.now); err != nil {
			return fmt.Errorf("badge %s: %w", b.ID, err)
		}
		p.Awarded++
	}
	return nil
}

// revenueOf picks the net revenue counters ("net:EUR") of a counter set.
func revenueOf(counters map[string]int64) map[money.Currency]int64 {
	out := map[money.Currency]int64{}
	for name, v := range counters {
		if cur, ok := strings.CutPrefix(name, "net:"); ok && !strings.Contains(cur, ":") {
			out[money.Currency(cur)] = v
		}
	}
	return out
}

// Board keys name a leaderboard of a period: its measure, currency (for
// revenue) and tier (empty: all tiers).
func BoardKey(measure string, cur money.Currency, tier program.Tier) string {
	return measure + "#" + string(cur) + "#" + string(tier)
}

func (p *Pass) collect(period string, pt partner.Partner, counters map[string]int64) {
	name := ""
	if pt.ShowOnLeaderboard {
		name = pt.Name
	}
	add := func(key string, v int64) {
		if v <= 0 {
			return
		}
		for _, tier := range []program.Tier{"", pt.Tier} {
			k := period + "|" + key + string(tier)
			p.values[k] = append(p.values[k], entry{partnerID: pt.ID, name: name, tier: pt.Tier, value: v})
		}
	}
	add(BoardKey(MeasurePoints, "", ""), counters[ledger.PointsCounter])
	for _, cur := range p.prog.Currencies() {
		add(BoardKey(MeasureRevenue, cur, ""), counters[ledger.NetCounter(cur, "")])
	}
}

// Finish ranks what the pass collected and stores every board and each
// ranked partner's ranks. Boards with nobody on them are stored empty, so
// a month's board reads the same before and after its first sale.
func (p *Pass) Finish(ctx context.Context) error {
	for _, period := range p.periods {
		var boards []Board
		ranks := map[string]map[string]Rank{}
		for _, key := range p.boardKeys() {
			b, partnerRanks := rankBoard(key, p.values[period+"|"+key])
			boards = append(boards, b)
			for id, r := range partnerRanks {
				if ranks[id] == nil {
					ranks[id] = map[string]Rank{}
				}
				ranks[id][key] = r
			}
		}
		if err := p.s.Store.PutBoards(ctx, period, boards, p.now); err != nil {
			return err
		}
		if err := p.s.Store.PutRanks(ctx, period, ranks, p.now); err != nil {
			return err
		}
	}
	return nil
}

func (p *Pass) boardKeys() []string {
	var keys []string
	for _, tier := range append([]program.Tier{""}, program.Tiers()...) {
		keys = append(keys, BoardKey(MeasurePoints, "", tier))
		for _, cur := range slices.Sorted(slices.Values(p.prog.Currencies())) {
			keys = append(keys, BoardKey(MeasureRevenue, cur, tier))
		}
	}
	return keys
}

// MeasurePoints ranks by points earned in the period.
const MeasurePoints = "points"

// boardSize is how many entries a stored board keeps.
const boardSize = 100

// rankBoard ranks entries by value, ties sharing a rank (1, 1, 3).
func rankBoard(key string, entries []entry) (Board, map[string]Rank) {
	entries = slices.Clone(entries)
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(b.value, a.value), strings.Compare(a.partnerID, b.partnerID))
	})
	b := Board{Key: key, Ranked: len(entries), Entries: []BoardEntry{}}
	ranks := map[string]Rank{}
	rank := 0
	for i, e := range entries {
		if i == 0 || e.value != entries[i-1].value {
			rank = i + 1
		}
		ranks[e.partnerID] = Rank{Rank: rank, Value: e.value}
		if i < boardSize {
			b.Entries = append(b.Entries, BoardEntry{Rank: rank, PartnerID: e.partnerID, Name: e.name, Value: e.value})
		}
	}
	return b, ranks
}
