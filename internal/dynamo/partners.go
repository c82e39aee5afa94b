package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/performance"
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/referral"
)

func partnerKey(id string) key { return key{"PARTNER#" + id, "PROFILE"} }
func codeKey(code string) key  { return key{"CODE#" + code, "CODE"} }
func touchKeys(emailHash, customerID, ref string) []key {
	var ks []key
	if emailHash != "" {
		ks = append(ks, key{"TOUCH#EMAIL#" + emailHash, ref})
	}
	if customerID != "" {
		ks = append(ks, key{"TOUCH#CUSTOMER#" + customerID, ref})
	}
	return ks
}

type partnerItem struct {
	key
	partner.Partner
	Clicks int64 `json:"clicks"`
	// Every partner is listed under one index key for the performance job.
	GSI1PK string `json:"gsi1pk,omitempty"`
	GSI1SK string `json:"gsi1sk,omitempty"`
}

type codeItem struct {
	key
	PartnerID string `json:"partner_id"`
}

type touchItem struct {
	key
	referral.Touch
	ExpiresAt int64 `json:"expires_at"`
}

// touchRetention outlives the longest attribution window a program may set.
const touchRetention = 366 * 24 * time.Hour

const notExists = "attribute_not_exists(pk)"

// CreatePartner reserves the referral code and writes the partner in one transaction.
func (s *Store) CreatePartner(ctx context.Context, p partner.Partner) error {
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(codeItem{codeKey(p.ReferralCode), p.ID}), ConditionExpression: aws.String(notExists)}},
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(partnerItem{key: partnerKey(p.ID), Partner: p, GSI1PK: "PARTNERS", GSI1SK: p.ID}), ConditionExpression: aws.String(notExists)}},
	}})
	if failed, ok := cancelledAt(err); ok && failed[0] {
		return partner.ErrCodeTaken
	}
	return err
}

// GetPartner reads one partner.
func (s *Store) GetPartner(ctx context.Context, id string) (partner.Partner, error) {
	var it partnerItem
	found, err := s.get(ctx, partnerKey(id), &it)
	if err != nil {
		return partner.Partner{}, err
	}
	if !found {
		return partner.Partner{}, partner.ErrNotFound
	}
	return it.Partner, nil
}

// PartnerByCode resolves a normalised referral code.
func (s *Store) PartnerByCode(ctx context.Context, code string) (partner.Partner, error) {
	var c codeItem
	found, err := s.get(ctx, codeKey(code), &c)
	if err != nil {
		return partner.Partner{}, err
	}
	if !found {
		return partner.Partner{}, partner.ErrNotFound
	}
	return s.GetPartner(ctx, c.PartnerID)
}

// clickRetention keeps per-source click counters past their hour.
const clickRetention = 48 * time.Hour

// AddClick counts the click on the partner's profile and in the partner's
// per-source counter for the hour, returning the latter.
func (s *Store) AddClick(ctx context.Context, partnerID, source string, at time.Time) (int64, error) {
	upd := expression.Add(expression.Name("clicks"), expression.Value(1)).
		Set(expression.Name("last_click_at"), expression.Value(at))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(expression.AttributeExists(expression.Name("pk"))).Build()
	if err != nil {
		return 0, err
	}
	if _, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: partnerKey(partnerID).av(),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}); err != nil {
		return 0, err
	}
	counter := key{"CLICKS#" + partnerID, at.UTC().Format("2006-01-02T15") + "#" + source}
	cexpr, err := expression.NewBuilder().WithUpdate(expression.Add(expression.Name("n"), expression.Value(1)).
		Set(expression.Name("expires_at"), expression.Value(at.Add(clickRetention).Unix()))).Build()
	if err != nil {
		return 0, err
	}
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: counter.av(),
		UpdateExpression: cexpr.Update(), ExpressionAttributeNames: cexpr.Names(), ExpressionAttributeValues: cexpr.Values(),
		ReturnValues: types.ReturnValueUpdatedNew})
	if err != nil {
		return 0, err
	}
	var counted struct {
		N int64 `json:"n"`
	}
	if err := unmarshal(out.Attributes, &counted); err != nil {
		return 0, err
	}
	return counted.N, nil
}

