package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/program"
)

// auditOf reads the newest audit entries of a target with a token of bob
// (admin and finance).
func (h *harness) auditOf(target string) []map[string]any {
	h.t.Helper()
	res := h.do("GET", "/v1/audit?target="+url.QueryEscape(target), h.tokens["bob"], nil, nil)
	if res.Status != 200 {
		h.t.Fatalf("audit of %s: %d %s", target, res.Status, res.Raw)
	}
	var out []map[string]any
	for _, e := range res.Body["entries"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

// entryOf finds the one entry of action among a target's.
func (h *harness) entryOf(target, action string) map[string]any {
	h.t.Helper()
	var found []map[string]any
	for _, e := range h.auditOf(target) {
		if e["action"] == action {
			found = append(found, e)
		}
	}
	if len(found) != 1 {
		h.t.Fatalf("%s of %s: %d entries, want 1: %v", action, target, len(found), h.auditOf(target))
	}
	return found[0]
}

func changed(e map[string]any, side string) string {
	raw, _ := json.Marshal(e[side])
	return string(raw)
}

// One change through each family of staff routes leaves one entry, by the
// right person in the right role, with only the fields that changed.
func TestEveryStaffWriteLeavesOneAuditEntry(t *testing.T) {
	h := newHarness(t)
	h.cfg.AuditRetention = 90 * 24 * time.Hour
	h.build()
	pt := h.createPartner(`{"name":"Audited Shop","email":"audited@shop.example"}`)
	id := pt["id"].(string)

	created := h.entryOf("partner:"+id, "partner.created")
	if created["actor"] != "alice" || created["role"] != "finance" || created["before"] != nil || created["request_id"] == "" || created["ip_hash"] == "" {
		t.Errorf("creation entry %v", created)
	}
	if res := h.do("PATCH", "/v1/partners/"+id, h.tokens["alice"], []byte(`{"tier":"gold"}`), nil); res.Status != 200 {
		t.Fatalf("tier move: %d %s", res.Status, res.Raw)
	}
	moved := h.entryOf("partner:"+id, "partner.changed")
	if changed(moved, "before") != `{"tier":"authorized"}` || changed(moved, "after") != `{"tier":"gold"}` {
		t.Errorf("tier move recorded as %s → %s", changed(moved, "before"), changed(moved, "after"))
	}

	// Batch steps are written in their own transactions; the batch's audit
	// is a view of the same entries.
	h.postGeneric("/webhooks/orders", genericOrder("evt_a", "ord_a", pt["referral_code"].(string), "EUR", 50000))
	batch := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
	if batch.Status != 201 {
		t.Fatalf("batch: %d %s", batch.Status, batch.Raw)
	}
	bid := batch.Body["id"].(string)
	if res := h.do("POST", "/v1/payout-batches/"+bid+"/cancel", h.tokens["bob"], []byte(`{"reason":"=SUM(1) wrong month"}`), nil); res.Status != 200 {
		t.Fatalf("cancel: %d %s", res.Status, res.Raw)
	}
	cancelled := h.entryOf("batch:"+bid, "batch.cancelled")
	if cancelled["actor"] != "bob" || cancelled["role"] != "admin" || cancelled["reason"] != "=SUM(1) wrong month" {
		t.Errorf("cancel entry %v", cancelled)
	}
	if e := h.entryOf("batch:"+bid, "batch.created"); e["actor"] != "alice" {
		t.Errorf("created entry %v", e)
	}
	view := h.do("GET", "/v1/payout-batches/"+bid+"/audit", h.tokens["alice"], nil, nil)
	var actions []string
	for _, e := range view.Body["entries"].([]any) {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	slices.Sort(actions) // the release and the cancellation share a time
	if fmt.Sprint(actions) != "[cancelled created released]" {
		t.Errorf("batch audit view %v: %s", actions, view.Raw)
	}

	h.putProgram(func(p *program.Program) { p.HoldDays = 7 })
	saved := h.entryOf("program", "program.saved")
	if b, a := changed(saved, "before"), changed(saved, "after"); !strings.Contains(b, `"program.hold_days":0`) || !strings.Contains(a, `"program.hold_days":7`) ||
		!strings.Contains(a, `"version":1`) || strings.Contains(a, "tier_rates") {
		t.Errorf("program save recorded as %s → %s", b, a)
	}

	// The team: bob adds, changes and removes a member.
	added := h.do("POST", "/v1/team", h.tokens["bob"], []byte(`{"email":"vera@shop.example","name":"Vera","roles":["viewer"]}`), nil)
	if added.Status != 201 {
		t.Fatalf("add member: %d %s", added.Status, added.Raw)
	}
	mid := added.Body["id"].(string)
	if res := h.do("PATCH", "/v1/team/"+mid, h.tokens["bob"], []byte(`{"roles":["manager"]}`), nil); res.Status != 200 {
		t.Fatalf("change member: %d %s", res.Status, res.Raw)
	}
	roles := h.entryOf("member:"+mid, "team.member_changed")
	if changed(roles, "before") != `{"roles":["viewer"],"updated_at":"`+roles["before"].(map[string]any)["updated_at"].(string)+`"}` ||
		!strings.HasPrefix(changed(roles, "after"), `{"roles":["manager"]`) {
		t.Errorf("role change recorded as %s → %s", changed(roles, "before"), changed(roles, "after"))
	}
	if res := h.do("DELETE", "/v1/team/"+mid, h.tokens["bob"], nil, nil); res.Status != 204 {
		t.Fatalf("remove member: %d %s", res.Status, res.Raw)
	}
	if removed := h.entryOf("member:"+mid, "team.member_removed"); removed["after"] != nil || !strings.Contains(changed(removed, "before"), `"email":"vera@shop.example"`) {
		t.Errorf("removal entry %v", removed)
	}

	// An endpoint's secret never reaches the trail.
	ep := h.do("POST", "/v1/webhook-endpoints", h.tokens["bob"], []byte(`{"url":"https://hooks.shop.example/pl","events":["commission.created"]}`), nil)
	if ep.Status != 201 {
		t.Fatalf("endpoint: %d %s", ep.Status, ep.Raw)
	}
	if e := h.entryOf(fmt.Sprintf("endpoint:%v", ep.Body["id"]), "endpoint.created"); strings.Contains(changed(e, "after"), "secret") ||
		strings.Contains(changed(e, "after"), ep.Body["secret"].(string)) {
		t.Errorf("secret recorded: %v", e)
	}

	// Filters: by actor and action; the CSV export is formula-safe.
	res := h.do("GET", "/v1/audit?actor=bob&action=team.member_added", h.tokens["bob"], nil, nil)
	if list := res.Body["entries"].([]any); len(list) != 1 || list[0].(map[string]any)["target"] != "member:"+mid {
		t.Errorf("by actor and action: %s", res.Raw)
	}
	day := h.do("GET", "/v1/audit?limit=3", h.tokens["alice"], nil, nil)
	if list := day.Body["entries"].([]any); len(list) != 3 || day.Body["next_cursor"] == "" {
		t.Fatalf("the day's first page: %s", day.Raw)
	}
	seen := 3
	for cursor := day.Body["next_cursor"].(string); cursor != ""; seen++ {
		next := h.do("GET", "/v1/audit?limit=1&cursor="+cursor, h.tokens["alice"], nil, nil)
		cursor, _ = next.Body["next_cursor"].(string)
		if len(next.Body["entries"].([]any)) == 0 {
			break
		}
	}
	all := h.do("GET", "/v1/audit?limit=200", h.tokens["alice"], nil, nil)
	if n := len(all.Body["entries"].([]any)); n != seen || n < 10 {
		t.Errorf("paging saw %d entries, one page of 200 has %d", seen, n)
	}
	csv := h.do("GET", "/v1/audit?format=csv&target=batch:"+bid, h.tokens["alice"], nil, nil)
	if csv.Status != 200 || !strings.HasPrefix(string(csv.Raw), "id,at,actor,role,action,target,") || !strings.Contains(string(csv.Raw), ",'=SUM(1) wrong month,") {
		t.Errorf("csv: %d %s", csv.Status, csv.Raw)
	}
	if res := h.do("GET", "/v1/audit?from=2026-02-01&to=2025-01-01", h.tokens["alice"], nil, nil); res.Status != 400 || res.errorCode() != "bad_query" {
		t.Errorf("a period backwards: %d %s", res.Status, res.Raw)
	}

	// Entries expire with the stage's retention.
	out, err := h.env.DB.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String(h.env.Table), KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "AUDIT#partner:" + id}}})
	if err != nil || len(out.Items) != 2 {
		t.Fatalf("stored entries: %v %v", out, err)
	}
	var expires int64
	fmt.Sscan(out.Items[0]["expires_at"].(*types.AttributeValueMemberN).Value, &expires)
	if until := time.Unix(expires, 0); until.Before(time.Now().Add(89*24*time.Hour)) || until.After(time.Now().Add(91*24*time.Hour)) {
		t.Errorf("kept until %v", until)
	}
}
