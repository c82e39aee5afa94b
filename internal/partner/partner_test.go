package partner_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/memstore"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/program"
)

func TestPartnersMayOnlyChooseTheProgramsCharities(t *testing.T) {
	ctx := context.Background()
	prog := program.Default()
	prog.CharityOptions = []string{"ch_water", "ch_trees"}
	catalog := &memstore.Charities{}
	for _, id := range []string{"ch_water", "ch_trees", "ch_other"} {
		if err := catalog.PutCharity(ctx, payout.Charity{ID: id, Name: id, RegistrationNumber: "1", Country: "DE"}); err != nil {
			t.Fatal(err)
		}
	}
	svc := &partner.Service{Store: memstore.NewPartners(), Charities: catalog, Programs: program.Static{Program: prog}, Now: time.Now}
	for _, c := range []struct {
		charity string
		ok      bool
	}{{"ch_other", false}, {"ch_unlisted", false}, {"ch_trees", true}} {
		_, err := svc.Create(ctx, partner.NewPartner{Name: "A", Email: "a@a.example", Charity: &partner.CharityShare{CharityID: c.charity, ShareBps: 500}})
		if c.ok && err != nil || !c.ok && !errors.Is(err, partner.ErrInvalid) {
			t.Errorf("choosing %s: %v", c.charity, err)
		}
	}
}
