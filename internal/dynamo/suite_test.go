package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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

// TestItemsWrittenBeforeShardingAreStillFound reads a partner, its balance
// (indexed then) and a due accrual stored under the unsharded index keys of
// earlier releases.
func TestItemsWrittenBeforeShardingAreStillFound(t *testing.T) {
	env := devtest.New(t)
	ctx := context.Background()
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	due := time.Now().UTC().Add(-time.Hour)
	for _, item := range []map[string]types.AttributeValue{
		{"pk": s("PARTNER#pt_old"), "sk": s("PROFILE"), "id": s("pt_old"), "name": s("Old"), "email": s("old@old.example"),
			"tier": s("authorized"), "status": s("active"), "gsi1pk": s("PARTNERS"), "gsi1sk": s("pt_old")},
		{"pk": s("PARTNER#pt_old"), "sk": s("BALANCE#EUR"), "partner_id": s("pt_old"), "currency": s("EUR"), "payable": n("5000"),
			"gsi1pk": s("BALANCES#EUR"), "gsi1sk": s("pt_old")},
		{"pk": s("ORDER#generic#o_old"), "sk": s("ORDER"), "source": s("generic"), "order_id": s("o_old"), "currency": s("EUR"),
			"partner_id": s("pt_old"), "accrual_status": s("pending"), "commission": n("500"), "version": n("1"),
			"gsi2pk": s("DUE"), "gsi2sk": s(due.Format("2006-01-02T15:04:05.000000000Z") + "#generic#o_old")},
	} {
		if _, err := env.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(env.Table), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	store := dynamo.Open(env.DB, env.Table)
	if got, err := store.Ledger.PayableBalances(ctx, "EUR", 1000); err != nil || len(got) != 1 || got[0].PartnerID != "pt_old" {
		t.Errorf("payable balances: %+v %v", got, err)
	}
	if got, err := store.Ledger.CurrencyBalances(ctx, "EUR"); err != nil || got["pt_old"].Payable != 5000 {
		t.Errorf("currency balances: %+v %v", got, err)
	}
	if got, err := store.Ledger.DuePending(ctx, time.Now(), 10); err != nil || len(got) != 1 || got[0].OrderID != "o_old" {
		t.Errorf("due accruals: %+v %v", got, err)
	}
}
