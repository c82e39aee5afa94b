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
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/partnerloop/partnerloop/internal/evidence"
	"github.com/partnerloop/partnerloop/internal/fraud"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/program"
)

// Store persists referral evidence. PutTouch is idempotent per Ref and
// keeps the first time. An order's evidence is read with the order and its
// new touches are committed with it (see ledger.Store).
type Store interface {
	// ReferrerByCode resolves a normalised referral code or coupon.
	ReferrerByCode(ctx context.Context, code string) (partner.Referrer, error)
	GetPartner(ctx context.Context, id string) (partner.Partner, error)
	// AddClick counts a click and returns how many clicks the partner's link
	// got from this source in the click's hour; the counter keeps what the
	// fraud rules read of the latest click (c).
	AddClick(ctx context.Context, partnerID, source string, at time.Time, c fraud.Click) (int64, error)
	FlagPartner(ctx context.Context, r partner.Referrer, until time.Time) error
	PutTouch(ctx context.Context, t evidence.Touch) error
}

// GroupTerms gives what a group changes of the program's terms. The order
// path asks it for every attributed order, so it must answer from memory
// most of the time (group.Service caches like the program registry).
type GroupTerms interface {
	GroupTerms(ctx context.Context, groupID string) (program.GroupTerms, error)
}

// EmailHasher hashes customer e-mail addresses with a secret key, so stored
// hashes cannot be reversed by guessing addresses.
type EmailHasher struct{ Key []byte }

// Device is the keyed hash of a visitor's address and user agent, what the
// same_device rule compares; the address itself is kept nowhere. Without a
// key it records no device: an unkeyed hash of an address could be reversed
// by trying every address.
func (h EmailHasher) Device(address, userAgent string) string {
	if address == "" || len(h.Key) == 0 {
		return ""
	}
	m := hmac.New(sha256.New, h.Key)
	m.Write([]byte("device\x00" + address + "\x00" + userAgent))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

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
	// Groups gives the terms of the credited partner's group; nil leaves
	// every partner on the program's terms.
	Groups GroupTerms
	Now    func() time.Time

	clicked codeCache
}

// CodeCacheTTL is how long the redirect keeps a code it resolved: a viral
// link's clicks read its code once per function instance and TTL, not once
// per click. (A suspension stops the link within that time.)
const CodeCacheTTL = 10 * time.Second

// codeCacheSize bounds the cache; a full cache starts afresh.
const codeCacheSize = 10_000

// codeCache keeps resolved codes for CodeCacheTTL.
type codeCache struct {
	mu    sync.Mutex
	codes map[string]cachedReferrer
}

type cachedReferrer struct {
	referrer partner.Referrer
	err      error
	at       time.Time
}

// resolve returns the cached resolution of code, or resolves and keeps it.
func (c *codeCache) resolve(code string, now time.Time, read func() (partner.Referrer, error)) (partner.Referrer, error) {
	c.mu.Lock()
	hit, ok := c.codes[code]
	c.mu.Unlock()
	if ok && now.Sub(hit.at) < CodeCacheTTL {
		return hit.referrer, hit.err
	}
	r, err := read()
	if err != nil && !errors.Is(err, partner.ErrNotFound) {
		return r, err // a failed read is not an answer to keep
	}
	c.mu.Lock()
	if c.codes == nil || len(c.codes) >= codeCacheSize {
		c.codes = map[string]cachedReferrer{}
	}
	c.codes[code] = cachedReferrer{r, err, now}
	c.mu.Unlock()
	return r, err
}

// FloodHold is how long a partner stays flagged after a click flood.
const FloodHold = 24 * time.Hour

// Visit is one follow of a partner's link as the redirect sees it.
type Visit struct {
	// Source is a hash of the visitor's address, Address the address
	// itself (hashed with the user agent for the device, never kept).
	Source, Address, UserAgent string
	Query                      url.Values // the link's query
	Referer                    string
}

