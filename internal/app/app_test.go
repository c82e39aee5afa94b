package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/app/withlocal"
	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/devenv"
	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
	"github.com/partnerloop/partnerloop/internal/httpapi"
	"github.com/partnerloop/partnerloop/internal/httpapi/apispec"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/obs"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/sqsqueue"
	"github.com/partnerloop/partnerloop/internal/web"
	"github.com/partnerloop/partnerloop/internal/webhook"
)

func TestMain(m *testing.M) { os.Exit(devtest.Main(m)) }

var secrets = app.Secrets{Generic: "gen-secret", Shopify: "shop-secret", Stripe: "whsec_test", WooCommerce: "woo-secret", EmailHashKey: "hash-key"}

type harness struct {
	t   testing.TB
	env devtest.Env
	// app may do everything: tests set up and check through it.
	app *app.App
	// fns are the functions as deployed: each serves its own routes and
	// runs its jobs with only the table actions its grant allows.
	fns    map[string]*app.App
	served map[string]http.Handler
	cfg    testConfig
	authn  httpapi.Authenticator
	log    *slog.Logger
	srv    *httptest.Server
	tokens map[string]string
	iam    *simulatedIAM
	// gateway routes a request to the function serving its route, as API
	// Gateway does; built once.
	gateway     *http.ServeMux
	gatewayOnce sync.Once
	// ahead is how far the services' clock runs ahead of the wall clock:
	// after a program is saved it moves past the program cache, as the
	// other functions see the save within that time.
	ahead atomic.Int64
}

// testConfig is the services' configuration and the adapters every
// function of the harness gets (e-mail to the SES emulator, Stripe to
// stripe-mock).
type testConfig struct {
	app.Config
	withlocal.Adapters
}

// wired is the configuration with its adapters.
func (c testConfig) wired() app.Config {
	cfg := c.Config
	c.Wire(&cfg)
	return cfg
}

func newHarness(t testing.TB) *harness {
	return newObservedHarness(t, slog.New(slog.NewJSONHandler(io.Discard, nil)), nil)
}

// newObservedHarness runs the services with the given logger and metrics.
func newObservedHarness(t testing.TB, log *slog.Logger, metrics *obs.Metrics) *harness {
	env := devtest.New(t)
	prog := program.Default()
	prog.HoldDays = 0
	prog.MinimumPayout = map[money.Currency]int64{"EUR": 1000, "USD": 1000}
	jwt := auth.HS256{Secret: []byte("test-jwt")}
	cfg := app.Config{Table: env.Table, PayoutsURL: env.PayoutsURL(), DonationsURL: env.DonationsURL(),
		PayoutsDLQURL: env.QueueURLs[appspec.PayoutsQueue.Name+"-dlq"], DonationsDLQURL: env.QueueURLs[appspec.DonationsQueue.Name+"-dlq"],
		PublicBaseURL: "https://go.partnerloop.example", Program: prog, Secrets: secrets, Metrics: metrics, Web: testSite(t),
		NotifyURL: env.QueueURLs[appspec.NotifyQueue.Name], NotifyRetryBase: time.Second, LocalWebhooks: true,
		MailURL: env.MailURL(), FinanceEmails: []string{"anna@shop.example", "ben@shop.example"}}
	adapters := withlocal.Adapters{SES: devtest.SES(), MailFrom: "partners@shop.example", StripeAPIKey: "sk_test_partnerloop", StripeAPIBase: devtest.StripeMockURL(t)}
	h := &harness{t: t, env: env, cfg: testConfig{cfg, adapters}, authn: httpapi.BearerHS256(jwt), log: log, tokens: map[string]string{}, iam: &simulatedIAM{}}
	h.cfg.Now = func() time.Time { return time.Now().Add(time.Duration(h.ahead.Load())) }
	h.build()
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	t.Cleanup(func() {
		if denied := h.iam.deniedCalls(); len(denied) > 0 {
			t.Errorf("calls IAM would deny (add the action to the function's appspec Access.Table): %v", denied)
		}
	})
	for name, c := range map[string]struct {
		groups  []string
		partner string
	}{"alice": {[]string{"finance"}, ""}, "bob": {[]string{"finance", "admin"}, ""}} {
		tok, err := jwt.Issue(name, c.groups, c.partner, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		h.tokens[name] = tok
	}
	return h
}

// testSite serves the pages with the local development sign-in.
func testSite(t testing.TB) *web.Site {
	site, err := web.New(web.SignIn{DevSignIn: devenv.SignInPath})
	if err != nil {
		t.Fatal(err)
	}
	return site
}

// build makes the services: the all-permissions app and one app per
// function on a DynamoDB client that allows only its grant, each with opts.
func (h *harness) build(opts ...func(*dynamodb.Options)) {
	cfg := h.cfg.wired()
	h.app = app.New(dynamodb.New(h.env.DB.Options(), opts...), h.env.SQS, cfg, h.authn, h.log)
	h.fns, h.served = map[string]*app.App{}, map[string]http.Handler{}
	for _, f := range appspec.Functions {
		granted := append(slices.Clone(opts), h.iam.allow(f.Name, f.Access.Table))
		a := app.New(dynamodb.New(h.env.DB.Options(), granted...), h.env.SQS, cfg, h.authn, h.log)
		h.fns[f.Name] = a
		if len(f.Routes) > 0 {
			h.served[f.Name] = a.Server.Handler(f.Routes)
		}
	}
}

// serve hands a request to the function whose routes include it, as API
// Gateway does; anything else gets the full router's 404 or 405.
func (h *harness) serve(w http.ResponseWriter, r *http.Request) {
	h.gatewayOnce.Do(func() {
		h.gateway = http.NewServeMux()
		routed := map[string]bool{}
		for _, f := range appspec.Functions {
			for _, route := range f.Routes {
				for _, p := range httpapi.GatewayPatterns(route) {
					if !routed[p] { // the first function listing a route serves it
						routed[p] = true
						h.gateway.Handle(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.served[f.Name].ServeHTTP(w, r) }))
					}
				}
			}
		}
	})
	if handler, pattern := h.gateway.Handler(r); pattern != "" {
		handler.ServeHTTP(w, r)
		return
	}
	h.app.Server.Handler(appspec.AllRoutes()).ServeHTTP(w, r)
}

// useDynamoDBOptions rebuilds the services on DynamoDB clients with extra
// options (a capacity meter, say).
func (h *harness) useDynamoDBOptions(opts ...func(*dynamodb.Options)) { h.build(opts...) }

