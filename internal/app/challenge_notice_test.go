package app_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestChallengeEditsFollowItsStartNotice: an edit of a challenge that has
// not started rewrites the scheduled notice of its start (subject, body,
// name and end), ending it before its start withdraws the notice, and a
// notice already sent stays as it went out.
func TestChallengeEditsFollowItsStartNotice(t *testing.T) {
	h := newHarness(t)
	to := mailbox("notice-follow")
	h.createPartner(fmt.Sprintf(`{"name":"Nora","email":%q,"tier":"silver"}`, to))
	now := time.Now().UTC().Truncate(time.Second)
	create := func(id string, starts time.Time) {
		body := fmt.Sprintf(`{"id":%q,"name":"Spring push","description":"Review the X200","starts_at":%q,"ends_at":%q,"kind":"task","reward":{"points":10}}`,
			id, starts.Format(time.RFC3339), now.AddDate(0, 0, 20).Format(time.RFC3339))
		if res := h.do("POST", "/v1/challenges", h.tokens["alice"], []byte(body), nil); res.Status != http.StatusCreated {
			t.Fatalf("challenge %s: %d %s", id, res.Status, res.Raw)
		}
	}
	change := func(id, body string) {
		if res := h.do("PATCH", "/v1/challenges/"+id, h.tokens["alice"], []byte(body), nil); res.Status != http.StatusOK {
			t.Fatalf("change %s: %d %s", id, res.Status, res.Raw)
		}
	}

	create("later", now.Add(time.Hour))
	newEnd := now.AddDate(0, 0, 30)
	change("later", fmt.Sprintf(`{"name":"Summer push","description":"Review the X300","ends_at":%q}`, newEnd.Format(time.RFC3339)))
	notice := h.message("msg_challenge_later")
	challenge, _ := notice["challenge"].(map[string]any)
	if notice["subject"] != "Summer push" || notice["body"] != "Review the X300" || notice["status"] != "scheduled" || challenge == nil ||
		challenge["name"] != "Summer push" || challenge["ends_at"] != newEnd.Format(time.RFC3339) {
		t.Fatalf("the notice of an edited challenge: %v", notice)
	}

	create("never", now.Add(time.Hour))
	if res := h.do("POST", "/v1/challenges/never/end", h.tokens["alice"], nil, nil); res.Status != http.StatusOK {
		t.Fatalf("end before the start: %d %s", res.Status, res.Raw)
	}
	if res := h.do("GET", "/v1/messages/msg_challenge_never", h.tokens["alice"], nil, nil); res.Status != http.StatusNotFound {
		t.Fatalf("the notice of a challenge ended before its start: %d %s", res.Status, res.Raw)
	}

	// Past both starts, the edited challenge's notice goes out with its new
	// words; the withdrawn one reaches nobody.
	h.ahead.Add(int64(2 * time.Hour))
	h.sendBroadcasts()
	if got := mailTo(t, to); len(got) != 1 || got[0].Subject != "A new challenge has started: Summer push" {
		t.Fatalf("e-mails after the starts: %+v", got)
	}

	// A notice sent stays as it went out.
	change("later", `{"name":"Autumn push"}`)
	if sent := h.message("msg_challenge_later"); sent["subject"] != "Summer push" || sent["status"] == "scheduled" {
		t.Fatalf("a sent notice after an edit: %v", sent)
	}
}
