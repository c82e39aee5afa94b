package discount

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrExhausted is a code_list group with no code left for a new partner.
	ErrExhausted = errors.New("the group's discount codes are all taken; upload more")
	// ErrNoCodeList is an upload to a group whose discount is not a code list.
	ErrNoCodeList = errors.New("the group's discount provider is not code_list")
	// ErrIssued is a partner that has its code already (the store's answer
	// to a second issue).
	ErrIssued = errors.New("the partner has its discount code")
	// ErrNotConfigured is a stripe discount without a Stripe API key.
	ErrNotConfigured = errors.New("stripe discounts need the Stripe API key")
)

// StripeCodes creates Stripe coupons and promotion codes.
type StripeCodes interface {
	// Coupon is the coupon of d for the level's partners (name is the
	// level's group, or "program").
	Coupon(ctx context.Context, name string, d Discount) (string, error)
	PromotionCode(ctx context.Context, couponID, code, partnerID string) (string, error)
}

// Store keeps partners' codes and code lists.
type Store interface {
	// PartnerCode reads the partner's code under the level's discount.
	PartnerCode(ctx context.Context, partnerID, level string) (Code, bool, error)
	// PutPartnerCode keeps a partner's code; ErrIssued if it has one.
	PutPartnerCode(ctx context.Context, c Code) error
	// LevelCodes lists the codes partners hold under the level's discount.
	LevelCodes(ctx context.Context, level string) ([]Code, error)
	// AddCodes adds codes to the group's list, leaving ones it has; it
	// answers how many were new.
	AddCodes(ctx context.Context, groupID string, codes []string) (int, error)
	// ClaimCode takes a free code of the group's list and keeps it as c's
	// code, both in one conditional write, so no two partners take one
	// code and no partner takes two; when the partner has its code already
	// (a concurrent issue won) it answers that one. ErrExhausted when no
	// code is free.
	ClaimCode(ctx context.Context, groupID string, c Code) (Code, error)
}

// Coupons adds a code to the partner's coupons, so an order naming it is
// credited to the partner; a code it holds already is left as it is.
type Coupons interface {
	AddCoupon(ctx context.Context, partnerID, code string) error
}

// Terms read the discounts a partner may give: its group's and the
// program's (both from the functions' caches).
type Terms interface {
	GroupDiscount(ctx context.Context, groupID string) (*Discount, error)
	ProgramDiscount(ctx context.Context) (*Discount, error)
}

// Service gives partners their discount codes.
type Service struct {
	Store   Store
	Terms   Terms
	Stripe  StripeCodes // nil: stripe discounts are refused
	Coupons Coupons
}

// Offer is the discount a partner of the group gives, if any.
func (s *Service) Offer(ctx context.Context, groupID string) (Offer, bool, error) {
	g, err := s.Terms.GroupDiscount(ctx, groupID)
	if err != nil {
		return Offer{}, false, err
	}
	p, err := s.Terms.ProgramDiscount(ctx)
	if err != nil {
		return Offer{}, false, err
	}
	o, ok := Resolve(groupID, g, p)
	return o, ok, nil
}

// Issue gives a partner of a group that gives a discount its own code
// there, once (found=false when the group gives none): its referral code
// (as a Stripe promotion code, or as the code of Shopify's discount link)
// or a code taken from the group's list. Calling it again answers the
// same code and completes an issue an error cut short.
func (s *Service) Issue(ctx context.Context, partnerID, referralCode, groupID string) (c Code, found bool, err error) {
	o, ok, err := s.Offer(ctx, groupID)
	if err != nil || !ok {
		return Code{}, false, err
	}
	c, found, err = s.Store.PartnerCode(ctx, partnerID, o.Level)
	if err != nil {
		return Code{}, false, err
	}
	if !found {
		if c, err = s.issue(ctx, partnerID, referralCode, groupID, o); err != nil {
			return Code{}, false, err
		}
	}
	if coupon := c.Coupon(); coupon != "" {
		if err := s.Coupons.AddCoupon(ctx, partnerID, coupon); err != nil {
			return Code{}, false, err
		}
	}
	return c, true, nil
}

func (s *Service) issue(ctx context.Context, partnerID, referralCode, groupID string, o Offer) (Code, error) {
	c := Code{PartnerID: partnerID, Level: o.Level, Code: referralCode, Provider: o.Provider}
	switch o.Provider {
	case CodeList:
		return s.Store.ClaimCode(ctx, groupID, c)
	case Stripe:
		if s.Stripe == nil {
			return Code{}, ErrNotConfigured
		}
		coupon, err := s.Stripe.Coupon(ctx, strings.TrimPrefix(o.Level, GroupLevel("")), o.Discount)
		if err != nil {
			return Code{}, fmt.Errorf("stripe coupon: %w", err)
		}
		// The promotion code's idempotency key is the partner's and the
		// coupon's, so concurrent issues get the same one from Stripe.
		if c.PromotionCode, err = s.Stripe.PromotionCode(ctx, coupon, referralCode, partnerID); err != nil {
			return Code{}, fmt.Errorf("stripe promotion code: %w", err)
		}
	}
	err := s.Store.PutPartnerCode(ctx, c)
	if errors.Is(err, ErrIssued) {
		// A concurrent issue for the same partner won; answer its code.
		won, _, err := s.Store.PartnerCode(ctx, partnerID, o.Level)
		return won, err
	}
	return c, err
}

// Upload adds codes to a code_list group's list.
func (s *Service) Upload(ctx context.Context, groupID string, d *Discount, codes []string) (int, error) {
	if d == nil || d.Provider != CodeList {
		return 0, ErrNoCodeList
	}
	codes, err := NormalizeUpload(codes)
	if err != nil {
		return 0, err
	}
	return s.Store.AddCodes(ctx, groupID, codes)
}

// LevelCodes lists the codes partners hold under the level's discount.
func (s *Service) LevelCodes(ctx context.Context, level string) ([]Code, error) {
	return s.Store.LevelCodes(ctx, level)
}

// PartnerCode is the partner's code under the level's discount, if it has one.
func (s *Service) PartnerCode(ctx context.Context, partnerID, level string) (Code, bool, error) {
	return s.Store.PartnerCode(ctx, partnerID, level)
}
