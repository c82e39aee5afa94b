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

	"github.com/partnerloop/partnerloop/internal/group"
)

// Groups stores partner groups: like the program, one item per version
// and CURRENT, a copy of the newest, listed under one index key; and one
// item per slug, which keeps slugs unique.
type Groups struct{ *table }

var _ group.Store = (*Groups)(nil)

const groupsListKey = "GROUPS"

func groupCurrentKey(id string) key          { return key{"GROUP#" + id, "CURRENT"} }
func groupVersionKey(id string, v int64) key { return key{"GROUP#" + id, fmt.Sprintf("V#%010d", v)} }
func slugKey(slug string) key                { return key{"SLUG#" + slug, "SLUG"} }

type groupItem struct {
	key
	Version   int64     `dynamodbav:"version"`
	UpdatedBy string    `dynamodbav:"updated_by"`
	UpdatedAt time.Time `dynamodbav:"updated_at"`
	// The definition is kept as its JSON text, as the program's is.
	Definition string `dynamodbav:"definition"`
	GSI1PK     string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK     string `dynamodbav:"gsi1sk,omitempty"`
}

type slugItem struct {
	key
	GroupID string `dynamodbav:"group_id"`
}

func (it groupItem) versioned() (group.Versioned, error) {
	v := group.Versioned{Version: it.Version, UpdatedBy: it.UpdatedBy, UpdatedAt: it.UpdatedAt}
	if err := json.Unmarshal([]byte(it.Definition), &v.Group); err != nil {
		return group.Versioned{}, fmt.Errorf("stored group %s v%d: %w", it.PK, it.Version, err)
	}
	return v, nil
}

// Group reads a group's current version.
func (s *Groups) Group(ctx context.Context, id string, consistent bool) (group.Versioned, bool, error) {
	var it groupItem
	found, err := s.read(ctx, groupCurrentKey(id), consistent, &it)
	if err != nil || !found {
		return group.Versioned{}, false, err
	}
	v, err := it.versioned()
	return v, err == nil, err
}

// Groups pages through the current versions by id.
func (s *Groups) Groups(ctx context.Context, limit int32, cursor string) ([]group.Versioned, string, error) {
	var bad error
	list, next, err := queryPage(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value(groupsListKey))},
		limit, cursor, func(it groupItem) group.Versioned {
			v, err := it.versioned()
			bad = cmp.Or(bad, err)
			return v
		})
	return list, next, cmp.Or(err, bad)
}

// PutVersion appends v to the group's history and makes it current, only
// if the current version is still the one before it, moving the slug in
// the same transaction.
func (s *Groups) PutVersion(ctx context.Context, v group.Versioned, previousSlug string) error {
	def, err := json.Marshal(v.Group)
	if err != nil {
		return err
	}
	history := groupItem{key: groupVersionKey(v.ID, v.Version), Version: v.Version, UpdatedBy: v.UpdatedBy, UpdatedAt: v.UpdatedAt, Definition: string(def)}
	current := history
	current.key, current.GSI1PK, current.GSI1SK = groupCurrentKey(v.ID), groupsListKey, v.ID
	put := &types.Put{TableName: &s.Table, Item: mustMarshal(current), ConditionExpression: aws.String(notExists)}
	if v.Version > 1 {
		put.ConditionExpression = aws.String("version = :prev")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": &types.AttributeValueMemberN{Value: fmt.Sprint(v.Version - 1)}}
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(history), ConditionExpression: aws.String(notExists)}},
		{Put: put},
	}
	if v.Slug != previousSlug {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(slugItem{slugKey(v.Slug), v.ID}),
			ConditionExpression: aws.String(notExists)}})
		if previousSlug != "" {
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: slugKey(previousSlug).av(),
				ConditionExpression:       aws.String("group_id = :g"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":g": &types.AttributeValueMemberS{Value: v.ID}}}})
		}
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	failed, ok := cancelledAt(err)
	switch {
	case ok && (failed[0] || failed[1]), isTransactionConflict(err):
		return group.ErrVersionConflict
	case ok && failed[2]:
		return group.ErrSlugTaken
	case ok:
		return group.ErrVersionConflict // the old slug moved: another save won
	}
	return err
}
