package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/apikey"
	"github.com/partnerloop/partnerloop/internal/bearer"
	"github.com/partnerloop/partnerloop/internal/dynamo"
)

// customersGroup is a group of a shop's customers with discount as its
// "discount" JSON.
func customersGroup(id, discount string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"name":"Customers","slug":%q,"discount":%s,"embed_origins":["https://shop.example"],
		"customer_rewards":"money","form":[],
		"landing":{"title":{"en":"Refer a friend","it":"Invita un amico","ru":"Пригласите друга"},"description":{"en":"","it":"","ru":""},"terms_url":"https://shop.example/terms"}}`,
		id, id, discount)
}

// apiKey creates an API key with the embed scope as admin.
func (h *harness) apiKey() (id, secret string) {
	h.t.Helper()
	res := h.do("POST", "/v1/api-keys", h.tokens["bob"], []byte(`{"name":"Shop backend","scopes":["embed"]}`), nil)
	if res.Status != 201 {
		h.t.Fatalf("create API key: %d %s", res.Status, res.Raw)
	}
	return res.Body["id"].(string), res.Body["key"].(string)
}

func (h *harness) embedToken(key, externalID, group string) response {
	h.t.Helper()
	return h.do("POST", "/v1/embed/tokens", key, fmt.Appendf(nil,
		`{"external_id":%q,"email":"%s@customer.example","name":"Giulia %s","group":%q}`, externalID, externalID, externalID, group), nil)
}

func (h *harness) widget(token string) response {
	h.t.Helper()
	return h.do("GET", "/v1/embed/widget", token, nil, nil)
}

// partnerByCode finds a partner by its referral code.
func (h *harness) partnerByCode(code string) string {
	h.t.Helper()
	res := h.do("GET", "/v1/partners?limit=200", h.tokens["alice"], nil, nil)
	for _, p := range res.Body["partners"].([]any) {
		if p := p.(map[string]any); p["referral_code"] == code {
			return p["id"].(string)
		}
	}
	h.t.Fatalf("no partner with code %s: %s", code, res.Raw)
	return ""
}

func TestAPIKeysAreShownOnceKeptHashedAndRevoked(t *testing.T) {
	h := newHarness(t)
	h.createGroup(customersGroup("customers", `{"kind":"percent","value":10,"duration":"once","provider":"shopify","shop":"shop.example"}`))
	if res := h.do("POST", "/v1/api-keys", h.tokens["alice"], []byte(`{"name":"x","scopes":["embed"]}`), nil); res.Status != 403 {
		t.Fatalf("finance created a key: %d %s", res.Status, res.Raw)
	}
	if res := h.do("POST", "/v1/api-keys", h.tokens["bob"], []byte(`{"name":"x","scopes":["payouts"]}`), nil); res.Status != 422 || !strings.HasPrefix(fieldOf(res), "scopes") {
		t.Fatalf("unknown scope: %d %s", res.Status, res.Raw)
	}
	id, secret := h.apiKey()
	if !strings.HasPrefix(secret, "plk_") || len(secret) < 40 {
		t.Fatalf("key %q", secret)
	}

	t.Run("the store keeps the hash, never the key", func(t *testing.T) {
		sum := sha256.Sum256([]byte(secret))
		item, err := h.env.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &h.env.Table,
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "APIKEY#" + hex.EncodeToString(sum[:])}, "sk": &types.AttributeValueMemberS{Value: "KEY"}}})
		if err != nil || item.Item == nil {
			t.Fatalf("no item under the key's hash: %v", err)
		}
		if raw := fmt.Sprint(item.Item); strings.Contains(raw, secret) || strings.Contains(raw, secret[len("plk_"):]) {
			t.Errorf("the key is stored: %s", raw)
		}
		list := h.do("GET", "/v1/api-keys", h.tokens["bob"], nil, nil)
		if list.Status != 200 || strings.Contains(string(list.Raw), secret) || !strings.Contains(string(list.Raw), id) {
			t.Errorf("list: %d %s", list.Status, list.Raw)
		}
	})

	t.Run("a key works on its scope's route only", func(t *testing.T) {
		if res := h.embedToken(secret, "c-1", "customers"); res.Status != 201 {
			t.Fatalf("embed token: %d %s", res.Status, res.Raw)
		}
		if res := h.do("GET", "/v1/partners", secret, nil, nil); res.Status != 401 {
			t.Errorf("a key on a staff route: %d %s", res.Status, res.Raw)
		}
		if res := h.embedToken(h.tokens["bob"], "c-1", "customers"); res.Status != 401 {
			t.Errorf("a sign-in token on the key's route: %d %s", res.Status, res.Raw)
		}
	})

	t.Run("a key without the embed scope is refused", func(t *testing.T) {
		scopeless := apikey.Prefix + "no-scope-key-with-enough-randomness-0123456789"
		store := dynamo.Open(h.env.DB, h.env.Table).APIKeys
		if err := store.PutKey(context.Background(), apikey.Key{ID: "key_noscope", Name: "none", Scopes: []apikey.Scope{}}, bearer.Hash(scopeless)); err != nil {
			t.Fatal(err)
		}
		if res := h.embedToken(scopeless, "c-2", "customers"); res.Status != 403 || res.errorCode() != "forbidden" {
			t.Errorf("scopeless key: %d %s", res.Status, res.Raw)
		}
	})

	t.Run("a revoked key stops working", func(t *testing.T) {
		if res := h.do("DELETE", "/v1/api-keys/"+id, h.tokens["bob"], nil, nil); res.Status != 200 || res.Body["revoked_at"] == nil {
			t.Fatalf("revoke: %d %s", res.Status, res.Raw)
		}
		if res := h.embedToken(secret, "c-1", "customers"); res.Status != 401 {
			t.Errorf("revoked key: %d %s", res.Status, res.Raw)
		}
		if e := h.entryOf("api_key:"+id, "api_key.created"); strings.Contains(fmt.Sprint(e), secret) {
			t.Errorf("the audit trail holds the key: %v", e)
		}
	})
}

func fieldOf(r response) string {
	e, _ := r.Body["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

func TestEmbedTokenReadsOneCustomerAndExpires(t *testing.T) {
	h := newHarness(t)
	h.createGroup(customersGroup("customers", `{"kind":"percent","value":10,"duration":"once","provider":"shopify","shop":"shop.example"}`))
	_, key := h.apiKey()
	first := h.embedToken(key, "cust-1", "customers")
	if first.Status != 201 {
		t.Fatalf("token: %d %s", first.Status, first.Raw)
	}
	token := first.Body["token"].(string)
	expires, _ := time.Parse(time.RFC3339, first.Body["expires_at"].(string))
	if d := time.Until(expires); d < 9*time.Minute || d > 11*time.Minute {
		t.Errorf("expires in %v, want 10 minutes", d)
	}
	w := h.widget(token)
	if w.Status != 200 {
		t.Fatalf("widget: %d %s", w.Status, w.Raw)
	}
	code := w.Body["referral_code"].(string)
	discount, _ := w.Body["discount"].(map[string]any)
	if w.Body["referral_link"] != "https://go.partnerloop.example/r/"+code || discount["code"] != code || discount["value"] != 10.0 {
		t.Errorf("widget: %s", w.Raw)
	}

	t.Run("one partner per external id, a new one per customer", func(t *testing.T) {
		again := h.widget(h.embedToken(key, "cust-1", "customers").Body["token"].(string))
		other := h.widget(h.embedToken(key, "cust-2", "customers").Body["token"].(string))
		if again.Body["referral_code"] != code || other.Body["referral_code"] == code {
			t.Errorf("again %s, other %s", again.Raw, other.Raw)
		}
	})

	t.Run("the token reads the widget and nothing else", func(t *testing.T) {
		for _, path := range []string{"/v1/partners", "/v1/me", "/v1/program"} {
			if res := h.do("GET", path, token, nil, nil); res.Status != 401 {
				t.Errorf("%s with a widget token: %d", path, res.Status)
			}
		}
		if res := h.embedToken(token, "cust-3", "customers"); res.Status != 401 {
			t.Errorf("a widget token asking for tokens: %d", res.Status)
		}
	})

	t.Run("an unknown group is named", func(t *testing.T) {
		if res := h.embedToken(key, "cust-4", "nope"); res.Status != 422 || fieldOf(res) != "group" {
			t.Errorf("unknown group: %d %s", res.Status, res.Raw)
		}
	})

	t.Run("after ten minutes the token is refused", func(t *testing.T) {
		h.ahead.Store(int64(10*time.Minute + time.Second))
		if res := h.widget(token); res.Status != 401 {
			t.Errorf("expired token: %d %s", res.Status, res.Raw)
		}
	})
}

func TestShopifyDiscountLinkAndOrderByTheCode(t *testing.T) {
	h := newHarness(t)
	h.createGroup(customersGroup("customers", `{"kind":"amount","value":500,"currency":"EUR","duration":"once","provider":"shopify","shop":"shop.example"}`))
	if res := h.do("POST", "/v1/groups", h.tokens["alice"], customersGroup("bad", `{"kind":"amount","value":500,"duration":"once","provider":"shopify","shop":"shop.example"}`), nil); res.Status != 422 || fieldOf(res) != "discount.currency" {
		t.Errorf("an amount without currency: %d %s", res.Status, res.Raw)
	}
	_, key := h.apiKey()
	w := h.widget(h.embedToken(key, "cust-1", "customers").Body["token"].(string))
	code := w.Body["referral_code"].(string)

	click := h.do("GET", "/r/"+code, "", nil, nil)
	loc, _ := url.Parse(click.Header.Get("Location"))
	if click.Status != 302 || loc.Host != "shop.example" || loc.Path != "/discount/"+code || !strings.Contains(loc.Query().Get("redirect"), "ref="+code) {
		t.Fatalf("redirect: %d %s", click.Status, click.Header.Get("Location"))
	}
	csv := h.do("GET", "/v1/groups/customers/discount-codes.csv", h.tokens["alice"], nil, nil)
	if csv.Status != 200 || string(csv.Raw) != "Code\r\n"+code+"\r\n" && string(csv.Raw) != "Code\n"+code+"\n" {
		t.Errorf("csv: %d %q", csv.Status, csv.Raw)
	}

	order := shopifyOrder(501, map[string]any{"discount_codes": []any{map[string]any{"code": strings.ToLower(code)}}})
	if res := h.postShopifyPaid("w-501", order); res.Status != 200 {
		t.Fatalf("order: %d %s", res.Status, res.Raw)
	}
	after := h.widget(h.embedToken(key, "cust-1", "customers").Body["token"].(string))
	if friends, _ := after.Body["friends"].([]any); len(friends) != 1 {
		t.Errorf("the order did not reach the referrer: %s", after.Raw)
	}
}

func TestCodeListJoinsNeverShareACode(t *testing.T) {
	h := newHarness(t)
	h.createGroup(customersGroup("friends", `{"kind":"percent","value":15,"duration":"once","provider":"code_list"}`))
	_, key := h.apiKey()
	if res := h.do("POST", "/v1/groups/friends/discount-codes", h.tokens["alice"], []byte(`{"codes":["=bad"]}`), nil); res.Status != 422 || fieldOf(res) != "codes[0]" {
		t.Errorf("bad code: %d %s", res.Status, res.Raw)
	}
	codes := []string{"FRIEND-A1", "FRIEND-B2", "FRIEND-C3", "FRIEND-D4", "FRIEND-E5"}
	body, _ := json.Marshal(map[string]any{"codes": codes})
	if res := h.do("POST", "/v1/groups/friends/discount-codes", h.tokens["alice"], body, nil); res.Status != 200 || res.Body["added"] != 5.0 {
		t.Fatalf("upload: %d %s", res.Status, res.Raw)
	}

	const joins = 8
	var mu sync.Mutex
	var got []string
	exhausted := 0
	var wg sync.WaitGroup
	for i := range joins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := h.embedToken(key, fmt.Sprint("c-", i), "friends")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case res.Status == 201:
				w := h.widget(res.Body["token"].(string))
				d, _ := w.Body["discount"].(map[string]any)
				got = append(got, fmt.Sprint(d["code"]))
			case res.Status == 409 && res.errorCode() == "codes_exhausted":
				exhausted++
			default:
				t.Errorf("join: %d %s", res.Status, res.Raw)
			}
		}()
	}
	wg.Wait()
	slices.Sort(got)
	if !slices.Equal(got, codes) || exhausted != joins-len(codes) {
		t.Errorf("codes taken %v, %d exhausted", got, exhausted)
	}
	order := shopifyOrder(601, map[string]any{"discount_codes": []any{map[string]any{"code": "friend-c3"}}})
	if res := h.postShopifyPaid("w-601", order); res.Status != 200 || res.Body["partner_id"] == nil {
		t.Errorf("an order with a listed code: %d %s", res.Status, res.Raw)
	}
}

// stripeRecorder passes requests on to stripe-mock and keeps their paths
// and idempotency keys.
type stripeRecorder struct {
	mu       sync.Mutex
	requests []string
}

func (s *stripeRecorder) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func TestStripeCouponAndPromotionCodesThroughStripeMock(t *testing.T) {
	h := newHarness(t)
	mock, _ := url.Parse(h.cfg.StripeAPIBase)
	rec := &stripeRecorder{}
	proxy := httputil.NewSingleHostReverseProxy(mock)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		rec.mu.Lock()
		rec.requests = append(rec.requests, r.Method+" "+r.URL.Path+" "+r.Header.Get("Idempotency-Key")+" "+string(body))
		rec.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	h.cfg.StripeAPIBase = srv.URL
	h.build()

	h.createGroup(customersGroup("subscribers", `{"kind":"percent","value":20,"duration":"repeating","months":3,"provider":"stripe"}`))
	_, key := h.apiKey()
	joined := h.embedToken(key, "cust-1", "subscribers")
	if joined.Status != 201 {
		t.Fatalf("a customer joining a stripe group: %d %s", joined.Status, joined.Raw)
	}
	w := h.widget(joined.Body["token"].(string))
	code := w.Body["referral_code"].(string)
	seen := rec.seen()
	if len(seen) != 2 || !strings.HasPrefix(seen[0], "POST /v1/coupons coupon-pl_subscribers_") || !strings.Contains(seen[0], "percent_off=20") ||
		!strings.Contains(seen[0], "duration=repeating") || !strings.Contains(seen[0], "duration_in_months=3") ||
		!strings.HasPrefix(seen[1], "POST /v1/promotion_codes promotion-code-") || !strings.Contains(seen[1], "code="+code) ||
		!strings.Contains(seen[1], "promotion[coupon]=pl_subscribers_") || !strings.Contains(seen[1], "promotion[type]=coupon") {
		t.Fatalf("stripe requests: %q", seen)
	}
	if d, _ := w.Body["discount"].(map[string]any); d["code"] != code || d["value"] != 20.0 {
		t.Errorf("widget discount: %s", w.Raw)
	}
	// The partner's coupons hold the promotion code's id, which checkouts name.
	partnerID := h.partnerByCode(code)
	if coupons := h.do("GET", "/v1/partners/"+partnerID, h.tokens["alice"], nil, nil).Body["coupons"]; len(coupons.([]any)) != 1 || !strings.HasPrefix(coupons.([]any)[0].(string), "PROMO_") {
		t.Errorf("partner's coupons: %v", coupons)
	}

	// A checkout naming a partner's promotion code by its id credits it.
	p := h.createPartner(`{"name":"Promo Partner","email":"promo@p.example","coupons":["promo_1AbCdEf"]}`)
	checkout := fmt.Appendf(nil, `{"id":"evt_promo","object":"event","type":"checkout.session.completed","created":%d,
		"data":{"object":{"id":"cs_promo","object":"checkout.session","mode":"payment","payment_status":"paid","payment_intent":"pi_promo",
		"currency":"eur","amount_total":10000,"customer":"cus_friend","discounts":[{"promotion_code":"promo_1AbCdEf"}]}}}`, time.Now().Unix())
	if res := h.postStripe(checkout); res.Status != 200 || res.Body["partner_id"] != p["id"] {
		t.Errorf("checkout with the promotion code: %d %s", res.Status, res.Raw)
	}
}
