package dynamo

import (
	"context"
	"strings"

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
	return it.points(), nil
}

func (it pointsItem) points() ledger.Points {
	return ledger.Points{Earned: it.Earned, Reversed: it.Reversed, Pending: it.Pending, Available: it.Available, Redeemed: it.Redeemed}
}

// PointsOf reads the points of a page of partners with one BatchGetItem per
// 100, eventually consistent as a listing may be; a partner without points
// yet is left out. Keeping points on the partner item instead would save
// this read but rewrite the partner, and its list index, with every order.
func (s *Ledger) PointsOf(ctx context.Context, partnerIDs []string) (map[string]ledger.Points, error) {
	keys := make([]key, 0, len(partnerIDs))
	for _, id := range partnerIDs {
		keys = append(keys, pointsKey(id))
	}
	out := make(map[string]ledger.Points, len(keys))
	err := s.batchRead(ctx, keys, false, func(item map[string]types.AttributeValue) error {
		var it pointsItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		out[strings.TrimPrefix(it.PK, "PARTNER#")] = it.points()
		return nil
	})
	return out, err
}
