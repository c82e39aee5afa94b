package engage

import (
	"context"
	"fmt"
	"time"

	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/program"
)

// Board is a stored leaderboard: its top entries and how many partners it
// ranks (everyone else shares the rank after them, with nothing).
type Board struct {
	Key     string       `json:"-" dynamodbav:"-"`
	Ranked  int          `json:"ranked" dynamodbav:"ranked"`
	Entries []BoardEntry `json:"entries" dynamodbav:"entries"`
	AsOf    time.Time    `json:"as_of" dynamodbav:"as_of"`
}

// BoardEntry is one ranked partner; Name is empty unless it chose to be shown.
type BoardEntry struct {
	Rank      int    `json:"rank" dynamodbav:"rank"`
	PartnerID string `json:"partner_id" dynamodbav:"partner_id"`
	Name      string `json:"name,omitempty" dynamodbav:"name,omitempty"`
	Value     int64  `json:"value" dynamodbav:"value"`
}

// Rank is where one partner stands on a board.
type Rank struct {
	Rank  int   `json:"rank" dynamodbav:"rank"`
	Value int64 `json:"value" dynamodbav:"value"`
}

// LeaderboardQuery selects a board.
type LeaderboardQuery struct {
	Period   string
	Measure  string
	Currency money.Currency
	Tier     program.Tier
	Limit    int
}

// Leaderboard is the answer of GET /v1/leaderboard.
type Leaderboard struct {
	Period   string            `json:"period" dynamodbav:"period"`
	Measure  string            `json:"measure" dynamodbav:"measure"`
	Currency money.Currency    `json:"currency,omitempty" dynamodbav:"currency,omitempty"`
	Tier     program.Tier      `json:"tier,omitempty" dynamodbav:"tier,omitempty"`
	Entries  []LeaderboardLine `json:"entries" dynamodbav:"entries"`
	You      *Rank             `json:"you,omitempty" dynamodbav:"you,omitempty"`
	AsOf     *time.Time        `json:"as_of,omitempty" dynamodbav:"as_of,omitempty"`
}

// LeaderboardLine is one entry as callers see it.
type LeaderboardLine struct {
	Rank    int    `json:"rank" dynamodbav:"rank"`
	Partner string `json:"partner" dynamodbav:"partner"`
	Value   int64  `json:"value" dynamodbav:"value"`
}

// Leaderboard reads a stored board: two item reads whatever the number of
// partners. A partner caller (partnerID set) also gets its own rank; one
// the board does not rank shares the rank after the last ranked partner.
func (s *Service) Leaderboard(ctx context.Context, q LeaderboardQuery, partnerID string) (Leaderboard, error) {
	if _, err := time.Parse("2006-01", q.Period); err != nil {
		return Leaderboard{}, fmt.Errorf("%w: period must be a month, e.g. 2026-11", ErrInvalid)
	}
	switch q.Measure {
	case MeasurePoints:
		q.Currency = ""
	case MeasureRevenue:
		if c, err := money.ParseCurrency(string(q.Currency)); err != nil || c != q.Currency {
			return Leaderboard{}, fmt.Errorf("%w: measure revenue needs currency, an ISO 4217 code", ErrInvalid)
		}
	default:
		return Leaderboard{}, fmt.Errorf("%w: measure must be revenue or points", ErrInvalid)
	}
	if q.Tier != "" && program.TierRank(q.Tier) < 0 {
		return Leaderboard{}, fmt.Errorf("%w: tier must be authorized, silver or gold", ErrInvalid)
	}
	if q.Limit < 1 || q.Limit > boardSize {
		return Leaderboard{}, fmt.Errorf("%w: limit must be between 1 and %d", ErrInvalid, boardSize)
	}
	key := BoardKey(q.Measure, q.Currency, q.Tier)
	b, found, err := s.Store.GetBoard(ctx, q.Period, key)
	if err != nil {
		return Leaderboard{}, err
	}
	out := Leaderboard{Period: q.Period, Measure: q.Measure, Currency: q.Currency, Tier: q.Tier, Entries: []LeaderboardLine{}}
	if found {
		out.AsOf = &b.AsOf
	}
	for _, e := range b.Entries[:min(len(b.Entries), q.Limit)] {
		name := e.Name
		if name == "" {
			name = fmt.Sprintf("Partner #%d", e.Rank)
		}
		out.Entries = append(out.Entries, LeaderboardLine{Rank: e.Rank, Partner: name, Value: e.Value})
	}
	if partnerID != "" {
		ranks, at, err := s.Store.GetRanks(ctx, partnerID, q.Period)
		if err != nil {
			return Leaderboard{}, err
		}
		// Ranks from an earlier run than the board's are stale: the
		// partner fell off the board since.
		you, ok := ranks[key]
		if !ok || !at.Equal(b.AsOf) {
			you = Rank{Rank: b.Ranked + 1}
		}
		out.You = &you
	}
	return out, nil
}
