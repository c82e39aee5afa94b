// Package referral tracks the evidence that a partner referred a customer
// (link clicks, reported sign-ups, codes and coupons on orders) and decides
// which partner an order is credited to.
package referral

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/program"
)

// Touch is remembered evidence that a partner referred a customer: a
// reported sign-up, or an earlier order that carried the partner's code.
// It is stored under the customer's e-mail hash and id, so it follows the
// customer across devices and shops.
type Touch struct {
	PartnerID  string    `json:"partner_id" dynamodbav:"partner_id"`
	Via        string    `json:"via" dynamodbav:"via"` // sign_up or earlier_order
	Ref        string    `json:"ref" dynamodbav:"ref"` // what produced it; one touch per ref
	At         time.Time `json:"at" dynamodbav:"at"`
	CustomerID string    `json:"customer_id,omitempty" dynamodbav:"customer_id,omitempty"`
	EmailHash  string    `json:"email_hash,omitempty" dynamodbav:"email_hash,omitempty"`
	// FirstAt is when a renewed touch (a partner's earlier orders for the
	// customer, one touch however many orders) was first made; At is the latest.
	FirstAt *time.Time `json:"first_at,omitempty" dynamodbav:"first_at,omitempty"`
}

// first is when the touch was first made.
func (t Touch) first() time.Time {
	if t.FirstAt != nil {
		return *t.FirstAt
	}
	return t.At
}

// Store persists referral evidence. PutTouch is idempotent per Ref and
// keeps the first time; RenewTouch keeps the first time as FirstAt and
// moves At to the latest.
type Store interface {
	PartnerByCode(ctx context.Context, code string) (partner.Partner, error)
	GetPartner(ctx context.Context, id string) (partner.Partner, error)
	// AddClick counts a click and returns how many clicks the partner's link
	// got from this source in the click's hour.
	AddClick(ctx context.Context, partnerID, source string, at time.Time) (int64, error)
	FlagPartner(ctx context.Context, partnerID string, until time.Time) error
	PutTouch(ctx context.Context, t Touch) error
	RenewTouch(ctx context.Context, t Touch) error
	Touches(ctx context.Context, emailHash, customerID string) ([]Touch, error)
}

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

// Service records clicks and sign-ups and attributes orders.
type Service struct {
	Store  Store
	Hasher EmailHasher
	Now    func() time.Time
}

// FloodHold is how long a partner stays flagged after a click flood.
const FloodHold = 24 * time.Hour

// Click resolves a referral code for the redirect and counts the click from
// source (a hash of the client address). More than maxPerHour clicks from one
// source in an hour flag the partner: its code-credited orders are held for
// FloodHold. Unknown, malformed and suspended codes are partner.ErrNotFound.
func (s *Service) Click(ctx context.Context, rawCode, source string, maxPerHour int64) (partner.Partner, error) {
	p, err := s.activePartner(ctx, rawCode)
	if err != nil {
		return partner.Partner{}, err
	}
	now := s.Now().UTC()
	n, err := s.Store.AddClick(ctx, p.ID, source, now)
	if err != nil {
		return partner.Partner{}, fmt.Errorf("record click: %w", err)
	}
	if maxPerHour > 0 && n == maxPerHour+1 { // flag once, on the first click over the limit
		if err := s.Store.FlagPartner(ctx, p.ID, now.Add(FloodHold)); err != nil {
			return partner.Partner{}, fmt.Errorf("flag partner: %w", err)
		}
	}
	return p, nil
}

// ErrInvalidLead wraps validation failures of a reported sign-up.
var ErrInvalidLead = errors.New("invalid referral")

