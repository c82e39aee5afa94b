// Package memstore keeps partners, their referral evidence, tiers, monthly
// sales and the charity catalog in memory, for the domain packages' own
// tests. It passes the same storage suite (internal/storetest) as the
// DynamoDB adapter, so a rule tested against it holds against the table.
package memstore

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/partnerloop/partnerloop/internal/evidence"
	"github.com/partnerloop/partnerloop/internal/fraud"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/performance"
	"github.com/partnerloop/partnerloop/internal/referral"
)

// Partners stores partners with their codes, clicks, touches and tiers.
type Partners struct {
	mu       sync.Mutex
	partners map[string]partner.Partner
	codes    map[string]string // referral code or coupon → partner id
	clicks   map[clickHour]int64
	touches  map[string][]evidence.Touch // by "email:<hash>" and "customer:<id>"
	tiers    map[string][]performance.TierChange
}

type clickHour struct {
	partnerID, source string
	hour              time.Time
}

// NewPartners returns an empty store.
func NewPartners() *Partners {
	return &Partners{partners: map[string]partner.Partner{}, codes: map[string]string{}, clicks: map[clickHour]int64{},
		touches: map[string][]evidence.Touch{}, tiers: map[string][]performance.TierChange{}}
}

var (
	_ partner.Store     = (*Partners)(nil)
	_ referral.Store    = (*Partners)(nil)
	_ performance.Store = (*Partners)(nil)
)

// CreatePartner reserves the referral code and the coupons with the partner, or nothing.
func (s *Partners) CreatePartner(_ context.Context, p partner.Partner) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.codes[p.ReferralCode]; taken {
		return partner.ErrCodeTaken
	}
	for _, c := range p.Coupons {
		if _, taken := s.codes[c]; taken {
			return partner.ErrCouponTaken
		}
	}
	if _, exists := s.partners[p.ID]; exists {
		return partner.ErrCodeTaken
	}
	s.codes[p.ReferralCode] = p.ID
	for _, c := range p.Coupons {
		s.codes[c] = p.ID
	}
	s.partners[p.ID] = clonePartner(p)
	return nil
}

// UpdatePartner applies u if the coupons are still u.OldCoupons.
func (s *Partners) UpdatePartner(_ context.Context, id string, u partner.Update) (partner.Partner, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.partners[id]
	if !ok {
		return partner.Partner{}, partner.ErrNotFound
	}
	if u.Coupons != nil {
		if !slices.Equal(p.Coupons, u.OldCoupons) && len(p.Coupons)+len(u.OldCoupons) > 0 {
			return partner.Partner{}, partner.ErrConcurrentChange
		}
		for _, c := range u.Coupons {
			if owner, taken := s.codes[c]; taken && !(owner == id && slices.Contains(u.OldCoupons, c)) {
				return partner.Partner{}, partner.ErrCouponTaken
			}
		}
		for _, c := range u.OldCoupons {
			delete(s.codes, c)
		}
		for _, c := range u.Coupons {
			s.codes[c] = id
		}
		p.Coupons = slices.Clone(u.Coupons)
	}
	if st := u.Settings; st != nil {
		if st.PayoutEmail != "" && p.Payout == nil {
			return partner.Partner{}, partner.ErrConcurrentChange
		}
		switch {
		case st.ClearCharity:
			p.Charity = nil
		case st.Charity != nil:
			c := *st.Charity
			p.Charity = &c
		}
		if st.ShowOnLeaderboard != nil {
			p.ShowOnLeaderboard = *st.ShowOnLeaderboard
		}
		if st.PayoutEmail != "" {
			payout := *p.Payout
			payout.Email = st.PayoutEmail
			p.Payout = &payout
		}
		at := st.At
		p.SettingsChangedBy, p.SettingsChangedAt = st.By, &at
	}
	if u.Tier != "" {
		p.Tier = u.Tier
	}
	if u.Status != "" {
		p.Status = u.Status
	}
	s.partners[id] = p
	return clonePartner(p), nil
}

