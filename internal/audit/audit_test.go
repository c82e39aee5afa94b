package audit

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Only changed fields are kept, nested ones as dotted paths; secrets never.
func TestDiffKeepsTheChangedFieldsOnly(t *testing.T) {
	before := map[string]any{"tier": "gold", "status": "active", "rates": map[string]any{"gold": 1200, "silver": 800}, "coupons": []string{"A"}}
	after := map[string]any{"tier": "platinum", "status": "active", "rates": map[string]any{"gold": 1500, "silver": 800}, "coupons": []string{"A", "B"},
		"secret": "whsec_x", "added": true}
	was, now, err := Diff(before, after)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"tier": "gold", "rates.gold": 1200.0, "coupons": []any{"A"}}; !reflect.DeepEqual(was, want) {
		t.Errorf("before %v, want %v", was, want)
	}
	if want := map[string]any{"tier": "platinum", "rates.gold": 1500.0, "coupons": []any{"A", "B"}, "added": true}; !reflect.DeepEqual(now, want) {
		t.Errorf("after %v, want %v", now, want)
	}
	if was, now, _ := Diff(before, before); was != nil || now != nil {
		t.Errorf("no change recorded as %v → %v", was, now)
	}
	if was, now, _ := Diff(nil, map[string]any{"id": "x", "secret": "s", "key": "plk_1"}); was != nil || !reflect.DeepEqual(now, map[string]any{"id": "x"}) {
		t.Errorf("a creation: %v → %v", was, now)
	}
}

// A wholesale change too large for one item keeps the names of its fields.
func TestDiffOfAHugeChangeNamesItsFields(t *testing.T) {
	_, now, _ := Diff(map[string]any{"text": "a"}, map[string]any{"text": strings.Repeat("b", maxChange)})
	if !reflect.DeepEqual(now, map[string]any{"changed_fields_too_large_to_record": []string{"text"}}) {
		t.Fatalf("%v", now)
	}
}

// The same change in the same request gets the same id; another item or
// request another one. Without a person, the entry is the system's.
func TestStampIsIdempotentPerRequest(t *testing.T) {
	ctx := WithActor(context.Background(), Actor{Subject: "alice", Role: "finance", RequestID: "req-1", IPHash: "h"})
	e := Entry{At: time.Now(), Action: "batch.excluded", Target: "batch:b1", Item: "i1"}
	a, b := Stamp(ctx, e, "alice"), Stamp(ctx, e, "alice")
	if a.ID != b.ID || a.Role != "finance" || a.RequestID != "req-1" || a.IPHash != "h" {
		t.Fatalf("%+v %+v", a, b)
	}
	e.Item = "i2"
	if Stamp(ctx, e, "alice").ID == a.ID {
		t.Fatal("two items, one id")
	}
	if w := Stamp(context.Background(), e, "worker"); w.Actor != "worker" || w.Role != System {
		t.Fatalf("worker entry %+v", w)
	}
}
