package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Every JSON and CSV answer forbids content sniffing; CSV files, which carry
// payout details and finance's figures, are never cached.
func TestAnswersAreNotSniffedAndExportsAreNotCached(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"Pay Pal Ltd","email":"pp@p.example","payout":{"method":"paypal"}}`)
	h.postGeneric("/webhooks/orders", genericOrder("e1", "o1", p["referral_code"].(string), "EUR", 24000))
	batch := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil).Body["id"].(string)
	if res := h.do("POST", "/v1/payout-batches/"+batch+"/approve", h.tokens["bob"], nil, nil); res.Status != 200 {
		t.Fatalf("approve: %d %s", res.Status, res.Raw)
	}

	for _, c := range []struct {
		name, path, token string
		status            int
		contentType       string
	}{
		{"a JSON answer", "/v1/partners", h.tokens["alice"], 200, "application/json"},
		{"an error", "/v1/partners", "", 401, "application/json"},
		{"no such route", "/v1/nowhere", h.tokens["alice"], 404, "application/json"},
		{"a report as CSV", "/v1/reports/owed?format=csv", h.tokens["alice"], 200, "text/csv"},
		{"a batch file", "/v1/payout-batches/" + batch + "/export?currency=EUR&format=paypal", h.tokens["alice"], 200, "text/csv"},
	} {
		res := h.do("GET", c.path, c.token, nil, nil)
		if res.Status != c.status || !strings.HasPrefix(res.Header.Get("Content-Type"), c.contentType) {
			t.Errorf("%s: %d %s %s", c.name, res.Status, res.Header.Get("Content-Type"), res.Raw)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", c.name, got)
		}
		if got := res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q", c.name, got)
		}
	}
}

// The development sign-in hands out tokens: a page of another site whose
// name was rebound to this machine must not get one.
func TestTheDevelopmentSignInAnswersOnlyLoopbackNames(t *testing.T) {
	h := newHarness(t)
	demo := h.createPartner(`{"name":"Demo Reseller","email":"demo@partner.example"}`)
	srv := h.site(demo["id"].(string))
	port := strings.TrimPrefix(srv.URL, "http://127.0.0.1:")

	signIn := func(method, host string) (int, http.Header, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+"/dev/sign-in", strings.NewReader(`{"subject":"finance-alice"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		return res.StatusCode, res.Header, body
	}

	for _, host := range []string{"evil.example", "evil.example:" + port, "127.0.0.1.evil.example:" + port} {
		for _, method := range []string{"GET", "POST"} {
			status, header, body := signIn(method, host)
			e, _ := body["error"].(map[string]any)
			if status != http.StatusForbidden || e["code"] != "forbidden" || body["token"] != nil || header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s with Host %s: %d %v", method, host, status, body)
			}
		}
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port} {
		if status, _, _ := signIn("GET", host); status != 200 {
			t.Errorf("the page with Host %s: %d", host, status)
		}
		status, header, body := signIn("POST", host)
		if token, _ := body["token"].(string); status != 200 || token == "" || body["home"] != "/console/" || header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("Host %s: %d %v", host, status, body)
		}
	}
}