// Click resolves a referral code for the redirect and counts the visit's
// click from its source, keeping what the fraud rules read of it (the ad
// parameters and campaign, the referring host, the device hash) on the
// same counter. It returns the partner and the click's reference, which the
// landing URL carries to the order. More than maxPerHour clicks from one
// source in an hour flag the partner: its code-credited orders are held for
// FloodHold. Unknown, malformed and suspended codes are partner.ErrNotFound.
// The code's resolution is kept for CodeCacheTTL.
func (s *Service) Click(ctx context.Context, rawCode string, v Visit, maxPerHour int64) (partner.Referrer, evidence.ClickRef, error) {
	now := s.Now().UTC()
	p, err := s.clicked.resolve(rawCode, now, func() (partner.Referrer, error) { return s.activePartner(ctx, rawCode) })
	if err != nil {
		return partner.Referrer{}, evidence.ClickRef{}, err
	}
	c := fraud.ClickFrom(p.ID, v.Query, v.Referer)
	c.Device = s.Hasher.Device(v.Address, v.UserAgent)
	n, err := s.Store.AddClick(ctx, p.ID, v.Source, now, c)
	if err != nil {
		return partner.Referrer{}, evidence.ClickRef{}, fmt.Errorf("record click: %w", err)
	}
	if maxPerHour > 0 && n == maxPerHour+1 { // flag once, on the first click over the limit
		if err := s.Store.FlagPartner(ctx, p, now.Add(FloodHold)); err != nil {
			return partner.Referrer{}, evidence.ClickRef{}, fmt.Errorf("flag partner: %w", err)
		}
	}
	return p, evidence.ClickRef{PartnerID: p.ID, Source: v.Source, Hour: now.Truncate(time.Hour)}, nil
}

// ErrInvalidLead wraps validation failures of a reported sign-up.
var ErrInvalidLead = errors.New("invalid referral")

// RecordSignUp stores a sign-up reported by a shop (delivery id eventID) as a
// touch of the customer. Replays of the same delivery change nothing.
func (s *Service) RecordSignUp(ctx context.Context, eventID, rawCode, customerID, emailHash string) (evidence.Touch, error) {
	if customerID == "" && emailHash == "" {
		return evidence.Touch{}, fmt.Errorf("%w: customer.id or customer.email is required", ErrInvalidLead)
	}
	p, err := s.activePartner(ctx, rawCode)
	if errors.Is(err, partner.ErrNotFound) {
		return evidence.Touch{}, fmt.Errorf("%w: unknown referral_code", ErrInvalidLead)
	}
	if err != nil {
		return evidence.Touch{}, err
	}
	t := evidence.Touch{PartnerID: p.ID, Via: "sign_up", Ref: "sign_up:" + eventID, At: s.Now().UTC(), CustomerID: customerID, EmailHash: emailHash, Referrer: p}
	return t, s.Store.PutTouch(ctx, t)
}

// candidate is one partner an order may be credited to.
type candidate struct {
	referrer partner.Referrer
	via      string
	at       time.Time
	// snapshot marks a referrer remembered with a touch, which the commit
	// checks is still current.
	snapshot bool
}

// Query names the evidence Attribute needs for a paid order; the ledger
// reads it with the order.
func (s *Service) Query(o ledger.Order) evidence.Query {
	var q evidence.Query
	for _, raw := range []string{o.ReferralCode, o.Coupon} {
		if code, ok := partner.NormalizeCode(raw); ok && !slices.Contains(q.Codes, code) {
			q.Codes = append(q.Codes, code)
		}
	}
	q.EmailHash, q.CustomerID = o.Customer.EmailHash, o.Customer.ID
	if c, ok := evidence.ParseClickRef(o.Click); ok {
		q.Click = &c
	}
	return q
}

