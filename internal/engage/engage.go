// Package engage keeps partners engaged beyond commission: points for
// sales and activities, time-boxed challenges, badges, leaderboards and a
// rewards catalog. It books on the same terms as the ledger: every credit
// has a unique reference and commits with its points in one transaction,
// so a repeated or concurrent request never counts twice.
package engage

import (
	"context"
	"errors"
	"time"

	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/messages"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/program"
)

// Errors the routes answer.
var (
	ErrInvalid            = errors.New("invalid request")
	ErrUnknownPartner     = errors.New("unknown partner")
	ErrUnknownActivity    = errors.New("unknown activity type")
	ErrDuplicate          = errors.New("already recorded")
	ErrChallengeNotFound  = errors.New("challenge not found")
	ErrChallengeExists    = errors.New("a challenge with this id exists")
	ErrChallengeEnded     = errors.New("the challenge has ended")
	ErrChallengeChanged   = errors.New("the challenge changed while the request ran; retry")
	ErrSubmissionNotFound = errors.New("submission not found")
	ErrAlreadyDecided     = errors.New("submission already decided")
	ErrAlreadyCompleted   = errors.New("the partner already completed this challenge")
	ErrRewardNotFound     = errors.New("reward not found")
	ErrRewardExists       = errors.New("a reward with this id exists")
	ErrRewardRetired      = errors.New("the reward is retired")
	ErrInsufficientPoints = errors.New("not enough available points")
	ErrOutOfStock         = errors.New("reward out of stock")
	ErrRedemptionNotFound = errors.New("redemption not found")
	ErrNotOpen            = errors.New("redemption is no longer requested")
	ErrDonationInBatch    = errors.New("the donation is already in a payout batch")
)

// Kinds of point lines.
const (
	LineOrder               = "order"
	LineReversal            = "reversal"
	LineActivity            = "activity"
	LineChallenge           = "challenge"
	LineRedemption          = "redemption"
	LineRedemptionCancelled = "redemption_cancelled"
	LineAdjustment          = "adjustment"
)

// PointLine is one movement of a partner's points. Order lines (and their
// reversals) come from the accrual records; the others are stored.
type PointLine struct {
	Ref         string    `json:"ref" dynamodbav:"ref"`
	PartnerID   string    `json:"-" dynamodbav:"-"`
	Kind        string    `json:"kind" dynamodbav:"kind"`
	Points      int64     `json:"points" dynamodbav:"points"`
	Description string    `json:"description" dynamodbav:"description"`
	At          time.Time `json:"at" dynamodbav:"at"`
}

// Credit is a points movement outside an order with everything committed
// alongside it. The line's Ref is unique: a second credit with it is
// ErrDuplicate and changes nothing.
type Credit struct {
	Line   PointLine
	Points ledger.Points
	Events []outbox.Event
}

// Store keeps what this package books. Each write is one transaction.
type Store interface {
	// CreditPoints books a credit for an existing partner (ErrUnknownPartner
	// otherwise), once per line ref (ErrDuplicate); one that takes available
	// points needs them there (ErrInsufficientPoints).
	CreditPoints(ctx context.Context, c Credit) error
	PointLines(ctx context.Context, partnerID string, limit int32) ([]PointLine, error)

	// PutChallenge adds a challenge with the broadcast that tells its
	// audience it started, in one transaction (ErrChallengeExists).
	PutChallenge(ctx context.Context, c Challenge, notice messages.Message) error
	GetChallenge(ctx context.Context, id string) (Challenge, error)
	// UpdateChallenge stores a changed challenge whose end was still was
	// (ErrChallengeChanged otherwise), keeping its counts, and gives its
	// start notice notice's subject, body and challenge while the notice
	// is still scheduled (one sent stays as it went out).
	UpdateChallenge(ctx context.Context, c Challenge, was time.Time, notice messages.Message) error
	// CancelChallenge stores a challenge ended before its start, as
	// UpdateChallenge does, and withdraws its start notice while that is
	// still scheduled.
	CancelChallenge(ctx context.Context, c Challenge, was time.Time) error
	ListChallenges(ctx context.Context) ([]Challenge, error)
	// Completions maps the challenges a partner completed to when.
	Completions(ctx context.Context, partnerID string) (map[string]time.Time, error)
	// Complete records a completion once per challenge and partner
	// (ErrAlreadyCompleted), with its points credit; a decided submission,
	// if given, must still be pending (ErrAlreadyDecided).
	Complete(ctx context.Context, c Completion) error
	PutSubmission(ctx context.Context, s Submission) error
	GetSubmission(ctx context.Context, challengeID, id string) (Submission, error)
	Submissions(ctx context.Context, challengeID string) ([]Submission, error)
	// Reject decides a pending submission, with its events
	// (ErrAlreadyDecided otherwise).
	Reject(ctx context.Context, s Submission, events []outbox.Event) error

	// AwardBadge gives a badge once per partner; false if it was held.
	AwardBadge(ctx context.Context, partnerID string, b Award, events []outbox.Event) (bool, error)
	Badges(ctx context.Context, partnerID string) ([]Award, error)
	LifetimeSales(ctx context.Context, partnerID string) (map[string]int64, error)

	PutBoards(ctx context.Context, period string, boards []Board, at time.Time) error
	GetBoard(ctx context.Context, period, key string) (Board, bool, error)
	// PutRanks stores each ranked partner's ranks of the period, stamped
	// with the boards' time; GetRanks returns them with that stamp.
	PutRanks(ctx context.Context, period string, ranks map[string]map[string]Rank, at time.Time) error
	GetRanks(ctx context.Context, partnerID, period string) (map[string]Rank, time.Time, error)

	PutReward(ctx context.Context, r Reward) error // ErrRewardExists
	GetReward(ctx context.Context, id string) (Reward, error)
	ListRewards(ctx context.Context) ([]Reward, error)
	// UpdateReward stores an edited reward (ErrRewardNotFound if gone),
	// its stock only when setStock, and returns it as stored.
	UpdateReward(ctx context.Context, r Reward, setStock bool) (Reward, error)
	// Redeem takes the points and the stock and records the redemption
	// (and a donation's pledge) in one transaction; ErrInsufficientPoints
	// or ErrOutOfStock change nothing.
	Redeem(ctx context.Context, r Redemption, reward Reward, c Credit, pledge *payout.Pledge) error
	GetRedemption(ctx context.Context, id string) (Redemption, error)
	ListRedemptions(ctx context.Context, status string, limit int32, cursor string) ([]Redemption, string, error)
	// Fulfil marks a requested redemption fulfilled (ErrNotOpen otherwise).
	Fulfil(ctx context.Context, r Redemption, events ...outbox.Event) error
	// CancelRedemption returns points and stock and withdraws a donation's
	// pledge while no batch took it (ErrNotOpen, ErrDonationInBatch).
	CancelRedemption(ctx context.Context, r Redemption, reward Reward, c Credit) error
}

