package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/mail"
)

// publicProbe is one request an attacker or a careless client sends to a
// public route, and the answer it must get.
type publicProbe struct {
	name         string
	method, path string
	token        string
	body         []byte
	headers      map[string]string
	status       int
	code, field  string // error.code and error.field, when the answer is a refusal
	mayWrite     bool   // a counted view or a taken application; a refusal writes nothing
	headerChecks map[string]string
}

// run sends the probe and holds the answer to it: never a 5xx, the status
// and error wanted, nothing written on a refusal, the headers wanted.
func (p publicProbe) run(t *testing.T, h *harness) {
	t.Helper()
	before := h.itemCount()
	res := h.do(p.method, p.path, p.token, p.body, p.headers)
	if res.Status >= 500 {
		t.Fatalf("%d: %s", res.Status, res.Raw)
	}
	if res.Status != p.status {
		t.Fatalf("status %d, want %d: %.300s", res.Status, p.status, res.Raw)
	}
	if p.code != "" && res.errorCode() != p.code {
		t.Errorf("error.code %q, want %q: %s", res.errorCode(), p.code, res.Raw)
	}
	if got := fieldOf(res); got != p.field {
		t.Errorf("error.field %q, want %q: %s", got, p.field, res.Raw)
	}
	if !p.mayWrite && h.itemCount() != before {
		t.Errorf("wrote %d items", h.itemCount()-before)
	}
	for name, want := range p.headerChecks {
		if got := res.Header.Get(name); !strings.Contains(got, want) {
			t.Errorf("%s %q, want it to hold %q", name, got, want)
		}
	}
}

func runProbes(t *testing.T, h *harness, probes []publicProbe) {
	t.Helper()
	for _, p := range probes {
		t.Run(p.name, func(t *testing.T) { p.run(t, h) })
	}
}

