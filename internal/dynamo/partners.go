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
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/referral"
)

func partnerKey(id string) key { return key{"PARTNER#" + id, "PROFILE"} }
func codeKey(code string) key  { return key{"CODE#" + code, "CODE"} }
func leadKeys(l referral.Lead) []key {
	var ks []key
	if l.EmailHash != "" {
		ks = append(ks, key{"LEAD#EMAIL#" + l.EmailHash, "LEAD"})
	}
	if l.CustomerID != "" {
		ks = append(ks, key{"LEAD#CUSTOMER#" + l.CustomerID, "LEAD"})
	}
	return ks
}

type partnerItem struct {
	key
	partner.Partner
	Clicks int64 `json:"clicks"`
}

type codeItem struct {
	key
	PartnerID string `json:"partner_id"`
}

type leadItem struct {
	key
	referral.Lead
	CustomerID string `json:"customer_id,omitempty"`
	EmailHash  string `json:"email_hash,omitempty"`
}

const notExists = "attribute_not_exists(pk)"

// CreatePartner reserves the referral code and writes the partner in one transaction.
func (s *Store) CreatePartner(ctx context.Context, p partner.Partner) error {
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(codeItem{codeKey(p.ReferralCode), p.ID}), ConditionExpression: aws.String(notExists)}},
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(partnerItem{key: partnerKey(p.ID), Partner: p}), ConditionExpression: aws.String(notExists)}},
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

// AddClick counts a click on the partner's profile.
func (s *Store) AddClick(ctx context.Context, partnerID string, at time.Time) error {
	upd := expression.Add(expression.Name("clicks"), expression.Value(1)).
		Set(expression.Name("last_click_at"), expression.Value(at))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(expression.AttributeExists(expression.Name("pk"))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: partnerKey(partnerID).av(),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	return err
}

// PutLead records the lead under each customer key it has, keeping an
// earlier lead where one exists, and returns the lead that holds.
func (s *Store) PutLead(ctx context.Context, l referral.Lead) (referral.Lead, error) {
	for _, k := range leadKeys(l) {
		_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table,
			Item: mustMarshal(leadItem{key: k, Lead: l, CustomerID: l.CustomerID, EmailHash: l.EmailHash}), ConditionExpression: aws.String(notExists)})
		var ccf *types.ConditionalCheckFailedException
		if err != nil && !errors.As(err, &ccf) {
			return referral.Lead{}, err
		}
	}
	return s.LeadFor(ctx, l.EmailHash, l.CustomerID)
}

// LeadFor finds the lead for a customer, by e-mail hash first (it crosses
// devices and shops), then by customer id.
func (s *Store) LeadFor(ctx context.Context, emailHash, customerID string) (referral.Lead, error) {
	for _, k := range leadKeys(referral.Lead{EmailHash: emailHash, CustomerID: customerID}) {
		var it leadItem
		found, err := s.get(ctx, k, &it)
		if err != nil {
			return referral.Lead{}, fmt.Errorf("read lead: %w", err)
		}
		if found {
			it.Lead.CustomerID, it.Lead.EmailHash = it.CustomerID, it.EmailHash
			return it.Lead, nil
		}
	}
	return referral.Lead{}, referral.ErrNoLead
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
