package dynamo

import (
	"reflect"
	"testing"
	"time"
)

// TestEveryStoredFieldNamesItsAttribute keeps stored attribute names apart
// from the API's JSON: every field of every item, down to nested values,
// has its own dynamodbav tag, so renaming a JSON field cannot rename (and
// orphan) what is already stored.
func TestEveryStoredFieldNamesItsAttribute(t *testing.T) {
	items := []any{charityItem{}, receiptItem{}, donationItem{}, orderItem{}, balanceItem{},
		partnerItem{}, codeItem{}, tierItem{}, batchItem{}, payoutItem{}, outboxItem{}, auditItem{}, earlierAuditItem{}, memberItem{}, paymentItem{},
		pledgeItem{}, programItem{}}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(typ reflect.Type, path string) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ == reflect.TypeOf(time.Time{}) || seen[typ] {
			return
		}
		seen[typ] = true
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			if _, ok := f.Tag.Lookup("dynamodbav"); !ok && !f.Anonymous {
				t.Errorf("%s.%s (%s) has no dynamodbav tag", path, f.Name, typ)
			}
			walk(f.Type, path+"."+f.Name)
		}
	}
	for _, it := range items {
		walk(reflect.TypeOf(it), reflect.TypeOf(it).Name())
	}
}
