// Package statement answers what a partner's statement shows: its balances
// per currency, its commission lines, its tier and goals, and what was
// donated on its behalf. It is a query over the ledger, performance and
// payout packages, so no handler reaches into their stores.
package statement

import (
	"context"
	"time"

	"github.com/partnerloop/partnerloop/internal/commission"
	"github.com/partnerloop/partnerloop/internal/engage"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/performance"
	"github.com/partnerloop/partnerloop/internal/program"
)

// Partners reads a partner.
type Partners interface {
	Get(ctx context.Context, id string) (partner.Partner, error)
}

// Ledger reads balances and a page of commission lines.
type Ledger interface {
	Balances(ctx context.Context, partnerID string) (map[money.Currency]ledger.Balance, error)
	Statement(ctx context.Context, partnerID string, limit int32, cursor string) ([]ledger.OrderRecord, string, error)
}

// Standings reads a partner's tier history and goal progress.
type Standings interface {
	Standing(ctx context.Context, partnerID string, tier program.Tier) (performance.Standing, error)
}

// Donations lists what was donated on a partner's behalf.
type Donations interface {
	PartnerDonations(ctx context.Context, partnerID string) ([]payout.Donation, error)
}

// Engagement reads a partner's points, badges and point lines.
type Engagement interface {
	Summary(ctx context.Context, partnerID string) (engage.Summary, error)
	StatementLines(ctx context.Context, partnerID string, recs []ledger.OrderRecord, limit int32) ([]engage.PointLine, error)
}

// Query assembles statements.
type Query struct {
	Partners   Partners
	Ledger     Ledger
	Standings  Standings
	Donations  Donations
	Engagement Engagement
}

// Statement is one page of a partner's statement.
type Statement struct {
	PartnerID   string                            `json:"partner_id"`
	Tier        string                            `json:"tier"`
	Balances    map[money.Currency]ledger.Balance `json:"balances"`
	Lines       []Line                            `json:"lines"`
	NextCursor  string                            `json:"next_cursor"`
	Goals       []performance.GoalProgress        `json:"goals"`
	TierHistory []performance.TierChange          `json:"tier_history"`
	// TierProgress is absent at the top tier or without tier rules.
	TierProgress *performance.TierProgress `json:"tier_progress,omitempty"`
	Donated      []payout.Donation         `json:"donated_on_your_behalf"`
	// Points are the partner's points; PointLines what moved them: this
	// page's orders and reversals with the latest activities, challenges
	// and redemptions, newest first.
	Points     ledger.Points      `json:"points"`
	PointLines []engage.PointLine `json:"point_lines"`
	Badges     []engage.Award     `json:"badges"`
}

// Line is one attributed order's commission as the partner sees it.
type Line struct {
	OrderRef   string                  `json:"order_ref"`
	Source     string                  `json:"source"`
	OrderID    string                  `json:"order_id"`
	Currency   money.Currency          `json:"currency"`
	OrderNet   int64                   `json:"order_net"`
	RateBps    int64                   `json:"rate_bps"`
	Commission int64                   `json:"commission"`
	Reversed   int64                   `json:"reversed"`
	Amount     int64                   `json:"amount"`
	Status     ledger.AccrualStatus    `json:"status"`
	HoldReason string                  `json:"hold_reason,omitempty"`
	Via        string                  `json:"attributed_via"`
	Tier       string                  `json:"tier"`
	ProgramVer int64                   `json:"program_version"`
	Lines      []commission.LineResult `json:"commission_lines"`
	AccruedAt  time.Time               `json:"accrued_at"`
	PayableAt  time.Time               `json:"payable_at"`
	UpdatedAt  time.Time               `json:"updated_at"`

	// DiscountCode is the discount code the referred customer used.
	DiscountCode string `json:"discount_code,omitempty"`
}

// NewLine is the statement line of an order record; the amount the
// partner keeps is the commission less what refunds reversed.
func NewLine(rec ledger.OrderRecord) Line {
	return Line{OrderRef: rec.Source + ":" + rec.OrderID, Source: rec.Source, OrderID: rec.OrderID,
		Currency: rec.Currency, OrderNet: rec.Net, RateBps: rec.RateBps, Commission: rec.Commission, Reversed: rec.Reversed,
		Amount: rec.Commission - rec.Reversed, Status: rec.Status, HoldReason: rec.HoldReason, Via: rec.Via, Tier: string(rec.Tier),
		ProgramVer: rec.ProgramVersion, Lines: rec.Lines, DiscountCode: rec.DiscountCode, AccruedAt: rec.PaidAt, PayableAt: rec.PayableAt, UpdatedAt: rec.UpdatedAt}
}

// Get reads one page of a partner's statement; an unknown partner is
// partner.ErrNotFound.
func (q *Query) Get(ctx context.Context, partnerID string, limit int32, cursor string) (Statement, error) {
	p, err := q.Partners.Get(ctx, partnerID)
	if err != nil {
		return Statement{}, err
	}
	balances, err := q.Ledger.Balances(ctx, partnerID)
	if err != nil {
		return Statement{}, err
	}
	recs, next, err := q.Ledger.Statement(ctx, partnerID, limit, cursor)
	if err != nil {
		return Statement{}, err
	}
	standing, err := q.Standings.Standing(ctx, partnerID, p.Tier)
	if err != nil {
		return Statement{}, err
	}
	donated, err := q.Donations.PartnerDonations(ctx, partnerID)
	if err != nil {
		return Statement{}, err
	}
	summary, err := q.Engagement.Summary(ctx, partnerID)
	if err != nil {
		return Statement{}, err
	}
	pointLines, err := q.Engagement.StatementLines(ctx, partnerID, recs, limit)
	if err != nil {
		return Statement{}, err
	}
	st := Statement{Points: summary.Points, PointLines: pointLines, Badges: summary.Badges, PartnerID: p.ID, Tier: string(p.Tier), Balances: balances, Lines: make([]Line, 0, len(recs)), NextCursor: next,
		Goals: standing.Goals, TierHistory: standing.TierHistory, TierProgress: standing.TierProgress, Donated: donated}
	for _, rec := range recs {
		st.Lines = append(st.Lines, NewLine(rec))
	}
	if st.Balances == nil {
		st.Balances = map[money.Currency]ledger.Balance{}
	}
	if st.Donated == nil {
		st.Donated = []payout.Donation{}
	}
	return st, nil
}