// Bonuses credits money rewards as accruals (the ledger).
type Bonuses interface {
	CreditBonus(ctx context.Context, b ledger.Bonus) (bool, error)
}

// Partners reads partners.
type Partners interface {
	Get(ctx context.Context, id string) (partner.Partner, error)
}

// Accruals reads a partner's order records paid within [from, to).
type Accruals interface {
	AccrualsBetween(ctx context.Context, partnerID string, from, to time.Time) ([]ledger.OrderRecord, error)
}

// Charities checks a donation reward's charity.
type Charities interface {
	GetCharity(ctx context.Context, id string) (payout.Charity, error)
}

// Points reads a partner's points (the ledger keeps them).
type Points interface {
	Points(ctx context.Context, partnerID string) (ledger.Points, error)
	// PointsOf reads many partners' points at once; a partner without
	// any is missing from the answer.
	PointsOf(ctx context.Context, partnerIDs []string) (map[string]ledger.Points, error)
}

// Service runs the engagement layer.
type Service struct {
	Store     Store
	Partners  Partners
	Accruals  Accruals
	Points    Points
	Bonuses   Bonuses
	Charities Charities
	Programs  program.Provider
	Events    outbox.Subscriptions
	Now       func() time.Time
}

// Summary is what a partner record and statement show of engagement.
type Summary struct {
	Points ledger.Points `json:"points" dynamodbav:"points"`
	Badges []Award       `json:"badges" dynamodbav:"badges"`
}

// Summary reads a partner's points and badges.
func (s *Service) Summary(ctx context.Context, partnerID string) (Summary, error) {
	points, err := s.Points.Points(ctx, partnerID)
	if err != nil {
		return Summary{}, err
	}
	badges, err := s.Store.Badges(ctx, partnerID)
	return Summary{Points: points, Badges: badges}, err
}

// PointsOf returns the points of a page of partners; a partner missing
// from the answer has none yet.
func (s *Service) PointsOf(ctx context.Context, partnerIDs []string) (map[string]ledger.Points, error) {
	return s.Points.PointsOf(ctx, partnerIDs)
}

// Award is a badge a partner holds.
type Award struct {
	ID        string    `json:"id" dynamodbav:"id"`
	Name      string    `json:"name" dynamodbav:"name"`
	AwardedAt time.Time `json:"awarded_at" dynamodbav:"awarded_at"`
	Reason    string    `json:"reason,omitempty" dynamodbav:"reason,omitempty"`
}

func validCurrencyAmount(m map[money.Currency]int64) (money.Currency, int64, bool) {
	if len(m) != 1 {
		return "", 0, false
	}
	for cur, v := range m {
		if c, err := money.ParseCurrency(string(cur)); err != nil || c != cur || v <= 0 || v > money.MaxAmount {
			return "", 0, false
		}
		return cur, v, true
	}
	return "", 0, false
}
