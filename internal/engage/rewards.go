package engage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/program"
)

// Reward kinds.
const (
	RewardItem     = "item"
	RewardVoucher  = "voucher"
	RewardDonation = "donation"
)

// Reward is an entry of the catalog partners spend available points on.
type Reward struct {
	ID            string                   `json:"id" dynamodbav:"id"`
	Name          string                   `json:"name" dynamodbav:"name"`
	Description   string                   `json:"description" dynamodbav:"description"`
	PointsCost    int64                    `json:"points_cost" dynamodbav:"points_cost"`
	Stock         *int64                   `json:"stock,omitempty" dynamodbav:"stock,omitempty"` // absent: unlimited
	Kind          string                   `json:"kind" dynamodbav:"kind"`
	CharityID     string                   `json:"charity_id,omitempty" dynamodbav:"charity_id,omitempty"`
	DonationValue map[money.Currency]int64 `json:"donation_value,omitempty" dynamodbav:"donation_value,omitempty"`
	CreatedAt     time.Time                `json:"created_at" dynamodbav:"created_at"`
	// RetiredAt: since then partners neither see nor redeem it; its
	// redemptions are still fulfilled or cancelled.
	RetiredAt *time.Time `json:"retired_at,omitempty" dynamodbav:"retired_at,omitempty"`
}

// Redemption statuses.
const (
	RedemptionRequested = "requested"
	RedemptionFulfilled = "fulfilled"
	RedemptionCancelled = "cancelled"
)

// Redemption is a partner's order from the catalog.
type Redemption struct {
	ID         string    `json:"id" dynamodbav:"id"`
	PartnerID  string    `json:"partner_id" dynamodbav:"partner_id"`
	RewardID   string    `json:"reward_id" dynamodbav:"reward_id"`
	RewardName string    `json:"reward_name" dynamodbav:"reward_name"`
	Kind       string    `json:"kind" dynamodbav:"kind"`
	Quantity   int64     `json:"quantity" dynamodbav:"quantity"`
	Points     int64     `json:"points" dynamodbav:"points"`
	Status     string    `json:"status" dynamodbav:"status"`
	Reference  string    `json:"reference,omitempty" dynamodbav:"reference,omitempty"`
	Reason     string    `json:"reason,omitempty" dynamodbav:"reason,omitempty"`
	CharityID  string    `json:"charity_id,omitempty" dynamodbav:"charity_id,omitempty"`
	Donation   *Amount   `json:"donation,omitempty" dynamodbav:"donation,omitempty"`
	CreatedAt  time.Time `json:"created_at" dynamodbav:"created_at"`
	UpdatedAt  time.Time `json:"updated_at" dynamodbav:"updated_at"`
	By         string    `json:"updated_by,omitempty" dynamodbav:"updated_by,omitempty"`
}

// Amount is money in one currency.
type Amount struct {
	Currency money.Currency `json:"currency" dynamodbav:"currency"`
	Amount   int64          `json:"amount" dynamodbav:"amount"`
}

// maxStock bounds a reward's stock.
const maxStock = 1_000_000

// validateEditable checks what both a new reward and an edit set.
func (r Reward) validateEditable() error {
	switch {
	case r.Name == "" || bounds.Name.Check("name", r.Name) != nil:
		return fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: "name", Reason: "is required, at most 200 characters"})
	case bounds.Text.Check("description", r.Description) != nil:
		return fmt.Errorf("%w: %w", ErrInvalid, bounds.Text.Check("description", r.Description))
	case r.PointsCost <= 0 || r.PointsCost > program.MaxPoints:
		return fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: "points_cost", Reason: fmt.Sprintf("must be between 1 and %d", program.MaxPoints)})
	case r.Stock != nil && (*r.Stock < 0 || *r.Stock > maxStock):
		return fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: "stock", Reason: fmt.Sprintf("must be between 0 and %d", maxStock)})
	}
	return nil
}

