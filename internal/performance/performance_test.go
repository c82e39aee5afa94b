package performance_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/memstore"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/performance"
	"github.com/partnerloop/partnerloop/internal/program"
)

// bonuses credits each bonus reference once, as the ledger does.
type bonuses struct {
	mu       sync.Mutex
	credited map[string]ledger.Bonus
}

func (b *bonuses) CreditBonus(_ context.Context, bonus ledger.Bonus) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.credited[bonus.Ref]; ok {
		return false, nil
	}
	b.credited[bonus.Ref] = bonus
	return true, nil
}

func (b *bonuses) total() (n int, amount int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, x := range b.credited {
		n, amount = n+1, amount+x.Amount
	}
	return n, amount
}

type noPledges struct{}

func (noPledges) Pledge(context.Context, payout.Pledge, ...outbox.Event) (bool, error) {
	return false, nil
}

// sell adds an order's net to the partner's counters of the month, as the
// ledger does when it accrues.
func sell(sales *memstore.Sales, partnerID string, at time.Time, category string, net int64) {
	sales.Add(partnerID, ledger.Month(at), map[string]int64{ledger.NetCounter("EUR", ""): net, ledger.NetCounter("EUR", category): net})
}

func TestTiersAndGoalsAcrossPeriodBoundaries(t *testing.T) {
	ctx := context.Background()
	prog := program.Default()
	prog.TierRules = &program.TierRules{Period: "month", Thresholds: map[program.Tier]program.Threshold{
		program.TierSilver: {Revenue: map[money.Currency]int64{"EUR": 20000}},
		program.TierGold:   {Revenue: map[money.Currency]int64{"EUR": 50000}},
	}}
	prog.Goals = []program.Goal{{ID: "tools", Period: "month", Measure: "revenue", Category: "tools", Currency: "EUR",
		Levels: []program.GoalLevel{{Threshold: 10000, BonusFlat: 500}, {Threshold: 25000, BonusBps: 100}}}}
	partners, sales, credited := memstore.NewPartners(), &memstore.Sales{}, &bonuses{credited: map[string]ledger.Bonus{}}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	svc := &performance.Service{Store: partners, Sales: sales, Bonuses: credited, Pledges: noPledges{},
		Programs: program.Static{Program: prog}, Now: func() time.Time { return now }}
	p := partner.Partner{ID: "pt_1", Tier: program.TierAuthorized, Status: partner.StatusActive, ReferralCode: "ALPHA"}
	if err := partners.CreatePartner(ctx, p); err != nil {
		t.Fatal(err)
	}
	run := func() performance.Report {
		t.Helper()
		rep, err := svc.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	tier := func() program.Tier {
		t.Helper()
		got, err := partners.GetPartner(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Tier
	}

	sell(sales, p.ID, now, "tools", 15000)
	if rep := run(); rep.Bonuses != 1 || rep.Promoted != 0 || tier() != program.TierAuthorized {
		t.Fatalf("November, level 1: %+v, tier %s", rep, tier())
	}
	if rep := run(); rep.Bonuses != 0 {
		t.Fatalf("the level-1 bonus was credited twice: %+v", rep)
	}
	sell(sales, p.ID, now, "tools", 15000)
	sell(sales, p.ID, now, "apparel", 5000) // counts for the tier, not for the tools goal
	if rep := run(); rep.Bonuses != 1 {
		t.Fatalf("November, level 2: %+v", rep)
	}
	// 5.00 for level 1 and 1% of the 300.00 of tools for level 2.
	if n, amount := credited.total(); n != 2 || amount != 500+300 {
		t.Fatalf("bonuses: %d for %d", n, amount)
	}

	now = time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC)
	if rep := run(); rep.Promoted != 1 || rep.Bonuses != 0 || tier() != program.TierSilver {
		t.Fatalf("December: promoted on November's 350.00: %+v, tier %s", rep, tier())
	}
	if run().Promoted != 0 {
		t.Fatal("promoted twice in one period")
	}
	sell(sales, p.ID, now, "tools", 10000)
	standing, err := svc.Standing(ctx, p.ID, tier())
	if tp := standing.TierProgress; tp == nil || tp.NextTier != program.TierGold || tp.Period != "2026-12" ||
		tp.Revenue["EUR"] != 10000 || tp.RevenueNeeded["EUR"] != 50000 {
		t.Errorf("December progress to gold: %+v", tp)
	}
	if err != nil || len(standing.Goals) != 1 || standing.Goals[0].Period != "2026-12" || standing.Goals[0].Measured != 10000 ||
		standing.Goals[0].LevelsReached != 1 || *standing.Goals[0].NextThreshold != 25000 {
		t.Fatalf("December standing %+v %v", standing, err)
	}

	now = time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)
	if rep := run(); rep.Demoted != 1 || tier() != program.TierAuthorized {
		t.Fatalf("January: demoted on December's 100.00: %+v, tier %s", rep, tier())
	}
	hist, err := partners.TierHistory(ctx, p.ID)
	if err != nil || len(hist) != 2 || hist[0].To != program.TierSilver || hist[0].Period != "2026-11" || hist[1].To != program.TierAuthorized {
		t.Fatalf("history %+v %v", hist, err)
	}
}