// Attribute credits an order paid at `at` to one partner under the
// program's model, from the evidence found for Query(o): the order's
// referral code and coupon (both at `at`) and the customer's touches within
// the window before it (a touch recorded after it, beyond the clock skew a
// provider's time may have, came too late to refer a delayed delivery's
// order).
// last_click takes the most recent (the order's own code before its coupon
// before older touches), first_click the earliest, coupon_wins a valid
// coupon if there is one. A code on the order is remembered as a touch, so
// the customer's later orders stay with the partner for the window. Orders
// of a suspended partner, or of a partner buying for itself, are attributed
// but held.
//
// A touch carries its partner as it was; the returned write asks the commit
// to check it is still so. With fresh set (a retry after a failed commit)
// touched partners are read instead.
func (s *Service) Attribute(ctx context.Context, o ledger.Order, at time.Time, prog program.Program, found evidence.Found, fresh bool) (*ledger.Attribution, evidence.Write, error) {
	w := evidence.OrderWrite(o.Customer.EmailHash, o.Customer.ID)
	var cands []candidate
	if o.Subscription != "" {
		t, ok := subscriptionTouch(found.Touches, o.Subscription, prog.Recurring, at)
		if !ok {
			return nil, w, nil
		}
		cands = []candidate{{t.Referrer, "subscription", t.At, true}}
	} else {
		cands = ordersOwn(o, found, at)
		cands = append(cands, touched(found.Touches, prog.Attribution, at)...)
	}
	if len(cands) == 0 {
		return nil, w, nil
	}
	win := choose(cands, prog.Attribution.Model)
	if win.snapshot {
		if fresh || win.referrer.Status == "" { // no snapshot: kept before touches carried one
			p, err := s.Store.GetPartner(ctx, win.referrer.ID)
			if err != nil {
				return nil, w, fmt.Errorf("read referring partner: %w", err)
			}
			win.referrer = p.Referrer()
		} else {
			w.Referrer = &win.referrer
		}
	}
	w.Touch, w.Expired = remember(o, win, found.Touches, at)
	a := s.attribution(win.referrer, win.via, o, at)
	// The click speaks for the order only when it was the credited
	// partner's.
	if c := found.Click; c != nil && c.PartnerID == win.referrer.ID {
		a.Click = c
	}
	if s.Groups != nil {
		terms, err := s.Groups.GroupTerms(ctx, win.referrer.Group())
		if err != nil {
			return nil, w, fmt.Errorf("read partner's group: %w", err)
		}
		a.Group = terms
	}
	return a, w, nil
}

// ordersOwn are the candidates the order itself names: its referral code,
// then its coupon (the order choose breaks ties by).
func ordersOwn(o ledger.Order, found evidence.Found, now time.Time) []candidate {
	var out []candidate
	for _, c := range []struct{ code, via string }{{o.ReferralCode, "referral_code"}, {o.Coupon, "coupon"}} {
		code, ok := partner.NormalizeCode(c.code)
		if r, known := found.Referrers[code]; ok && known {
			out = append(out, candidate{referrer: r, via: c.via, at: now})
		}
	}
	return out
}

// touched is the customer's earlier evidence: one candidate per partner.
func touched(touches []evidence.Touch, rules program.Attribution, now time.Time) []candidate {
	var out []candidate
	for _, t := range contenders(touches, rules, now) {
		r := t.Referrer
		r.ID = t.PartnerID
		out = append(out, candidate{r, t.Via, t.At, true})
	}
	return out
}