// FlagPartner marks a partner's link as flooded until the given time.
func (s *Store) FlagPartner(ctx context.Context, partnerID string, until time.Time) error {
	expr, err := expression.NewBuilder().WithUpdate(expression.Set(expression.Name("flagged_until"), expression.Value(until))).
		WithCondition(expression.AttributeExists(expression.Name("pk"))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: partnerKey(partnerID).av(),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	return err
}

// PutTouch stores the touch under each customer key it has; a touch with
// the same ref keeps its first time.
func (s *Store) PutTouch(ctx context.Context, t referral.Touch) error {
	for _, k := range touchKeys(t.EmailHash, t.CustomerID, t.Ref) {
		_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, ConditionExpression: aws.String(notExists),
			Item: mustMarshal(touchItem{key: k, Touch: t, ExpiresAt: t.At.Add(touchRetention).Unix()})})
		var ccf *types.ConditionalCheckFailedException
		if err != nil && !errors.As(err, &ccf) {
			return err
		}
	}
	return nil
}

// Touches lists every touch of a customer by e-mail hash or customer id.
func (s *Store) Touches(ctx context.Context, emailHash, customerID string) ([]referral.Touch, error) {
	seen := map[string]bool{}
	var out []referral.Touch
	for _, k := range touchKeys(emailHash, customerID, "") {
		touches, err := queryAll(ctx, s, lookup{key: expression.Key("pk").Equal(expression.Value(k.PK))},
			func(it touchItem) referral.Touch { return it.Touch })
		if err != nil {
			return nil, fmt.Errorf("read touches: %w", err)
		}
		for _, t := range touches {
			if !seen[t.Ref] {
				seen[t.Ref] = true
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// UpdatePartner sets the given tier and/or status of an existing partner.
func (s *Store) UpdatePartner(ctx context.Context, id string, tier program.Tier, status partner.Status) (partner.Partner, error) {
	var upd expression.UpdateBuilder
	if tier != "" {
		upd = upd.Set(expression.Name("tier"), expression.Value(tier))
	}
	if status != "" {
		upd = upd.Set(expression.Name("status"), expression.Value(status))
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(expression.AttributeExists(expression.Name("pk"))).Build()
	if err != nil {
		return partner.Partner{}, err
	}
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: partnerKey(id).av(),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(), ReturnValues: types.ReturnValueAllNew,
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return partner.Partner{}, partner.ErrNotFound
	}
	if err != nil {
		return partner.Partner{}, err
	}
	var it partnerItem
	if err := unmarshal(out.Attributes, &it); err != nil {
		return partner.Partner{}, err
	}
	return it.Partner, nil
}

// PartnersPage lists a page of partners in id order.
func (s *Store) PartnersPage(ctx context.Context, limit int32, cursor string) ([]partner.Partner, string, error) {
	return queryPage(ctx, s, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("PARTNERS"))}, limit, cursor,
		func(it partnerItem) partner.Partner { return it.Partner })
}

// ListPartners returns every partner.
func (s *Store) ListPartners(ctx context.Context) ([]partner.Partner, error) {
	return queryAll(ctx, s, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("PARTNERS"))},
		func(it partnerItem) partner.Partner { return it.Partner })
}

type tierItem struct {
	key
	performance.TierChange
}

// ChangeTier moves the partner to change.To if it is still at change.From
// and appends the change to its history, in one transaction.
func (s *Store) ChangeTier(ctx context.Context, partnerID string, change performance.TierChange) error {
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("tier"), expression.Value(change.To))).
		WithCondition(expression.Name("tier").Equal(expression.Value(change.From))).Build()
	if err != nil {
		return err
	}
	hist := tierItem{key: key{"PARTNER#" + partnerID, "TIER#" + sortableTime(change.At)}, TierChange: change}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.Table, Key: partnerKey(partnerID).av(), UpdateExpression: expr.Update(),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}},
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(hist), ConditionExpression: aws.String(notExists)}},
	}})
	if _, ok := cancelledAt(err); ok || isTransactionConflict(err) {
		return performance.ErrTierChanged
	}
	return err
}

// TierHistory lists a partner's tier changes, oldest first.
func (s *Store) TierHistory(ctx context.Context, partnerID string) ([]performance.TierChange, error) {
	return queryAll(ctx, s, lookup{key: expression.Key("pk").Equal(expression.Value("PARTNER#" + partnerID)).
		And(expression.Key("sk").BeginsWith("TIER#"))}, func(it tierItem) performance.TierChange { return it.TierChange })
}