// SearchPartners pages through the partners whose folded name or e-mail
// starts with prefix, by matched value; the cursor is the last id shown.
func (s *Partners) SearchPartners(_ context.Context, prefix string, limit int32, cursor string) ([]partner.Partner, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type hit struct {
		value string
		p     partner.Partner
	}
	var hits []hit
	for _, p := range s.sorted() {
		for _, v := range []string{partner.SearchFold(p.Name), partner.SearchFold(p.Email)} {
			if strings.HasPrefix(v, prefix) {
				hits = append(hits, hit{v + "#" + p.ID, p})
			}
		}
	}
	slices.SortFunc(hits, func(a, b hit) int { return cmp.Compare(a.value, b.value) })
	start := 0
	if cursor != "" {
		start = slices.IndexFunc(hits, func(h hit) bool { return h.value == cursor }) + 1
	}
	end := min(start+int(limit), len(hits))
	out := make([]partner.Partner, 0, end-start)
	for _, h := range hits[start:end] {
		if !slices.ContainsFunc(out, func(q partner.Partner) bool { return q.ID == h.p.ID }) {
			out = append(out, h.p)
		}
	}
	next := ""
	if end < len(hits) {
		next = hits[end-1].value
	}
	return out, next, nil
}

// PartnersPage lists partners in id order; the cursor is the last id shown.
func (s *Partners) PartnersPage(_ context.Context, limit int32, cursor string) ([]partner.Partner, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.sorted()
	start, _ := slices.BinarySearchFunc(all, cursor, func(p partner.Partner, id string) int { return cmp.Compare(p.ID, id) })
	if cursor != "" && start < len(all) && all[start].ID == cursor {
		start++
	}
	end := min(start+int(limit), len(all))
	next := ""
	if end < len(all) {
		next = all[end-1].ID
	}
	return all[start:end], next, nil
}

// ListPartners returns every partner in id order.
func (s *Partners) ListPartners(context.Context) ([]partner.Partner, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sorted(), nil
}

func (s *Partners) sorted() []partner.Partner {
	out := make([]partner.Partner, 0, len(s.partners))
	for _, p := range s.partners {
		out = append(out, clonePartner(p))
	}
	slices.SortFunc(out, func(a, b partner.Partner) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// GetPartner reads one partner.
func (s *Partners) GetPartner(_ context.Context, id string) (partner.Partner, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.partners[id]
	if !ok {
		return partner.Partner{}, partner.ErrNotFound
	}
	return clonePartner(p), nil
}

// ReferrerByCode resolves a normalised referral code or coupon.
func (s *Partners) ReferrerByCode(ctx context.Context, code string) (partner.Referrer, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return partner.Referrer{}, partner.ErrNotFound
	}
	p, err := s.GetPartner(ctx, id)
	return p.Referrer(), err
}

// AddClick counts a click in the partner's per-source counter of the hour
// (the fraud facts are the table's to keep).
func (s *Partners) AddClick(_ context.Context, partnerID, source string, at time.Time, _ fraud.Click) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := clickHour{partnerID, source, at.UTC().Truncate(time.Hour)}
	s.clicks[k]++
	return s.clicks[k], nil
}

// FlagPartner marks a partner's link as flooded until the given time.
func (s *Partners) FlagPartner(_ context.Context, r partner.Referrer, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.partners[r.ID]
	if !ok {
		return partner.ErrNotFound
	}
	p.FlaggedUntil = &until
	s.partners[r.ID] = p
	return nil
}

func touchKeys(emailHash, customerID string) []string {
	var ks []string
	if emailHash != "" {
		ks = append(ks, "email:"+emailHash)
	}
	if customerID != "" {
		ks = append(ks, "customer:"+customerID)
	}
	return ks
}

// PutTouch stores the touch under each customer key; a touch with the same
// ref keeps its first time.
func (s *Partners) PutTouch(_ context.Context, t evidence.Touch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range touchKeys(t.EmailHash, t.CustomerID) {
		if !slices.ContainsFunc(s.touches[k], func(o evidence.Touch) bool { return o.Ref == t.Ref }) {
			s.touches[k] = append(s.touches[k], t)
		}
	}
	return nil
}

