package stripepay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/stripe/stripe-go/v85"

	"github.com/partnerloop/partnerloop/internal/discount"
)

// Discounts creates a group's coupon and its partners' promotion codes
// through the Stripe API, for groups whose discount provider is stripe.
type Discounts struct {
	Client *stripe.Client
}

// NewDiscounts is Discounts for the API key; apiBase as for New.
func NewDiscounts(apiKey, apiBase string) *Discounts {
	return &Discounts{Client: New(apiKey, apiBase).Client}
}

// Coupon creates the coupon for d of the partners of name (a group, or
// the program). Its id names them and the discount's terms, and the same
// id is the idempotency key: a retry, or a second partner joining, finds
// the coupon instead of making another, and changed terms make a new
// coupon (Stripe's coupons cannot change).
func (s *Discounts) Coupon(ctx context.Context, name string, d discount.Discount) (string, error) {
	id := couponID(name, d)
	params := &stripe.CouponCreateParams{ID: stripe.String(id), Duration: stripe.String(d.Duration),
		Name: stripe.String(name), Metadata: map[string]string{"partners_of": name}}
	if d.Kind == discount.Percent {
		params.PercentOff = stripe.Float64(float64(d.Value)) // a whole percent, exact as a float
	} else {
		params.AmountOff, params.Currency = stripe.Int64(d.Value), stripe.String(strings.ToLower(string(d.Currency)))
	}
	if d.Duration == discount.Repeating {
		params.DurationInMonths = stripe.Int64(int64(d.Months))
	}
	params.SetIdempotencyKey("coupon-" + id)
	c, err := s.Client.V1Coupons.Create(ctx, params)
	if alreadyExists(err) {
		return id, nil
	}
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

// PromotionCode creates the partner's promotion code for the coupon, the
// partner's code as the customer-facing code; the partner and coupon are
// the idempotency key.
func (s *Discounts) PromotionCode(ctx context.Context, couponID, code, partnerID string) (string, error) {
	params := &stripe.PromotionCodeCreateParams{Code: stripe.String(code), Metadata: map[string]string{"partner_id": partnerID},
		Promotion: &stripe.PromotionCodeCreatePromotionParams{Type: stripe.String(string(stripe.PromotionCodePromotionTypeCoupon)), Coupon: stripe.String(couponID)}}
	params.SetIdempotencyKey("promotion-code-" + partnerID + "-" + couponID)
	pc, err := s.Client.V1PromotionCodes.Create(ctx, params)
	if err != nil {
		return "", err
	}
	return pc.ID, nil
}

// couponID is "pl_<name>_<hash of the terms>".
func couponID(name string, d discount.Discount) string {
	terms, _ := json.Marshal(d) // a Discount always marshals
	sum := sha256.Sum256(terms)
	return "pl_" + name + "_" + hex.EncodeToString(sum[:6])
}

func alreadyExists(err error) bool {
	se, ok := err.(*stripe.Error)
	return ok && se.Code == stripe.ErrorCodeResourceAlreadyExists
}
