package dynamo

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/apikey"
)

// APIKeys stores API keys under the hash of their secret, so checking a
// presented key is one read; an item per key id points at its hash for
// revocation, and gsi1 lists the keys.
//
//	api key        APIKEY#<sha256>     KEY             gsi1 APIKEYS / <id>
//	key id         APIKEYID#<id>       KEY
type APIKeys struct{ *table }

var _ apikey.Store = (*APIKeys)(nil)

const apiKeysListKey = "APIKEYS"

func apiKeyKey(hash string) key { return key{"APIKEY#" + hash, "KEY"} }
func apiKeyIDKey(id string) key { return key{"APIKEYID#" + id, "KEY"} }

type apiKeyItem struct {
	key
	apikey.Key
	Hash   string `dynamodbav:"hash"`
	GSI1PK string `dynamodbav:"gsi1pk"`
	GSI1SK string `dynamodbav:"gsi1sk"`
}

type apiKeyIDItem struct {
	key
	Hash string `dynamodbav:"hash"`
}

// PutKey stores a new key and its id's pointer in one transaction.
func (s *APIKeys) PutKey(ctx context.Context, k apikey.Key, hash string) error {
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.Table, ConditionExpression: aws.String(notExists),
			Item: mustMarshal(apiKeyItem{key: apiKeyKey(hash), Key: k, Hash: hash, GSI1PK: apiKeysListKey, GSI1SK: k.ID})}},
		{Put: &types.Put{TableName: &s.Table, ConditionExpression: aws.String(notExists), Item: mustMarshal(apiKeyIDItem{apiKeyIDKey(k.ID), hash})}},
	}})
	return err
}

// KeyByHash reads the key stored under hash.
func (s *APIKeys) KeyByHash(ctx context.Context, hash string) (apikey.Key, string, bool, error) {
	var it apiKeyItem
	found, err := s.get(ctx, apiKeyKey(hash), &it)
	return it.Key, it.Hash, found, err
}

// Keys lists every key by id.
func (s *APIKeys) Keys(ctx context.Context) ([]apikey.Key, error) {
	keys, err := queryAll(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value(apiKeysListKey))},
		func(it apiKeyItem) apikey.Key { return it.Key })
	if keys == nil {
		keys = []apikey.Key{}
	}
	return keys, err
}

// RevokeKey stamps the key revoked unless it already is.
func (s *APIKeys) RevokeKey(ctx context.Context, id string, at time.Time) (apikey.Key, error) {
	var ptr apiKeyIDItem
	if err := s.getExisting(ctx, apiKeyIDKey(id), &ptr, apikey.ErrNotFound); err != nil {
		return apikey.Key{}, err
	}
	expr, err := expression.NewBuilder().WithUpdate(expression.Set(expression.Name("revoked_at"), expression.Value(at))).
		WithCondition(expression.AttributeNotExists(expression.Name("revoked_at"))).Build()
	if err != nil {
		return apikey.Key{}, err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: apiKeyKey(ptr.Hash).av(),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	if ccf := (*types.ConditionalCheckFailedException)(nil); err != nil && !errors.As(err, &ccf) {
		return apikey.Key{}, err
	}
	var it apiKeyItem
	if _, err := s.get(ctx, apiKeyKey(ptr.Hash), &it); err != nil {
		return apikey.Key{}, err
	}
	return it.Key, nil
}
