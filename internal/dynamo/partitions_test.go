package dynamo

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/evidence"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/referral"
)

// DynamoDB's limits per partition: a partition key (of the table or an
// index) that takes more than this in a second is throttled, and one that
// runs at the limit has no room for a burst, so reaching it fails.
const (
	partitionWritesPerSecond = 1000
	partitionReadsPerSecond  = 3000
)

// partitionLoad counts, per simulated second, the writes and reads each
// partition key (of the table, or of an index, prefixed with its name) takes.
type partitionLoad struct {
	writes, reads map[int]map[string]int
}

func newPartitionLoad() *partitionLoad {
	return &partitionLoad{writes: map[int]map[string]int{}, reads: map[int]map[string]int{}}
}

func count(m map[int]map[string]int, second int, pks ...string) {
	if m[second] == nil {
		m[second] = map[string]int{}
	}
	for _, pk := range pks {
		if pk != "" {
			m[second][pk]++
		}
	}
}

// busiest is the partition key with the most operations in any second.
func busiest(m map[int]map[string]int) (string, int) {
	var top string
	n := 0
	for _, keys := range m {
		for pk, c := range keys {
			if c > n {
				top, n = pk, c
			}
		}
	}
	return top, n
}

func (l *partitionLoad) check(t *testing.T, scenario string) {
	t.Helper()
	wk, w := busiest(l.writes)
	rk, r := busiest(l.reads)
	t.Logf("%s: busiest partition key takes %d writes/s (%s) and %d reads/s (%s)", scenario, w, wk, r, rk)
	if w >= partitionWritesPerSecond {
		t.Errorf("%s: %s takes %d writes in a second; a partition takes %d", scenario, wk, w, partitionWritesPerSecond)
	}
	if r >= partitionReadsPerSecond {
		t.Errorf("%s: %s takes %d reads in a second; a partition takes %d", scenario, rk, r, partitionReadsPerSecond)
	}
}

// TestNoPartitionKeyRunsHotAtTheLargestProgramsScale drives the adapter's
// own key functions (not the store) with the traffic of the largest
// programs and fails if any partition key would take more than DynamoDB
// allows a partition:
//   - Black Friday: 1,000 attributed orders/s for 60 s over 1,000,000
//     partners, one in ten orders going to one star partner, every order a
//     new customer (the order path's one read and one transaction);
//   - a viral link: 5,000 clicks/s for 60 s on one code from as many
//     visitors, served by 100 redirect instances (5,000/s at 20 ms each),
//     each keeping the code CodeCacheTTL;
//   - a payout batch over 1,000,000 partners: its items are reserved one
//     transaction at a time, at most 200 a second (5 ms each, faster than
//     DynamoDB's transactions run).
func TestNoPartitionKeyRunsHotAtTheLargestProgramsScale(t *testing.T) {
	const (
		seconds  = 60
		partners = 1_000_000
	)
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	partnerID := func(i int) string { return fmt.Sprintf("pt_%07d", i) }

	orders := newPartitionLoad()
	for s := range seconds {
		now := start.Add(time.Duration(s) * time.Second)
		for i := range 1000 {
			p := rng.IntN(partners)
			if i%10 == 0 {
				p = 42 // the star partner
			}
			id, order := partnerID(p), fmt.Sprintf("ord_%d_%d", s, i)
			customer := evidence.Query{EmailHash: fmt.Sprintf("h%d_%d", s, i), CustomerID: fmt.Sprintf("c%d_%d", s, i)}
			// one read: the order, its code, the customer's evidence
			count(orders.reads, s, orderKey("shopify", order).PK, codeKey("CODE"+id).PK)
			for _, k := range evidenceKeys(customer.EmailHash, customer.CustomerID) {
				count(orders.reads, s, k.PK)
			}
			// one transaction: the order (and its three index entries, the
			// day's digest among them), the balance, points, sales, the
			// evidence under the e-mail
			it := toOrderItem(ledger.OrderRecord{Source: "shopify", OrderID: order, PartnerID: id, Paid: true,
				Status: ledger.AccrualPending, PaidAt: now, PayableAt: now.Add(30 * 24 * time.Hour),
				Day: ledger.DayCommission{Day: now.Format(time.DateOnly), Booked: 100}})
			count(orders.writes, s, it.PK, "gsi1 "+it.GSI1PK, "gsi2 "+it.GSI2PK, "gsi3 "+it.GSI3PK,
				balanceKey(id, "EUR").PK, pointsKey(id).PK, salesKey(id, "2026-11").PK, evidenceKeys(customer.EmailHash, "")[0].PK)
		}
	}
	orders.check(t, "1,000 orders/s")

	clicks := newPartitionLoad()
	const instances = 100
	cachedAt := make([]time.Time, instances)
	for s := range seconds {
		for i := range 5000 {
			at := start.Add(time.Duration(s)*time.Second + time.Duration(i)*200*time.Microsecond)
			if in := i % instances; cachedAt[in].IsZero() || at.Sub(cachedAt[in]) >= referral.CodeCacheTTL {
				count(clicks.reads, s, codeKey("VIRAL").PK)
				cachedAt[in] = at
			}
			count(clicks.writes, s, clickCounterKey("pt_0000001", fmt.Sprintf("visitor_%d_%d", s, i), at).PK)
		}
	}
	clicks.check(t, "5,000 clicks/s on one code")

	batch := newPartitionLoad()
	const reservedPerSecond = 200
	for p := range partners {
		s, id := p/reservedPerSecond, partnerID(p)
		// the batch header's partition takes every item; the balance moves
		count(batch.writes, s, itemKey("b1", "it_"+id).PK, balanceKey(id, "EUR").PK)
		count(batch.reads, s, balanceKey(id, "EUR").PK, partnerKey(id).PK)
	}
	batch.check(t, "a 1,000,000-partner batch")
}
