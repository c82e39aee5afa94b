// Package embed signs a shop's customers in to the referral widget the
// shop embeds in its own pages. The shop's backend, holding an API key,
// asks for a token for one of its customers; the token is short-lived and
// reads that customer's widget data only. A customer is a partner in a
// group, created on the first token asked for it there.
package embed

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/bearer"
	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/discount"
	"github.com/partnerloop/partnerloop/internal/group"
	"github.com/partnerloop/partnerloop/internal/partner"
)

// TokenTTL is how long a widget token reads the customer's data.
const TokenTTL = 10 * time.Minute

// tokenPrefix tells a widget token from sign-in tokens and API keys.
const tokenPrefix = "plw_"

// claimStale is how long a customer's first token may take to create its
// partner before another request may take over the creation.
const claimStale = 30 * time.Second

var (
	// ErrInvalid is a token request out of its rules; it names the field.
	ErrInvalid = errors.New("invalid embed token request")
	// ErrUnknownToken is a widget token that is unknown or expired.
	ErrUnknownToken = errors.New("unknown or expired widget token")
	// ErrCreating is a customer whose partner another request is creating
	// right now; retrying shortly finds it.
	ErrCreating = errors.New("the customer's partner is being created; retry")
)

// Request is the body of POST /v1/embed/tokens.
type Request struct {
	ExternalID string `json:"external_id"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	Group      string `json:"group"`
}

// refused is err, when there is one, as ErrInvalid.
func refused(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalid, err)
}

// validate checks every field before the customer's place is claimed: a
// refused first request must leave no claim to block the next one.
func (r Request) validate() error {
	switch {
	case strings.TrimSpace(r.ExternalID) == "":
		return refused(&bounds.Error{Field: "external_id", Reason: "is required"})
	case strings.TrimSpace(r.Name) == "":
		return refused(&bounds.Error{Field: "name", Reason: "is required"})
	}
	return refused(bounds.First(bounds.ID.Check("external_id", r.ExternalID), bounds.ID.Check("group", r.Group),
		bounds.PersonName("name", strings.TrimSpace(r.Name)), bounds.Address("email", r.Email)))
}

// Token is what a widget token grants: one customer's data in one group.
type Token struct {
	PartnerID string    `json:"partner_id" dynamodbav:"partner_id"`
	GroupID   string    `json:"group_id" dynamodbav:"group_id"`
	ExpiresAt time.Time `json:"expires_at" dynamodbav:"expires_at_time"`
}

// Issued is a new token, answered once.
type Issued struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	// PartnerID is the customer's partner, which the customer_credit
	// events name.
	PartnerID string `json:"partner_id"`
}

// Claim is a customer's place in a group: the partner it is, once created.
type Claim struct {
	PartnerID string    `dynamodbav:"partner_id,omitempty"`
	ClaimedAt time.Time `dynamodbav:"claimed_at"`
}

// Store keeps tokens by their hash and customers by their external id.
type Store interface {
	PutToken(ctx context.Context, hash string, t Token) error
	TokenByHash(ctx context.Context, hash string) (Token, bool, error)
	// ClaimCustomer takes the customer's place for a creation: when the
	// customer has none, or a creation that went stale (claimed before
	// staleBefore, no partner). It answers the claim as it is after.
	ClaimCustomer(ctx context.Context, groupID, externalID string, at, staleBefore time.Time) (Claim, bool, error)
	// SetCustomer records the partner a claim created.
	SetCustomer(ctx context.Context, groupID, externalID, partnerID string) error
}

// Partners creates and reads the customers' partners.
type Partners interface {
	Create(ctx context.Context, in partner.NewPartner) (partner.Partner, error)
	Get(ctx context.Context, id string) (partner.Partner, error)
}

// Groups reads a group.
type Groups interface {
	Get(ctx context.Context, id string) (group.Versioned, error)
}

// Discounts gives a partner of a group that gives a discount its code,
// and reads the discount and the code.
type Discounts interface {
	Issue(ctx context.Context, partnerID, referralCode, groupID string) (discount.Code, bool, error)
	Offer(ctx context.Context, groupID string) (discount.Offer, bool, error)
	PartnerCode(ctx context.Context, partnerID, level string) (discount.Code, bool, error)
}

// Service issues and checks widget tokens.
type Service struct {
	Store     Store
	Partners  Partners
	Groups    Groups
	Discounts Discounts
	// Ledger and Points are what the widget shows.
	Ledger Ledger
	Points Points
	Now    func() time.Time
}

// Issue signs the customer in to the widget: its partner in the group,
// created on the first call (active at once: a shop's customer needs no
// review), with its discount code when the group gives one.
func (s *Service) Issue(ctx context.Context, r Request) (Issued, error) {
	if err := r.validate(); err != nil {
		return Issued{}, err
	}
	g, err := s.Groups.Get(ctx, r.Group)
	if errors.Is(err, group.ErrNotFound) {
		return Issued{}, refused(&bounds.Error{Field: "group", Reason: "must name an existing group"})
	}
	if err != nil {
		return Issued{}, err
	}
	p, err := s.customer(ctx, g.Group, r)
	if err != nil {
		return Issued{}, err
	}
	if _, _, err := s.Discounts.Issue(ctx, p.ID, p.ReferralCode, p.Group()); err != nil {
		return Issued{}, err
	}
	secret := tokenPrefix + bearer.Random(32)
	t := Token{PartnerID: p.ID, GroupID: g.ID, ExpiresAt: s.Now().Add(TokenTTL).UTC().Truncate(time.Second)}
	if err := s.Store.PutToken(ctx, bearer.Hash(secret), t); err != nil {
		return Issued{}, err
	}
	return Issued{Token: secret, ExpiresAt: t.ExpiresAt, PartnerID: p.ID}, nil
}

// customer is the customer's partner, created when it has none.
func (s *Service) customer(ctx context.Context, g group.Group, r Request) (partner.Partner, error) {
	now := s.Now()
	claim, won, err := s.Store.ClaimCustomer(ctx, g.ID, r.ExternalID, now, now.Add(-claimStale))
	if err != nil {
		return partner.Partner{}, err
	}
	if !won {
		if claim.PartnerID == "" {
			return partner.Partner{}, ErrCreating
		}
		return s.Partners.Get(ctx, claim.PartnerID)
	}
	p, err := s.Partners.Create(ctx, partner.NewPartner{Name: r.Name, Email: r.Email, GroupID: g.ID})
	if err != nil {
		return partner.Partner{}, err
	}
	return p, s.Store.SetCustomer(ctx, g.ID, r.ExternalID, p.ID)
}

// Verify reads the token a widget presents; an expired one is refused
// whether or not the store has dropped it yet.
func (s *Service) Verify(ctx context.Context, secret string) (Token, error) {
	if !IsToken(secret) || len(secret) > bounds.ID.Max {
		return Token{}, ErrUnknownToken
	}
	t, found, err := s.Store.TokenByHash(ctx, bearer.Hash(secret))
	switch {
	case err != nil:
		return Token{}, err
	case !found || !s.Now().Before(t.ExpiresAt):
		return Token{}, ErrUnknownToken
	}
	return t, nil
}

// IsToken reports whether a bearer credential is a widget token.
func IsToken(credential string) bool { return strings.HasPrefix(credential, tokenPrefix) }
