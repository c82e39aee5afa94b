package memstore_test

import (
	"testing"

	"github.com/partnerloop/partnerloop/internal/memstore"
	"github.com/partnerloop/partnerloop/internal/storetest"
)

func TestPartnersPassTheStorageSuite(t *testing.T) {
	storetest.Partners(t, func(*testing.T) storetest.PartnerStore { return memstore.NewPartners() })
}

func TestCharitiesPassTheStorageSuite(t *testing.T) {
	storetest.Charities(t, func(*testing.T) storetest.CharityStore { return &memstore.Charities{} })
}
