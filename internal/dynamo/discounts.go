package dynamo

import (
	"context"
	"errors"
	"math/rand/v2"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/discount"
)

// Discounts stores partners' discount codes and groups' code lists.
//
//	partner's code  DISCOUNT#<partner>     CODE     gsi1 DISCOUNTS#<group> / <code>
//	listed code     CODELIST#<group>       <code>   gsi1 FREECODES#<group> / <code>  while free
type Discounts struct{ *table }

var _ discount.Store = (*Discounts)(nil)

func partnerCodeKey(partnerID string) key    { return key{"DISCOUNT#" + partnerID, "CODE"} }
func listedCodeKey(groupID, code string) key { return key{"CODELIST#" + groupID, code} }

type partnerCodeItem struct {
	key
	discount.Code
	GSI1PK string `dynamodbav:"gsi1pk"`
	GSI1SK string `dynamodbav:"gsi1sk"`
}

type listedCodeItem struct {
	key
	PartnerID string `dynamodbav:"partner_id,omitempty"`
	GSI1PK    string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK    string `dynamodbav:"gsi1sk,omitempty"`
}

// PartnerCode reads the partner's code.
func (s *Discounts) PartnerCode(ctx context.Context, partnerID string) (discount.Code, bool, error) {
	var it partnerCodeItem
	found, err := s.get(ctx, partnerCodeKey(partnerID), &it)
	return it.Code, found, err
}

// PutPartnerCode keeps the partner's code unless it has one.
func (s *Discounts) PutPartnerCode(ctx context.Context, c discount.Code) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, ConditionExpression: aws.String(notExists),
		Item: mustMarshal(partnerCodeItem{key: partnerCodeKey(c.PartnerID), Code: c, GSI1PK: "DISCOUNTS#" + c.GroupID, GSI1SK: c.Code})})
	if ccf := (*types.ConditionalCheckFailedException)(nil); errors.As(err, &ccf) {
		return discount.ErrIssued
	}
	return err
}

// GroupCodes lists the codes the group's partners hold, by code.
func (s *Discounts) GroupCodes(ctx context.Context, groupID string) ([]discount.Code, error) {
	codes, err := queryAll(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("DISCOUNTS#" + groupID))},
		func(it partnerCodeItem) discount.Code { return it.Code })
	if codes == nil {
		codes = []discount.Code{}
	}
	return codes, err
}

// AddCodes puts each code on the list unless it is there already.
func (s *Discounts) AddCodes(ctx context.Context, groupID string, codes []string) (int, error) {
	added := 0
	for _, c := range codes {
		_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, ConditionExpression: aws.String(notExists),
			Item: mustMarshal(listedCodeItem{key: listedCodeKey(groupID, c), GSI1PK: "FREECODES#" + groupID, GSI1SK: c})})
		if ccf := (*types.ConditionalCheckFailedException)(nil); errors.As(err, &ccf) {
			continue
		}
		if err != nil {
			return added, err
		}
		added++
	}
	return added, nil
}

// claimPage is how many free codes a claim reads; it tries them in a
// random order, so concurrent claims seldom collide.
const claimPage = 25

// ClaimCode takes a free code: the conditional update that gives it a
// partner is what keeps it to one; the index (eventually consistent) only
// suggests candidates.
func (s *Discounts) ClaimCode(ctx context.Context, groupID, partnerID string) (string, error) {
	for range 8 {
		free, _, err := queryPage(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("FREECODES#" + groupID))},
			claimPage, "", func(it listedCodeItem) string { return it.GSI1SK })
		if err != nil {
			return "", err
		}
		if len(free) == 0 {
			return "", discount.ErrExhausted
		}
		rand.Shuffle(len(free), func(i, j int) { free[i], free[j] = free[j], free[i] })
		for _, code := range free {
			taken, err := s.take(ctx, groupID, code, partnerID)
			if err != nil || taken {
				return code, err
			}
		}
	}
	return "", discount.ErrExhausted
}

func (s *Discounts) take(ctx context.Context, groupID, code, partnerID string) (bool, error) {
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("partner_id"), expression.Value(partnerID)).Remove(expression.Name("gsi1pk")).Remove(expression.Name("gsi1sk"))).
		WithCondition(expression.AttributeExists(expression.Name("pk")).And(expression.AttributeNotExists(expression.Name("partner_id")))).Build()
	if err != nil {
		return false, err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: listedCodeKey(groupID, code).av(),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	if ccf := (*types.ConditionalCheckFailedException)(nil); errors.As(err, &ccf) {
		return false, nil
	}
	return err == nil, err
}

// ReleaseCode makes a code the partner took free again.
func (s *Discounts) ReleaseCode(ctx context.Context, groupID, code, partnerID string) error {
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Remove(expression.Name("partner_id")).Set(expression.Name("gsi1pk"), expression.Value("FREECODES#"+groupID)).Set(expression.Name("gsi1sk"), expression.Value(code))).
		WithCondition(expression.Name("partner_id").Equal(expression.Value(partnerID))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: listedCodeKey(groupID, code).av(),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	return err
}
