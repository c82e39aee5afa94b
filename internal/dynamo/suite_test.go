package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
	"github.com/partnerloop/partnerloop/internal/dynamo"
	"github.com/partnerloop/partnerloop/internal/evidence"
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

// TestTouchesOfEarlierReleasesMoveIntoTheEvidenceItems migrates touches
// kept one item per touch into the evidence items the order path reads,
// keeping what an evidence item already holds; a second run finds nothing.
func TestTouchesOfEarlierReleasesMoveIntoTheEvidenceItems(t *testing.T) {
	env := devtest.New(t)
	ctx := context.Background()
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	store := dynamo.Open(env.DB, env.Table)
	at := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
	// A touch made by this release under the e-mail, and two of an
	// earlier one: under the e-mail (its ref already kept) and the id.
	kept := evidence.Touch{PartnerID: "pt_new", Via: "sign_up", Ref: "lead_1", At: at.Add(time.Hour), EmailHash: "h1"}
	if err := store.Partners.PutTouch(ctx, kept); err != nil {
		t.Fatal(err)
	}
	for _, item := range []map[string]types.AttributeValue{
		{"pk": s("TOUCH#EMAIL#h1"), "sk": s("lead_1"), "partner_id": s("pt_old"), "via": s("sign_up"), "ref": s("lead_1"),
			"at": s(at.Format(time.RFC3339)), "email_hash": s("h1"), "expires_at": n(fmt.Sprint(at.Add(evidence.Retention).Unix()))},
		{"pk": s("TOUCH#CUSTOMER#c1"), "sk": s("order:pt_old"), "partner_id": s("pt_old"), "via": s("earlier_order"), "ref": s("order:pt_old"),
			"at": s(at.Format(time.RFC3339)), "customer_id": s("c1"), "expires_at": n(fmt.Sprint(at.Add(evidence.Retention).Unix()))},
	} {
		if _, err := env.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(env.Table), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	if moved, err := store.Partners.MigrateTouches(ctx); err != nil || moved != 2 {
		t.Fatalf("moved %d: %v", moved, err)
	}
	byEmail, err := store.Partners.Evidence(ctx, evidence.Query{EmailHash: "h1"})
	if err != nil || len(byEmail.Touches) != 1 || byEmail.Touches[0].PartnerID != "pt_new" {
		t.Errorf("by e-mail: %+v %v; want the touch it kept", byEmail.Touches, err)
	}
	byID, err := store.Partners.Evidence(ctx, evidence.Query{CustomerID: "c1"})
	if err != nil || len(byID.Touches) != 1 || byID.Touches[0].PartnerID != "pt_old" || !byID.Touches[0].At.Equal(at) {
		t.Errorf("by customer id: %+v %v; want the moved touch", byID.Touches, err)
	}
	if moved, err := store.Partners.MigrateTouches(ctx); err != nil || moved != 0 {
		t.Errorf("a second run moved %d: %v", moved, err)
	}
}