func TestPublicJoinRoutesHoldAgainstHostileAndCarelessInput(t *testing.T) {
	h := newHarness(t)
	h.createGroup(joinGroup("resellers",
		`"label":{"en":"Channel"`, `"label":{"en":"<img src=x onerror=alert(1)>"`,
		`"ru":"Зарабатывайте"`, `"ru":"[click](javascript:alert(1)) <iframe src=//evil.example>"`))
	to := mailbox("probe")
	app := func(tweak ...string) []byte { return application("resellers", to, tweak...) }
	name := `"name":"Giulia Bianchi"`
	runProbes(t, h, []publicProbe{
		// The application's body.
		{name: "body over 1 MiB", method: "POST", path: "/v1/applications", body: app(name, `"name":"`+strings.Repeat("a", 1<<20)+`"`), status: 413, code: "payload_too_large"},
		{name: "empty body", method: "POST", path: "/v1/applications", status: 400, code: "malformed_json"},
		{name: "a JSON array", method: "POST", path: "/v1/applications", body: []byte(`[]`), status: 400, code: "malformed_json"},
		{name: "JSON null", method: "POST", path: "/v1/applications", body: []byte(`null`), status: 422, code: "invalid_application", field: "group"},
		{name: "a number for the name", method: "POST", path: "/v1/applications", body: app(name, `"name":7`), status: 400, code: "malformed_json", field: "name"},
		{name: "a string for consent", method: "POST", path: "/v1/applications", body: app(`"consent":true`, `"consent":"yes"`), status: 400, code: "malformed_json", field: "consent"},
		{name: "answers as a list", method: "POST", path: "/v1/applications", body: app(`"answers":{"shop_url":"https://shop.giulia.example","channel":"online"}`, `"answers":["x"]`), status: 400, code: "malformed_json", field: "answers"},
		{name: "an extra field", method: "POST", path: "/v1/applications", body: app(`"consent":true`, `"consent":true,"status":"approved"`), status: 400, code: "malformed_json", field: "status"},
		{name: "a group id past its bound", method: "POST", path: "/v1/applications", body: app(`"group":"resellers"`, `"group":"`+strings.Repeat("g", 300)+`"`), status: 422, code: "invalid_application", field: "group"},
		{name: "a 10,000-character name", method: "POST", path: "/v1/applications", body: app(name, `"name":"`+strings.Repeat("ä", 10000)+`"`), status: 422, code: "invalid_application", field: "name"},
		{name: "a NUL in the name", method: "POST", path: "/v1/applications", body: app(name, `"name":"Giulia\u0000Bianchi"`), status: 422, code: "invalid_application", field: "name"},
		{name: "a line break in the name", method: "POST", path: "/v1/applications", body: app(name, `"name":"Giulia\r\nBcc: all@shop.example"`), status: 422, code: "invalid_application", field: "name"},
		{name: "a right-to-left override in the name", method: "POST", path: "/v1/applications", body: app(name, `"name":"Giulia \u202egnp.exe"`), status: 422, code: "invalid_application", field: "name"},
		{name: "a header in the e-mail", method: "POST", path: "/v1/applications", body: app(`"email":"`+to+`"`, `"email":"a@b.example\r\nBcc: all@shop.example"`), status: 422, code: "invalid_application", field: "email"},
		{name: "an e-mail past its bound", method: "POST", path: "/v1/applications", body: app(`"email":"`+to+`"`, `"email":"`+strings.Repeat("a", 300)+`@x.example"`), status: 422, code: "invalid_application", field: "email"},
		{name: "a lower-case country", method: "POST", path: "/v1/applications", body: app(`"country":"IT"`, `"country":"it"`), status: 422, code: "invalid_application", field: "country"},
		{name: "a website with credentials", method: "POST", path: "/v1/applications", body: app(`"website":"https://giulia.example"`, `"website":"https://user:pw@giulia.example"`), status: 422, code: "invalid_application", field: "website"},
		{name: "an answer key past its bound", method: "POST", path: "/v1/applications", body: app(`"channel":"online"`, `"channel":"online","`+strings.Repeat("k", 300)+`":"x"`), status: 422, code: "invalid_application", field: "answers"},
		{name: "an object for an answer", method: "POST", path: "/v1/applications", body: app(`"channel":"online"`, `"channel":{"$ne":null}`), status: 422, code: "invalid_application", field: "answers.channel"},
		{name: "the honeypot", method: "POST", path: "/v1/applications", body: app(`"consent":true`, `"consent":true,"fax":"1"`), status: 201},

		// The confirmation link.
		{name: "confirm: no token", method: "POST", path: "/v1/applications/confirm", body: []byte(`{"token":""}`), status: 404, code: "not_found"},
		{name: "confirm: a number", method: "POST", path: "/v1/applications/confirm", body: []byte(`{"token":7}`), status: 400, code: "malformed_json", field: "token"},
		{name: "confirm: a forged token", method: "POST", path: "/v1/applications/confirm", body: []byte(`{"token":"ap_1.9999999999.00000000000000000000000000000000"}`), status: 404, code: "not_found"},
		{name: "confirm: a huge token", method: "POST", path: "/v1/applications/confirm", body: fmt.Appendf(nil, `{"token":"%s"}`, strings.Repeat("a.", 50000)+"a"), status: 404, code: "not_found"},
		{name: "confirm: an unsubscribe token", method: "POST", path: "/v1/applications/confirm", body: fmt.Appendf(nil, `{"token":%q}`, mail.NewSigner(secrets.UnsubscribeKey).Token("pt_x", mail.Earnings)), status: 404, code: "not_found"},

		// The join page and its data.
		{name: "page: script in the slug", method: "GET", path: "/join/%3Cimg%20src=x%20onerror=alert(1)%3E", status: 200,
			headerChecks: map[string]string{"Content-Security-Policy": "frame-ancestors 'none'", "X-Frame-Options": "DENY"}},
		{name: "data: a traversal in the slug", method: "GET", path: "/v1/join/..%2F..%2Fresellers", status: 404, code: "not_found"},
		{name: "data: a NUL slug", method: "GET", path: "/v1/join/%00", status: 404, code: "not_found"},
		{name: "data: a slug that is not UTF-8", method: "GET", path: "/v1/join/%ff%fe", status: 404, code: "not_found"},
		{name: "data: the slug in capitals", method: "GET", path: "/v1/join/RESELLERS", status: 404, code: "not_found"},
		{name: "data: a slug past every bound", method: "GET", path: "/v1/join/" + strings.Repeat("r", 300), status: 404, code: "not_found"},
		{name: "data: a huge Accept-Language", method: "GET", path: "/v1/join/resellers", status: 200, mayWrite: true,
			headers: map[string]string{"Accept-Language": strings.Repeat("xx-YY;q=0.9, ", 40000) + "it;q=NaN, ru;q=Inf"}},
		{name: "beacon: a NUL slug", method: "POST", path: "/v1/join/%00/started", status: 404, code: "not_found"},
		{name: "beacon: a body it does not read", method: "POST", path: "/v1/join/resellers/started", body: []byte(strings.Repeat("x", 2<<20)), status: 204, mayWrite: true},

		// The unsubscribe links.
		{name: "unsubscribe: a confirmation token", method: "POST", path: "/unsubscribe/" + confirmationShaped(), status: 404, code: "not_found"},
		{name: "unsubscribe page: a confirmation token", method: "GET", path: "/unsubscribe/" + confirmationShaped(), status: 404, code: "not_found"},
		{name: "unsubscribe: transactional mail", method: "POST", path: "/unsubscribe/" + mail.NewSigner(secrets.UnsubscribeKey).Token("pt_x", mail.Transactional), status: 404, code: "not_found"},
		{name: "unsubscribe: a truncated token", method: "POST", path: "/unsubscribe/" + strings.TrimSuffix(mail.NewSigner(secrets.UnsubscribeKey).Token("pt_x", mail.Earnings), "0")[:40], status: 404, code: "not_found"},
		{name: "unsubscribe: another partner's token with its own mac", method: "POST", path: "/unsubscribe/pt_y.earnings." + strings.Split(mail.NewSigner(secrets.UnsubscribeKey).Token("pt_x", mail.Earnings), ".")[2], status: 404, code: "not_found"},
	})

	t.Run("the join data carries the group's texts as data, never as markup", func(t *testing.T) {
		res := h.do("GET", "/v1/join/resellers?lang=ru", "", nil, nil)
		description := res.Body["description_html"].(string)
		for _, bad := range []string{`href="javascript:`, "<iframe", "<script", "<img"} {
			if strings.Contains(description, bad) {
				t.Errorf("description_html holds %s: %s", bad, description)
			}
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("answered as %q, nosniff %q", ct, res.Header.Get("X-Content-Type-Options"))
		}
	})

	t.Run("a confirmation link works once its e-mail asks, and not after its 7 days", func(t *testing.T) {
		if res := h.submit(app()); res.Status != 201 {
			t.Fatalf("submit: %d %s", res.Status, res.Raw)
		}
		token := h.confirmationToken(to, "")
		runProbes(t, h, []publicProbe{
			{name: "as an unsubscribe link", method: "POST", path: "/unsubscribe/" + token, status: 404, code: "not_found"},
			{name: "as a widget token", method: "GET", path: "/v1/embed/widget", token: token, status: 401, code: "unauthenticated"},
			{name: "truncated", method: "POST", path: "/v1/applications/confirm", body: fmt.Appendf(nil, `{"token":%q}`, token[:len(token)-3]), status: 404, code: "not_found"},
		})
		h.ahead.Store(int64(8 * 24 * time.Hour))
		defer h.ahead.Store(0)
		if res := h.confirm(token); res.Status != 404 || res.errorCode() != "not_found" {
			t.Errorf("an expired link: %d %s", res.Status, res.Raw)
		}
	})
}

