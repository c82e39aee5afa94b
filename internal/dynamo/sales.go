package dynamo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
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
	keys := make([]key, 0, len(months))
	for _, m := range months {
		keys = append(keys, salesKey(partnerID, m))
	}
	err := s.batchGet(ctx, keys, func(item map[string]types.AttributeValue) error {
		month := strings.TrimPrefix(item["sk"].(*types.AttributeValueMemberS).Value, "SALES#")
		counters, err := countersOf(item)
		out[month] = counters
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
