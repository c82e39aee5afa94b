package dynamo

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/program"
)

// Program versions live under PROGRAM: one item per version (the history)
// and CURRENT, a copy of the newest, so reading the program is one GetItem.
var programCurrentKey = key{"PROGRAM", "CURRENT"}

func programVersionKey(v int64) key { return key{"PROGRAM", fmt.Sprintf("V#%010d", v)} }

type programItem struct {
	key
	Version   int64     `json:"version" dynamodbav:"version"`
	UpdatedBy string    `json:"updated_by" dynamodbav:"updated_by"`
	UpdatedAt time.Time `json:"updated_at" dynamodbav:"updated_at"`
	// The definition is stored as its JSON text: it is read and written
	// whole, and keeping it opaque keeps the item shape stable as rules grow.
	Definition string `json:"definition" dynamodbav:"definition"`
}

// CurrentProgram reads the newest saved program version.
func (s *Programs) CurrentProgram(ctx context.Context) (program.Versioned, bool, error) {
	var it programItem
	found, err := s.get(ctx, programCurrentKey, &it)
	if err != nil || !found {
		return program.Versioned{}, false, err
	}
	v, err := it.versioned()
	return v, err == nil, err
}

func (it programItem) versioned() (program.Versioned, error) {
	v := program.Versioned{Version: it.Version, UpdatedBy: it.UpdatedBy, UpdatedAt: it.UpdatedAt}
	if err := json.Unmarshal([]byte(it.Definition), &v.Program); err != nil {
		return program.Versioned{}, fmt.Errorf("stored program v%d: %w", it.Version, err)
	}
	return v, nil
}

// ProgramVersions pages through the history items, newest first.
func (s *Programs) ProgramVersions(ctx context.Context, limit int32, cursor string) ([]program.Versioned, string, error) {
	var bad error
	list, next, err := queryPage(ctx, s.table, lookup{key: expression.Key("pk").Equal(expression.Value("PROGRAM")).
		And(expression.Key("sk").BeginsWith("V#")), newestSort: true}, limit, cursor,
		func(it programItem) program.Versioned {
			v, err := it.versioned()
			bad = cmp.Or(bad, err)
			return v
		})
	return list, next, cmp.Or(err, bad)
}

// PutVersion appends v to the history and makes it current, only if the
// current version is still the one before it.
func (s *Programs) PutVersion(ctx context.Context, v program.Versioned) error {
	def, err := json.Marshal(v.Program)
	if err != nil {
		return err
	}
	it := programItem{Version: v.Version, UpdatedBy: v.UpdatedBy, UpdatedAt: v.UpdatedAt, Definition: string(def)}
	history, current := it, it
	history.key, current.key = programVersionKey(v.Version), programCurrentKey
	put := &types.Put{TableName: &s.Table, Item: mustMarshal(current)}
	if v.Version == 1 {
		put.ConditionExpression = aws.String(notExists)
	} else {
		put.ConditionExpression = aws.String("version = :prev")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": &types.AttributeValueMemberN{Value: fmt.Sprint(v.Version - 1)}}
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(history), ConditionExpression: aws.String(notExists)}},
		{Put: put},
	}})
	if _, ok := cancelledAt(err); ok || isTransactionConflict(err) {
		return program.ErrVersionConflict
	}
	return err
}