// confirmationShaped is a token in the shape of a confirmation link's.
func confirmationShaped() string {
	return fmt.Sprintf("ap_0123456789abcdef0123.%d.0123456789abcdef0123456789abcdef", time.Now().Add(time.Hour).Unix())
}

func TestTheApplicationRateLimitCountsTheSourceAddressNotXForwardedFor(t *testing.T) {
	h := newHarness(t)
	h.createGroup(joinGroup("resellers"))
	for i := range 10 {
		res := h.do("POST", "/v1/applications", "", application("resellers", mailbox(fmt.Sprintf("s%d", i))),
			map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i)})
		if res.Status != http.StatusCreated {
			t.Fatalf("application %d: %d %s", i, res.Status, res.Raw)
		}
	}
	before := h.itemCount()
	res := h.do("POST", "/v1/applications", "", application("resellers", mailbox("eleventh")),
		map[string]string{"X-Forwarded-For": "198.51.100.7", "X-Real-IP": "198.51.100.8", "Forwarded": "for=198.51.100.9"})
	if res.Status != http.StatusTooManyRequests || res.errorCode() != "rate_limited" {
		t.Fatalf("eleventh from one address under another X-Forwarded-For: %d %s", res.Status, res.Raw)
	}
	if h.itemCount() != before {
		t.Errorf("a limited application wrote items")
	}
}

