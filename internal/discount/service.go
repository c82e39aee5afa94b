package discount

import (
	"context"
	"errors"
	"fmt"
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
	Coupon(ctx context.Context, groupID string, d Discount) (string, error)
	PromotionCode(ctx context.Context, couponID, code, partnerID string) (string, error)
}

// Store keeps partners' codes and code lists.
type Store interface {
	// PartnerCode reads the partner's code in the group.
	PartnerCode(ctx context.Context, partnerID string) (Code, bool, error)
	// PutPartnerCode keeps a partner's code; ErrIssued if it has one.
	PutPartnerCode(ctx context.Context, c Code) error
	// GroupCodes lists the codes the group's partners hold.
	GroupCodes(ctx context.Context, groupID string) ([]Code, error)
	// AddCodes adds codes to the group's list, leaving ones it has; it
	// answers how many were new.
	AddCodes(ctx context.Context, groupID string, codes []string) (int, error)
	// ClaimCode takes a free code of the group's list for the partner:
	// a conditional write, so no two partners ever take the same one;
	// ErrExhausted when none is free.
	ClaimCode(ctx context.Context, groupID, partnerID string) (string, error)
	// ReleaseCode puts back a code the partner claimed but did not keep.
	ReleaseCode(ctx context.Context, groupID, code, partnerID string) error
}

// Coupons adds a code to the partner's coupons, so an order naming it is
// credited to the partner.
type Coupons interface {
	AddCoupon(ctx context.Context, partnerID, code string) error
}

// Service gives partners their discount codes.
type Service struct {
	Store   Store
	Stripe  StripeCodes // nil: stripe discounts are refused
	Coupons Coupons
}

// Issue gives a partner joining a group with discount d its own code, once:
// its referral code (as a Stripe promotion code, or as the code of
// Shopify's discount link) or a code taken from the group's list.
func (s *Service) Issue(ctx context.Context, partnerID, referralCode, groupID string, d Discount) (Code, error) {
	if c, found, err := s.Store.PartnerCode(ctx, partnerID); err != nil || found {
		return c, err
	}
	c := Code{PartnerID: partnerID, GroupID: groupID, Code: referralCode, Provider: d.Provider}
	switch d.Provider {
	case Stripe:
		if s.Stripe == nil {
			return Code{}, ErrNotConfigured
		}
		coupon, err := s.Stripe.Coupon(ctx, groupID, d)
		if err != nil {
			return Code{}, fmt.Errorf("stripe coupon: %w", err)
		}
		if c.PromotionCode, err = s.Stripe.PromotionCode(ctx, coupon, referralCode, partnerID); err != nil {
			return Code{}, fmt.Errorf("stripe promotion code: %w", err)
		}
		// Stripe's checkout events name the promotion code by its id.
		if err := s.Coupons.AddCoupon(ctx, partnerID, c.PromotionCode); err != nil {
			return Code{}, err
		}
	case CodeList:
		code, err := s.Store.ClaimCode(ctx, groupID, partnerID)
		if err != nil {
			return Code{}, err
		}
		c.Code = code
		if err := s.Coupons.AddCoupon(ctx, partnerID, code); err != nil {
			return Code{}, errors.Join(err, s.Store.ReleaseCode(ctx, groupID, code, partnerID))
		}
	}
	err := s.Store.PutPartnerCode(ctx, c)
	if errors.Is(err, ErrIssued) {
		// A concurrent issue for the same partner won; answer its code.
		won, _, err := s.Store.PartnerCode(ctx, partnerID)
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

// GroupCodes lists the codes the group's partners hold.
func (s *Service) GroupCodes(ctx context.Context, groupID string) ([]Code, error) {
	return s.Store.GroupCodes(ctx, groupID)
}

// PartnerCode is the partner's code, if it has one.
func (s *Service) PartnerCode(ctx context.Context, partnerID string) (Code, bool, error) {
	return s.Store.PartnerCode(ctx, partnerID)
}
