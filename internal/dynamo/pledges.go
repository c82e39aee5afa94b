package dynamo

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/payout"
)

// Pledges live under PLEDGE#<ref>; open ones are listed in gsi2 under
// PLEDGES#OPEN. A batch that takes a pledge keeps a copy under
// BATCH#<id> / PLEDGE#<ref> that tracks its payment.
func pledgeKey(ref string) key               { return key{"PLEDGE#" + ref, "PLEDGE"} }
func batchPledgeKey(batchID, ref string) key { return key{"BATCH#" + batchID, "PLEDGE#" + ref} }

type pledgeItem struct {
	key
	payout.Pledge
	BatchID string `json:"batch_id,omitempty" dynamodbav:"batch_id,omitempty"`
	GSI2PK  string `json:"gsi2pk,omitempty" dynamodbav:"gsi2pk,omitempty"`
	GSI2SK  string `json:"gsi2sk,omitempty" dynamodbav:"gsi2sk,omitempty"`
}

func openPledgeIndex(p payout.Pledge) (string, string) {
	return sharded(openPledgesBase, p.Ref), sortableTime(p.At) + "#" + p.Ref
}

// errPledgedBefore is a pledge whose ref was pledged before.
var errPledgedBefore = errors.New("pledged before")

// PutPledge records a pledge once per ref, with its events.
func (s *Pledges) PutPledge(ctx context.Context, p payout.Pledge, events ...outbox.Event) (bool, error) {
	it := pledgeItem{key: pledgeKey(p.Ref), Pledge: p}
	it.GSI2PK, it.GSI2SK = openPledgeIndex(p)
	put := &types.Put{TableName: &s.Table, Item: mustMarshal(it), ConditionExpression: aws.String(notExists)}
	if len(events) > 0 {
		err := s.transact(ctx, append([]types.TransactWriteItem{{Put: put}}, s.eventPuts(events)...), map[int]error{0: errPledgedBefore})
		if errors.Is(err, errPledgedBefore) {
			return false, nil
		}
		return err == nil, err
	}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	return err == nil, err
}

// OpenPledges lists pledges no batch has taken yet.
func (s *Pledges) OpenPledges(ctx context.Context) ([]payout.Pledge, error) {
	open, err := inShards(openPledgesBase, func(k string) ([]pledgeItem, error) {
		return queryAll(ctx, s.table, lookup{index: "gsi2", key: expression.Key("gsi2pk").Equal(expression.Value(k))}, func(it pledgeItem) pledgeItem { return it })
	})
	slices.SortFunc(open, func(a, b pledgeItem) int { return strings.Compare(a.GSI2SK, b.GSI2SK) })
	pledges := make([]payout.Pledge, 0, len(open))
	for _, it := range open {
		pledges = append(pledges, it.Pledge)
	}
	return pledges, err
}

// AttachPledge gives an open pledge to a batch, unless another batch took it.
func (s *Pledges) AttachPledge(ctx context.Context, p payout.Pledge, batchID string) (bool, error) {
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("batch_id"), expression.Value(batchID)).
			Remove(expression.Name("gsi2pk")).Remove(expression.Name("gsi2sk"))).
		WithCondition(expression.AttributeNotExists(expression.Name("batch_id"))).Build()
	if err != nil {
		return false, err
	}
	p.Status = payout.LegDue
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.Table, Key: pledgeKey(p.Ref).av(), UpdateExpression: expr.Update(),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}},
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(pledgeItem{key: batchPledgeKey(batchID, p.Ref), Pledge: p})}},
	}})
	if _, ok := cancelledAt(err); ok || isTransactionConflict(err) {
		return false, nil
	}
	return err == nil, err
}

// DetachPledge reopens a pledge whose draft batch is cancelled.
func (s *Pledges) DetachPledge(ctx context.Context, p payout.Pledge, batchID string) error {
	pk, sk := openPledgeIndex(p)
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Remove(expression.Name("batch_id")).
			Set(expression.Name("gsi2pk"), expression.Value(pk)).Set(expression.Name("gsi2sk"), expression.Value(sk))).
		WithCondition(expression.Name("batch_id").Equal(expression.Value(batchID))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.Table, Key: pledgeKey(p.Ref).av(), UpdateExpression: expr.Update(),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}},
		{Delete: &types.Delete{TableName: &s.Table, Key: batchPledgeKey(batchID, p.Ref).av()}},
	}})
	if _, ok := cancelledAt(err); ok {
		return nil // already returned
	}
	return err
}

// SettlePledge marks a batch's pledge paid and files its payment, once.
func (s *Pledges) SettlePledge(ctx context.Context, p payout.Pledge, batchID string, paid payout.Payment) error {
	expr, err := expression.NewBuilder().WithUpdate(expression.Set(expression.Name("status"), expression.Value(payout.LegPaid))).
		WithCondition(expression.Name("status").Equal(expression.Value(payout.LegDue))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append([]types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.Table, Key: batchPledgeKey(batchID, p.Ref).av(), UpdateExpression: expr.Update(),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}},
	}, s.filePayment(paid)...)})
	if failed, _ := cancelledAt(err); failed[0] {
		return nil // already paid
	}
	return err
}