// contenders keeps, of the touches within the window, the one per partner
// the model could choose (the latest, or the earliest for first click), in
// the order first seen: a returning customer's many touches cost one
// partner read per partner, not one per touch.
func contenders(touches []evidence.Touch, rules program.Attribution, now time.Time) []evidence.Touch {
	var order []string
	best := map[string]evidence.Touch{}
	for _, t := range touches {
		if now.Sub(t.At) > rules.Window() || t.At.After(now.Add(ledger.MaxClockSkew)) {
			continue
		}
		// First click counts a renewed touch from its first time while that
		// is within the window; past it, from its latest renewal.
		if rules.Model == program.FirstClick && now.Sub(t.First()) <= rules.Window() {
			t.At = t.First()
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
	out := make([]evidence.Touch, 0, len(order))
	for _, id := range order {
		out = append(out, best[id])
	}
	return out
}

// subscriptionTouch is the touch that referred a subscription, while the
// program's recurring period lasts.
func subscriptionTouch(touches []evidence.Touch, subscription string, r program.Recurring, now time.Time) (evidence.Touch, bool) {
	for _, t := range touches {
		if t.Ref == subscriptionRef(subscription) && r.Earns(t.At, now) {
			t.Referrer.ID = t.PartnerID
			return t, true
		}
	}
	return evidence.Touch{}, false
}

func subscriptionRef(id string) string { return "subscription:" + id }

// RecordSubscription remembers which partner referred a subscription, so
// its invoices are credited to that partner; the subscription started at
// `at` as the provider says (see ledger.DatedAt), recurring months count
// from then.
func (s *Service) RecordSubscription(ctx context.Context, subscriptionID, rawCode string, c ledger.Customer, at time.Time) (evidence.Touch, error) {
	if subscriptionID == "" || c.ID == "" && c.EmailHash == "" {
		return evidence.Touch{}, fmt.Errorf("%w: subscription and customer are required", ErrInvalidLead)
	}
	p, err := s.activePartner(ctx, rawCode)
	if err != nil {
		return evidence.Touch{}, err // unknown code: nobody referred it
	}
	t := evidence.Touch{PartnerID: p.ID, Via: "subscription", Ref: subscriptionRef(subscriptionID), At: ledger.DatedAt(at, s.Now().UTC()),
		CustomerID: c.ID, EmailHash: c.EmailHash, Referrer: p}
	return t, s.Store.PutTouch(ctx, t)
}

// choose applies the model; cands lists the order's own evidence first, so
// ties go to it.
func choose(cands []candidate, model string) candidate {
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

// remember is the touch an order's own winning evidence makes or renews:
// one touch per partner and customer, renewed by each order, so a
// customer's evidence stays as small as the partners who referred it. It
// also names the touches found past retention, for the same write to drop.
func remember(o ledger.Order, win candidate, found []evidence.Touch, now time.Time) (*evidence.Touch, []string) {
	if win.via != "referral_code" && win.via != "coupon" || o.Customer.EmailHash == "" && o.Customer.ID == "" {
		return nil, nil
	}
	t := evidence.Touch{PartnerID: win.referrer.ID, Via: "earlier_order", Ref: "orders:" + win.referrer.ID, At: now,
		CustomerID: o.Customer.ID, EmailHash: o.Customer.EmailHash, Referrer: win.referrer}
	first := now
	var expired []string
	for _, f := range found {
		switch {
		case f.Ref == t.Ref:
			first = f.First()
			if f.At.After(t.At) { // a delayed order renews nothing
				t.At = f.At
			}
		case now.Sub(f.At) > evidence.Retention:
			expired = append(expired, f.Ref)
		}
	}
	t.FirstAt = &first
	return &t, expired
}

func (s *Service) attribution(p partner.Referrer, via string, o ledger.Order, now time.Time) *ledger.Attribution {
	a := &ledger.Attribution{PartnerID: p.ID, Tier: p.Tier, Group: program.GroupTerms{ID: p.Group()}, Via: via, Screened: s.screened(p)}
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

// activePartner resolves a code for clicks and sign-ups, which only active
// partners may collect.
func (s *Service) activePartner(ctx context.Context, rawCode string) (partner.Referrer, error) {
	code, ok := partner.NormalizeCode(rawCode)
	if !ok {
		return partner.Referrer{}, partner.ErrNotFound
	}
	p, err := s.Store.ReferrerByCode(ctx, code)
	if err != nil {
		return partner.Referrer{}, err
	}
	if p.Status != partner.StatusActive {
		return partner.Referrer{}, partner.ErrNotFound
	}
	return p, nil
}
