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
//	partner's code  DISCOUNT#<partner>     CODE#<level>  gsi1 DISCOUNTS#<level> / <code>
//	listed code     CODELIST#<group>       <code>        gsi1 FREECODES#<group> / <code>  while free
type Discounts struct{ *table }

var _ discount.Store = (*Discounts)(nil)

func partnerCodeKey(partnerID, level string) key {
	return key{"DISCOUNT#" + partnerID, "CODE#" + level}
}
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
func (s *Discounts) PartnerCode(ctx context.Context, partnerID, level string) (discount.Code, bool, error) {
	var it partnerCodeItem
	found, err := s.get(ctx, partnerCodeKey(partnerID, level), &it)
	return it.Code, found, err
}

// putPartnerCode writes the partner's code unless it has one.
func (s *Discounts) putPartnerCode(c discount.Code) *types.Put {
	return &types.Put{TableName: &s.Table, ConditionExpression: aws.String(notExists),
		Item: mustMarshal(partnerCodeItem{key: partnerCodeKey(c.PartnerID, c.Level), Code: c, GSI1PK: "DISCOUNTS#" + c.Level, GSI1SK: c.Code})}
}

// PutPartnerCode keeps the partner's code unless it has one.
func (s *Discounts) PutPartnerCode(ctx context.Context, c discount.Code) error {
	put := s.putPartnerCode(c)
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression})
	if ccf := (*types.ConditionalCheckFailedException)(nil); errors.As(err, &ccf) {
		return discount.ErrIssued
	}
	return err
}

// LevelCodes lists the codes partners hold under the level's discount, by code.
func (s *Discounts) LevelCodes(ctx context.Context, level string) ([]discount.Code, error) {
	codes, err := queryAll(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("DISCOUNTS#" + level))},
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

// ClaimCode takes a free code and writes it as the partner's in one
// transaction: the conditional update of the listed code keeps it to one
// partner, the conditional put of the partner's code keeps the partner to
// one code; the index (eventually consistent) only suggests candidates.
func (s *Discounts) ClaimCode(ctx context.Context, groupID string, c discount.Code) (discount.Code, error) {
	for range 8 {
		free, _, err := queryPage(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("FREECODES#" + groupID))},
			claimPage, "", func(it listedCodeItem) string { return it.GSI1SK })
		if err != nil {
			return discount.Code{}, err
		}
		if len(free) == 0 {
			return discount.Code{}, discount.ErrExhausted
		}
		rand.Shuffle(len(free), func(i, j int) { free[i], free[j] = free[j], free[i] })
		for _, code := range free {
			c.Code = code
			taken, err := s.take(ctx, groupID, c)
			if errors.Is(err, discount.ErrIssued) {
				won, _, err := s.PartnerCode(ctx, c.PartnerID, c.Level)
				return won, err
			}
			if err != nil || taken {
				return c, err
			}
		}
	}
	return discount.Code{}, discount.ErrExhausted
}

// take gives the listed code to c's partner and writes it as the
// partner's code; false when another partner took the code first,
// discount.ErrIssued when the partner has a code already.
func (s *Discounts) take(ctx context.Context, groupID string, c discount.Code) (bool, error) {
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("partner_id"), expression.Value(c.PartnerID)).Remove(expression.Name("gsi1pk")).Remove(expression.Name("gsi1sk"))).
		WithCondition(expression.AttributeExists(expression.Name("pk")).And(expression.AttributeNotExists(expression.Name("partner_id")))).Build()
	if err != nil {
		return false, err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.Table, Key: listedCodeKey(groupID, c.Code).av(), UpdateExpression: expr.Update(),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}},
		{Put: s.putPartnerCode(c)},
	}})
	failed, cancelled := cancelledAt(err)
	switch {
	case cancelled && failed[1]:
		return false, discount.ErrIssued
	case cancelled:
		return false, nil
	case isTransactionConflict(err):
		return false, nil // a concurrent claim of the same code; the next candidate
	}
	return err == nil, err
}
