package devenv

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// Bill is what DynamoDB on-demand would charge for the requests a scenario
// made, in billed request units.
type Bill struct {
	Requests   int
	ReadUnits  float64
	WriteUnits float64
	// Calls lists the requests in the order they were made.
	Calls []Call
}

// Call is one billed request.
type Call struct {
	Operation   string
	Read, Write float64
}

func (c Call) String() string { return fmt.Sprintf("%s %.1fR %.1fW", c.Operation, c.Read, c.Write) }

// BillingRecorder sits on a DynamoDB client and bills every request by
// DynamoDB's published rules, not by what DynamoDB Local reports:
//   - a write costs 1 unit per started KB of the larger of the item's size
//     before and after it, at least 1; in a transaction, twice that (a
//     condition check too: the table prepares and commits each item);
//   - each global secondary index the item is in before or after costs one
//     more write (two when the write moves the item's index key), sized by
//     the projected item, once also in a transaction: indexes are updated
//     after the commit, outside its two phases; a keys-only index is not
//     written when the item stays in it under the same key;
//   - a read costs 1 unit per started 4 KB, a query per started 4 KB of all
//     the items it read, halved when eventually consistent (index reads
//     always are), doubled in a transaction.
//
// To size updates it reads each written item before and after the request
// through a second client that is not billed.
type BillingRecorder struct {
	images  *dynamodb.Client
	tableNm string
	mu      sync.Mutex
	bill    Bill
}

// NewBillingRecorder bills requests to the named table; images reads items.
func NewBillingRecorder(images *dynamodb.Client, table string) *BillingRecorder {
	return &BillingRecorder{images: images, tableNm: table}
}

// Bill returns the bill so far.
func (r *BillingRecorder) Bill() Bill {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.bill
	b.Calls = slices.Clone(b.Calls)
	return b
}

// Reset starts a new bill.
func (r *BillingRecorder) Reset() { r.mu.Lock(); r.bill = Bill{}; r.mu.Unlock() }

func (r *BillingRecorder) add(ctx context.Context, read, write float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bill.Calls = append(r.bill.Calls, Call{Operation: awsmiddleware.GetOperationName(ctx), Read: read, Write: write})
	r.bill.Requests++
	r.bill.ReadUnits += read
	r.bill.WriteUnits += write
}

// Option installs the recorder on a client.
func (r *BillingRecorder) Option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("billRequest", r.handle), middleware.After)
	})
}

// write is one item a request writes (or checks, in a transaction).
type write struct {
	key           map[string]types.AttributeValue
	put           map[string]types.AttributeValue // the new item of a Put
	conditionOnly bool
}

func (r *BillingRecorder) handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	writes, transactional := writesOf(in.Parameters)
	before := make([]map[string]types.AttributeValue, len(writes))
	for i, w := range writes {
		before[i] = r.image(ctx, w.key)
	}
	out, md, err := next.HandleInitialize(ctx, in)
	if len(writes) > 0 {
		units := 0.0
		for i, w := range writes {
			after := w.put
			if w.put == nil {
				after = r.image(ctx, w.key)
			}
			if err != nil { // refused: the table's write is billed, nothing reaches an index
				after = before[i]
			}
			units += itemWriteUnits(before[i], after, transactional, !w.conditionOnly && err == nil)
		}
		r.add(ctx, 0, units)
		return out, md, err
	}
	r.add(ctx, readUnits(in.Parameters, out.Result), 0)
	return out, md, err
}

// image reads an item as stored, or nil; unbilled.
func (r *BillingRecorder) image(ctx context.Context, key map[string]types.AttributeValue) map[string]types.AttributeValue {
	k := map[string]types.AttributeValue{}
	for _, name := range []string{appspec.MainTable.PartitionKey, appspec.MainTable.SortKey} {
		k[name] = key[name]
	}
	res, err := r.images.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.tableNm), Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil
	}
	return res.Item
}

func writesOf(params any) ([]write, bool) {
	switch p := params.(type) {
	case *dynamodb.PutItemInput:
		return []write{{key: p.Item, put: p.Item}}, false
	case *dynamodb.UpdateItemInput:
		return []write{{key: p.Key}}, false
	case *dynamodb.DeleteItemInput:
		return []write{{key: p.Key}}, false
	case *dynamodb.TransactWriteItemsInput:
		var ws []write
		for _, it := range p.TransactItems {
			switch {
			case it.Put != nil:
				ws = append(ws, write{key: it.Put.Item, put: it.Put.Item})
			case it.Update != nil:
				ws = append(ws, write{key: it.Update.Key})
			case it.Delete != nil:
				ws = append(ws, write{key: it.Delete.Key})
			case it.ConditionCheck != nil:
				ws = append(ws, write{key: it.ConditionCheck.Key, conditionOnly: true})
			}
		}
		return ws, true
	}
	return nil, false
}

