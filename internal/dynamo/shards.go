package dynamo

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"

	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/money"
)

// Index keys every order writes are sharded, so no index partition takes
// more than its share of the order rate: an item goes to the shard its
// own id hashes to, and readers query every shard (and the unsharded key
// that items written before sharding still carry) in parallel.
const (
	dueBase      = "DUE"
	balancesBase = "BALANCES#"
)

// shardOf spreads ids evenly over the shards.
func shardOf(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id)) // a hash never fails to write
	return int(h.Sum32() % uint32(appspec.MainTable.IndexShards))
}

func sharded(base, id string) string { return fmt.Sprintf("%s#%02d", base, shardOf(id)) }

// dueKey is the pending-accrual index key of an order.
func dueKey(source, orderID string) string { return sharded(dueBase, source+"#"+orderID) }

// balancesKey is the index key listing a partner's balance in a currency.
func balancesKey(cur money.Currency, partnerID string) string {
	return sharded(balancesBase+string(cur), partnerID)
}

// shardKeys are every key a sharded index key is read under.
func shardKeys(base string) []string {
	keys := []string{base}
	for i := range appspec.MainTable.IndexShards {
		keys = append(keys, fmt.Sprintf("%s#%02d", base, i))
	}
	return keys
}

// inShards runs read once for every key of a sharded index key, in
// parallel, and joins what they found.
func inShards[T any](base string, read func(key string) ([]T, error)) ([]T, error) {
	return inParallel(shardKeys(base), read)
}

// inParallel runs read once per key, all at once, and joins what they
// found in the keys' order.
func inParallel[T any](keys []string, read func(key string) ([]T, error)) ([]T, error) {
	found := make([][]T, len(keys))
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Go(func() { found[i], errs[i] = read(k) })
	}
	wg.Wait()
	return slices.Concat(found...), errors.Join(errs...)
}
