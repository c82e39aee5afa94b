package referral_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/evidence"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/memstore"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/referral"
)

var hasher = referral.EmailHasher{Key: []byte("k")}

type world struct {
	store *memstore.Partners
	refs  *referral.Service
	now   time.Time
}

func newWorld() *world {
	w := &world{store: memstore.NewPartners(), now: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	w.refs = &referral.Service{Store: w.store, Hasher: hasher, Now: func() time.Time { return w.now }}
	return w
}

func (w *world) partner(t *testing.T, email string) partner.Partner {
	t.Helper()
	n, _ := w.store.ListPartners(context.Background())
	p := partner.Partner{ID: fmt.Sprint("pt_", len(n)), Email: email, Tier: program.TierAuthorized, Status: partner.StatusActive,
		ReferralCode: fmt.Sprint("CODE", len(n))}
	if err := w.store.CreatePartner(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

// attribute credits o as the order path does: reads its evidence,
// attributes, and commits the evidence write.
func (w *world) attribute(t *testing.T, o ledger.Order, model string) *ledger.Attribution {
	t.Helper()
	a, _ := w.attributeFresh(t, o, model, false)
	return a
}

func (w *world) attributeFresh(t *testing.T, o ledger.Order, model string, fresh bool) (*ledger.Attribution, evidence.Write) {
	t.Helper()
	prog := program.Default()
	prog.Attribution.Model = model
	found, err := w.store.Evidence(context.Background(), w.refs.Query(o))
	if err != nil {
		t.Fatal(err)
	}
	a, write, err := w.refs.Attribute(context.Background(), o, w.refs.Now().UTC(), prog, found, fresh)
	if err != nil {
		t.Fatal(err)
	}
	w.store.Remember(write)
	return a, write
}

func TestAttributionModelsAndWindow(t *testing.T) {
	kim := ledger.Customer{EmailHash: hasher.Hash("kim@b.example")}
	// a and b sign kim up a day apart; the order then carries c's code and d's coupon, or neither.
	type setup struct {
		w          *world
		a, b, c, d partner.Partner
	}
	prepare := func(t *testing.T) setup {
		w := newWorld()
		s := setup{w: w, a: w.partner(t, "a@p.example"), b: w.partner(t, "b@p.example"), c: w.partner(t, "c@p.example"), d: w.partner(t, "d@p.example")}
		for i, p := range []partner.Partner{s.a, s.b} {
			if _, err := w.refs.RecordSignUp(context.Background(), fmt.Sprint("lead", i), p.ReferralCode, "", kim.EmailHash); err != nil {
				t.Fatal(err)
			}
			w.now = w.now.Add(24 * time.Hour)
		}
		return s
	}
	for _, tc := range []struct {
		name, model  string
		code, coupon bool
		want         func(setup) string
		via          string
	}{
		{"last click: the latest sign-up", program.LastClick, false, false, func(s setup) string { return s.b.ID }, "sign_up"},
		{"first click: the earliest sign-up", program.FirstClick, false, false, func(s setup) string { return s.a.ID }, "sign_up"},
		{"last click: the order's own code", program.LastClick, true, true, func(s setup) string { return s.c.ID }, "referral_code"},
		{"coupon wins, matched case-insensitively", program.CouponWins, true, true, func(s setup) string { return s.d.ID }, "coupon"},
		{"first click beats the order's code", program.FirstClick, true, true, func(s setup) string { return s.a.ID }, "sign_up"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := prepare(t)
			o := ledger.Order{Customer: kim}
			if tc.code {
				o.ReferralCode = s.c.ReferralCode
			}
			if tc.coupon {
				o.Coupon = strings.ToLower(s.d.ReferralCode)
			}
			a := s.w.attribute(t, o, tc.model)
			if a == nil || a.PartnerID != tc.want(s) || a.Via != tc.via || a.Hold != "" {
				t.Fatalf("credited %+v, want %s via %s", a, tc.want(s), tc.via)
			}
		})
	}
	t.Run("outside the window nobody is credited", func(t *testing.T) {
		s := prepare(t)
		s.w.now = s.w.now.Add(30 * 24 * time.Hour)
		if a := s.w.attribute(t, ledger.Order{Customer: kim}, program.LastClick); a != nil {
			t.Fatalf("credited %+v", a)
		}
	})
}

func TestAReferredCustomerStaysWithThePartnerAcrossDevices(t *testing.T) {
	w := newWorld()
	p := w.partner(t, "p@p.example")
	first := ledger.Order{ReferralCode: p.ReferralCode, Customer: ledger.Customer{ID: "cust-1", EmailHash: hasher.Hash("kim@b.example")}}
	w.attribute(t, first, program.LastClick)
	w.now = w.now.Add(10 * 24 * time.Hour)
	// Another device, no cookie, no code: the e-mail finds the earlier order.
	later := ledger.Order{Customer: ledger.Customer{EmailHash: hasher.Hash("KIM@b.example")}}
	if a := w.attribute(t, later, program.LastClick); a == nil || a.PartnerID != p.ID || a.Via != "earlier_order" {
		t.Fatalf("later order credited %+v", a)
	}
}

func TestHeldAttributions(t *testing.T) {
	w := newWorld()
	self := w.partner(t, "Owner@p.example")
	if a := w.attribute(t, ledger.Order{ReferralCode: self.ReferralCode, Customer: ledger.Customer{EmailHash: hasher.Hash("owner@p.example")}},
		program.LastClick); a == nil || a.Hold != ledger.HoldSelfReferral {
		t.Errorf("a partner buying through its own code: %+v", a)
	}
	suspended := w.partner(t, "s@p.example")
	if _, err := w.store.UpdatePartner(context.Background(), suspended.ID, partner.Update{Status: partner.StatusSuspended}); err != nil {
		t.Fatal(err)
	}
	if a := w.attribute(t, ledger.Order{ReferralCode: suspended.ReferralCode}, program.LastClick); a == nil || a.Hold != ledger.HoldPartnerSuspended {
		t.Errorf("a suspended partner's order: %+v", a)
	}
	if _, _, err := w.refs.Click(context.Background(), suspended.ReferralCode, referral.Visit{Source: "src"}, 100); !errors.Is(err, partner.ErrNotFound) {
		t.Errorf("a suspended partner's link still redirects: %v", err)
	}
}

func TestClickFloodHoldsCodeCreditedOrders(t *testing.T) {
	w := newWorld()
	ctx := context.Background()
	p := w.partner(t, "p@p.example")
	for range 4 {
		if _, _, err := w.refs.Click(ctx, p.ReferralCode, referral.Visit{Source: "bot"}, 3); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := w.refs.Click(ctx, p.ReferralCode, referral.Visit{Source: "person"}, 3); err != nil {
		t.Fatal(err)
	}
	flagged, err := w.store.GetPartner(ctx, p.ID)
	if err != nil || flagged.FlaggedUntil == nil || !flagged.FlaggedUntil.Equal(w.now.Add(referral.FloodHold)) {
		t.Fatalf("partner after a flood: %+v %v", flagged, err)
	}
	if a := w.attribute(t, ledger.Order{ReferralCode: p.ReferralCode}, program.LastClick); a == nil || a.Hold != ledger.HoldClickFlood {
		t.Fatalf("order during the flag: %+v", a)
	}
	w.now = w.now.Add(referral.FloodHold + time.Minute)
	if a := w.attribute(t, ledger.Order{ReferralCode: p.ReferralCode}, program.LastClick); a == nil || a.Hold != "" {
		t.Fatalf("order after the flag: %+v", a)
	}
}

// countingStore counts partner and code reads.
type countingStore struct {
	*memstore.Partners
	reads, codeReads atomic.Int32
}

func (c *countingStore) GetPartner(ctx context.Context, id string) (partner.Partner, error) {
	c.reads.Add(1)
	return c.Partners.GetPartner(ctx, id)
}

func (c *countingStore) ReferrerByCode(ctx context.Context, code string) (partner.Referrer, error) {
	c.codeReads.Add(1)
	return c.Partners.ReferrerByCode(ctx, code)
}

// A returning customer's evidence stays one touch per partner however many
// orders it places. Attribution by a touch reads no partner: it relies on
// the partner remembered with the touch and asks the commit to check it;
// a retry (fresh) reads the credited partner only.
func TestAReturningCustomerKeepsOneTouchPerPartner(t *testing.T) {
	w := newWorld()
	ctx := context.Background()
	p, other := w.partner(t, "p@p.example"), w.partner(t, "o@p.example")
	kim := ledger.Customer{EmailHash: hasher.Hash("kim@b.example")}
	for range 20 {
		w.attribute(t, ledger.Order{ReferralCode: p.ReferralCode, Customer: kim}, program.LastClick)
		w.now = w.now.Add(time.Hour)
	}
	w.attribute(t, ledger.Order{ReferralCode: other.ReferralCode, Customer: kim}, program.LastClick)
	w.now = w.now.Add(time.Hour)
	if found, _ := w.store.Evidence(ctx, evidence.Query{EmailHash: kim.EmailHash}); len(found.Touches) != 2 {
		t.Errorf("21 coded orders left %d touches, want one per partner", len(found.Touches))
	}
	if _, err := w.store.UpdatePartner(ctx, other.ID, partner.Update{Tier: program.TierGold}); err != nil {
		t.Fatal(err)
	}
	counting := &countingStore{Partners: w.store}
	w.refs.Store = counting
	a, write := w.attributeFresh(t, ledger.Order{Customer: kim}, program.LastClick, false)
	if a == nil || a.PartnerID != other.ID || a.Tier != program.TierAuthorized || write.Referrer == nil || write.Referrer.Tier != program.TierAuthorized {
		t.Fatalf("credited %+v checking %+v, want the latest touch's partner as remembered, checked", a, write.Referrer)
	}
	if n := counting.reads.Load(); n != 0 {
		t.Errorf("%d partner reads, want none", n)
	}
	a, write = w.attributeFresh(t, ledger.Order{Customer: kim}, program.LastClick, true)
	if a == nil || a.Tier != program.TierGold || write.Referrer != nil {
		t.Fatalf("fresh: credited %+v checking %+v, want the partner as it is now, unchecked", a, write.Referrer)
	}
	if n := counting.reads.Load(); n != 1 {
		t.Errorf("%d partner reads when fresh, want 1", n)
	}
	w.refs.Store = w.store
	if a := w.attribute(t, ledger.Order{Customer: kim}, program.FirstClick); a == nil || a.PartnerID != p.ID {
		t.Errorf("first click credited %+v, want the earliest touch's partner", a)
	}
}

// A viral link's clicks resolve its code once per CodeCacheTTL, and a
// suspension stops the link within that time.
func TestClicksOnOneCodeReadItOncePerTTL(t *testing.T) {
	w := newWorld()
	ctx := context.Background()
	p := w.partner(t, "p@p.example")
	reads := &countingStore{Partners: w.store}
	w.refs.Store = reads
	for i := range 1000 {
		if _, _, err := w.refs.Click(ctx, p.ReferralCode, referral.Visit{Source: fmt.Sprint("visitor-", i)}, 100); err != nil {
			t.Fatal(err)
		}
	}
	if n := reads.codeReads.Load(); n != 1 {
		t.Errorf("1,000 clicks read the code %d times, want once", n)
	}
	if _, err := w.store.UpdatePartner(ctx, p.ID, partner.Update{Status: partner.StatusSuspended}); err != nil {
		t.Fatal(err)
	}
	w.now = w.now.Add(referral.CodeCacheTTL)
	if _, _, err := w.refs.Click(ctx, p.ReferralCode, referral.Visit{Source: "visitor-late"}, 100); !errors.Is(err, partner.ErrNotFound) {
		t.Errorf("a suspended partner's link after the TTL: %v", err)
	}
	if n := reads.codeReads.Load(); n != 2 {
		t.Errorf("the code was read %d times, want twice", n)
	}
}