// itemWriteUnits bills one item of a write: the table's units, doubled in
// a transaction, and, when the write reached the indexes, theirs once.
func itemWriteUnits(before, after map[string]types.AttributeValue, transactional, reachedIndexes bool) float64 {
	u := writeUnits(max(ItemSize(before), ItemSize(after)))
	if transactional {
		u *= 2
	}
	if reachedIndexes {
		u += indexWrites(before, after)
	}
	return u
}

func writeUnits(size int) float64 { return math.Max(1, math.Ceil(float64(size)/1024)) }

// readUnitsOf bills a read of size bytes: per started 4 KB, at least one
// unit, halved when eventually consistent.
func readUnitsOf(size int, consistent bool) float64 {
	u := math.Max(1, math.Ceil(float64(size)/4096))
	if !consistent {
		u /= 2
	}
	return u
}

// indexWrites counts the index writes of one item write, each sized by
// what the index projects. A keys-only index holds nothing a write can
// change but its keys, so a write that keeps them writes no entry there.
func indexWrites(before, after map[string]types.AttributeValue) float64 {
	units := 0.0
	for _, ix := range appspec.MainTable.Indexes {
		keyOf := func(item map[string]types.AttributeValue) (string, bool) {
			pk, ok1 := item[ix.PartitionKey].(*types.AttributeValueMemberS)
			sk, ok2 := item[ix.SortKey].(*types.AttributeValueMemberS)
			if !ok1 || !ok2 {
				return "", false
			}
			return pk.Value + "\x00" + sk.Value, true
		}
		entrySize := func(item map[string]types.AttributeValue) int {
			if !ix.KeysOnly {
				return ItemSize(item)
			}
			keys := map[string]types.AttributeValue{}
			for _, name := range []string{appspec.MainTable.PartitionKey, appspec.MainTable.SortKey, ix.PartitionKey, ix.SortKey} {
				keys[name] = item[name]
			}
			return ItemSize(keys)
		}
		was, inBefore := keyOf(before)
		is, inAfter := keyOf(after)
		switch {
		case inBefore && inAfter && was == is:
			if !ix.KeysOnly {
				units += writeUnits(max(entrySize(before), entrySize(after)))
			}
		default:
			if inBefore {
				units += writeUnits(entrySize(before))
			}
			if inAfter {
				units += writeUnits(entrySize(after))
			}
		}
	}
	return units
}

func readUnits(params, result any) float64 {
	switch p := params.(type) {
	case *dynamodb.GetItemInput:
		o, _ := result.(*dynamodb.GetItemOutput)
		size := 0
		if o != nil {
			size = ItemSize(o.Item)
		}
		return readUnitsOf(size, aws.ToBool(p.ConsistentRead))
	case *dynamodb.QueryInput:
		o, _ := result.(*dynamodb.QueryOutput)
		if o == nil {
			return readUnitsOf(0, false)
		}
		size := 0
		for _, it := range o.Items {
			size += ItemSize(it)
		}
		// A filter drops items after they were read and billed; their
		// size is not returned, so they count at the returned items' mean.
		if filtered := int(o.ScannedCount - o.Count); filtered > 0 && p.FilterExpression != nil {
			mean := 100
			if len(o.Items) > 0 {
				mean = size / len(o.Items)
			}
			size += filtered * mean
		}
		return readUnitsOf(size, aws.ToBool(p.ConsistentRead) && p.IndexName == nil)
	case *dynamodb.BatchGetItemInput:
		o, _ := result.(*dynamodb.BatchGetItemOutput)
		units := 0.0
		for table, ka := range p.RequestItems {
			returned := 0
			if o != nil {
				for _, it := range o.Responses[table] {
					units += readUnitsOf(ItemSize(it), aws.ToBool(ka.ConsistentRead))
					returned++
				}
			}
			units += float64(len(ka.Keys)-returned) * readUnitsOf(0, aws.ToBool(ka.ConsistentRead)) // absent items
		}
		return units
	case *dynamodb.TransactGetItemsInput:
		o, _ := result.(*dynamodb.TransactGetItemsOutput)
		units := 0.0
		for i := range p.TransactItems {
			size := 0
			if o != nil && i < len(o.Responses) {
				size = ItemSize(o.Responses[i].Item)
			}
			units += 2 * readUnitsOf(size, true)
		}
		return units
	}
	return 0
}

// ItemSize is an item's size as DynamoDB counts it: each attribute's name
// plus its value (strings and binaries by length, numbers by about a byte
// per two significant digits plus one, lists and maps 3 bytes plus a byte
// per element plus the elements).
func ItemSize(item map[string]types.AttributeValue) int {
	size := 0
	for name, v := range item {
		size += utf8.RuneCountInString(name) + valueSize(v)
	}
	return size
}

func valueSize(v types.AttributeValue) int {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return len(x.Value)
	case *types.AttributeValueMemberN:
		return numberSize(x.Value)
	case *types.AttributeValueMemberB:
		return len(x.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range x.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range x.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range x.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range x.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

func numberSize(n string) int {
	digits := strings.TrimLeft(strings.NewReplacer("-", "", ".", "").Replace(n), "0")
	return (len(strings.TrimRight(digits, "0"))+1)/2 + 1
}
