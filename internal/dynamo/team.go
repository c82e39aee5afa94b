package dynamo

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/team"
)

// Team stores the staff: a member under TEAM#<id>, listed by e-mail in
// gsi1 (TEAM), and an item per e-mail address that keeps it to one member.
// Locally it is also the directory the development sign-in lists.
type Team struct{ *table }

type memberItem struct {
	key
	team.Member
	GSI1PK string `dynamodbav:"gsi1pk"`
	GSI1SK string `dynamodbav:"gsi1sk"`
}

func memberKey(id string) key         { return key{"TEAM#" + id, "MEMBER"} }
func memberEmailKey(email string) key { return key{"TEAMEMAIL#" + email, "EMAIL"} }

func toMemberItem(m team.Member) memberItem {
	return memberItem{key: memberKey(m.ID), Member: m, GSI1PK: "TEAM", GSI1SK: m.Email}
}

// Put adds a member; an e-mail address another member has is team.ErrExists.
func (s *Team) Put(ctx context.Context, m team.Member) error {
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(memberEmailKey(m.Email)), ConditionExpression: aws.String(notExists)}},
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(toMemberItem(m)), ConditionExpression: aws.String(notExists)}},
	}})
	if _, ok := cancelledAt(err); ok {
		return team.ErrExists
	}
	return err
}

// Get reads one member.
func (s *Team) Get(ctx context.Context, id string) (team.Member, error) {
	var it memberItem
	if err := s.getExisting(ctx, memberKey(id), &it, team.ErrNotFound); err != nil {
		return team.Member{}, err
	}
	return it.Member, nil
}

// List reads the whole team, by e-mail.
func (s *Team) List(ctx context.Context) ([]team.Member, error) {
	out, err := queryAll(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("TEAM"))},
		func(it memberItem) team.Member { return it.Member })
	if out == nil {
		out = []team.Member{}
	}
	return out, err
}

// Replace writes a member's new name and roles if it is still as read.
func (s *Team) Replace(ctx context.Context, was, m team.Member) error {
	expr, err := expression.NewBuilder().WithCondition(expression.Name("updated_at").Equal(expression.Value(was.UpdatedAt))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: mustMarshal(toMemberItem(m)),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	if ccf := (*types.ConditionalCheckFailedException)(nil); errors.As(err, &ccf) {
		return team.ErrConcurrentChange
	}
	return err
}

// Delete removes a member and their e-mail address.
func (s *Team) Delete(ctx context.Context, m team.Member) error {
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &s.Table, Key: memberKey(m.ID).av()}},
		{Delete: &types.Delete{TableName: &s.Table, Key: memberEmailKey(m.Email).av()}},
	}})
	return err
}