func (h *harness) partnerToken(partnerID string) string {
	tok, err := auth.HS256{Secret: []byte("test-jwt")}.Issue("user-"+partnerID, nil, partnerID, time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

func (r response) errorCode() string {
	e, _ := r.Body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func (h *harness) do(method, path, token string, body []byte, headers map[string]string) response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if method == "PUT" && path == "/v1/program" && res.StatusCode == http.StatusOK {
		h.ahead.Add(int64(app.ProgramCacheFor))
	}
	_ = json.Unmarshal(raw, &out.Body)
	if err := describedAPI(h.t).Check(context.Background(), apispec.Exchange{Method: method, Path: path, Header: req.Header,
		Body: body, Status: res.StatusCode, RespHeader: res.Header, RespBody: raw}); err != nil {
		h.t.Error(err)
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		var doc any
		if err := json.Unmarshal(raw, &doc); err != nil {
			h.t.Errorf("%s %s: response is not JSON: %v", method, path, err)
		}
		if where := findNull(doc, "$"); where != "" {
			h.t.Errorf("%s %s: %s is null; the API answers [] for empty lists and omits absent fields: %s", method, path, where, raw)
		}
	}
	return out
}

var loadDescribedAPI = sync.OnceValues(apispec.Load)

// describedAPI is the OpenAPI description every exchange of the suite is held to.
func describedAPI(t testing.TB) *apispec.Checker {
	c, err := loadDescribedAPI()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// findNull returns the path of the first JSON null in doc, or "".
func findNull(doc any, at string) string {
	switch v := doc.(type) {
	case nil:
		return at
	case map[string]any:
		for k, e := range v {
			if p := findNull(e, at+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range v {
			if p := findNull(e, fmt.Sprintf("%s[%d]", at, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

func (h *harness) createPartner(body string) map[string]any {
	h.t.Helper()
	res := h.do("POST", "/v1/partners", h.tokens["alice"], []byte(body), nil)
	if res.Status != http.StatusCreated {
		h.t.Fatalf("create partner: %d %s", res.Status, res.Raw)
	}
	return res.Body
}

func (h *harness) addCharity(id string) {
	h.t.Helper()
	body := fmt.Sprintf(`{"id":%q,"name":"Clean Water e.V.","registration_number":"VR 12345","country":"DE"}`, id)
	if res := h.do("POST", "/v1/charities", h.tokens["alice"], []byte(body), nil); res.Status != http.StatusCreated {
		h.t.Fatalf("add charity: %d %s", res.Status, res.Raw)
	}
}

func (h *harness) postGeneric(path string, body []byte) response {
	return h.do("POST", path, "", body, map[string]string{
		"Partnerloop-Signature": webhook.SignTimestamped(body, []byte(secrets.Generic), time.Now())})
}

func genericOrder(eventID, orderID, code, currency string, amount int64) []byte {
	return fmt.Appendf(nil, `{"id":%q,"type":"order.paid","order":{"id":%q,"currency":%q,"referral_code":%q,"coupon":null,
		"customer":{"id":"c1","email":"a@b.example"},"lines":[{"sku":"SKU-1","category":"tools","quantity":2,"amount":%d}],
		"tax":2200,"shipping":500}}`, eventID, orderID, currency, code, amount)
}

func (h *harness) balances(partnerID string) map[string]any {
	h.t.Helper()
	res := h.do("GET", "/v1/partners/"+partnerID, h.tokens["alice"], nil, nil)
	if res.Status != 200 {
		h.t.Fatalf("get partner: %d %s", res.Status, res.Raw)
	}
	b, _ := res.Body["balances"].(map[string]any)
	return b
}

func balance(b map[string]any, cur, field string) int64 {
	c, _ := b[cur].(map[string]any)
	v, _ := c[field].(float64) // test-side JSON decoding only; amounts are small integers
	return int64(v)
}

func (h *harness) itemCount() int32 {
	h.t.Helper()
	out, err := h.env.DB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(h.env.Table), Select: "COUNT"})
	if err != nil {
		h.t.Fatal(err)
	}
	return out.Count
}

func TestSignedWebhooksFromEverySourceAccrue(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"Acme Tools","email":"sales@acme.example","tier":"gold"}`)
	id, code := p["id"].(string), p["referral_code"].(string)
	if p["tier"] != "gold" || p["referral_link"] != "https://go.partnerloop.example/r/"+code {
		t.Fatalf("partner %v", p)
	}

	if res := h.postGeneric("/webhooks/orders", genericOrder("evt_1", "ord_1", code, "EUR", 10000)); res.Status != 200 || res.Body["commission"] != 1200.0 {
		t.Fatalf("generic: %d %s", res.Status, res.Raw)
	}

	shop, _ := os.ReadFile("../../events/webhooks/shopify-orders-paid.json")
	shop = bytes.ReplaceAll(shop, []byte("DEMO1234"), []byte(code))
	shopHeaders := func(body []byte, topic, id string) map[string]string {
		mac := webhook.SignRaw(body, []byte(secrets.Shopify))
		return map[string]string{"X-Shopify-Hmac-Sha256": base64.StdEncoding.EncodeToString(mac), "X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": id}
	}
	if res := h.do("POST", "/webhooks/shopify", "", shop, shopHeaders(shop, "orders/paid", "wh-1")); res.Status != 200 || res.Body["commission"] != 2399.0 {
		t.Fatalf("shopify: %d %s", res.Status, res.Raw) // 12% of 199.95
	}
	refund, _ := os.ReadFile("../../events/webhooks/shopify-refunds-create.json")
	if res := h.do("POST", "/webhooks/shopify", "", refund, shopHeaders(refund, "refunds/create", "wh-2")); res.Status != 200 || res.Body["reversed"] != 360.0 {
		t.Fatalf("shopify refund: %d %s", res.Status, res.Raw) // one of two bit sets: half of that line's 7.20
	}

	stripe, _ := os.ReadFile("../../events/webhooks/stripe-checkout-session-completed.json")
	stripe = bytes.ReplaceAll(stripe, []byte("DEMO1234"), []byte(code))
	stripeSig := webhook.SignTimestamped(stripe, []byte(secrets.Stripe), time.Now())
	if res := h.do("POST", "/webhooks/stripe", "", stripe, map[string]string{"Stripe-Signature": stripeSig}); res.Status != 200 || res.Body["commission"] != 1200.0 {
		t.Fatalf("stripe: %d %s", res.Status, res.Raw)
	}
	// Stripe retries the same event: acknowledged, not counted again.
	if res := h.do("POST", "/webhooks/stripe", "", stripe, map[string]string{"Stripe-Signature": stripeSig}); res.Status != 200 || res.Body["status"] != "duplicate" {
		t.Fatalf("stripe retry: %d %s", res.Status, res.Raw)
	}

	b := h.balances(id)
	if balance(b, "EUR", "payable") != 1200+2399-360+1200 || balance(b, "EUR", "reversed") != 360 {
		t.Fatalf("balances %v", b)
	}
	st := h.do("GET", "/v1/partners/"+id+"/statement", h.partnerToken(id), nil, nil)
	lines, _ := st.Body["lines"].([]any)
	if st.Status != 200 || len(lines) != 3 {
		t.Fatalf("statement: %d %s", st.Status, st.Raw)
	}
}

func TestBadDeliveriesGetAClearErrorAndWriteNothing(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"Acme","email":"a@acme.example"}`)
	code := p["referral_code"].(string)
	good := genericOrder("evt_x", "ord_x", code, "EUR", 10000)
	oversized := append(genericOrder("evt_big", "ord_big", code, "EUR", 1)[:0:0], []byte(`{"id":"evt_big","pad":"`+strings.Repeat("x", httpapi.MaxBodyBytes)+`"}`)...)
	before := h.itemCount()
	for _, tc := range []struct {
		name   string
		body   []byte
		sig    string
		status int
		code   string
	}{
		{"bad signature", good, webhook.SignTimestamped(good, []byte("wrong"), time.Now()), 401, "invalid_signature"},
		{"missing signature", good, "", 401, "invalid_signature"},
		{"stale timestamp", good, webhook.SignTimestamped(good, []byte(secrets.Generic), time.Now().Add(-10*time.Minute)), 401, "stale_timestamp"},
		{"malformed json", []byte(`{"id":"evt_m","type":"order.paid","order":`), "", 400, "invalid_event"},
		{"unknown currency", genericOrder("evt_c", "ord_c", code, "ABC", 10000), "", 400, "unknown_currency"},
		{"negative amount", genericOrder("evt_n", "ord_n", code, "EUR", -10000), "", 400, "invalid_event"},
		{"oversized body", oversized, "", 413, "payload_too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig := tc.sig
			if sig == "" && tc.name != "missing signature" {
				sig = webhook.SignTimestamped(tc.body, []byte(secrets.Generic), time.Now())
			}
			res := h.do("POST", "/webhooks/orders", "", tc.body, map[string]string{"Partnerloop-Signature": sig})
			if res.Status != tc.status || res.errorCode() != tc.code {
				t.Fatalf("got %d %s, want %d %s", res.Status, res.Raw, tc.status, tc.code)
			}
			if res.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("error body is not JSON: %q", res.Header.Get("Content-Type"))
			}
		})
	}
	if after := h.itemCount(); after != before {
		t.Fatalf("rejected deliveries wrote %d items", after-before)
	}
}

func TestWebhookWithoutConfiguredSecretIsRefused(t *testing.T) {
	h := newHarness(t)
	h.fns["Webhooks"].Server.Secrets = httpapi.StaticSecrets(httpapi.WebhookSecrets{Generic: []byte(secrets.Generic)}) // no Shopify secret yet
	body := []byte(`{"id":1}`)
	empty := base64.StdEncoding.EncodeToString(webhook.SignRaw(body, nil))
	res := h.do("POST", "/webhooks/shopify", "", body, map[string]string{"X-Shopify-Hmac-Sha256": empty,
		"X-Shopify-Topic": "orders/paid", "X-Shopify-Webhook-Id": "wh"})
	if res.Status != http.StatusServiceUnavailable || res.errorCode() != "not_configured" {
		t.Fatalf("signed with an empty key: %d %s", res.Status, res.Raw)
	}
}

func TestAPIsAreAuthenticatedAndScoped(t *testing.T) {
	h := newHarness(t)
	h.addCharity("ch_redcross")
	a := h.createPartner(`{"name":"A","email":"a@a.example","charity":{"charity_id":"ch_redcross","share_bps":1000}}`)
	b := h.createPartner(`{"name":"B","email":"b@b.example","tier":"silver"}`)
	aTok := h.partnerToken(a["id"].(string))
	for _, tc := range []struct {
		method, path, token string
		body                string
		status              int
	}{
		{"GET", "/healthz", "", "", 200},
		{"GET", "/v1/partners/" + a["id"].(string), "", "", 401},
		{"GET", "/v1/partners/" + a["id"].(string), "not-a-jwt", "", 401},
		{"GET", "/v1/partners/" + a["id"].(string), aTok, "", 200},
		{"GET", "/v1/partners/" + b["id"].(string), aTok, "", 404},
		{"GET", "/v1/partners/" + b["id"].(string) + "/statement", aTok, "", 404},
		{"POST", "/v1/partners", aTok, `{"name":"X","email":"x@x.example"}`, 403},
		{"POST", "/v1/payout-batches", aTok, "", 403},
		{"POST", "/v1/partners", h.tokens["alice"], `{"name":"X","email":"not-an-email"}`, 422},
		{"POST", "/v1/partners", h.tokens["alice"], `{"name":"X","email":"x@x.example","tier":"platinum"}`, 422},
		{"POST", "/v1/partners", h.tokens["alice"], `{"name":"X","email":"x@x.example","charity":{"charity_id":"c","share_bps":20000}}`, 422},
		{"POST", "/v1/partners", h.tokens["alice"], `{"name":"X","email":"x@x.example","charity":{"charity_id":"ch_unknown","share_bps":100}}`, 422},
		{"POST", "/v1/partners", h.tokens["alice"], `{"name":"X","email":"x@x.example","payout":{"method":"stripe"}}`, 422},
		{"POST", "/v1/partners", h.tokens["alice"], `{"name":"X","email":"x@x.example","payout":{"method":"paypal","email":"nope"}}`, 422},
		{"POST", "/v1/partners", h.tokens["alice"], `{"name":"X","email":"x@x.example","payout":{"method":"cheque"}}`, 422},
		{"POST", "/v1/charities", h.tokens["alice"], `{"id":"ch_redcross","name":"R","registration_number":"1","country":"DE"}`, 409},
		{"POST", "/v1/charities", h.tokens["alice"], `{"id":"ch_x","name":"X","registration_number":"1","country":"Germany"}`, 422},
		{"POST", "/v1/charities", aTok, `{"id":"ch_y","name":"Y","registration_number":"1","country":"DE"}`, 403},
		{"GET", "/v1/charities", aTok, "", 200},
		{"POST", "/v1/partners", h.tokens["alice"], `{"name":"X","emial":"x@x.example"}`, 400},
		{"GET", "/v1/partners/pt_missing", h.tokens["bob"], "", 404},
		{"GET", "/v1/payout-batches/pb_missing", h.tokens["bob"], "", 404},
	} {
		res := h.do(tc.method, tc.path, tc.token, []byte(tc.body), nil)
		if res.Status != tc.status {
			t.Errorf("%s %s: got %d %s, want %d", tc.method, tc.path, res.Status, res.Raw, tc.status)
		}
	}
}

func TestReferralLinkRedirectsAndCountsTheClick(t *testing.T) {
	h := newHarness(t)
	code := h.createPartner(`{"name":"A","email":"a@a.example"}`)["referral_code"].(string)
	res := h.do("GET", "/r/"+strings.ToLower(code), "", nil, nil)
	if res.Status != http.StatusFound || landing(res) != "https://shop.example/?ref="+code ||
		!strings.Contains(res.Header.Get("Set-Cookie"), "pl_ref="+code) {
		t.Fatalf("redirect: %d %v", res.Status, res.Header)
	}
	deep := h.do("GET", "/r/"+code+"?to=https://shop.example/products/drill", "", nil, nil)
	evil := h.do("GET", "/r/"+code+"?to=https://evil.example/", "", nil, nil)
	if landing(deep) != "https://shop.example/products/drill?ref="+code || landing(evil) != "https://shop.example/?ref="+code {
		t.Fatalf("deep link %q, foreign target %q", deep.Header.Get("Location"), evil.Header.Get("Location"))
	}
	for _, bad := range []string{"/r/NOSUCHCODE", "/r/https:%2F%2Fevil.example"} {
		if res := h.do("GET", bad, "", nil, nil); res.Status != 404 || res.Header.Get("Location") != "" {
			t.Fatalf("%s: %d %v", bad, res.Status, res.Header)
		}
	}
}

func TestReportedSignUpAttributesALaterOrderWithoutCode(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"A","email":"a@a.example","tier":"silver"}`)
	lead := fmt.Appendf(nil, `{"id":"lead_1","referral_code":%q,"customer":{"id":"c9","email":"Kim@B.example"}}`, p["referral_code"])
	if res := h.postGeneric("/webhooks/referrals", lead); res.Status != 200 || res.Body["partner_id"] != p["id"] {
		t.Fatalf("lead: %d %s", res.Status, res.Raw)
	}
	order := []byte(`{"id":"evt_9","type":"order.paid","order":{"id":"ord_9","currency":"EUR","customer":{"email":"kim@b.example"},"lines":[{"sku":"S","quantity":1,"amount":5000}]}}`)
	if res := h.postGeneric("/webhooks/orders", order); res.Status != 200 || res.Body["partner_id"] != p["id"] || res.Body["commission"] != 400.0 {
		t.Fatalf("order: %d %s", res.Status, res.Raw)
	}
}

func TestPayoutBatchFlowPaysEveryItemExactlyOnce(t *testing.T) {
	h := newHarness(t)
	h.addCharity("ch_water")
	var ids []string
	for i, body := range []string{
		`{"name":"A","email":"a@a.example","tier":"gold","charity":{"charity_id":"ch_water","share_bps":2500}}`,
		`{"name":"B","email":"b@b.example","charity":{"charity_id":"ch_water","share_bps":1000}}`,
		`{"name":"C","email":"c@c.example"}`,
	} {
		p := h.createPartner(body)
		ids = append(ids, p["id"].(string))
		amount := []int64{10000, 20000, 1000}[i] // C earns 5% of 10.00: below the 10.00 minimum
		if res := h.postGeneric("/webhooks/orders", genericOrder(fmt.Sprint("evt_", i), fmt.Sprint("ord_", i), p["referral_code"].(string), "EUR", amount)); res.Status != 200 {
			t.Fatalf("order %d: %d %s", i, res.Status, res.Raw)
		}
	}
	usd := h.postGeneric("/webhooks/orders", genericOrder("evt_usd", "ord_usd", h.createPartnerCode(ids[1]), "USD", 40000))
	if usd.Status != 200 {
		t.Fatalf("usd order: %s", usd.Raw)
	}

	created := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
	if created.Status != 201 || created.Body["status"] != "draft" || created.Body["created_by"] != "alice" {
		t.Fatalf("create batch: %d %s", created.Status, created.Raw)
	}
	batchID := created.Body["id"].(string)
	if items := created.Body["items"].([]any); len(items) != 3 {
		t.Fatalf("items %v (A EUR, B EUR, B USD expected)", items)
	}
	if res := h.do("POST", "/v1/payout-batches", h.tokens["bob"], nil, nil); res.Status != 409 || res.errorCode() != "nothing_payable" {
		t.Fatalf("second batch while the first holds everything: %d %s", res.Status, res.Raw)
	}
	if res := h.do("POST", "/v1/payout-batches/"+batchID+"/approve", h.tokens["alice"], nil, nil); res.Status != 403 || res.errorCode() != "four_eyes" {
		t.Fatalf("self-approval: %d %s", res.Status, res.Raw)
	}
	approved := h.do("POST", "/v1/payout-batches/"+batchID+"/approve", h.tokens["bob"], nil, nil)
	if approved.Status != 200 || approved.Body["approved_by"] != "bob" {
		t.Fatalf("approve: %d %s", approved.Status, approved.Raw)
	}
	if res := h.do("POST", "/v1/payout-batches/"+batchID+"/approve", h.tokens["bob"], nil, nil); res.Status != 409 {
		t.Fatalf("approving twice: %d %s", res.Status, res.Raw)
	}

	final := h.drainUntilCompleted(batchID)
	for _, it := range final.Body["items"].([]any) {
		if it.(map[string]any)["status"] != "paid" {
			t.Fatalf("item not paid: %v", it)
		}
	}
	// A's 12.00: 25% (3.00) to charity, 9.00 to A.
	a := h.balances(ids[0])
	if balance(a, "EUR", "paid") != 900 || balance(a, "EUR", "donated") != 300 || balance(a, "EUR", "in_payout") != 0 || balance(a, "EUR", "payable") != 0 {
		t.Fatalf("A balances %v", a)
	}
	bBal := h.balances(ids[1])
	if balance(bBal, "EUR", "paid") != 900 || balance(bBal, "EUR", "donated") != 100 || balance(bBal, "USD", "paid") != 1800 || balance(bBal, "USD", "donated") != 200 {
		t.Fatalf("B balances %v", bBal)
	}
	// One receipt per charity and currency, naming the partners it was given for.
	receipts := h.do("GET", "/v1/charities/ch_water/receipts", h.tokens["alice"], nil, nil)
	byCur := map[string]map[string]any{}
	for _, r := range receipts.Body["receipts"].([]any) {
		byCur[r.(map[string]any)["currency"].(string)] = r.(map[string]any)
	}
	if len(byCur) != 2 || byCur["EUR"]["amount"] != 400.0 || len(byCur["EUR"]["partners"].([]any)) != 2 || byCur["USD"]["amount"] != 200.0 {
		t.Fatalf("receipts: %s", receipts.Raw)
	}
	st := h.do("GET", "/v1/partners/"+ids[1]+"/statement", h.partnerToken(ids[1]), nil, nil)
	if gifts := st.Body["donated_on_your_behalf"].([]any); len(gifts) != 2 {
		t.Fatalf("statement donations: %s", st.Raw)
	}
	if c := h.balances(ids[2]); balance(c, "EUR", "payable") != 50 || balance(c, "EUR", "paid") != 0 {
		t.Fatalf("C balances %v", c)
	}

	// SQS redelivers messages after a worker crashed: no-ops.
	for _, redelivered := range []payout.Message{
		{BatchID: batchID, ItemID: batchID + "." + ids[0] + ".EUR", PartnerID: ids[0], Leg: payout.LegPayout, Currency: "EUR", Amount: 900},
		{BatchID: batchID, ItemID: batchID + ".donation.ch_water.EUR", Leg: payout.LegDonation, CharityID: "ch_water", Currency: "EUR", Amount: 400},
	} {
		if _, err := h.app.Payouts.Settle(context.Background(), redelivered); err != nil {
			t.Fatal(err)
		}
	}
	if a := h.balances(ids[0]); balance(a, "EUR", "paid") != 900 || balance(a, "EUR", "in_payout") != 0 {
		t.Fatalf("redelivery paid again: %v", a)
	}
	// The next sweep sees every item settled and closes the outbox row.
	if r, err := h.fns["Dispatcher"].Payouts.DispatchPending(context.Background()); err != nil || r.Open != 1 {
		t.Fatalf("closing sweep: %d %v", r.Open, err)
	}
	if r, err := h.fns["Dispatcher"].Payouts.DispatchPending(context.Background()); err != nil || r.Open != 0 {
		t.Fatalf("outbox after completion: %d %v", r.Open, err)
	}
}

// createPartnerCode returns the referral code of an existing partner.
func (h *harness) createPartnerCode(id string) string {
	res := h.do("GET", "/v1/partners/"+id, h.tokens["alice"], nil, nil)
	return res.Body["referral_code"].(string)
}

// sqsqueuePoll runs the queue's worker function once, as its event source mapping would.
func sqsqueuePoll(h *harness, url string) (int, error) {
	worker := h.fns["PayoutWorker"]
	if url == h.env.DonationsURL() {
		worker = h.fns["DonationWorker"]
	}
	return sqsqueue.PollOnce(context.Background(), h.env.SQS, url, worker.Payouts, 0)
}

func (h *harness) drainUntilCompleted(batchID string) response {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, url := range []string{h.env.PayoutsURL(), h.env.DonationsURL()} {
			if _, err := sqsqueuePoll(h, url); err != nil {
				h.t.Fatal(err)
			}
		}
		res := h.do("GET", "/v1/payout-batches/"+batchID, h.tokens["alice"], nil, nil)
		if res.Body["status"] == "completed" {
			return res
		}
	}
	h.t.Fatal("batch did not complete")
	return response{}
}

func TestProgramIsVersionedAndAccrualsRecordTheirVersion(t *testing.T) {
	h := newHarness(t)
	cur := h.do("GET", "/v1/program", h.tokens["alice"], nil, nil)
	if cur.Status != 200 || cur.Body["version"] != 0.0 {
		t.Fatalf("initial program: %d %s", cur.Status, cur.Raw)
	}
	p := h.createPartner(`{"name":"A","email":"a@a.example","tier":"silver"}`)
	if res := h.do("PUT", "/v1/program", h.partnerToken(p["id"].(string)), []byte(`{}`), nil); res.Status != 403 {
		t.Fatalf("partner edited the program: %d", res.Status)
	}
	before := h.itemCount()
	for body, field := range map[string]string{
		`{"landing_url":"https://shop.example/","hold_days":0,"cookie_days":30,"tier_rates_bps":{"authorized":500,"silver":800,"gold":1200},"minimum_payout":{"EUR":1000},"commission":{"overrides":[{"id":"x"}]}}`: "commission.overrides[0]",
		`{"landing_url":"https://shop.example/","hold_days":0,"cookie_days":30,"tier_rates_bps":{"authorized":500,"silver":800,"gold":1200},"minimum_payout":{"EUR":1000},"comission":{}}`:                          "comission",
	} {
		res := h.do("PUT", "/v1/program", h.tokens["alice"], []byte(body), nil)
		if res.Status != 422 || !strings.Contains(string(res.Raw), field) {
			t.Errorf("invalid program: %d %s, want 422 naming %s", res.Status, res.Raw, field)
		}
	}
	if h.itemCount() != before {
		t.Fatal("a rejected program was stored")
	}
	next := `{"landing_url":"https://shop.example/","hold_days":0,"cookie_days":30,
		"tier_rates_bps":{"authorized":500,"silver":800,"gold":1200},"minimum_payout":{"EUR":1000},
		"commission":{"overrides":[{"id":"tools-promo","category":"tools","rate_bps":1500}],"exclude_categories":["gift_cards"]}}`
	saved := h.do("PUT", "/v1/program", h.tokens["bob"], []byte(next), nil)
	if saved.Status != 200 || saved.Body["version"] != 1.0 || saved.Body["updated_by"] != "bob" {
		t.Fatalf("save: %d %s", saved.Status, saved.Raw)
	}
	order := []byte(`{"id":"evt_p","type":"order.paid","order":{"id":"ord_p","currency":"EUR","referral_code":"` + p["referral_code"].(string) + `",
		"lines":[{"sku":"DRILL","category":"tools","quantity":1,"amount":10000},{"sku":"GC","category":"gift_cards","quantity":1,"amount":5000},
		{"sku":"GLOVES","category":"apparel","quantity":1,"amount":2000}]}}`)
	if res := h.postGeneric("/webhooks/orders", order); res.Status != 200 || res.Body["commission"] != 1660.0 {
		t.Fatalf("order under v1: %d %s", res.Status, res.Raw) // 15% of 100.00 + 0 + 8% of 20.00
	}
	st := h.do("GET", "/v1/partners/"+p["id"].(string)+"/statement", h.tokens["alice"], nil, nil)
	line := st.Body["lines"].([]any)[0].(map[string]any)
	if line["program_version"] != 1.0 || len(line["commission_lines"].([]any)) != 3 {
		t.Fatalf("statement line %v", line)
	}
}

func TestFinanceSeesAndReleasesHeldAccruals(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"A","email":"a@a.example"}`)
	id := p["id"].(string)
	if res := h.do("PATCH", "/v1/partners/"+id, h.tokens["alice"], []byte(`{"status":"suspended"}`), nil); res.Status != 200 || res.Body["status"] != "suspended" {
		t.Fatalf("suspend: %d %s", res.Status, res.Raw)
	}
	if res := h.do("PATCH", "/v1/partners/"+id, h.partnerToken(id), []byte(`{"status":"active"}`), nil); res.Status != 403 {
		t.Fatalf("a partner lifted its own suspension: %d", res.Status)
	}
	if res := h.do("PATCH", "/v1/partners/"+id, h.tokens["alice"], []byte(`{"tier":"diamond"}`), nil); res.Status != 422 {
		t.Fatalf("unknown tier: %d %s", res.Status, res.Raw)
	}
	if res := h.postGeneric("/webhooks/orders", genericOrder("evt_h", "ord_h", p["referral_code"].(string), "EUR", 10000)); res.Status != 200 || res.Body["accrual_status"] != "held" {
		t.Fatalf("order of a suspended partner: %d %s", res.Status, res.Raw)
	}
	held := h.do("GET", "/v1/accruals/held", h.tokens["bob"], nil, nil)
	list := held.Body["accruals"].([]any)
	if held.Status != 200 || len(list) != 1 || list[0].(map[string]any)["hold_reason"] != "partner_suspended" {
		t.Fatalf("held list: %d %s", held.Status, held.Raw)
	}
	if res := h.do("GET", "/v1/accruals/held", h.partnerToken(id), nil, nil); res.Status != 403 {
		t.Fatalf("partner read the held list: %d", res.Status)
	}
	if balance(h.balances(id), "EUR", "payable") != 0 {
		t.Fatal("held commission is payable")
	}
	rel := h.do("POST", "/v1/accruals/generic/ord_h/release", h.tokens["bob"], nil, nil)
	if rel.Status != 200 || rel.Body["status"] != "payable" {
		t.Fatalf("release: %d %s", rel.Status, rel.Raw)
	}
	if balance(h.balances(id), "EUR", "payable") != 500 {
		t.Fatalf("released commission: %v", h.balances(id))
	}
	if res := h.do("POST", "/v1/accruals/generic/ord_h/release", h.tokens["bob"], nil, nil); res.Status != 409 {
		t.Fatalf("second release: %d %s", res.Status, res.Raw)
	}
}

func TestRefundAfterPayoutIsNettedByTheNextBatch(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"A","email":"a@a.example","tier":"gold"}`)
	id, code := p["id"].(string), p["referral_code"].(string)
	h.postGeneric("/webhooks/orders", genericOrder("evt_1", "ord_1", code, "EUR", 10000)) // 12.00
	pay := func() response {
		created := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
		if created.Status != 201 {
			return created
		}
		h.do("POST", "/v1/payout-batches/"+created.Body["id"].(string)+"/approve", h.tokens["bob"], nil, nil)
		return h.drainUntilCompleted(created.Body["id"].(string))
	}
	pay()
	refund := []byte(`{"id":"evt_r","type":"order.refunded","order":{"id":"ord_1","currency":"EUR","refund":{"id":"rf_1","amount":10000}}}`)
	if res := h.postGeneric("/webhooks/orders", refund); res.Status != 200 || res.Body["reversed"] != 1200.0 {
		t.Fatalf("refund: %d %s", res.Status, res.Raw)
	}
	if b := h.balances(id); balance(b, "EUR", "payable") != -1200 || balance(b, "EUR", "paid") != 1200 {
		t.Fatalf("clawback: %v", b)
	}
	if res := pay(); res.Status != 409 {
		t.Fatalf("a negative balance was paid out: %d %s", res.Status, res.Raw)
	}
	h.postGeneric("/webhooks/orders", genericOrder("evt_2", "ord_2", code, "EUR", 30000)) // 36.00 − 12.00 owed
	final := pay()
	items := final.Body["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["amount"] != 2400.0 {
		t.Fatalf("netted batch: %s", final.Raw)
	}
	if b := h.balances(id); balance(b, "EUR", "payable") != 0 || balance(b, "EUR", "paid") != 3600 || balance(b, "EUR", "reversed") != 1200 {
		t.Fatalf("after netting: %v", b)
	}
}

func TestStripeSubscriptionInvoicesEarnRecurringCommission(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"A","email":"a@a.example","tier":"silver"}`)
	send := func(file string) response {
		body, _ := os.ReadFile("../../events/webhooks/" + file)
		body = bytes.ReplaceAll(body, []byte("DEMO1234"), []byte(p["referral_code"].(string)))
		return h.do("POST", "/webhooks/stripe", "", body, map[string]string{"Stripe-Signature": webhook.SignTimestamped(body, []byte(secrets.Stripe), time.Now())})
	}
	if res := send("stripe-checkout-subscription.json"); res.Status != 200 || res.Body["status"] != "recorded" {
		t.Fatalf("subscription checkout: %d %s", res.Status, res.Raw)
	}
	if res := send("stripe-invoice-paid.json"); res.Status != 200 || res.Body["partner_id"] != p["id"] || res.Body["commission"] != 400.0 {
		t.Fatalf("invoice: %d %s", res.Status, res.Raw) // 8% of 50.00 excluding tax
	}
	if res := send("stripe-invoice-paid.json"); res.Body["status"] != "duplicate" {
		t.Fatalf("redelivered invoice: %s", res.Raw)
	}
	if b := h.balances(p["id"].(string)); balance(b, "EUR", "payable") != 400 {
		t.Fatalf("balances %v", b)
	}
}

