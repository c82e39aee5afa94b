package engage

import (
	"fmt"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/program"
)

func TestRankBoardGivesTiesTheSameRank(t *testing.T) {
	b, ranks := rankBoard("revenue#EUR#", []entry{
		{partnerID: "c", value: 300}, {partnerID: "a", value: 500, name: "Alpha"}, {partnerID: "b", value: 300}, {partnerID: "d", value: 100},
	})
	var got []string
	for _, e := range b.Entries {
		got = append(got, fmt.Sprintf("%d:%s:%d", e.Rank, e.PartnerID, e.Value))
	}
	if fmt.Sprint(got) != "[1:a:500 2:b:300 2:c:300 4:d:100]" || b.Ranked != 4 {
		t.Fatalf("board %v (%d ranked)", got, b.Ranked)
	}
	if ranks["c"] != (Rank{Rank: 2, Value: 300}) || ranks["d"].Rank != 4 {
		t.Fatalf("ranks %v", ranks)
	}
}

func TestRankBoardKeepsTheTopOnly(t *testing.T) {
	var entries []entry
	for i := range boardSize + 50 {
		entries = append(entries, entry{partnerID: fmt.Sprint("p", i), value: int64(i + 1)})
	}
	b, ranks := rankBoard("points##", entries)
	if len(b.Entries) != boardSize || b.Ranked != boardSize+50 || len(ranks) != boardSize+50 || ranks["p0"].Rank != boardSize+50 {
		t.Fatalf("%d entries, %d ranked, last rank %d", len(b.Entries), b.Ranked, ranks["p0"].Rank)
	}
}

func TestChallengeRules(t *testing.T) {
	prog := program.Default()
	prog.Badges = []program.Badge{{ID: "star", Name: "Star", Rule: program.BadgeRule{FirstSale: true}}}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	ok := Challenge{Name: "n", StartsAt: start, EndsAt: start.AddDate(0, 1, 0), Kind: KindSales, Measure: MeasureRevenue,
		Currency: "EUR", Target: 100, Reward: Prize{Points: 1}}
	if err := ok.validate(prog); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*Challenge){
		"no currency for revenue":  func(c *Challenge) { c.Currency = "" },
		"ends before it starts":    func(c *Challenge) { c.EndsAt = c.StartsAt },
		"no reward":                func(c *Challenge) { c.Reward = Prize{} },
		"an unknown badge":         func(c *Challenge) { c.Reward.Badge = "nope" },
		"two currencies of money":  func(c *Challenge) { c.Reward.Amount = map[money.Currency]int64{"EUR": 1, "USD": 1} },
		"orders by category":       func(c *Challenge) { c.Measure, c.Category = MeasureOrders, "tools" },
		"a task with a target":     func(c *Challenge) { c.Kind = KindTask },
		"an unknown tier":          func(c *Challenge) { c.Tiers = []program.Tier{"platinum"} },
		"an id with a slash":       func(c *Challenge) { c.ID = "a/b" },
		"longer than a year":       func(c *Challenge) { c.EndsAt = c.StartsAt.AddDate(2, 0, 0) },
		"a negative points reward": func(c *Challenge) { c.Reward.Points = -1 },
	} {
		c := ok
		change(&c)
		if err := c.validate(prog); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestMonthsOfAWindow(t *testing.T) {
	from := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	if got := monthsOf(from, from.AddDate(0, 2, 0)); fmt.Sprint(got) != "[2026-11 2026-12 2027-01]" {
		t.Fatal(got)
	}
}
