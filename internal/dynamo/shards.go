package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/page"
)

// Index keys every order writes are sharded, so no index partition takes
// more than its share of the order rate: an item goes to the shard its
// own id hashes to, and readers query every shard (and the unsharded key
// that items written before sharding still carry) in parallel.
const (
	dueBase         = "DUE"
	partnersBase    = "PARTNERS"
	heldBase        = "HELD"
	openPledgesBase = "PLEDGES#OPEN"
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

// shardedPage pages through a sharded index key in sort-key order. The
// cursor is the last sort key shown: each shard is read from it for a page
// and the pages are merged, so a page reads at most a page per shard.
func shardedPage[I, T any](ctx context.Context, s *table, index, base string, limit int32, cursor string, sortKey func(I) string, convert func(I) T) ([]T, string, error) {
	var after string
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		var c shardCursor
		if err != nil || json.Unmarshal(raw, &c) != nil || c.After == "" {
			return nil, "", page.ErrBadCursor
		}
		after = c.After
	}
	more := false
	var mu sync.Mutex
	items, err := inShards(base, func(k string) ([]I, error) {
		cond := expression.Key(index + "pk").Equal(expression.Value(k))
		if after != "" {
			cond = cond.And(expression.Key(index + "sk").GreaterThan(expression.Value(after)))
		}
		found, next, err := queryPage(ctx, s, lookup{index: index, key: cond}, limit, "", func(it I) I { return it })
		mu.Lock()
		more = more || next != ""
		mu.Unlock()
		return found, err
	})
	if err != nil {
		return nil, "", err
	}
	slices.SortFunc(items, func(a, b I) int { return strings.Compare(sortKey(a), sortKey(b)) })
	if len(items) > int(limit) {
		items, more = items[:limit], true
	}
	out := make([]T, 0, len(items))
	for _, it := range items {
		out = append(out, convert(it))
	}
	if !more || len(items) == 0 {
		return out, "", nil
	}
	raw, _ := json.Marshal(shardCursor{After: sortKey(items[len(items)-1])}) // a string always marshals
	return out, base64.RawURLEncoding.EncodeToString(raw), nil
}

// shardCursor is where a page of a sharded listing ended.
type shardCursor struct {
	After string `json:"after"`
}
