package dynamo

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/payout"
)

// The charity catalog lives under CHARITY#<id>: the charity (CHARITY) and its
// receipts (RECEIPT#<batch>#<currency>); gsi1 lists every charity.
func charityKey(id string) key { return key{"CHARITY#" + id, "CHARITY"} }

type charityItem struct {
	key
	payout.Charity
	GSI1PK string `json:"gsi1pk" dynamodbav:"gsi1pk"`
	GSI1SK string `json:"gsi1sk" dynamodbav:"gsi1sk"`
}

// PutCharity adds a charity to the catalog; its id must be new.
func (s *Charities) PutCharity(ctx context.Context, c payout.Charity) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, ConditionExpression: aws.String(notExists),
		Item: mustMarshal(charityItem{key: charityKey(c.ID), Charity: c, GSI1PK: "CHARITIES", GSI1SK: c.ID})})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return payout.ErrCharityExists
	}
	return err
}

// GetCharity reads one charity.
func (s *Charities) GetCharity(ctx context.Context, id string) (payout.Charity, error) {
	var it charityItem
	if err := s.getExisting(ctx, charityKey(id), &it, payout.ErrCharityNotFound); err != nil {
		return payout.Charity{}, err
	}
	return it.Charity, nil
}

// CharityListed reports whether a charity is in the catalog.
func (s *Charities) CharityListed(ctx context.Context, id string) (bool, error) {
	_, err := s.GetCharity(ctx, id)
	if errors.Is(err, payout.ErrCharityNotFound) {
		return false, nil
	}
	return err == nil, err
}

// ListCharities returns the catalog.
func (s *Charities) ListCharities(ctx context.Context) ([]payout.Charity, error) {
	return queryAll(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("CHARITIES"))},
		func(it charityItem) payout.Charity { return it.Charity })
}

type receiptItem struct {
	key
	payout.Receipt
}

// PutReceipt files a donation receipt once per batch, charity and currency.
func (s *Charities) PutReceipt(ctx context.Context, r payout.Receipt) error {
	k := key{"CHARITY#" + r.CharityID, "RECEIPT#" + r.BatchID + "#" + string(r.Currency)}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, ConditionExpression: aws.String(notExists),
		Item: mustMarshal(receiptItem{k, r})})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	return err
}

// Receipts lists a charity's receipts.
func (s *Charities) Receipts(ctx context.Context, charityID string) ([]payout.Receipt, error) {
	return queryAll(ctx, s.table, lookup{key: expression.Key("pk").Equal(expression.Value("CHARITY#" + charityID)).
		And(expression.Key("sk").BeginsWith("RECEIPT#"))}, func(it receiptItem) payout.Receipt { return it.Receipt })
}

type donationItem struct {
	key
	payout.Donation
}

// partnerDonation files a settled donation leg under its partner.
func (s *table) partnerDonation(p payout.Payment) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(donationItem{
		key{"PARTNER#" + p.PartnerID, "DONATION#" + sortableTime(p.At) + "#" + p.ItemID},
		payout.Donation{At: p.At, BatchID: p.BatchID, CharityID: p.CharityID, Currency: p.Currency, Amount: p.Amount}})}}
}

// PartnerDonations lists what was donated on a partner's behalf, oldest first.
func (s *Charities) PartnerDonations(ctx context.Context, partnerID string) ([]payout.Donation, error) {
	return queryAll(ctx, s.table, lookup{key: expression.Key("pk").Equal(expression.Value("PARTNER#" + partnerID)).
		And(expression.Key("sk").BeginsWith("DONATION#"))}, func(it donationItem) payout.Donation { return it.Donation })
}
