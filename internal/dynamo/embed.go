package dynamo

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/embed"
)

// Embed stores widget tokens, which DynamoDB drops after they expire, and
// a shop's customers by their external id.
//
//	widget token   EMBEDTOKEN#<sha256>            TOKEN     (expires)
//	customer       CUSTOMER#<group>#<external id>  CUSTOMER
type Embed struct{ *table }

var _ embed.Store = (*Embed)(nil)

func embedTokenKey(hash string) key { return key{"EMBEDTOKEN#" + hash, "TOKEN"} }
func customerKey(groupID, externalID string) key {
	return key{"CUSTOMER#" + groupID + "#" + externalID, "CUSTOMER"}
}

type embedTokenItem struct {
	key
	embed.Token
	TTL int64 `dynamodbav:"expires_at"` // the table's TTL attribute
}

type customerItem struct {
	key
	embed.Claim
}

// PutToken keeps a token until it expires.
func (s *Embed) PutToken(ctx context.Context, hash string, t embed.Token) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, ConditionExpression: aws.String(notExists),
		Item: mustMarshal(embedTokenItem{key: embedTokenKey(hash), Token: t, TTL: t.ExpiresAt.Unix()})})
	return err
}

// TokenByHash reads a token.
func (s *Embed) TokenByHash(ctx context.Context, hash string) (embed.Token, bool, error) {
	var it embedTokenItem
	found, err := s.get(ctx, embedTokenKey(hash), &it)
	return it.Token, found, err
}

// ClaimCustomer writes the claim if the customer has none or a stale one
// without a partner; otherwise it reads the claim there is.
func (s *Embed) ClaimCustomer(ctx context.Context, groupID, externalID string, at, staleBefore time.Time) (embed.Claim, bool, error) {
	k := customerKey(groupID, externalID)
	cond := expression.AttributeNotExists(expression.Name("pk")).Or(
		expression.AttributeNotExists(expression.Name("partner_id")).And(expression.Name("claimed_at").LessThan(expression.Value(staleBefore))))
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return embed.Claim{}, false, err
	}
	claim := embed.Claim{ClaimedAt: at.UTC()}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: mustMarshal(customerItem{k, claim}),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	if ccf := (*types.ConditionalCheckFailedException)(nil); errors.As(err, &ccf) {
		var it customerItem
		_, err := s.get(ctx, k, &it)
		return it.Claim, false, err
	}
	return claim, err == nil, err
}

// SetCustomer records the partner the claim created.
func (s *Embed) SetCustomer(ctx context.Context, groupID, externalID, partnerID string) error {
	expr, err := expression.NewBuilder().WithUpdate(expression.Set(expression.Name("partner_id"), expression.Value(partnerID))).
		WithCondition(expression.AttributeNotExists(expression.Name("partner_id"))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: customerKey(groupID, externalID).av(),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	return err
}
