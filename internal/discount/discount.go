// Package discount is the referred customer's side of a referral: the
// discount a group gives through each partner's own code, and where the
// code comes from (Stripe promotion codes, Shopify's shareable discount
// links, or a list of codes the shop uploaded).
package discount

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/money"
)

// Kinds, durations and providers of a discount.
const (
	Percent = "percent"
	Amount  = "amount"

	Once      = "once"
	Repeating = "repeating"

	Stripe   = "stripe"
	Shopify  = "shopify"
	CodeList = "code_list"
)

// Bounds of a discount.
const (
	MaxMonths = 36
	// MaxAmount is the largest fixed discount, in minor units.
	MaxAmount = 100_000_000
)

// Discount is what a group's referred customers get off.
type Discount struct {
	Kind string `json:"kind"`
	// Value is whole percent (1 to 100) or an amount in minor units.
	Value    int64          `json:"value"`
	Currency money.Currency `json:"currency,omitempty"`
	Duration string         `json:"duration"`
	// Months a repeating discount lasts (subscriptions).
	Months   int    `json:"months,omitempty"`
	Provider string `json:"provider"`
	// Shop is the Shopify shop's domain the referral link sends friends
	// to, with the code applied (provider shopify).
	Shop string `json:"shop,omitempty"`
}

// ErrInvalid is a discount out of its rules; it names the field.
var ErrInvalid = errors.New("invalid discount")

var shopDomain = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

func refused(field, reason string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: field, Reason: fmt.Sprintf(reason, args...)})
}

// Validate names the first field of the discount (at field) out of its
// rules.
func (d Discount) Validate(field string) error {
	switch d.Kind {
	case Percent:
		if d.Value < 1 || d.Value > 100 {
			return refused(field+".value", "must be a whole percent from 1 to 100")
		}
		if d.Currency != "" {
			return refused(field+".currency", "is only for an amount")
		}
	case Amount:
		if d.Value < 1 || d.Value > MaxAmount {
			return refused(field+".value", "must be an amount in minor units from 1 to %d", MaxAmount)
		}
		if _, err := money.ParseCurrency(string(d.Currency)); err != nil {
			return refused(field+".currency", "must be an ISO 4217 currency for an amount")
		}
	default:
		return refused(field+".kind", "must be percent or amount")
	}
	switch d.Duration {
	case Once:
		if d.Months != 0 {
			return refused(field+".months", "is only for a repeating discount")
		}
	case Repeating:
		if d.Months < 1 || d.Months > MaxMonths {
			return refused(field+".months", "must be 1 to %d for a repeating discount", MaxMonths)
		}
	default:
		return refused(field+".duration", "must be once or repeating")
	}
	switch d.Provider {
	case Stripe, CodeList:
		if d.Shop != "" {
			return refused(field+".shop", "is only for provider shopify")
		}
	case Shopify:
		if err := bounds.ID.Check(field+".shop", d.Shop); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if !shopDomain.MatchString(d.Shop) {
			return refused(field+".shop", "must be the shop's lower-case domain (shop.example)")
		}
	default:
		return refused(field+".provider", "must be stripe, shopify or code_list")
	}
	return nil
}

// ValidateForProgram is Validate for the program's discount, which comes
// from Stripe or Shopify: a code list is uploaded to one group.
func (d Discount) ValidateForProgram(field string) error {
	if err := d.Validate(field); err != nil {
		return err
	}
	if d.Provider == CodeList {
		return refused(field+".provider", "must be stripe or shopify for the program (code lists belong to a group)")
	}
	return nil
}

// LevelProgram and a group's level ("group:<id>") name where a partner's
// discount is set, as a partner's terms name theirs.
const LevelProgram = "program"

// GroupLevel is the level of a group's own discount.
func GroupLevel(groupID string) string { return "group:" + groupID }

// Offer is the discount a partner's referred customers get and the level
// that sets it.
type Offer struct {
	Discount
	Level string `json:"level"`
}

// Resolve is the discount a group's partners give, group <- program: the
// group's own, else the program's; ok is false when neither sets one.
func Resolve(groupID string, group, program *Discount) (o Offer, ok bool) {
	switch {
	case group != nil:
		return Offer{*group, GroupLevel(groupID)}, true
	case program != nil:
		return Offer{*program, LevelProgram}, true
	}
	return Offer{}, false
}

// ShopifyLink is Shopify's shareable discount URL for code on shop: the
// shop applies the code to the visitor's cart, then shows target's path
// and query.
func ShopifyLink(shop, code string, target *url.URL) string {
	then := target.EscapedPath()
	if then == "" {
		then = "/"
	}
	if target.RawQuery != "" {
		then += "?" + target.RawQuery
	}
	return (&url.URL{Scheme: "https", Host: shop, Path: "/discount/" + code, RawQuery: url.Values{"redirect": {then}}.Encode()}).String()
}

// ShopifyCSVHeader heads the file of a group's codes as Shopify's admin
// imports them into one discount: a single column, a code a row. The
// discount's value and duration are set once on that discount, as here.
var ShopifyCSVHeader = []string{"Code"}

// Code is a partner's own discount code under the discount of one level.
type Code struct {
	PartnerID string `json:"partner_id" dynamodbav:"partner_id"`
	// Level is the discount's level: "program" or "group:<id>".
	Level    string `json:"level" dynamodbav:"level"`
	Code     string `json:"code" dynamodbav:"code"`
	Provider string `json:"provider" dynamodbav:"provider"`
	// PromotionCode is the Stripe promotion code's id, which Stripe's
	// checkout events name.
	PromotionCode string `json:"promotion_code,omitempty" dynamodbav:"promotion_code,omitempty"`
}

// Coupon is what an order names when a friend uses the code, so the
// partner's coupons must hold it: a Stripe promotion code's id, a listed
// code; a Shopify code is the partner's referral code, which credits it
// already.
func (c Code) Coupon() string {
	switch c.Provider {
	case Stripe:
		return c.PromotionCode
	case CodeList:
		return c.Code
	}
	return ""
}

// Uploaded codes: at most MaxUpload a request, each a referral-code-like
// string.
const MaxUpload = 1000

var codePattern = regexp.MustCompile(`^[A-Z0-9_-]{3,32}$`)

// NormalizeUpload upper-cases and checks a list of codes to add, naming
// the first bad one.
func NormalizeUpload(codes []string) ([]string, error) {
	if len(codes) == 0 || len(codes) > MaxUpload {
		return nil, refused("codes", "must list 1 to %d codes", MaxUpload)
	}
	out := make([]string, 0, len(codes))
	seen := map[string]bool{}
	for i, c := range codes {
		c = strings.ToUpper(strings.TrimSpace(c))
		if !codePattern.MatchString(c) || seen[c] {
			return nil, refused(fmt.Sprintf("codes[%d]", i), "must be 3 to 32 letters, digits, - or _, once")
		}
		seen[c] = true
		out = append(out, c)
	}
	return out, nil
}