// AddReward puts a reward in the catalog.
func (s *Service) AddReward(ctx context.Context, r Reward) (Reward, error) {
	if r.ID == "" || len(r.ID) > 64 {
		return Reward{}, fmt.Errorf("%w: id must be 1 to 64 characters", ErrInvalid)
	}
	if err := r.validateEditable(); err != nil {
		return Reward{}, err
	}
	r.RetiredAt = nil
	switch r.Kind {
	case RewardItem, RewardVoucher:
		if r.CharityID != "" || r.DonationValue != nil {
			return Reward{}, fmt.Errorf("%w: charity_id and donation_value are for donation rewards", ErrInvalid)
		}
	case RewardDonation:
		if _, _, ok := validCurrencyAmount(r.DonationValue); !ok || r.CharityID == "" {
			return Reward{}, fmt.Errorf("%w: a donation reward needs charity_id and donation_value in one ISO 4217 currency", ErrInvalid)
		}
		if err := bounds.ID.Check("charity_id", r.CharityID); err != nil {
			return Reward{}, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if _, err := s.Charities.GetCharity(ctx, r.CharityID); err != nil {
			return Reward{}, err
		}
	default:
		return Reward{}, fmt.Errorf("%w: kind must be item, voucher or donation", ErrInvalid)
	}
	r.CreatedAt = s.Now().UTC()
	return r, s.Store.PutReward(ctx, r)
}

// Rewards lists the catalog; retired rewards only with withRetired
// (staff's view).
func (s *Service) Rewards(ctx context.Context, withRetired bool) ([]Reward, error) {
	list, err := s.Store.ListRewards(ctx)
	if !withRetired {
		list = slices.DeleteFunc(list, func(r Reward) bool { return r.RetiredAt != nil })
	}
	if list == nil {
		list = []Reward{}
	}
	return list, err
}

// Reward reads one reward of the catalog.
func (s *Service) Reward(ctx context.Context, id string) (Reward, error) {
	return s.Store.GetReward(ctx, id)
}

// StockChange is a reward's new stock as an edit gives it: a number, or
// null for unlimited; Set is false when the edit leaves the stock alone.
type StockChange struct {
	Set   bool
	Value *int64
}

// UnmarshalJSON is called for a present "stock", null included.
func (c *StockChange) UnmarshalJSON(b []byte) error {
	c.Set = true
	return json.Unmarshal(b, &c.Value)
}

// RewardChange is an edit of a catalog entry; absent fields stay. Retired
// true takes it out of the partners' catalog, false puts it back. Its
// kind and donation stay what redemptions were made of.
type RewardChange struct {
	Name        *string     `json:"name"`
	Description *string     `json:"description"`
	PointsCost  *int64      `json:"points_cost"`
	Stock       StockChange `json:"stock"`
	Retired     *bool       `json:"retired"`
}

// ChangeReward edits a reward. A new stock replaces the stock left (what
// redemptions took since it was read included); redemptions already made
// keep the cost they were made at.
func (s *Service) ChangeReward(ctx context.Context, id string, ch RewardChange) (Reward, error) {
	r, err := s.Store.GetReward(ctx, id)
	if err != nil {
		return Reward{}, err
	}
	if ch.Name != nil {
		r.Name = *ch.Name
	}
	if ch.Description != nil {
		r.Description = *ch.Description
	}
	if ch.PointsCost != nil {
		r.PointsCost = *ch.PointsCost
	}
	if ch.Stock.Set {
		r.Stock = ch.Stock.Value
	}
	if err := r.validateEditable(); err != nil {
		return Reward{}, err
	}
	if ch.Retired != nil {
		r.RetiredAt = nil
		if *ch.Retired {
			now := s.Now().UTC()
			r.RetiredAt = &now
		}
	}
	return s.Store.UpdateReward(ctx, r, ch.Stock.Set)
}

// RedeemRequest is what a partner orders.
type RedeemRequest struct {
	RewardID string `json:"reward_id" dynamodbav:"reward_id"`
	Quantity int64  `json:"quantity" dynamodbav:"quantity"`
}

// Redeem spends the partner's available points on a reward. Points and
// stock are tested and taken in one transaction, so concurrent requests
// never take points below zero nor sell more than the stock.
func (s *Service) Redeem(ctx context.Context, partnerID string, in RedeemRequest) (Redemption, error) {
	if in.Quantity < 1 || in.Quantity > 100 {
		return Redemption{}, fmt.Errorf("%w: quantity must be between 1 and 100", ErrInvalid)
	}
	if err := bounds.ID.Check("reward_id", in.RewardID); err != nil {
		return Redemption{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	r, err := s.Store.GetReward(ctx, in.RewardID)
	if err != nil {
		return Redemption{}, err
	}
	if r.RetiredAt != nil {
		return Redemption{}, ErrRewardRetired
	}
	now := s.Now().UTC()
	red := Redemption{ID: "rd_" + randomHex(8), PartnerID: partnerID, RewardID: r.ID, RewardName: r.Name, Kind: r.Kind,
		Quantity: in.Quantity, Points: r.PointsCost * in.Quantity, Status: RedemptionRequested, CreatedAt: now, UpdatedAt: now}
	var pledge *payout.Pledge
	if r.Kind == RewardDonation {
		cur, v, _ := validCurrencyAmount(r.DonationValue)
		red.CharityID, red.Donation = r.CharityID, &Amount{Currency: cur, Amount: v * in.Quantity}
		pledge = &payout.Pledge{Ref: "redemption:" + red.ID, PartnerID: partnerID, CharityID: r.CharityID, Currency: cur,
			Amount: red.Donation.Amount, Reason: "reward " + r.Name, At: now, Status: payout.LegDue}
	}
	credit := Credit{Line: PointLine{Ref: "redemption:" + red.ID, PartnerID: partnerID, Kind: LineRedemption, Points: -red.Points,
		Description: fmt.Sprintf("%d × %s", in.Quantity, r.Name), At: now},
		Points: ledger.Points{Available: -red.Points, Redeemed: red.Points},
		Events: outbox.Emit(ctx, s.Events, outbox.RedemptionCreated, red.ID, now, red)}
	if err := s.Store.Redeem(ctx, red, r, credit, pledge); err != nil {
		return Redemption{}, err
	}
	return red, nil
}

// Redemptions lists redemptions with a status (all when empty), newest first.
func (s *Service) Redemptions(ctx context.Context, status string, limit int32, cursor string) ([]Redemption, string, error) {
	switch status {
	case "", RedemptionRequested, RedemptionFulfilled, RedemptionCancelled:
	default:
		return nil, "", fmt.Errorf("%w: status must be requested, fulfilled or cancelled", ErrInvalid)
	}
	list, next, err := s.Store.ListRedemptions(ctx, status, limit, cursor)
	if list == nil {
		list = []Redemption{}
	}
	return list, next, err
}

// Fulfil records that finance sent the reward, with its reference.
func (s *Service) Fulfil(ctx context.Context, id, reference, by string) (Redemption, error) {
	if reference == "" || len(reference) > 500 {
		return Redemption{}, fmt.Errorf("%w: reference is required (at most 500 characters)", ErrInvalid)
	}
	r, err := s.Store.GetRedemption(ctx, id)
	if err != nil {
		return Redemption{}, err
	}
	r.Status, r.Reference, r.By, r.UpdatedAt = RedemptionFulfilled, reference, by, s.Now().UTC()
	return r, s.Store.Fulfil(ctx, r, outbox.Emit(ctx, s.Events, outbox.RedemptionFulfilled, r.ID, r.UpdatedAt, r)...)
}

// Cancel gives the points and the stock back; a donation's pledge is
// withdrawn, which is only possible while no batch has taken it.
func (s *Service) Cancel(ctx context.Context, id, reason, by string) (Redemption, error) {
	if reason == "" || len(reason) > 500 {
		return Redemption{}, fmt.Errorf("%w: reason is required (at most 500 characters)", ErrInvalid)
	}
	r, err := s.Store.GetRedemption(ctx, id)
	if err != nil {
		return Redemption{}, err
	}
	reward, err := s.Store.GetReward(ctx, r.RewardID)
	if err != nil {
		return Redemption{}, err
	}
	now := s.Now().UTC()
	r.Status, r.Reason, r.By, r.UpdatedAt = RedemptionCancelled, reason, by, now
	credit := Credit{Line: PointLine{Ref: "redemption-cancelled:" + r.ID, PartnerID: r.PartnerID, Kind: LineRedemptionCancelled,
		Points: r.Points, Description: fmt.Sprintf("%d × %s returned: %s", r.Quantity, r.RewardName, reason), At: now},
		Points: ledger.Points{Available: r.Points, Redeemed: -r.Points}}
	return r, s.Store.CancelRedemption(ctx, r, reward, credit)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}
