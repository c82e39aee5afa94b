package devenv

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func TestItemSizeFollowsDynamoDBRules(t *testing.T) {
	for _, c := range []struct {
		item map[string]types.AttributeValue
		want int
	}{
		{map[string]types.AttributeValue{"pk": s("ORDER#1")}, 2 + 7},
		{map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "12345"}}, 1 + 4},   // 5 digits: 3 + 1
		{map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "-100.00"}}, 1 + 2}, // one significant digit
		{map[string]types.AttributeValue{"ok": &types.AttributeValueMemberBOOL{Value: true}}, 2 + 1},
		{map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("ab"), s("c")}}}, 1 + 3 + 3 + 2},
		{map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": s("vv")}}}, 1 + 3 + 1 + 1 + 2},
	} {
		if got := ItemSize(c.item); got != c.want {
			t.Errorf("size of %v = %d, want %d", c.item, got, c.want)
		}
	}
}

func TestWritesAreBilledPerKBWithTheirIndexes(t *testing.T) {
	big := map[string]types.AttributeValue{"pk": s("A"), "sk": s("B"), "blob": s(strings.Repeat("x", 1500))}
	if u := writeUnits(ItemSize(big)); u != 2 {
		t.Errorf("a 1.5 KB item: %v units, want 2", u)
	}
	if u := writeUnits(0); u != 1 {
		t.Errorf("a write of nothing still costs %v, want 1", u)
	}
	small := func(gsi1sk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": s("A"), "sk": s("B"), "gsi1pk": s("DUE"), "gsi1sk": s(gsi1sk)}
	}
	for _, c := range []struct {
		name          string
		before, after map[string]types.AttributeValue
		want          float64
	}{
		{"new item in one index", nil, small("1"), 1},
		{"same index key", small("1"), small("1"), 1},
		{"moved index key: delete and put", small("1"), small("2"), 2},
		{"leaves the index", small("1"), map[string]types.AttributeValue{"pk": s("A"), "sk": s("B")}, 1},
		{"in no index", nil, map[string]types.AttributeValue{"pk": s("A"), "sk": s("B")}, 0},
	} {
		if got := indexWrites(c.before, c.after); got != c.want {
			t.Errorf("%s: %v index writes, want %v", c.name, got, c.want)
		}
	}
	// gsi3 projects only keys: AWS writes its entry when the item enters,
	// leaves or moves in it, never for a change of other attributes.
	digest := func(day, blob string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": s("A"), "sk": s("B"), "gsi3pk": s("DIGEST#" + day), "gsi3sk": s("p1"), "blob": s(blob)}
	}
	large := strings.Repeat("x", 1500)
	for _, c := range []struct {
		name          string
		before, after map[string]types.AttributeValue
		want          float64
	}{
		{"keys-only: a large new item's entry is its keys", nil, digest("d1", large), 1},
		{"keys-only: same key, other attributes changed", digest("d1", "a"), digest("d1", large), 0},
		{"keys-only: moved key", digest("d1", "a"), digest("d2", "a"), 2},
		{"keys-only: leaves the index", digest("d1", large), map[string]types.AttributeValue{"pk": s("A"), "sk": s("B")}, 1},
	} {
		if got := indexWrites(c.before, c.after); got != c.want {
			t.Errorf("%s: %v index writes, want %v", c.name, got, c.want)
		}
	}
	if u := itemWriteUnits(nil, small("1"), true, true); u != 3 {
		t.Errorf("a new item in one index, in a transaction: %v units, want 3 (the table's twice, the index's once)", u)
	}
	if u := itemWriteUnits(small("1"), small("1"), true, false); u != 2 {
		t.Errorf("a refused transactional write: %v units, want 2 (the table's only)", u)
	}
}

func TestReadsAreBilledPer4KBAndConsistency(t *testing.T) {
	item := map[string]types.AttributeValue{"pk": s("A"), "blob": s(strings.Repeat("x", 5000))}
	get := func(consistent bool) float64 {
		return readUnits(&dynamodb.GetItemInput{ConsistentRead: aws.Bool(consistent)}, &dynamodb.GetItemOutput{Item: item})
	}
	if get(true) != 2 || get(false) != 1 {
		t.Errorf("a 5 KB item: strongly %v, eventually %v; want 2 and 1", get(true), get(false))
	}
	items := []map[string]types.AttributeValue{{"pk": s("A")}, {"pk": s("B")}, {"pk": s("C")}}
	q := readUnits(&dynamodb.QueryInput{IndexName: aws.String("gsi1")}, &dynamodb.QueryOutput{Items: items, Count: 3, ScannedCount: 3})
	if q != 0.5 {
		t.Errorf("a small index query: %v, want 0.5 (summed, rounded up once, eventually consistent)", q)
	}
	tx := readUnits(&dynamodb.TransactGetItemsInput{TransactItems: make([]types.TransactGetItem, 2)}, &dynamodb.TransactGetItemsOutput{})
	if tx != 4 {
		t.Errorf("a transaction of two reads: %v, want 4", tx)
	}
}
