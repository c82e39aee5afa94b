package app_test

import (
	"testing"
)

// TestWhatJoiningCosts bills the join page's two public paths, the cost
// test's way: a view of the page (the slug and the group read eventually
// consistent, one sharded funnel counter) and an application (the group
// and whether the e-mail was confirmed before, then one transaction: the
// address's and the e-mail's rate counters, the e-mail's hold, the
// application, the funnel counter and the confirmation e-mail's event).
func TestWhatJoiningCosts(t *testing.T) {
	h := newHarness(t)
	h.createGroup(joinGroup("resellers"))
	rec := h.meter()
	h.do("GET", "/v1/join/resellers", "", nil, nil) // a warm function

	rec.Reset()
	if res := h.do("GET", "/v1/join/resellers", "", nil, nil); res.Status != 200 {
		t.Fatalf("view: %d %s", res.Status, res.Raw)
	}
	within(t, "join page view", rec.Bill(), 1, budget{read: 1, write: 1, requests: 3})

	rec.Reset()
	if res := h.submit(application("resellers", mailbox("cost"))); res.Status != 201 {
		t.Fatalf("application: %d %s", res.Status, res.Raw)
	}
	within(t, "application submitted", rec.Bill(), 1, budget{read: 1, write: 14, requests: 3})
}
