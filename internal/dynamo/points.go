package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/ledger"
)

// A partner's points are one item beside its balances, PARTNER#<id> / POINTS,
// so a redemption can test and take available points in one condition.
func pointsKey(partnerID string) key { return key{"PARTNER#" + partnerID, "POINTS"} }

type pointsItem struct {
	key
	Earned    int64 `dynamodbav:"earned"`
	Reversed  int64 `dynamodbav:"reversed"`
	Pending   int64 `dynamodbav:"pending"`
	Available int64 `dynamodbav:"available"`
	Redeemed  int64 `dynamodbav:"redeemed"`
}

// pointsUpdate adds d to the partner's points; cond, if set, must hold.
func (s *table) pointsUpdate(partnerID string, d ledger.Points, cond *expression.ConditionBuilder) types.TransactWriteItem {
	upd := addNonZero(expression.Set(expression.Name("partner_id"), expression.Value(partnerID)), map[string]int64{
		"earned": d.Earned, "reversed": d.Reversed, "pending": d.Pending, "available": d.Available, "redeemed": d.Redeemed})
	return s.update(pointsKey(partnerID), upd, cond)
}

// Points reads a partner's points; none yet is all zero.
func (s *Ledger) Points(ctx context.Context, partnerID string) (ledger.Points, error) {
	var it pointsItem
	if _, err := s.get(ctx, pointsKey(partnerID), &it); err != nil {
		return ledger.Points{}, err
	}
	return ledger.Points{Earned: it.Earned, Reversed: it.Reversed, Pending: it.Pending, Available: it.Available, Redeemed: it.Redeemed}, nil
}