// RecordSignUp stores a sign-up reported by a shop (delivery id eventID) as a
// touch of the customer. Replays of the same delivery change nothing.
func (s *Service) RecordSignUp(ctx context.Context, eventID, rawCode, customerID, emailHash string) (Touch, error) {
	if customerID == "" && emailHash == "" {
		return Touch{}, fmt.Errorf("%w: customer.id or customer.email is required", ErrInvalidLead)
	}
	p, err := s.activePartner(ctx, rawCode)
	if errors.Is(err, partner.ErrNotFound) {
		return Touch{}, fmt.Errorf("%w: unknown referral_code", ErrInvalidLead)
	}
	if err != nil {
		return Touch{}, err
	}
	t := Touch{PartnerID: p.ID, Via: "sign_up", Ref: "sign_up:" + eventID, At: s.Now().UTC(), CustomerID: customerID, EmailHash: emailHash}
	return t, s.Store.PutTouch(ctx, t)
}

// evidence is one candidate partner for an order.
type evidence struct {
	partner partner.Partner
	via     string
	at      time.Time
}

// Attribute credits an order to one partner under the program's model.
// Evidence: the order's referral code and coupon (both "now") and the
// customer's touches within the window. last_click takes the most recent
// (the order's own code before its coupon before older touches),
// first_click the earliest, coupon_wins a valid coupon if there is one.
// A code on the order is remembered as a touch, so the customer's later
// orders stay with the partner for the window. Orders of a suspended partner,
// or of a partner buying for itself, are attributed but held.
func (s *Service) Attribute(ctx context.Context, o ledger.Order, prog program.Program) (*ledger.Attribution, error) {
	now := s.Now().UTC()
	if o.Subscription != "" {
		return s.attributeInvoice(ctx, o, prog.Recurring, now)
	}
	rules := prog.Attribution
	cands, err := s.evidence(ctx, o, rules, now)
	if err != nil {
		return nil, err
	}
	if len(cands) == 0 {
		return nil, nil
	}
	win := choose(cands, rules.Model)
	if err := s.remember(ctx, o, win, now); err != nil {
		return nil, err
	}
	return s.attribution(win.partner, win.via, o, now), nil
}

// contenders keeps, of the touches within the window, the one per partner
// the model could choose (the latest, or the earliest for first click), in
// the order first seen: a returning customer's many touches cost one
// partner read per partner, not one per touch.
func contenders(touches []Touch, rules program.Attribution, now time.Time) []Touch {
	var order []string
	best := map[string]Touch{}
	for _, t := range touches {
		if now.Sub(t.At) > rules.Window() {
			continue
		}
		// First click counts a renewed touch from its first time while that
		// is within the window; past it, from its latest renewal.
		if rules.Model == program.FirstClick && now.Sub(t.first()) <= rules.Window() {
			t.At = t.first()
		}
		b, seen := best[t.PartnerID]
		switch {
		case !seen:
			order = append(order, t.PartnerID)
			best[t.PartnerID] = t
		case rules.Model == program.FirstClick && t.At.Before(b.At), rules.Model != program.FirstClick && t.At.After(b.At):
			best[t.PartnerID] = t
		}
	}
	out := make([]Touch, 0, len(order))
	for _, id := range order {
		out = append(out, best[id])
	}
	return out
}

// evidence gathers the candidates for an order: its own referral code and
// coupon (both "now"), then the customer's touches within the window. The
// three lookups are independent, so they run at once.
func (s *Service) evidence(ctx context.Context, o ledger.Order, rules program.Attribution, now time.Time) ([]evidence, error) {
	var found [3][]evidence // code, coupon, touches: the order choose breaks ties by
	var errs [3]error
	var wg sync.WaitGroup
	for i, c := range []struct{ code, via string }{{o.ReferralCode, "referral_code"}, {o.Coupon, "coupon"}} {
		wg.Go(func() {
			p, err := s.partnerByCode(ctx, c.code)
			switch {
			case errors.Is(err, partner.ErrNotFound):
			case err != nil:
				errs[i] = err
			default:
				found[i] = []evidence{{p, c.via, now}}
			}
		})
	}
	if o.Customer.EmailHash != "" || o.Customer.ID != "" {
		wg.Go(func() { found[2], errs[2] = s.touched(ctx, o.Customer, rules, now) })
	}
	wg.Wait()
	return slices.Concat(found[:]...), errors.Join(errs[:]...)
}