func TestBatchLifecycleWithExclusionCancellationAndAudit(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for i := range 3 {
		p := h.createPartner(fmt.Sprintf(`{"name":"P%d","email":"p%d@p.example"}`, i, i))
		ids = append(ids, p["id"].(string))
		h.postGeneric("/webhooks/orders", genericOrder(fmt.Sprint("evt_", i), fmt.Sprint("ord_", i), p["referral_code"].(string), "EUR", 40000))
	}
	h.do("PATCH", "/v1/partners/"+ids[2], h.tokens["alice"], []byte(`{"status":"suspended"}`), nil)

	created := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
	batch := created.Body["id"].(string)
	skipped := created.Body["skipped"].([]any)
	if created.Status != 201 || len(created.Body["items"].([]any)) != 2 || len(skipped) != 1 ||
		skipped[0].(map[string]any)["partner_id"] != ids[2] || skipped[0].(map[string]any)["reason"] != "partner suspended" {
		t.Fatalf("create: %d %s", created.Status, created.Raw)
	}
	itemB := batch + "." + ids[1] + ".EUR"
	exclude := "/v1/payout-batches/" + batch + "/items/" + itemB + "/exclude"
	if res := h.do("POST", exclude, h.tokens["alice"], []byte(`{"reason":" "}`), nil); res.Status != 422 {
		t.Fatalf("exclusion without a reason: %d %s", res.Status, res.Raw)
	}
	if res := h.do("POST", exclude, h.tokens["alice"], []byte(`{"reason":"bank details being verified"}`), nil); res.Status != 200 {
		t.Fatalf("exclude: %d %s", res.Status, res.Raw)
	}
	if b := h.balances(ids[1]); balance(b, "EUR", "payable") != 2000 || balance(b, "EUR", "in_payout") != 0 {
		t.Fatalf("excluded partner's balance: %v", b)
	}
	h.do("POST", "/v1/payout-batches/"+batch+"/approve", h.tokens["bob"], nil, nil)
	final := h.drainUntilCompleted(batch)
	for _, it := range final.Body["items"].([]any) {
		item := it.(map[string]any)
		if want := map[string]string{ids[0]: "paid", ids[1]: "excluded"}[item["partner_id"].(string)]; item["status"] != want {
			t.Fatalf("item %v, want %s", item, want)
		}
	}
	if res := h.do("POST", exclude, h.tokens["alice"], []byte(`{"reason":"late"}`), nil); res.Status != 409 {
		t.Fatalf("exclusion after approval: %d", res.Status)
	}

	second := h.do("POST", "/v1/payout-batches", h.tokens["bob"], nil, nil)
	if second.Status != 201 || len(second.Body["items"].([]any)) != 1 {
		t.Fatalf("second batch picks up the excluded amount: %d %s", second.Status, second.Raw)
	}
	id2 := second.Body["id"].(string)
	cancelled := h.do("POST", "/v1/payout-batches/"+id2+"/cancel", h.tokens["bob"], []byte(`{"reason":"wrong period"}`), nil)
	if cancelled.Status != 200 || cancelled.Body["status"] != "cancelled" {
		t.Fatalf("cancel: %d %s", cancelled.Status, cancelled.Raw)
	}
	if b := h.balances(ids[1]); balance(b, "EUR", "payable") != 2000 || balance(b, "EUR", "in_payout") != 0 {
		t.Fatalf("balance after cancel: %v", b)
	}
	for _, path := range []string{"/cancel", "/approve"} {
		if res := h.do("POST", "/v1/payout-batches/"+id2+path, h.tokens["alice"], []byte(`{"reason":"again"}`), nil); res.Status != 409 {
			t.Fatalf("%s on a cancelled batch: %d %s", path, res.Status, res.Raw)
		}
	}
	audit := h.do("GET", "/v1/payout-batches/"+batch+"/audit", h.tokens["alice"], nil, nil)
	var actions []string
	for _, e := range audit.Body["entries"].([]any) {
		entry := e.(map[string]any)
		actions = append(actions, fmt.Sprint(entry["action"], "/", entry["by"]))
	}
	if strings.Join(actions, ",") != "created/alice,excluded/alice,approved/bob,payout_settled/worker" {
		t.Fatalf("audit %v", actions)
	}
	audit2 := h.do("GET", "/v1/payout-batches/"+id2+"/audit", h.tokens["alice"], nil, nil)
	if n := len(audit2.Body["entries"].([]any)); n != 3 { // created, released, cancelled
		t.Fatalf("cancelled batch audit: %s", audit2.Raw)
	}
}

