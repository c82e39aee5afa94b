// Package storetest is the storage suite every implementation of the
// partner, referral and performance stores passes: the DynamoDB adapter on
// DynamoDB Local and the in-memory store the domain packages test against.
// One suite, two implementations, so domain tests on memory say something
// about the table.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/evidence"
	"github.com/partnerloop/partnerloop/internal/fraud"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/performance"
	"github.com/partnerloop/partnerloop/internal/referral"
)

// PartnerStore is what the partner, referral and performance packages ask
// of the store that keeps partners.
type PartnerStore interface {
	partner.Store
	referral.Store
	performance.Store
	Evidence(ctx context.Context, q evidence.Query) (evidence.Found, error)
}

// CharityStore is the catalog partners choose a charity from.
type CharityStore interface {
	PutCharity(ctx context.Context, c payout.Charity) error
	partner.Charities
}

func newPartner(id, code string, coupons ...string) partner.Partner {
	return partner.Partner{ID: id, Name: "Partner " + id, Email: id + "@partners.example", Tier: "authorized", Status: partner.StatusActive,
		ReferralCode: code, Coupons: coupons, CreatedAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Partners runs the suite; open returns an empty store for each case.
func Partners(t *testing.T, open func(t *testing.T) PartnerStore) {
	ctx := context.Background()
	t.Run("codes and coupons share one namespace", func(t *testing.T) {
		s := open(t)
		must(t, s.CreatePartner(ctx, newPartner("p1", "ALPHA", "SPRING10")))
		if err := s.CreatePartner(ctx, newPartner("p2", "ALPHA")); !errors.Is(err, partner.ErrCodeTaken) {
			t.Errorf("second partner with ALPHA: %v, want ErrCodeTaken", err)
		}
		if err := s.CreatePartner(ctx, newPartner("p3", "BRAVO", "SPRING10")); !errors.Is(err, partner.ErrCouponTaken) {
			t.Errorf("coupon SPRING10 again: %v, want ErrCouponTaken", err)
		}
		if _, err := s.ReferrerByCode(ctx, "BRAVO"); !errors.Is(err, partner.ErrNotFound) {
			t.Errorf("a refused partner's code resolves: %v", err)
		}
		if _, err := s.GetPartner(ctx, "p3"); !errors.Is(err, partner.ErrNotFound) {
			t.Errorf("a refused partner exists: %v", err)
		}
		for _, code := range []string{"ALPHA", "SPRING10"} {
			if p, err := s.ReferrerByCode(ctx, code); err != nil || p.ID != "p1" {
				t.Errorf("%s resolves to %q (%v), want p1", code, p.ID, err)
			}
		}
	})
	t.Run("coupon changes are conditional on the coupons read", func(t *testing.T) {
		s := open(t)
		must(t, s.CreatePartner(ctx, newPartner("p1", "ALPHA", "SPRING10")))
		must(t, s.CreatePartner(ctx, newPartner("p2", "BRAVO")))
		p, err := s.UpdatePartner(ctx, "p1", partner.Update{Coupons: []string{"SUMMER10"}, OldCoupons: []string{"SPRING10"}})
		if err != nil || !slices.Equal(p.Coupons, []string{"SUMMER10"}) {
			t.Fatalf("update: %+v %v", p, err)
		}
		if _, err := s.ReferrerByCode(ctx, "SPRING10"); !errors.Is(err, partner.ErrNotFound) {
			t.Errorf("a dropped coupon still resolves: %v", err)
		}
		if _, err := s.UpdatePartner(ctx, "p1", partner.Update{Coupons: []string{"AUTUMN"}, OldCoupons: []string{"SPRING10"}}); !errors.Is(err, partner.ErrConcurrentChange) {
			t.Errorf("update from stale coupons: %v, want ErrConcurrentChange", err)
		}
		if _, err := s.UpdatePartner(ctx, "p2", partner.Update{Coupons: []string{"SUMMER10"}}); !errors.Is(err, partner.ErrCouponTaken) {
			t.Errorf("taking p1's coupon: %v, want ErrCouponTaken", err)
		}
		if _, err := s.UpdatePartner(ctx, "nobody", partner.Update{Tier: "gold"}); !errors.Is(err, partner.ErrNotFound) {
			t.Errorf("updating an unknown partner: %v", err)
		}
		if p, err := s.UpdatePartner(ctx, "p2", partner.Update{Tier: "gold", Status: partner.StatusSuspended}); err != nil || p.Tier != "gold" || p.Status != partner.StatusSuspended {
			t.Errorf("tier and status: %+v %v", p, err)
		}
	})
	t.Run("settings change the charity and payout e-mail, with who and when", func(t *testing.T) {
		s := open(t)
		p := newPartner("p1", "ALPHA")
		p.Payout = &partner.PayoutDetails{Method: partner.MethodPayPal, Email: "old@partners.example"}
		must(t, s.CreatePartner(ctx, p))
		at := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
		got, err := s.UpdatePartner(ctx, "p1", partner.Update{Settings: &partner.SettingsUpdate{
			Charity: &partner.CharityShare{CharityID: "ch_water", ShareBps: 1500}, PayoutEmail: "new@partners.example", By: "user-p1", At: at}})
		if err != nil || got.Charity == nil || got.Charity.ShareBps != 1500 || got.Payout.Email != "new@partners.example" ||
			got.Payout.Method != partner.MethodPayPal || got.SettingsChangedBy != "user-p1" || !got.SettingsChangedAt.Equal(at) {
			t.Fatalf("settings: %+v %v", got, err)
		}
		got, err = s.UpdatePartner(ctx, "p1", partner.Update{Settings: &partner.SettingsUpdate{ClearCharity: true, By: "alice", At: at.Add(time.Hour)}})
		if err != nil || got.Charity != nil || got.Payout.Email != "new@partners.example" || got.SettingsChangedBy != "alice" {
			t.Fatalf("clearing the charity: %+v %v", got, err)
		}
		if read, _ := s.GetPartner(ctx, "p1"); read.Charity != nil || read.SettingsChangedBy != "alice" {
			t.Errorf("as read back: %+v", read)
		}
		must(t, s.CreatePartner(ctx, newPartner("p2", "BRAVO")))
		if _, err := s.UpdatePartner(ctx, "p2", partner.Update{Settings: &partner.SettingsUpdate{PayoutEmail: "x@partners.example", By: "b", At: at}}); !errors.Is(err, partner.ErrConcurrentChange) {
			t.Errorf("a payout e-mail for a partner without payout details: %v", err)
		}
	})
	t.Run("search finds partners by a prefix of the name or e-mail, in pages", func(t *testing.T) {
		s := open(t)
		for i, name := range []string{"Anna Rossi", "Annalisa Bianchi", "Bruno Anna", "anneliese"} {
			p := newPartner(fmt.Sprintf("p%d", i), fmt.Sprintf("CODE%d", i))
			p.Name, p.Email = name, fmt.Sprintf("x%d@shop.example", i)
			must(t, s.CreatePartner(ctx, p))
		}
		var got []string
		cursor := ""
		for range 10 {
			page, next, err := s.SearchPartners(ctx, "ann", 1, cursor)
			must(t, err)
			for _, p := range page {
				got = append(got, p.Name)
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		if want := []string{"Anna Rossi", "Annalisa Bianchi", "anneliese"}; !slices.Equal(got, want) {
			t.Errorf("search \"ann\" found %q, want %q", got, want)
		}
		if page, _, err := s.SearchPartners(ctx, "x2@", 10, ""); err != nil || len(page) != 1 || page[0].Name != "Bruno Anna" {
			t.Errorf("search by e-mail found %+v (%v)", page, err)
		}
	})
	t.Run("pages list every partner once", func(t *testing.T) {
		s := open(t)
		var want []string
		for i := range 5 {
			id := fmt.Sprintf("p%d", i)
			must(t, s.CreatePartner(ctx, newPartner(id, fmt.Sprintf("CODE%d", i))))
			want = append(want, id)
		}
		var got []string
		cursor := ""
		for range 10 {
			page, next, err := s.PartnersPage(ctx, 2, cursor)
			must(t, err)
			for _, p := range page {
				got = append(got, p.ID)
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("pages listed %v, want %v", got, want)
		}
		all, err := s.ListPartners(ctx)
		if err != nil || len(all) != 5 {
			t.Errorf("ListPartners: %d partners, %v", len(all), err)
		}
	})
	t.Run("clicks count per source and hour; a flag is kept", func(t *testing.T) {
		s := open(t)
		must(t, s.CreatePartner(ctx, newPartner("p1", "ALPHA")))
		at := time.Date(2026, 3, 2, 10, 15, 0, 0, time.UTC)
		for want := int64(1); want <= 3; want++ {
			if n, err := s.AddClick(ctx, "p1", "src-a", at.Add(time.Duration(want)*time.Minute), fraud.Click{}); err != nil || n != want {
				t.Errorf("click %d from src-a counted %d (%v)", want, n, err)
			}
		}
		if n, _ := s.AddClick(ctx, "p1", "src-b", at, fraud.Click{}); n != 1 {
			t.Errorf("another source starts at %d", n)
		}
		if n, _ := s.AddClick(ctx, "p1", "src-a", at.Add(time.Hour), fraud.Click{}); n != 1 {
			t.Errorf("the next hour starts at %d", n)
		}
		until := at.Add(24 * time.Hour)
		p, _ := s.GetPartner(ctx, "p1")
		must(t, s.FlagPartner(ctx, p.Referrer(), until))
		if p, err := s.GetPartner(ctx, "p1"); err != nil || p.FlaggedUntil == nil || !p.FlaggedUntil.Equal(until) {
			t.Errorf("flag: %+v %v", p.FlaggedUntil, err)
		}
	})
	t.Run("touches follow the customer by e-mail or id, first time kept", func(t *testing.T) {
		s := open(t)
		first := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		p1 := newPartner("p1", "ALPHA")
		touch := evidence.Touch{PartnerID: "p1", Via: "sign_up", Ref: "sign_up:lead-1", At: first, CustomerID: "cust-1", EmailHash: "hash-kim", Referrer: p1.Referrer()}
		must(t, s.PutTouch(ctx, touch))
		again := touch
		again.At = first.Add(time.Hour)
		must(t, s.PutTouch(ctx, again))
		for _, c := range []evidence.Query{{EmailHash: "hash-kim"}, {CustomerID: "cust-1"}, {EmailHash: "hash-kim", CustomerID: "cust-1"}} {
			got, err := s.Evidence(ctx, c)
			if err != nil || len(got.Touches) != 1 || !got.Touches[0].At.Equal(first) || got.Touches[0].PartnerID != "p1" || got.Touches[0].Referrer != p1.Referrer() {
				t.Errorf("touches by %+v: %+v %v", c, got, err)
			}
		}
		if got, _ := s.Evidence(ctx, evidence.Query{EmailHash: "hash-other"}); len(got.Touches) != 0 {
			t.Errorf("another customer's touches: %+v", got)
		}
	})
	t.Run("every code carries the partner's tier, status and click flag", func(t *testing.T) {
		s := open(t)
		must(t, s.CreatePartner(ctx, newPartner("p1", "ALPHA", "SPRING10")))
		codes := func() []partner.Referrer {
			var out []partner.Referrer
			for _, c := range []string{"ALPHA", "SPRING10", "SUMMER10"} {
				if r, err := s.ReferrerByCode(ctx, c); err == nil {
					out = append(out, r)
				}
			}
			return out
		}
		if _, err := s.UpdatePartner(ctx, "p1", partner.Update{Tier: "silver", Status: partner.StatusSuspended,
			Coupons: []string{"SPRING10", "SUMMER10"}, OldCoupons: []string{"SPRING10"}}); err != nil {
			t.Fatal(err)
		}
		must(t, s.ChangeTier(ctx, "p1", performance.TierChange{From: "silver", To: "gold", At: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}, nil))
		p, _ := s.GetPartner(ctx, "p1")
		until := time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC)
		must(t, s.FlagPartner(ctx, p.Referrer(), until))
		got := codes()
		if len(got) != 3 {
			t.Fatalf("codes resolve to %+v", got)
		}
		for i, r := range got {
			if r.ID != "p1" || r.Tier != "gold" || r.Status != partner.StatusSuspended || r.ReferralCode != "ALPHA" || r.Email != p.Email {
				t.Errorf("code %d resolves to %+v", i, r)
			}
		}
		if got[0].FlaggedUntil == nil || !got[0].FlaggedUntil.Equal(until) {
			t.Errorf("the referral code does not carry the click flag: %+v", got[0])
		}
	})
	t.Run("tier changes apply only from the tier read", func(t *testing.T) {
		s := open(t)
		must(t, s.CreatePartner(ctx, newPartner("p1", "ALPHA")))
		change := performance.TierChange{From: "authorized", To: "gold", At: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), Period: "2026-03", Measured: "net revenue"}
		must(t, s.ChangeTier(ctx, "p1", change, nil))
		if err := s.ChangeTier(ctx, "p1", change, nil); !errors.Is(err, performance.ErrTierChanged) {
			t.Errorf("the same change twice: %v, want ErrTierChanged", err)
		}
		hist, err := s.TierHistory(ctx, "p1")
		if err != nil || len(hist) != 1 || hist[0].To != "gold" || !hist[0].At.Equal(change.At) {
			t.Errorf("history %+v %v", hist, err)
		}
		if p, _ := s.GetPartner(ctx, "p1"); p.Tier != "gold" {
			t.Errorf("tier is %q", p.Tier)
		}
	})
}

// Charities runs the catalog suite.
func Charities(t *testing.T, open func(t *testing.T) CharityStore) {
	ctx := context.Background()
	s := open(t)
	must(t, s.PutCharity(ctx, payout.Charity{ID: "ch_water", Name: "Clean Water"}))
	if err := s.PutCharity(ctx, payout.Charity{ID: "ch_water", Name: "Other"}); !errors.Is(err, payout.ErrCharityExists) {
		t.Errorf("the same id twice: %v", err)
	}
	for id, want := range map[string]bool{"ch_water": true, "ch_unknown": false} {
		if listed, err := s.CharityListed(ctx, id); err != nil || listed != want {
			t.Errorf("CharityListed(%s) = %v, %v; want %v", id, listed, err, want)
		}
	}
}
