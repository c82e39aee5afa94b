// Package referral tracks the evidence that a partner referred a customer
// (link clicks, reported sign-ups, codes on orders) and attributes orders.
package referral

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/partner"
)

// Lead is a customer a partner reported or referred before buying.
type Lead struct {
	PartnerID    string    `json:"partner_id"`
	ReferralCode string    `json:"referral_code"`
	CustomerID   string    `json:"-"`
	EmailHash    string    `json:"-"`
	At           time.Time `json:"at"`
}

// Store persists referral evidence. PutLead keeps the first lead per
// customer key: a customer referred once stays with that partner.
type Store interface {
	PartnerByCode(ctx context.Context, code string) (partner.Partner, error)
	AddClick(ctx context.Context, partnerID string, at time.Time) error
	PutLead(ctx context.Context, l Lead) (Lead, error)
	LeadFor(ctx context.Context, emailHash, customerID string) (Lead, error)
}

// ErrNoLead is returned by LeadFor when no lead matches.
var ErrNoLead = errors.New("no lead")

// EmailHasher hashes customer e-mail addresses with a secret key, so stored
// hashes cannot be reversed by guessing addresses.
type EmailHasher struct{ Key []byte }

// Hash normalises and hashes an address; empty in, empty out.
func (h EmailHasher) Hash(email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return ""
	}
	m := hmac.New(sha256.New, h.Key)
	m.Write([]byte(email))
	return hex.EncodeToString(m.Sum(nil))
}

// Service records clicks and leads and attributes orders.
type Service struct {
	Store  Store
	Hasher EmailHasher
	Now    func() time.Time
}

// Click resolves a referral code for the redirect and counts the click.
// Unknown, malformed and suspended codes are partner.ErrNotFound.
func (s *Service) Click(ctx context.Context, rawCode string) (partner.Partner, error) {
	p, err := s.activePartner(ctx, rawCode)
	if err != nil {
		return partner.Partner{}, err
	}
	if err := s.Store.AddClick(ctx, p.ID, s.Now().UTC()); err != nil {
		return partner.Partner{}, fmt.Errorf("record click: %w", err)
	}
	return p, nil
}

// ErrInvalidLead wraps validation failures of a reported sign-up.
var ErrInvalidLead = errors.New("invalid referral")

// RecordLead stores a sign-up for a referral code and returns the lead that
// holds for the customer (an earlier one wins).
func (s *Service) RecordLead(ctx context.Context, rawCode, customerID, emailHash string) (Lead, error) {
	if customerID == "" && emailHash == "" {
		return Lead{}, fmt.Errorf("%w: customer.id or customer.email is required", ErrInvalidLead)
	}
	p, err := s.activePartner(ctx, rawCode)
	if errors.Is(err, partner.ErrNotFound) {
		return Lead{}, fmt.Errorf("%w: unknown referral_code", ErrInvalidLead)
	}
	if err != nil {
		return Lead{}, err
	}
	return s.Store.PutLead(ctx, Lead{PartnerID: p.ID, ReferralCode: p.ReferralCode,
		CustomerID: customerID, EmailHash: emailHash, At: s.Now().UTC()})
}

// Attribute credits an order to one partner: an explicit referral code wins,
// then a coupon that is a partner's code, then an earlier sign-up of the
// customer. Unknown codes fall through to the next kind of evidence. An order
// of a suspended partner, or one the partner bought for itself, is still
// attributed but held for finance with the reason.
func (s *Service) Attribute(ctx context.Context, o ledger.Order) (*ledger.Attribution, error) {
	for _, c := range []struct{ code, via string }{{o.ReferralCode, "referral_code"}, {o.Coupon, "coupon"}} {
		p, err := s.partnerByCode(ctx, c.code)
		if errors.Is(err, partner.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return s.attribution(p, c.via, o), nil
	}
	if o.Customer.EmailHash == "" && o.Customer.ID == "" {
		return nil, nil
	}
	lead, err := s.Store.LeadFor(ctx, o.Customer.EmailHash, o.Customer.ID)
	if errors.Is(err, ErrNoLead) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p, err := s.partnerByCode(ctx, lead.ReferralCode)
	if errors.Is(err, partner.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.attribution(p, "referral", o), nil
}

func (s *Service) attribution(p partner.Partner, via string, o ledger.Order) *ledger.Attribution {
	a := &ledger.Attribution{PartnerID: p.ID, Tier: p.Tier, Via: via}
	switch {
	case p.Status != partner.StatusActive:
		a.Hold = ledger.HoldPartnerSuspended
	case o.Customer.EmailHash != "" && o.Customer.EmailHash == s.Hasher.Hash(p.Email):
		a.Hold = ledger.HoldSelfReferral
	}
	return a
}

func (s *Service) partnerByCode(ctx context.Context, rawCode string) (partner.Partner, error) {
	code, ok := partner.NormalizeCode(rawCode)
	if !ok {
		return partner.Partner{}, partner.ErrNotFound
	}
	return s.Store.PartnerByCode(ctx, code)
}

// activePartner resolves a code for clicks and sign-ups, which only active
// partners may collect.
func (s *Service) activePartner(ctx context.Context, rawCode string) (partner.Partner, error) {
	p, err := s.partnerByCode(ctx, rawCode)
	if err != nil {
		return partner.Partner{}, err
	}
	if p.Status != partner.StatusActive {
		return partner.Partner{}, partner.ErrNotFound
	}
	return p, nil
}
