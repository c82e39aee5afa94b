package dynamo

import (
	"fmt"
	"testing"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// TestBusyIndexKeysStayUnderAPartitionsWriteLimit simulates a peak: 1,000
// orders a second for 60 seconds over 1,000,000 partners. Every order
// writes its due key and its partner's balances key; no index partition
// may take more than DynamoDB's 1,000 writes a second.
func TestBusyIndexKeysStayUnderAPartitionsWriteLimit(t *testing.T) {
	const ordersPerSecond, seconds, partners = 1000, 60, 1_000_000
	for second := range seconds {
		writes := map[string]int{}
		for i := range ordersPerSecond {
			order := second*ordersPerSecond + i
			writes[dueKey("shopify", fmt.Sprint("order-", order))]++
			writes[balancesKey("EUR", fmt.Sprintf("pt_%07d", (order*7919)%partners))]++
		}
		for key, n := range writes {
			if n > 1000 {
				t.Fatalf("second %d: %s takes %d writes", second, key, n)
			}
		}
		if second == 0 {
			busiest := 0
			for _, n := range writes {
				busiest = max(busiest, n)
			}
			t.Logf("%d index keys take the peak; the busiest %d writes/s (limit 1,000)", len(writes), busiest)
			if len(writes) != 2*appspec.MainTable.IndexShards {
				t.Errorf("the peak lands on %d keys, want %d", len(writes), 2*appspec.MainTable.IndexShards)
			}
		}
	}
}