// touched is the customer's earlier evidence: one candidate per partner.
func (s *Service) touched(ctx context.Context, c ledger.Customer, rules program.Attribution, now time.Time) ([]evidence, error) {
	touches, err := s.Store.Touches(ctx, c.EmailHash, c.ID)
	if err != nil {
		return nil, fmt.Errorf("read touches: %w", err)
	}
	var out []evidence
	for _, t := range contenders(touches, rules, now) {
		p, err := s.Store.GetPartner(ctx, t.PartnerID)
		if errors.Is(err, partner.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, evidence{p, t.Via, t.At})
	}
	return out, nil
}

// attributeInvoice credits a subscription invoice to the partner who
// referred the subscription, while the program's recurring period lasts.
func (s *Service) attributeInvoice(ctx context.Context, o ledger.Order, r program.Recurring, now time.Time) (*ledger.Attribution, error) {
	touches, err := s.Store.Touches(ctx, o.Customer.EmailHash, o.Customer.ID)
	if err != nil {
		return nil, fmt.Errorf("read touches: %w", err)
	}
	for _, t := range touches {
		if t.Ref != subscriptionRef(o.Subscription) || !r.Earns(t.At, now) {
			continue
		}
		p, err := s.Store.GetPartner(ctx, t.PartnerID)
		if err != nil {
			return nil, err
		}
		return s.attribution(p, "subscription", o, now), nil
	}
	return nil, nil
}

func subscriptionRef(id string) string { return "subscription:" + id }

// RecordSubscription remembers which partner referred a subscription, so
// its invoices are credited to that partner.
func (s *Service) RecordSubscription(ctx context.Context, subscriptionID, rawCode string, c ledger.Customer) (Touch, error) {
	if subscriptionID == "" || c.ID == "" && c.EmailHash == "" {
		return Touch{}, fmt.Errorf("%w: subscription and customer are required", ErrInvalidLead)
	}
	p, err := s.activePartner(ctx, rawCode)
	if err != nil {
		return Touch{}, err // unknown code: nobody referred it
	}
	t := Touch{PartnerID: p.ID, Via: "subscription", Ref: subscriptionRef(subscriptionID), At: s.Now().UTC(),
		CustomerID: c.ID, EmailHash: c.EmailHash}
	return t, s.Store.PutTouch(ctx, t)
}

// choose applies the model; cands lists the order's own evidence first, so
// ties go to it.
func choose(cands []evidence, model string) evidence {
	if model == program.CouponWins {
		for _, c := range cands {
			if c.via == "coupon" {
				return c
			}
		}
	}
	best := cands[0]
	for _, c := range cands[1:] {
		if model == program.FirstClick && c.at.Before(best.at) || model != program.FirstClick && c.at.After(best.at) {
			best = c
		}
	}
	return best
}

// remember stores the order's own winning evidence as a touch of the customer.
func (s *Service) remember(ctx context.Context, o ledger.Order, win evidence, now time.Time) error {
	if win.via != "referral_code" && win.via != "coupon" || o.Customer.EmailHash == "" && o.Customer.ID == "" {
		return nil
	}
	// One touch per partner and customer, renewed by each order, so a
	// customer's evidence stays as small as the partners who referred it.
	return s.Store.RenewTouch(ctx, Touch{PartnerID: win.partner.ID, Via: "earlier_order", Ref: "orders:" + win.partner.ID, At: now,
		CustomerID: o.Customer.ID, EmailHash: o.Customer.EmailHash})
}

func (s *Service) attribution(p partner.Partner, via string, o ledger.Order, now time.Time) *ledger.Attribution {
	a := &ledger.Attribution{PartnerID: p.ID, Tier: p.Tier, Via: via}
	switch {
	case p.Status != partner.StatusActive:
		a.Hold = ledger.HoldPartnerSuspended
	case o.Customer.EmailHash != "" && o.Customer.EmailHash == s.Hasher.Hash(p.Email):
		a.Hold = ledger.HoldSelfReferral
	case via == "referral_code" && p.FlaggedUntil != nil && now.Before(*p.FlaggedUntil):
		a.Hold = ledger.HoldClickFlood
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
