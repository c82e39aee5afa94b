package app_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/dynamo"
	"github.com/partnerloop/partnerloop/internal/payout"
)

// payablePartners creates n partners with 100 EUR of commission payable
// each, the last of them suspended, and returns their ids.
func (h *harness) payablePartners(n int) []string {
	h.t.Helper()
	var ids []string
	for i := range n {
		p := h.createPartner(fmt.Sprintf(`{"name":"P%d","email":"p%d@p.example"}`, i, i))
		ids = append(ids, p["id"].(string))
		if res := h.postGeneric("/webhooks/orders", genericOrder(fmt.Sprintf("evt_%d", i), fmt.Sprintf("ord_%d", i), p["referral_code"].(string), "EUR", 100000)); res.Status != http.StatusOK {
			h.t.Fatalf("order: %d %s", res.Status, res.Raw)
		}
	}
	if res := h.do("PATCH", "/v1/partners/"+ids[n-1], h.tokens["alice"], []byte(`{"status":"suspended"}`), nil); res.Status != http.StatusOK {
		h.t.Fatalf("suspend: %d %s", res.Status, res.Raw)
	}
	return ids
}

func TestConcurrentBatchBuildsMakeOneBatchAndNoEmptyOnes(t *testing.T) {
	h := newHarness(t)
	ids := h.payablePartners(3)

	const builds = 6
	answers := make([]response, builds)
	var wg sync.WaitGroup
	for i := range builds {
		wg.Go(func() { answers[i] = h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil) })
	}
	wg.Wait()
	var created []response
	for _, res := range answers {
		switch {
		case res.Status == http.StatusCreated:
			created = append(created, res)
		case res.Status == http.StatusConflict && (res.errorCode() == "nothing_payable" || res.errorCode() == "batch_in_progress"):
		default:
			t.Errorf("a concurrent build answered %d %s", res.Status, res.Raw)
		}
	}
	if len(created) != 1 {
		t.Fatalf("%d of %d concurrent builds created a batch", len(created), builds)
	}
	batch := created[0].Body
	if items := batch["items"].([]any); len(items) != 2 {
		t.Fatalf("the batch pays %d partners: %s", len(items), created[0].Raw)
	}
	wantSkipped := []any{map[string]any{"partner_id": ids[2], "currency": "EUR", "reason": "partner suspended"}}
	if !reflect.DeepEqual(batch["skipped"], wantSkipped) {
		t.Errorf("skipped in the answer: %v", batch["skipped"])
	}

	list := h.do("GET", "/v1/payout-batches", h.tokens["alice"], nil, nil).Body["batches"].([]any)
	if len(list) != 1 {
		t.Fatalf("%d batches stored, want the one created", len(list))
	}
	detail := h.do("GET", "/v1/payout-batches/"+batch["id"].(string), h.tokens["alice"], nil, nil).Body
	if !reflect.DeepEqual(list[0], any(detail)) || !reflect.DeepEqual(detail["skipped"], batch["skipped"]) {
		t.Errorf("skipped differs:\nanswer %v\nlist   %v\ndetail %v", batch["skipped"], list[0].(map[string]any)["skipped"], detail["skipped"])
	}

	// The lock went with the build: the next build is refused for having
	// nothing to pay, and writes nothing.
	before := h.itemCount()
	if res := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil); res.Status != http.StatusConflict || res.errorCode() != "nothing_payable" {
		t.Fatalf("build after the batch: %d %s", res.Status, res.Raw)
	}
	if after := h.itemCount(); after != before {
		t.Fatalf("a refused build wrote %d items", after-before)
	}
}

func TestABuildLockOfACrashedBuildLapses(t *testing.T) {
	h := newHarness(t)
	h.payablePartners(2)
	store := dynamo.Open(h.env.DB, h.env.Table).Payouts
	now := h.cfg.Now()
	if err := store.LockBuild(context.Background(), "pb_crashed", now, now.Add(payout.BuildLease)); err != nil {
		t.Fatal(err)
	}
	before := h.itemCount()
	if res := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil); res.Status != http.StatusConflict || res.errorCode() != "batch_in_progress" {
		t.Fatalf("build while another holds the lock: %d %s", res.Status, res.Raw)
	}
	if after := h.itemCount(); after != before {
		t.Fatalf("a refused build wrote %d items", after-before)
	}
	h.ahead.Add(int64(payout.BuildLease + time.Second))
	if res := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil); res.Status != http.StatusCreated {
		t.Fatalf("build after the lease lapsed: %d %s", res.Status, res.Raw)
	}
}

func TestADraftWithNothingToPayIsNotApproved(t *testing.T) {
	h := newHarness(t)
	// An empty draft as earlier releases kept after losing every reservation.
	empty := payout.Batch{ID: "pb_20260101T000000_empty", Status: payout.BatchDraft, CreatedBy: "alice", CreatedAt: time.Now().UTC()}
	if err := dynamo.Open(h.env.DB, h.env.Table).Payouts.PutBatch(context.Background(), empty); err != nil {
		t.Fatal(err)
	}
	before := h.itemCount()
	if res := h.do("POST", "/v1/payout-batches/"+empty.ID+"/approve", h.tokens["bob"], nil, nil); res.Status != http.StatusConflict || res.errorCode() != "nothing_payable" {
		t.Fatalf("approve an empty draft: %d %s", res.Status, res.Raw)
	}
	if after := h.itemCount(); after != before {
		t.Fatalf("a refused approval wrote %d items", after-before)
	}

	// A draft whose only item was excluded has nothing left to pay either.
	h.payablePartners(2)
	built := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
	if built.Status != http.StatusCreated {
		t.Fatalf("build: %d %s", built.Status, built.Raw)
	}
	id, item := built.Body["id"].(string), built.Body["items"].([]any)[0].(map[string]any)["id"].(string)
	if res := h.do("POST", "/v1/payout-batches/"+id+"/items/"+item+"/exclude", h.tokens["alice"], []byte(`{"reason":"paid by hand"}`), nil); res.Status != http.StatusOK {
		t.Fatalf("exclude: %d %s", res.Status, res.Raw)
	}
	if res := h.do("POST", "/v1/payout-batches/"+id+"/approve", h.tokens["bob"], nil, nil); res.Status != http.StatusConflict || res.errorCode() != "nothing_payable" {
		t.Fatalf("approve a draft with every item excluded: %d %s", res.Status, res.Raw)
	}
	if got := h.do("GET", "/v1/payout-batches/"+id, h.tokens["alice"], nil, nil).Body["status"]; got != "draft" {
		t.Fatalf("the refused batch is %v", got)
	}
}
