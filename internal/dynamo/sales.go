package dynamo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/ledger"
)

// Monthly sales counters live beside the partner: PARTNER#<id> / SALES#<month>,
// one numeric attribute per counter ("net:EUR", "units:tools", ...).
func salesKey(partnerID, month string) key { return key{"PARTNER#" + partnerID, "SALES#" + month} }

// salesUpdate adds the delta to the month's counters. Counter names are
// free text (categories), so they go through attribute-name placeholders.
func (s *table) salesUpdate(d ledger.SalesDelta) types.TransactWriteItem {
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	var adds []string
	for i, name := range slices.Sorted(maps.Keys(d.Counters)) {
		names[fmt.Sprintf("#c%d", i)] = name
		values[fmt.Sprintf(":c%d", i)] = &types.AttributeValueMemberN{Value: fmt.Sprint(d.Counters[name])}
		adds = append(adds, fmt.Sprintf("#c%d :c%d", i, i))
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: &s.Table, Key: salesKey(d.PartnerID, d.Month).av(),
		UpdateExpression: aws.String("ADD " + strings.Join(adds, ", ")), ExpressionAttributeNames: names, ExpressionAttributeValues: values}}
}

// MonthlySales reads a partner's counters for the given months; a month
// without sales is absent.
func (s *Ledger) MonthlySales(ctx context.Context, partnerID string, months []string) (map[string]map[string]int64, error) {
	out := map[string]map[string]int64{}
	for chunk := range slices.Chunk(months, 100) {
		keys := make([]map[string]types.AttributeValue, 0, len(chunk))
		for _, m := range chunk {
			keys = append(keys, salesKey(partnerID, m).av())
		}
		req := map[string]types.KeysAndAttributes{s.Table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
		for len(req) > 0 {
			res, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, err
			}
			for _, item := range res.Responses[s.Table] {
				month := strings.TrimPrefix(item["sk"].(*types.AttributeValueMemberS).Value, "SALES#")
				counters := map[string]int64{}
				for name, v := range item {
					if n, ok := v.(*types.AttributeValueMemberN); ok {
						var x int64
						if _, err := fmt.Sscan(n.Value, &x); err != nil {
							return nil, fmt.Errorf("sales counter %s: %w", name, err)
						}
						counters[name] = x
					}
				}
				out[month] = counters
			}
			req = res.UnprocessedKeys
		}
	}
	return out, nil
}
