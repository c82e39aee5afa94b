package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/notify"
	"github.com/partnerloop/partnerloop/internal/sqsqueue"
	"github.com/partnerloop/partnerloop/internal/webhook"
)

// The routes the console's engagement and webhook screens added: points
// adjustments, challenge edits and early ends, reward edits and
// retirement, secret rotation and resending a delivery.

func TestPointsAdjustmentIsALineOfItsOwnAndKeepsTheBooks(t *testing.T) {
	h := newHarness(t)
	id := h.createPartner(`{"name":"Points Partner","email":"points@partner.example"}`)["id"].(string)
	path := "/v1/partners/" + id + "/points"
	adjust := func(token, body string) response { return h.do("POST", path, token, []byte(body), nil) }

	if res := adjust(h.tokens["alice"], `{"delta":500,"reason":"Goodwill for the late shipment"}`); res.Status != 201 ||
		res.Body["delta"] != 500.0 || res.Body["points"].(map[string]any)["available"] != 500.0 || res.Body["by"] != "alice" {
		t.Fatalf("credit: %d %s", res.Status, res.Raw)
	}
	if res := adjust(h.roleToken("manager"), `{"delta":-200,"reason":"Duplicate activity"}`); res.Status != 201 || res.Body["points"].(map[string]any)["available"] != 300.0 {
		t.Fatalf("debit: %d %s", res.Status, res.Raw)
	}
	items := h.itemCount()
	for _, c := range []struct{ body, status, code, field string }{
		{`{"delta":-301,"reason":"More than there is"}`, "409", "insufficient_points", ""},
		{`{"delta":0,"reason":"Nothing"}`, "422", "invalid_request", "delta"},
		{`{"delta":1000001,"reason":"Too much"}`, "422", "invalid_request", "delta"},
		{`{"delta":5,"reason":"   "}`, "422", "invalid_request", "reason"},
		{`{"delta":5,"reason":"` + strings.Repeat("é", 501) + `"}`, "422", "invalid_request", "reason"},
		{`{"delta":1.5,"reason":"Half a point"}`, "400", "malformed_json", ""},
	} {
		res := adjust(h.tokens["alice"], c.body)
		e, _ := res.Body["error"].(map[string]any)
		if fmt.Sprint(res.Status) != c.status || res.errorCode() != c.code || (c.field != "" && e["field"] != c.field) {
			t.Errorf("%s: %d %s, want %s %s naming %q", c.body, res.Status, res.Raw, c.status, c.code, c.field)
		}
	}
	if res := adjust(h.roleToken("viewer"), `{"delta":5,"reason":"Viewers write nothing"}`); res.Status != 403 {
		t.Errorf("a viewer adjusts points: %d", res.Status)
	}
	if res := h.do("POST", "/v1/partners/nobody/points", h.tokens["alice"], []byte(`{"delta":5,"reason":"Nobody"}`), nil); res.Status != 404 {
		t.Errorf("an unknown partner: %d %s", res.Status, res.Raw)
	}
	if n := h.itemCount(); n != items {
		t.Errorf("refused adjustments wrote %d items", n-items)
	}

	p, err := h.app.Engage.Summary(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if pts := p.Points; pts.Earned != 500 || pts.Reversed != 200 || pts.Earned-pts.Reversed != pts.Pending+pts.Available+pts.Redeemed {
		t.Fatalf("points %+v: earned − reversed ≠ pending + available + redeemed", pts)
	}
	var adjustments []string
	for _, l := range h.do("GET", "/v1/partners/"+id+"/statement", h.partnerToken(id), nil, nil).Body["point_lines"].([]any) {
		if line := l.(map[string]any); line["kind"] == "adjustment" {
			adjustments = append(adjustments, fmt.Sprint(line["points"], " ", line["description"]))
		}
	}
	if fmt.Sprint(adjustments) != "[-200 Duplicate activity 500 Goodwill for the late shipment]" {
		t.Errorf("the partner's adjustment lines, newest first: %v", adjustments)
	}
	entries := h.do("GET", "/v1/audit?target=partner:"+id+"&action=partner.points_adjusted", h.tokens["alice"], nil, nil).Body["entries"].([]any)
	if len(entries) != 2 || entries[0].(map[string]any)["role"] != "manager" {
		t.Errorf("audit entries: %v", entries)
	}
}

func TestChallengeEditAndEarlyEnd(t *testing.T) {
	h := newHarness(t)
	id := h.createPartner(`{"name":"Task Partner","email":"task@partner.example"}`)["id"].(string)
	starts, ends := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(7*24*time.Hour).UTC().Format(time.RFC3339)
	if res := h.do("POST", "/v1/challenges", h.tokens["alice"], []byte(`{"id":"video","name":"Make a video","starts_at":"`+starts+
		`","ends_at":"`+ends+`","kind":"task","reward":{"points":50}}`), nil); res.Status != 201 {
		t.Fatalf("challenge: %d %s", res.Status, res.Raw)
	}
	res := h.do("PATCH", "/v1/challenges/video", h.roleToken("manager"), []byte(`{"name":"Make a product video","description":"Two minutes at most"}`), nil)
	if res.Status != 200 || res.Body["name"] != "Make a product video" || res.Body["ends_at"] != ends || res.Body["updated_by"] != "manager-user" {
		t.Fatalf("edit: %d %s", res.Status, res.Raw)
	}
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	if res := h.do("PATCH", "/v1/challenges/video", h.tokens["alice"], []byte(`{"ends_at":"`+past+`"}`), nil); res.Status != 422 ||
		res.Body["error"].(map[string]any)["field"] != "ends_at" {
		t.Errorf("an end in the past: %d %s", res.Status, res.Raw)
	}
	ended := h.do("POST", "/v1/challenges/video/end", h.tokens["alice"], nil, nil)
	if ended.Status != 200 {
		t.Fatalf("end: %d %s", ended.Status, ended.Raw)
	}
	if at, _ := time.Parse(time.RFC3339, ended.Body["ends_at"].(string)); at.After(time.Now()) {
		t.Errorf("ended early, yet ends at %v", at)
	}
	if res := h.do("POST", "/v1/challenges/video/submissions", h.partnerToken(id), []byte(`{"text":"Here it is"}`), nil); res.Status != 422 {
		t.Errorf("a submission after the early end: %d %s", res.Status, res.Raw)
	}
	if res := h.do("POST", "/v1/challenges/video/end", h.tokens["alice"], nil, nil); res.errorCode() != "challenge_ended" {
		t.Errorf("ending it twice: %d %s", res.Status, res.Raw)
	}
	if res := h.do("PATCH", "/v1/challenges/video", h.tokens["alice"], []byte(`{"name":"Too late"}`), nil); res.errorCode() != "challenge_ended" {
		t.Errorf("editing an ended challenge: %d %s", res.Status, res.Raw)
	}
	if res := h.do("POST", "/v1/challenges/video/end", h.roleToken("viewer"), nil, nil); res.Status != 403 {
		t.Errorf("a viewer ends a challenge: %d", res.Status)
	}
}

func TestRewardEditStockAndRetirement(t *testing.T) {
	h := newHarness(t)
	id := h.createPartner(`{"name":"Reward Partner","email":"reward@partner.example"}`)["id"].(string)
	if res := h.do("POST", "/v1/partners/"+id+"/points", h.tokens["alice"], []byte(`{"delta":1000,"reason":"Start"}`), nil); res.Status != 201 {
		t.Fatalf("points: %d %s", res.Status, res.Raw)
	}
	if res := h.do("POST", "/v1/rewards", h.tokens["alice"], []byte(`{"id":"cap","name":"Cap","points_cost":100,"stock":5,"kind":"item"}`), nil); res.Status != 201 {
		t.Fatalf("reward: %d %s", res.Status, res.Raw)
	}
	res := h.do("PATCH", "/v1/rewards/cap", h.roleToken("manager"), []byte(`{"name":"Blue cap","points_cost":150,"stock":2}`), nil)
	if res.Status != 200 || res.Body["name"] != "Blue cap" || res.Body["points_cost"] != 150.0 || res.Body["stock"] != 2.0 {
		t.Fatalf("edit: %d %s", res.Status, res.Raw)
	}
	if res := h.do("PATCH", "/v1/rewards/cap", h.tokens["alice"], []byte(`{"points_cost":0}`), nil); res.Status != 422 || res.Body["error"].(map[string]any)["field"] != "points_cost" {
		t.Errorf("a zero cost: %d %s", res.Status, res.Raw)
	}
	if res := h.do("PATCH", "/v1/rewards/cap", h.tokens["alice"], []byte(`{"stock":null}`), nil); res.Status != 200 || res.Body["stock"] != nil {
		t.Errorf("unlimited stock: %d %s", res.Status, res.Raw)
	}
	if res := h.do("PATCH", "/v1/rewards/cap", h.tokens["alice"], []byte(`{"retired":true}`), nil); res.Status != 200 || res.Body["retired_at"] == nil {
		t.Fatalf("retire: %d %s", res.Status, res.Raw)
	}
	if list := h.do("GET", "/v1/rewards", h.partnerToken(id), nil, nil).Body["rewards"].([]any); len(list) != 0 {
		t.Errorf("a partner sees a retired reward: %v", list)
	}
	if list := h.do("GET", "/v1/rewards", h.tokens["alice"], nil, nil).Body["rewards"].([]any); len(list) != 1 {
		t.Errorf("staff do not see the retired reward: %v", list)
	}
	if res := h.do("POST", "/v1/redemptions", h.partnerToken(id), []byte(`{"reward_id":"cap","quantity":1}`), nil); res.errorCode() != "reward_retired" {
		t.Errorf("redeeming a retired reward: %d %s", res.Status, res.Raw)
	}
	if res := h.do("PATCH", "/v1/rewards/cap", h.tokens["alice"], []byte(`{"retired":false}`), nil); res.Status != 200 || res.Body["retired_at"] != nil {
		t.Fatalf("back in the catalog: %d %s", res.Status, res.Raw)
	}
	if res := h.do("POST", "/v1/redemptions", h.partnerToken(id), []byte(`{"reward_id":"cap","quantity":1}`), nil); res.Status != 201 || res.Body["points"] != 150.0 {
		t.Errorf("redeeming it again: %d %s", res.Status, res.Raw)
	}
	if res := h.do("PATCH", "/v1/rewards/none", h.tokens["alice"], []byte(`{"name":"x"}`), nil); res.Status != 404 {
		t.Errorf("an unknown reward: %d", res.Status)
	}
}

// receiver is a webhook endpoint that keeps what it was sent.
type receiver struct {
	mu    sync.Mutex
	got   []received
	close func()
	url   string
}

type received struct {
	signature string
	body      []byte
	eventID   string
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var evt struct{ ID string }
		_ = json.Unmarshal(body, &evt)
		rc.mu.Lock()
		rc.got = append(rc.got, received{signature: r.Header.Get(notify.SignatureHeader), body: body, eventID: evt.ID})
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL + "/hooks"
	return rc
}

func (rc *receiver) received() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// deliverAll runs the notifier until the receiver holds n deliveries.
func (h *harness) deliverAll(rc *receiver, n int) []received {
	h.t.Helper()
	notifier := h.fns["Notifier"]
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && len(rc.received()) < n; {
		if _, err := sqsqueue.PollDeliveriesOnce(context.Background(), h.env.SQS, notifier.NotifyURL, notifier.NotifyRetryBase, notifier.Notify, 1); err != nil {
			h.t.Fatal(err)
		}
	}
	got := rc.received()
	if len(got) != n {
		h.t.Fatalf("the endpoint received %d deliveries, want %d", len(got), n)
	}
	return got
}

func signatures(header string) int { return strings.Count(header, "v1=") }

func TestRotatedSecretSignsWithBothSecretsDuringTheOverlap(t *testing.T) {
	h := newHarness(t)
	rc := newReceiver(t)
	created := h.do("POST", "/v1/webhook-endpoints", h.tokens["bob"], []byte(`{"url":"`+rc.url+`","events":["commission.created"]}`), nil)
	if created.Status != 201 {
		t.Fatalf("endpoint: %d %s", created.Status, created.Raw)
	}
	endpoint, first := created.Body["id"].(string), created.Body["secret"].(string)
	rotate := func(body string) response {
		return h.do("POST", "/v1/webhook-endpoints/"+endpoint+"/rotate-secret", h.tokens["bob"], []byte(body), nil)
	}
	if res := h.do("POST", "/v1/webhook-endpoints/"+endpoint+"/rotate-secret", h.tokens["alice"], []byte(`{}`), nil); res.Status != 403 {
		t.Fatalf("finance rotates an endpoint's secret: %d", res.Status)
	}
	if res := rotate(`{"overlap_seconds":604801}`); res.Status != 422 || res.Body["error"].(map[string]any)["field"] != "overlap_seconds" {
		t.Fatalf("an overlap past a week: %d %s", res.Status, res.Raw)
	}
	rotated := rotate(`{"overlap_seconds":3600}`)
	second, _ := rotated.Body["secret"].(string)
	until, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(rotated.Body["previous_secret_expires_at"]))
	if rotated.Status != 200 || second == "" || second == first || until.Sub(time.Now()) < 59*time.Minute || until.Sub(time.Now()) > time.Hour {
		t.Fatalf("rotation: %d %s", rotated.Status, rotated.Raw)
	}
	if got := h.do("GET", "/v1/webhook-endpoints/"+endpoint, h.tokens["bob"], nil, nil); got.Body["secret"] != nil || strings.Contains(string(got.Raw), first) {
		t.Fatalf("a secret is shown again: %s", got.Raw)
	}

	h.ahead.Add(int64(time.Minute)) // every function has seen the endpoint
	p := h.createPartner(`{"name":"Hook Partner","email":"hook@partner.example"}`)
	h.postGeneric("/webhooks/orders", genericOrder("e1", "o1", p["referral_code"].(string), "EUR", 10000))
	if rep, err := h.fns["Dispatcher"].Notify.Dispatch(context.Background()); err != nil || rep.Deliveries != 1 {
		t.Fatalf("dispatch: %+v %v", rep, err)
	}
	d := h.deliverAll(rc, 1)[0]
	if signatures(d.signature) != 2 {
		t.Fatalf("during the overlap the delivery carries %q, want two signatures", d.signature)
	}
	for name, secret := range map[string]string{"new": second, "previous": first} {
		if err := webhook.VerifyTimestamped(d.signature, d.body, []byte(secret), time.Now()); err != nil {
			t.Errorf("a receiver holding the %s secret refuses the delivery: %v", name, err)
		}
	}

	// No overlap: the previous secret stops signing at once.
	third := rotate(`{"overlap_seconds":0}`)
	if third.Status != 200 || third.Body["previous_secret_expires_at"] != nil {
		t.Fatalf("rotation without overlap: %d %s", third.Status, third.Raw)
	}
	if res := h.do("POST", "/v1/webhook-endpoints/"+endpoint+"/deliveries/"+d.eventID+"/resend", h.tokens["bob"], nil, nil); res.Status != 202 {
		t.Fatalf("resend: %d %s", res.Status, res.Raw)
	}
	again := h.deliverAll(rc, 2)[1]
	if signatures(again.signature) != 1 || webhook.VerifyTimestamped(again.signature, again.body, []byte(third.Body["secret"].(string)), time.Now()) != nil ||
		webhook.VerifyTimestamped(again.signature, again.body, []byte(second), time.Now()) == nil {
		t.Errorf("after a rotation without overlap the delivery is signed %q: only the newest secret should match", again.signature)
	}
}