func TestPoisonedMessagesGoToTheDeadLetterQueueAndAreRedriven(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"A","email":"a@a.example","tier":"gold"}`)
	h.postGeneric("/webhooks/orders", genericOrder("evt_1", "ord_1", p["referral_code"].(string), "EUR", 10000))
	batch := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil).Body["id"].(string)
	h.do("POST", "/v1/payout-batches/"+batch+"/approve", h.tokens["bob"], nil, nil)

	// A worker that keeps failing: with no visibility timeout every receive
	// gives the message back at once, until SQS gives up on it after
	// maxReceiveCount receives.
	ctx := context.Background()
	if _, err := h.env.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(h.env.PayoutsURL()),
		Attributes: map[string]string{"VisibilityTimeout": "0"}}); err != nil {
		t.Fatal(err)
	}
	for range appspec.PayoutsQueue.MaxReceiveCount + 2 {
		if _, err := h.env.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(h.env.PayoutsURL())}); err != nil {
			t.Fatal(err)
		}
	}
	dlq := h.env.QueueURLs[appspec.PayoutsQueue.Name+"-dlq"]
	attrs, err := h.env.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(dlq),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessages"] != "1" {
		t.Fatalf("dead-letter queue: %v %v", attrs, err)
	}
	if res := h.do("POST", "/v1/queues/payouts/redrive", h.tokens["alice"], nil, nil); res.Status != 403 {
		t.Fatalf("finance without admin redrove: %d", res.Status)
	}
	if res := h.do("POST", "/v1/queues/nope/redrive", h.tokens["bob"], nil, nil); res.Status != 404 {
		t.Fatalf("unknown queue: %d", res.Status)
	}
	res := h.do("POST", "/v1/queues/payouts/redrive", h.tokens["bob"], nil, nil)
	if res.Status != 200 || res.Body["redriven"] != 1.0 {
		t.Fatalf("redrive: %d %s", res.Status, res.Raw)
	}
	h.drainUntilCompleted(batch)
	if b := h.balances(p["id"].(string)); balance(b, "EUR", "paid") != 1200 || balance(b, "EUR", "in_payout") != 0 {
		t.Fatalf("balances %v", b)
	}
}

func TestFinanceReports(t *testing.T) {
	h := newHarness(t)
	h.addCharity("ch_water")
	a := h.createPartner(`{"name":"Alpha","email":"a@a.example","tier":"gold","charity":{"charity_id":"ch_water","share_bps":2500}}`)
	b := h.createPartner(`{"name":"Beta","email":"b@b.example"}`)
	h.postGeneric("/webhooks/orders", genericOrder("evt_a", "ord_a", a["referral_code"].(string), "EUR", 10000)) // 12.00
	h.postGeneric("/webhooks/orders", genericOrder("evt_b", "ord_b", b["referral_code"].(string), "EUR", 40000)) // 20.00
	h.postGeneric("/webhooks/orders", []byte(`{"id":"evt_r","type":"order.refunded","order":{"id":"ord_b","currency":"EUR","refund":{"id":"rf","amount":10000}}}`))

	owed := h.do("GET", "/v1/reports/owed", h.tokens["alice"], nil, nil)
	eur := owed.Body["rows"].([]any)[0].(map[string]any)
	if owed.Status != 200 || eur["currency"] != "EUR" || eur["payable"] != 1200.0+1500 || eur["partners"] != 2.0 {
		t.Fatalf("owed: %d %s", owed.Status, owed.Raw)
	}
	batch := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil).Body["id"].(string)
	h.do("POST", "/v1/payout-batches/"+batch+"/approve", h.tokens["bob"], nil, nil)
	h.drainUntilCompleted(batch)

	month := time.Now().UTC().Format("2006-01")
	period := "?from=" + month + "&to=" + month
	pay := h.do("GET", "/v1/reports/payments"+period, h.tokens["alice"], nil, nil)
	row := pay.Body["rows"].([]any)[0].(map[string]any)
	if row["paid"] != 900.0+1500 || row["donated"] != 300.0 {
		t.Fatalf("payments: %s", pay.Raw)
	}
	don := h.do("GET", "/v1/reports/donations"+period, h.tokens["alice"], nil, nil)
	charity := don.Body["rows"].([]any)[0].(map[string]any)
	if charity["charity_id"] != "ch_water" || charity["amount"] != 300.0 || charity["partners"].([]any)[0] != a["id"] {
		t.Fatalf("donations: %s", don.Raw)
	}
	roi := h.do("GET", "/v1/reports/roi"+period, h.tokens["alice"], nil, nil)
	byPartner := map[any]map[string]any{}
	for _, r := range roi.Body["rows"].([]any) {
		byPartner[r.(map[string]any)["partner_id"]] = r.(map[string]any)
	}
	ra, rb := byPartner[a["id"]], byPartner[b["id"]]
	if ra["revenue"] != 10000.0 || ra["commission"] != 1200.0 || ra["donations"] != 300.0 || ra["return_bps"] != 83333.0 ||
		rb["revenue"] != 40000.0 || rb["refunds"] != 10000.0 || rb["commission"] != 1500.0 || rb["return_bps"] != 200000.0 {
		t.Fatalf("roi: %s", roi.Raw)
	}
	tiers := h.do("GET", "/v1/reports/roi"+period+"&by=tier", h.tokens["alice"], nil, nil)
	if n := len(tiers.Body["rows"].([]any)); n != 2 {
		t.Fatalf("roi by tier: %s", tiers.Raw)
	}
	csvRes := h.do("GET", "/v1/reports/roi"+period+"&format=csv", h.tokens["alice"], nil, nil)
	lines := strings.Split(strings.TrimSpace(string(csvRes.Raw)), "\n")
	if !strings.HasPrefix(csvRes.Header.Get("Content-Type"), "text/csv") || lines[0] != "partner_id,name,tier,currency,revenue,refunds,commission,bonuses,donations,return_bps" || len(lines) != 3 {
		t.Fatalf("csv: %q", csvRes.Raw)
	}
	if res := h.do("GET", "/v1/reports/roi?from=2026-13&to=2026-01", h.tokens["alice"], nil, nil); res.Status != 400 {
		t.Fatalf("bad period: %d", res.Status)
	}
	if res := h.do("GET", "/v1/reports/owed", h.partnerToken(a["id"].(string)), nil, nil); res.Status != 403 {
		t.Fatalf("a partner read finance reports: %d", res.Status)
	}
}

func TestPayPalAndWiseFilesAndMarkingPaid(t *testing.T) {
	h := newHarness(t)
	pp := h.createPartner(`{"name":"Pay Pal Ltd","email":"pp@p.example","payout":{"method":"paypal"}}`)
	wi := h.createPartner(`{"name":"Wise Guys GmbH","email":"w@w.example","payout":{"method":"wise","email":"finance@w.example"}}`)
	mn := h.createPartner(`{"name":"Manual","email":"m@m.example"}`)
	for i, p := range []map[string]any{pp, wi, mn} {
		h.postGeneric("/webhooks/orders", genericOrder(fmt.Sprint("e", i), fmt.Sprint("o", i), p["referral_code"].(string), "EUR", 24000)) // 12.00
	}
	batch := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil).Body["id"].(string)
	export := "/v1/payout-batches/" + batch + "/export?currency=EUR&format="
	if res := h.do("GET", export+"paypal", h.tokens["alice"], nil, nil); res.Status != 409 {
		t.Fatalf("export of a draft: %d %s", res.Status, res.Raw)
	}
	h.do("POST", "/v1/payout-batches/"+batch+"/approve", h.tokens["bob"], nil, nil)
	for range 3 {
		for _, url := range []string{h.env.PayoutsURL(), h.env.DonationsURL()} {
			if _, err := sqsqueuePoll(h, url); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := h.do("GET", "/v1/payout-batches/"+batch, h.tokens["alice"], nil, nil); got.Body["status"] != "processing" {
		t.Fatalf("file payouts wait for finance: %s", got.Raw)
	}
	paypal := h.do("GET", export+"paypal", h.tokens["alice"], nil, nil)
	wantPayPal := fmt.Sprintf("pp@p.example,12.00,EUR,%s,Partner commission %s,PAYPAL\n", pp["id"], batch)
	if paypal.Status != 200 || string(paypal.Raw) != wantPayPal {
		t.Fatalf("paypal file %d:\n%s\nwant\n%s", paypal.Status, paypal.Raw, wantPayPal)
	}
	wise := strings.Split(strings.TrimSpace(string(h.do("GET", export+"wise", h.tokens["alice"], nil, nil).Raw)), "\n")
	if len(wise) != 2 || wise[0] != "name,recipientEmail,paymentReference,receiverType,amountCurrency,amount,sourceCurrency,targetCurrency,type" ||
		!strings.HasPrefix(wise[1], "Wise Guys GmbH,finance@w.example,") || !strings.HasSuffix(wise[1], ",BUSINESS,target,12.00,EUR,EUR,EMAIL") {
		t.Fatalf("wise file %q", wise)
	}
	if res := h.do("GET", export+"swift", h.tokens["alice"], nil, nil); res.Status != 400 {
		t.Fatalf("unknown format: %d", res.Status)
	}
	item := func(p map[string]any) string {
		return "/v1/payout-batches/" + batch + "/items/" + batch + "." + p["id"].(string) + ".EUR/paid"
	}
	if res := h.do("POST", item(pp), h.tokens["alice"], []byte(`{"reference":""}`), nil); res.Status != 422 {
		t.Fatalf("marking paid without a reference: %d", res.Status)
	}
	if res := h.do("POST", item(mn), h.tokens["alice"], []byte(`{"reference":"x"}`), nil); res.Status != 409 {
		t.Fatalf("marking a worker-paid item: %d %s", res.Status, res.Raw)
	}
	if res := h.do("POST", item(pp), h.tokens["alice"], []byte(`{"reference":"PAYPAL-BATCH-77"}`), nil); res.Status != 200 {
		t.Fatalf("mark paid: %d %s", res.Status, res.Raw)
	}
	if res := h.do("POST", item(pp), h.tokens["alice"], []byte(`{"reference":"again"}`), nil); res.Status != 409 {
		t.Fatalf("marking paid twice: %d", res.Status)
	}
	if paypal := h.do("GET", export+"paypal", h.tokens["alice"], nil, nil); len(paypal.Raw) != 0 {
		t.Fatalf("a paid item is exported again: %s", paypal.Raw)
	}
	done := h.do("POST", item(wi), h.tokens["bob"], []byte(`{"reference":"WISE-B123"}`), nil)
	if done.Body["status"] != "completed" {
		t.Fatalf("after marking every file payout: %s", done.Raw)
	}
	if b := h.balances(pp["id"].(string)); balance(b, "EUR", "paid") != 1200 || balance(b, "EUR", "in_payout") != 0 {
		t.Fatalf("balances %v", b)
	}
	audit := h.do("GET", "/v1/payout-batches/"+batch+"/audit", h.tokens["alice"], nil, nil)
	found := false
	for _, e := range audit.Body["entries"].([]any) {
		entry := e.(map[string]any)
		found = found || entry["by"] == "alice" && entry["action"] == "payout_settled" && entry["reason"] == "PAYPAL-BATCH-77"
	}
	if !found {
		t.Fatalf("audit lacks who marked the PayPal payout paid: %s", audit.Raw)
	}
}

func TestProgramDonatesOnPartnersBehalf(t *testing.T) {
	h := newHarness(t)
	h.addCharity("ch_water")
	h.addCharity("ch_default")
	prog := `{"landing_url":"https://shop.example/","hold_days":0,"cookie_days":30,"max_clicks_per_source_hour":100,
		"tier_rates_bps":{"authorized":500,"silver":800,"gold":1200},"minimum_payout":{"EUR":100},
		"donations":{"revenue_bps":100,"default_charity":"ch_default"},
		"goals":[{"id":"first-sale","period":"month","measure":"units","currency":"EUR","levels":[{"threshold":1,"donation_flat":500}]}]}`
	if res := h.do("PUT", "/v1/program", h.tokens["alice"], []byte(prog), nil); res.Status != 200 {
		t.Fatalf("program: %d %s", res.Status, res.Raw)
	}
	a := h.createPartner(`{"name":"A","email":"a@a.example","charity":{"charity_id":"ch_water","share_bps":1000}}`)
	b := h.createPartner(`{"name":"B","email":"b@b.example"}`)
	h.postGeneric("/webhooks/orders", genericOrder("evt_a", "ord_a", a["referral_code"].(string), "EUR", 20000))
	h.postGeneric("/webhooks/orders", genericOrder("evt_b", "ord_b", b["referral_code"].(string), "EUR", 10000))

	// A month later the performance job pledges 1% of last month's revenue
	// and the goal's donation, to each partner's charity or the default one.
	nextMonth := time.Now().UTC().AddDate(0, 1, 0)
	h.fns["Performance"].Performance.Now = func() time.Time { return nextMonth }
	for run, want := range []int{4, 0} {
		rep, err := h.fns["Performance"].Performance.Run(context.Background())
		if err != nil || rep.Pledges != want {
			t.Fatalf("run %d: %+v %v, want %d pledges", run, rep, err, want)
		}
	}
	first := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
	if n := len(first.Body["pledges"].([]any)); first.Status != 201 || n != 4 {
		t.Fatalf("batch with pledges: %d %s", first.Status, first.Raw)
	}
	h.do("POST", "/v1/payout-batches/"+first.Body["id"].(string)+"/cancel", h.tokens["alice"], []byte(`{"reason":"redo"}`), nil)
	second := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
	batch := second.Body["id"].(string)
	if n := len(second.Body["pledges"].([]any)); n != 4 {
		t.Fatalf("a cancelled batch's pledges go to the next one: %s", second.Raw)
	}
	h.do("POST", "/v1/payout-batches/"+batch+"/approve", h.tokens["bob"], nil, nil)
	h.drainUntilCompleted(batch)

	receipts := func(charity string) map[string]any {
		res := h.do("GET", "/v1/charities/"+charity+"/receipts", h.tokens["alice"], nil, nil)
		list := res.Body["receipts"].([]any)
		if len(list) != 1 {
			t.Fatalf("%s receipts: %s", charity, res.Raw)
		}
		return list[0].(map[string]any)
	}
	// ch_water: A's 10% of its 10.00 commission, plus 2.00 (1% of 200.00) and 5.00 from the program.
	if r := receipts("ch_water"); r["amount"] != 100.0+200+500 || len(r["partners"].([]any)) != 3 {
		t.Fatalf("ch_water receipt %v", r)
	}
	if r := receipts("ch_default"); r["amount"] != 100.0+500 {
		t.Fatalf("ch_default receipt %v", r)
	}
	st := h.do("GET", "/v1/partners/"+a["id"].(string)+"/statement", h.partnerToken(a["id"].(string)), nil, nil)
	if gifts := st.Body["donated_on_your_behalf"].([]any); len(gifts) != 3 {
		t.Fatalf("A's statement: %s", st.Raw)
	}
	// The program's donations are its own money: A's balance shows only its share.
	if bal := h.balances(a["id"].(string)); balance(bal, "EUR", "donated") != 100 || balance(bal, "EUR", "paid") != 900 {
		t.Fatalf("A balances %v", bal)
	}
}

func TestListingsArePaged(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for i := range 5 {
		p := h.createPartner(fmt.Sprintf(`{"name":"P%d","email":"p%d@p.example"}`, i, i))
		ids = append(ids, p["id"].(string))
	}
	code := h.do("GET", "/v1/partners/"+ids[0], h.tokens["alice"], nil, nil).Body["referral_code"].(string)
	for i := range 5 {
		h.postGeneric("/webhooks/orders", genericOrder(fmt.Sprint("e", i), fmt.Sprint("o", i), code, "EUR", 40000))
	}
	collect := func(path, field string) []string {
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			res := h.do("GET", path+"limit=2&cursor="+cursor, h.tokens["alice"], nil, nil)
			if res.Status != 200 || pages > 5 {
				t.Fatalf("%s: %d %s", path, res.Status, res.Raw)
			}
			for _, x := range res.Body[field].([]any) {
				m := x.(map[string]any)
				got = append(got, fmt.Sprint(m["id"], m["order_id"]))
			}
			if cursor = res.Body["next_cursor"].(string); cursor == "" {
				return got
			}
		}
	}
	if got := collect("/v1/partners?", "partners"); len(got) != 5 {
		t.Fatalf("partners over pages: %v", got)
	}
	if got := collect("/v1/partners/"+ids[0]+"/statement?", "lines"); len(got) != 5 || got[0] != "<nil>o4" {
		t.Fatalf("statement over pages, newest first: %v", got)
	}
	for range 2 {
		b := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
		h.do("POST", "/v1/payout-batches/"+b.Body["id"].(string)+"/cancel", h.tokens["alice"], []byte(`{"reason":"test"}`), nil)
	}
	batches := h.do("GET", "/v1/payout-batches", h.tokens["alice"], nil, nil)
	if list := batches.Body["batches"].([]any); len(list) != 2 || list[0].(map[string]any)["status"] != "cancelled" {
		t.Fatalf("batches: %s", batches.Raw)
	}
	for _, bad := range []string{"?limit=0", "?limit=500", "?cursor=not-a-cursor"} {
		if res := h.do("GET", "/v1/partners"+bad, h.tokens["alice"], nil, nil); res.Status != 400 {
			t.Errorf("%s: %d", bad, res.Status)
		}
	}
	if res := h.do("GET", "/v1/partners", h.partnerToken(ids[0]), nil, nil); res.Status != 403 {
		t.Fatalf("a partner listed partners: %d", res.Status)
	}
}