func TestPublicEmbedRoutesHoldAgainstHostileAndCarelessInput(t *testing.T) {
	h := newHarness(t)
	h.createGroup(customersGroup("customers", `{"kind":"percent","value":10,"duration":"once","provider":"shopify","shop":"shop.example"}`))
	_, key := h.apiKey()
	issued := h.embedToken(key, "cust-1", "customers")
	if issued.Status != 201 {
		t.Fatalf("token: %d %s", issued.Status, issued.Raw)
	}
	widgetToken := issued.Body["token"].(string)
	partnerToken := h.partnerToken(issued.Body["partner_id"].(string))
	request := func(tweak ...string) []byte {
		body := `{"external_id":"cust-9","email":"c9@customer.example","name":"Giulia","group":"customers"}`
		for i := 0; i+1 < len(tweak); i += 2 {
			body = strings.Replace(body, tweak[i], tweak[i+1], 1)
		}
		return []byte(body)
	}
	tokens := "/v1/embed/tokens"
	runProbes(t, h, []publicProbe{
		// Who may ask for a widget token.
		{name: "tokens: no credential", method: "POST", path: tokens, body: request(), status: 401, code: "unauthenticated"},
		{name: "tokens: a staff sign-in", method: "POST", path: tokens, token: h.tokens["bob"], body: request(), status: 401, code: "unauthenticated"},
		{name: "tokens: a partner sign-in", method: "POST", path: tokens, token: partnerToken, body: request(), status: 401, code: "unauthenticated"},
		{name: "tokens: a widget token", method: "POST", path: tokens, token: widgetToken, body: request(), status: 401, code: "unauthenticated"},
		{name: "tokens: a forged key", method: "POST", path: tokens, token: key[:len(key)-2] + "xx", body: request(), status: 401, code: "unauthenticated"},

		// What the key's holder may ask.
		{name: "tokens: body over 1 MiB", method: "POST", path: tokens, token: key, body: request(`"Giulia"`, `"`+strings.Repeat("a", 1<<20)+`"`), status: 413, code: "payload_too_large"},
		{name: "tokens: an extra field", method: "POST", path: tokens, token: key, body: request(`"name"`, `"partner_id":"pt_x","name"`), status: 400, code: "malformed_json", field: "partner_id"},
		{name: "tokens: a number for the external id", method: "POST", path: tokens, token: key, body: request(`"cust-9"`, `9`), status: 400, code: "malformed_json", field: "external_id"},
		{name: "tokens: no external id", method: "POST", path: tokens, token: key, body: request(`"cust-9"`, `" "`), status: 422, code: "invalid_request", field: "external_id"},
		{name: "tokens: an external id past its bound", method: "POST", path: tokens, token: key, body: request(`"cust-9"`, `"`+strings.Repeat("c", 300)+`"`), status: 422, code: "invalid_request", field: "external_id"},
		{name: "tokens: no name", method: "POST", path: tokens, token: key, body: request(`"Giulia"`, `""`), status: 422, code: "invalid_request", field: "name"},
		{name: "tokens: a name past its bound", method: "POST", path: tokens, token: key, body: request(`"Giulia"`, `"`+strings.Repeat("n", 201)+`"`), status: 422, code: "invalid_request", field: "name"},
		{name: "tokens: a formula for a name", method: "POST", path: tokens, token: key, body: request(`"Giulia"`, `"=HYPERLINK(\"x\")"`), status: 422, code: "invalid_request", field: "name"},
		{name: "tokens: a control character in the name", method: "POST", path: tokens, token: key, body: request(`"Giulia"`, `"Giulia\u0007"`), status: 422, code: "invalid_request", field: "name"},
		{name: "tokens: not an e-mail", method: "POST", path: tokens, token: key, body: request(`"c9@customer.example"`, `"Giulia <c9@customer.example>"`), status: 422, code: "invalid_request", field: "email"},
		{name: "tokens: no group", method: "POST", path: tokens, token: key, body: request(`"customers"`, `""`), status: 422, code: "invalid_request", field: "group"},

		// What reads the widget.
		{name: "widget: no credential", method: "GET", path: "/v1/embed/widget", status: 401, code: "unauthenticated"},
		{name: "widget: the API key", method: "GET", path: "/v1/embed/widget", token: key, status: 401, code: "unauthenticated"},
		{name: "widget: a staff sign-in", method: "GET", path: "/v1/embed/widget", token: h.tokens["bob"], status: 401, code: "unauthenticated"},
		{name: "widget: a partner sign-in", method: "GET", path: "/v1/embed/widget", token: partnerToken, status: 401, code: "unauthenticated"},
		{name: "widget: a forged token", method: "GET", path: "/v1/embed/widget", token: widgetToken[:len(widgetToken)-2] + "xx", status: 401, code: "unauthenticated"},
		{name: "widget: a huge token", method: "GET", path: "/v1/embed/widget", token: "plw_" + strings.Repeat("w", 8000), status: 401, code: "unauthenticated"},
		{name: "widget: the token twice", method: "GET", path: "/v1/embed/widget", token: widgetToken + " " + widgetToken, status: 401, code: "unauthenticated"},

		// The widget's token and the API key nowhere else.
		{name: "staff route: the widget token", method: "GET", path: "/v1/applications", token: widgetToken, status: 401, code: "unauthenticated"},
		{name: "staff route: the API key", method: "GET", path: "/v1/api-keys", token: key, status: 401, code: "unauthenticated"},
		{name: "partner route: the widget token", method: "GET", path: "/v1/partners/" + issued.Body["partner_id"].(string), token: widgetToken, status: 401, code: "unauthenticated"},

		// The widget's page: framed by the group's shop only.
		{name: "embed page: the group's shop frames it", method: "GET", path: "/embed/?group=customers", status: 200,
			headerChecks: map[string]string{"Content-Security-Policy": "frame-ancestors https://shop.example;"}},
		{name: "embed page: an unknown group", method: "GET", path: "/embed/?group=nobody", status: 200,
			headerChecks: map[string]string{"Content-Security-Policy": "frame-ancestors 'none'"}},
		{name: "embed page: a group id past its bound", method: "GET", path: "/embed/?group=" + strings.Repeat("g", 5000), status: 200,
			headerChecks: map[string]string{"Content-Security-Policy": "frame-ancestors 'none'"}},
		{name: "embed page: a CSP directive in the group", method: "GET", path: "/embed/?group=customers%3B%20script-src%20*", status: 200,
			headerChecks: map[string]string{"Content-Security-Policy": "frame-ancestors 'none'"}},
		{name: "snippet", method: "GET", path: "/embed/snippet.js", status: 200,
			headerChecks: map[string]string{"Content-Type": "javascript", "X-Content-Type-Options": "nosniff"}},
	})

	t.Run("a refused first token leaves the customer free to be asked for again", func(t *testing.T) {
		if res := h.do("POST", tokens, key, request(`"Giulia"`, `""`), nil); res.Status != 422 {
			t.Fatalf("no name: %d %s", res.Status, res.Raw)
		}
		if res := h.do("POST", tokens, key, request(), nil); res.Status != 201 {
			t.Fatalf("the same customer with a name: %d %s", res.Status, res.Raw)
		}
	})
}