// Remember applies an order's evidence write as the ledger's commit does:
// the touch stored or replaced by its ref, expired touches dropped.
// (Purchase fingerprints are the ledger's and not kept here.)
func (s *Partners) Remember(w evidence.Write) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w.Touch == nil {
		return
	}
	for _, k := range touchKeys(w.EmailHash, w.CustomerID) {
		kept := slices.DeleteFunc(s.touches[k], func(o evidence.Touch) bool { return o.Ref == w.Touch.Ref || slices.Contains(w.Expired, o.Ref) })
		s.touches[k] = append(kept, *w.Touch)
	}
}

// Evidence returns what is kept for q: its codes' referrers and the
// customer's touches, once per ref.
func (s *Partners) Evidence(ctx context.Context, q evidence.Query) (evidence.Found, error) {
	found := evidence.Found{Referrers: map[string]partner.Referrer{}}
	for _, c := range q.Codes {
		r, err := s.ReferrerByCode(ctx, c)
		if err == nil {
			found.Referrers[c] = r
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for _, k := range touchKeys(q.EmailHash, q.CustomerID) {
		for _, t := range s.touches[k] {
			if !seen[t.Ref] {
				seen[t.Ref] = true
				found.Touches = append(found.Touches, t)
			}
		}
	}
	return found, nil
}

// ChangeTier moves the partner to change.To if it is still at change.From.
func (s *Partners) ChangeTier(_ context.Context, partnerID string, change performance.TierChange, _ []outbox.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.partners[partnerID]
	if !ok || p.Tier != change.From {
		return performance.ErrTierChanged
	}
	p.Tier = change.To
	s.partners[partnerID] = p
	s.tiers[partnerID] = append(s.tiers[partnerID], change)
	return nil
}

// TierHistory lists a partner's tier changes, oldest first.
func (s *Partners) TierHistory(_ context.Context, partnerID string) ([]performance.TierChange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tiers[partnerID]), nil
}

func clonePartner(p partner.Partner) partner.Partner {
	p.Coupons = slices.Clone(p.Coupons)
	return p
}

// Sales holds monthly sales counters, as the ledger keeps them per partner.
type Sales struct {
	mu     sync.Mutex
	months map[string]map[string]map[string]int64 // partner → month → counter
}

var _ performance.Sales = (*Sales)(nil)

// Add adds to a partner's counters of a month ("net:EUR", "units", ...).
func (s *Sales) Add(partnerID, month string, counters map[string]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.months == nil {
		s.months = map[string]map[string]map[string]int64{}
	}
	if s.months[partnerID] == nil {
		s.months[partnerID] = map[string]map[string]int64{}
	}
	if s.months[partnerID][month] == nil {
		s.months[partnerID][month] = map[string]int64{}
	}
	for name, v := range counters {
		s.months[partnerID][month][name] += v
	}
}

// MonthlySales reads a partner's counters for the given months; a month
// without sales is absent.
func (s *Sales) MonthlySales(_ context.Context, partnerID string, months []string) (map[string]map[string]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]int64{}
	for _, m := range months {
		if c, ok := s.months[partnerID][m]; ok {
			out[m] = maps.Clone(c)
		}
	}
	return out, nil
}

// Charities is the charity catalog.
type Charities struct {
	mu   sync.Mutex
	byID map[string]payout.Charity
}

var _ partner.Charities = (*Charities)(nil)

// PutCharity adds a charity; an id already listed is payout.ErrCharityExists.
func (s *Charities) PutCharity(_ context.Context, c payout.Charity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID == nil {
		s.byID = map[string]payout.Charity{}
	}
	if _, ok := s.byID[c.ID]; ok {
		return payout.ErrCharityExists
	}
	s.byID[c.ID] = c
	return nil
}

// CharityListed reports whether the charity is in the catalog.
func (s *Charities) CharityListed(_ context.Context, id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.byID[id]
	return ok, nil
}
