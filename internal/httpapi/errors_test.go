package httpapi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/referral"
)

func readme(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestREADMEErrorTableIsTheFailuresList keeps the README's error table and
// the list handlers answer from equal.
func TestREADMEErrorTableIsTheFailuresList(t *testing.T) {
	doc := readme(t)
	start, end := "<!-- errors:start -->\n", "<!-- errors:end -->"
	i, j := strings.Index(doc, start), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("README has no %q … %q block", start, end)
	}
	if got := doc[i+len(start) : j]; got != ErrorTable() {
		t.Errorf("README error table differs from httpapi.failures; replace it with:\n%s", ErrorTable())
	}
}

// TestREADMEWebhookStatusesAreInTheFailuresList checks the webhook summary
// table names only answers the failures list gives.
func TestREADMEWebhookStatusesAreInTheFailuresList(t *testing.T) {
	known := map[string]bool{}
	for _, f := range slices.Concat(failures, []failure{internalFailure}) {
		known[fmt.Sprint(f.status, " ", f.code)] = true
	}
	doc := readme(t)
	section := doc[strings.Index(doc, "### Status codes for webhooks"):]
	section = section[:strings.Index(section, "\n### ")]
	rows := regexp.MustCompile("\\| ([45]\\d\\d) \\| `([a-z_]+)`").FindAllStringSubmatch(section, -1)
	if len(rows) < 5 {
		t.Fatalf("found %d error rows in the webhook status table", len(rows))
	}
	for _, m := range rows {
		if !known[m[1]+" "+m[2]] {
			t.Errorf("README webhook table answers %s %s, which no failure does", m[1], m[2])
		}
	}
}

func TestAnErrorIsAnsweredByTheFirstRowItMatches(t *testing.T) {
	s := &Server{Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{invalidEvent(fmt.Errorf("amount: %w", money.ErrUnknownCurrency)), 400, "unknown_currency"},
		{invalidEvent(errors.New("missing id")), 400, "invalid_event"},
		{invalidEvent(referral.ErrInvalidLead), 400, "invalid_event"},
		{referral.ErrInvalidLead, 422, "invalid_referral"},
		{fmt.Errorf("currency differs: %w", ledger.ErrInvalidEvent), 422, "invalid_event"},
		{fmt.Errorf("item: %w", payout.ErrNotDraft), 409, "not_draft"},
		{errors.New("dynamodb: connection reset"), 500, "internal"},
	} {
		w := httptest.NewRecorder()
		s.fail(w, httptest.NewRequest(http.MethodGet, "/", nil), c.err)
		if w.Code != c.status || !strings.Contains(w.Body.String(), `"code":"`+c.code+`"`) {
			t.Errorf("%v: answered %d %s, want %d %s", c.err, w.Code, w.Body, c.status, c.code)
		}
	}
	w := httptest.NewRecorder()
	s.fail(w, httptest.NewRequest(http.MethodGet, "/", nil), errors.New("dynamodb: secret-ish detail"))
	if strings.Contains(w.Body.String(), "secret-ish") {
		t.Errorf("a 500 echoes its cause: %s", w.Body)
	}
}
