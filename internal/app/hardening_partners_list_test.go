package app_test

import (
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"testing"

	"github.com/partnerloop/partnerloop/internal/devenv"
)

// listedAsDetailed fails for every field in which a partner's list entry
// differs from its detail, except the detail's balances and badges (a read
// per partner that the list leaves to the detail, as the README says).
func listedAsDetailed(t *testing.T, entry, detail map[string]any) {
	t.Helper()
	fields := map[string]bool{}
	for k := range entry {
		fields[k] = true
	}
	for k := range detail {
		fields[k] = k != "balances" && k != "badges" && k != "group"
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if fields[k] && !reflect.DeepEqual(entry[k], detail[k]) {
			t.Errorf("partner %v: %s is %v in the list and %v in the detail", detail["id"], k, entry[k], detail[k])
		}
	}
}

func TestPartnerListEntriesAreTheirDetailsWithPointsAndOneReadPerPage(t *testing.T) {
	h := newHarness(t)
	h.putProgram(withPoints)
	var ids []string
	addPartners := func(n int) {
		for range n {
			i := len(ids)
			p := h.createPartner(fmt.Sprintf(`{"name":"Lister %d","email":"l%d@l.example"}`, i, i))
			ids = append(ids, p["id"].(string))
			if i%2 == 0 { // every other partner has points, pending and available
				h.postGeneric("/webhooks/orders", genericOrder(fmt.Sprintf("evt_l%d", i), fmt.Sprintf("ord_l%d", i), p["referral_code"].(string), "EUR", 12345))
				if res := h.postGeneric("/webhooks/activities", activity(fmt.Sprintf("act_l%d", i), "training.completed", p["id"].(string))); res.Status != http.StatusOK {
					t.Fatalf("activity: %d %s", res.Status, res.Raw)
				}
			}
		}
	}
	addPartners(3)

	listPage := func(query string) []any {
		res := h.do("GET", "/v1/partners?limit=50"+query, h.tokens["alice"], nil, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("list: %d %s", res.Status, res.Raw)
		}
		return res.Body["partners"].([]any)
	}
	rec := h.meter()
	small := len(listPage(""))
	fewBill := rec.Bill()

	addPartners(9)
	for _, query := range []string{"", "&q=lister"} {
		entries := listPage(query)
		if len(entries) != len(ids) {
			t.Fatalf("list%s: %d entries for %d partners", query, len(entries), len(ids))
		}
		for _, e := range entries {
			entry := e.(map[string]any)
			detail := h.do("GET", "/v1/partners/"+entry["id"].(string), h.tokens["alice"], nil, nil).Body
			if detail["points"] == nil || entry["points"] == nil {
				t.Fatalf("points missing: list %v, detail %v", entry["points"], detail["points"])
			}
			listedAsDetailed(t, entry, detail)
		}
	}

	// The page's points come in one request, whatever the page holds.
	rec.Reset()
	listPage("")
	manyBill := rec.Bill()
	calls := func(b devenv.Bill, op string) (n int) {
		for _, c := range b.Calls {
			if c.Operation == op {
				n++
			}
		}
		return n
	}
	if manyBill.Requests != fewBill.Requests || calls(manyBill, "BatchGetItem") != 1 || calls(manyBill, "GetItem") != 0 {
		t.Errorf("a page of %d partners makes %v; of %d, %v", len(ids), manyBill.Calls, small, fewBill.Calls)
	}
}
