package dynamo_test

import (
	"testing"

	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
	"github.com/partnerloop/partnerloop/internal/dynamo"
	"github.com/partnerloop/partnerloop/internal/storetest"
)

func TestPartnersPassTheStorageSuite(t *testing.T) {
	storetest.Partners(t, func(t *testing.T) storetest.PartnerStore {
		env := devtest.New(t)
		return dynamo.Open(env.DB, env.Table).Partners
	})
}

func TestCharitiesPassTheStorageSuite(t *testing.T) {
	storetest.Charities(t, func(t *testing.T) storetest.CharityStore {
		env := devtest.New(t)
		return dynamo.Open(env.DB, env.Table).Charities
	})
}