func TestResendQueuesOneMoreDeliveryOfTheSameEvent(t *testing.T) {
	h := newHarness(t)
	rc := newReceiver(t)
	created := h.do("POST", "/v1/webhook-endpoints", h.tokens["bob"], []byte(`{"url":"`+rc.url+`","events":["commission.created"]}`), nil)
	if created.Status != 201 {
		t.Fatalf("endpoint: %d %s", created.Status, created.Raw)
	}
	endpoint := created.Body["id"].(string)
	h.ahead.Add(int64(time.Minute))
	p := h.createPartner(`{"name":"Resend Partner","email":"resend@partner.example"}`)
	h.postGeneric("/webhooks/orders", genericOrder("e1", "o1", p["referral_code"].(string), "EUR", 10000))
	if rep, err := h.fns["Dispatcher"].Notify.Dispatch(context.Background()); err != nil || rep.Deliveries != 1 {
		t.Fatalf("dispatch: %+v %v", rep, err)
	}
	first := h.deliverAll(rc, 1)[0]
	deliveries := func() []any {
		return h.do("GET", "/v1/webhook-endpoints/"+endpoint+"/deliveries", h.tokens["bob"], nil, nil).Body["deliveries"].([]any)
	}
	if n := len(deliveries()); n != 1 {
		t.Fatalf("%d deliveries listed before the resend", n)
	}

	resend := "/v1/webhook-endpoints/" + endpoint + "/deliveries/" + first.eventID + "/resend"
	if res := h.do("POST", resend, h.tokens["alice"], nil, nil); res.Status != 403 {
		t.Fatalf("finance resends: %d", res.Status)
	}
	if res := h.do("POST", "/v1/webhook-endpoints/"+endpoint+"/deliveries/evt_never/resend", h.tokens["bob"], nil, nil); res.Status != 404 {
		t.Fatalf("resending an event never sent: %d %s", res.Status, res.Raw)
	}
	res := h.do("POST", resend, h.tokens["bob"], nil, nil)
	if res.Status != 202 || res.Body["event_id"] != first.eventID || res.Body["resend_id"] == "" {
		t.Fatalf("resend: %d %s", res.Status, res.Raw)
	}
	got := h.deliverAll(rc, 2)
	if got[1].eventID != first.eventID || string(got[1].body) != string(first.body) {
		t.Errorf("the resend delivered %s, want the same event %s", got[1].body, first.body)
	}
	list := deliveries()
	if len(list) != 2 || list[0].(map[string]any)["event_id"] != first.eventID || list[0].(map[string]any)["status"] != "succeeded" {
		t.Errorf("deliveries after the resend: %v", list)
	}
	if rep, _ := h.fns["Dispatcher"].Notify.Dispatch(context.Background()); rep.Events != 0 {
		t.Errorf("the resend went through the outbox: %+v", rep)
	}
	if n, _ := sqsqueue.PollDeliveriesOnce(context.Background(), h.env.SQS, h.fns["Notifier"].NotifyURL, time.Second, h.fns["Notifier"].Notify, 1); n != 0 || len(rc.received()) != 2 {
		t.Errorf("one resend delivered more than once: %d more queued, %d received", n, len(rc.received()))
	}
	entries := h.do("GET", "/v1/audit?target=endpoint:"+endpoint+"/event:"+first.eventID, h.tokens["bob"], nil, nil).Body["entries"].([]any)
	if len(entries) != 1 || entries[0].(map[string]any)["action"] != "endpoint.delivery_resent" {
		t.Errorf("audit of the resend: %v", entries)
	}
}
