package app_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/webhook"
)

// delivery is one webhook request, signed as its sender signs it.
type delivery struct {
	path    string
	headers map[string]string
	body    []byte
}

// signedDelivery signs body for the endpoint at path; Shopify and
// WooCommerce take their topic and delivery id from headers.
func signedDelivery(path string, body []byte, headers map[string]string) delivery {
	d := delivery{path: path, body: body, headers: map[string]string{}}
	for k, v := range headers {
		d.headers[k] = v
	}
	switch path {
	case "/webhooks/orders", "/webhooks/referrals":
		d.headers["Partnerloop-Signature"] = webhook.SignTimestamped(body, []byte(secrets.Generic), time.Now())
	case "/webhooks/stripe":
		d.headers["Stripe-Signature"] = webhook.SignTimestamped(body, []byte(secrets.Stripe), time.Now())
	case "/webhooks/shopify":
		d.headers["X-Shopify-Hmac-Sha256"] = base64.StdEncoding.EncodeToString(webhook.SignRaw(body, []byte(secrets.Shopify)))
	case "/webhooks/woocommerce":
		d.headers["X-WC-Webhook-Signature"] = base64.StdEncoding.EncodeToString(webhook.SignRaw(body, []byte(secrets.WooCommerce)))
	}
	return d
}

func shopifyHeaders(topic, id string) map[string]string {
	return map[string]string{"X-Shopify-Topic": topic, "X-Shopify-Webhook-Id": id}
}

func wooHeaders(id string) map[string]string {
	return map[string]string{"X-WC-Webhook-Topic": "order.updated", "X-WC-Webhook-Delivery-ID": id}
}

// sample is an event of events/webhooks, crediting code.
func sample(t testing.TB, name, code string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../events/webhooks/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("DEMO1234"), []byte(code))
}

// edited is a sample with change applied to its decoded JSON.
func edited(t testing.TB, body []byte, change func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	change(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func obj(doc any, path ...string) map[string]any {
	for _, p := range path {
		doc = doc.(map[string]any)[p]
	}
	return doc.(map[string]any)
}

func firstOf(doc any, path ...string) map[string]any {
	last := len(path) - 1
	return obj(doc, path[:last]...)[path[last]].([]any)[0].(map[string]any)
}

// Every string a webhook keeps has a bound; past it the answer is 400
// invalid_event naming the field, and nothing is written (these answered
// 500 when DynamoDB refused the key or the item).
func TestWebhookFieldsPastTheirBoundsAreRefusedNamingTheField(t *testing.T) {
	h := newHarness(t)
	code := h.createPartner(`{"name":"Acme","email":"a@acme.example"}`)["referral_code"].(string)
	long := func(n int) string { return strings.Repeat("x", n) }
	generic := func(change func(order map[string]any)) []byte {
		return edited(t, sample(t, "generic-order-paid.json", code), func(doc map[string]any) { change(obj(doc, "order")) })
	}
	manyLines := func(n int, line func(i int) map[string]any) []any {
		lines := make([]any, n)
		for i := range lines {
			lines[i] = line(i)
		}
		return lines
	}
	refund := func(change func(rf map[string]any)) []byte {
		rf := map[string]any{"id": "r1", "amount": 100, "lines": []any{map[string]any{"sku": "SKU-1", "amount": 100}}}
		change(rf)
		return edited(t, sample(t, "generic-order-refunded.json", code), func(doc map[string]any) { obj(doc, "order")["refund"] = rf })
	}
	shopify := func(change func(order map[string]any)) []byte {
		return edited(t, sample(t, "shopify-orders-paid.json", code), change)
	}
	subscription := sample(t, "stripe-checkout-subscription.json", code)
	for name, c := range map[string]struct {
		d     delivery
		field string
	}{
		"a customer id past DynamoDB's key limit": {signedDelivery("/webhooks/orders", generic(func(o map[string]any) {
			o["customer"] = map[string]any{"id": long(2100)}
		}), nil), "order.customer.id"},
		"a 900 KB SKU": {signedDelivery("/webhooks/orders", generic(func(o map[string]any) {
			firstOf(o, "lines")["sku"] = long(900_000)
		}), nil), "order.lines[0].sku"},
		"a 300 KB category": {signedDelivery("/webhooks/orders", generic(func(o map[string]any) {
			firstOf(o, "lines")["category"] = long(300_000)
		}), nil), "order.lines[0].category"},
		"a category of 129 two-byte characters": {signedDelivery("/webhooks/orders", generic(func(o map[string]any) {
			firstOf(o, "lines")["category"] = strings.Repeat("é", bounds.ID.Max/2+1)
		}), nil), "order.lines[0].category"},
		"an order id of 257 bytes":     {signedDelivery("/webhooks/orders", generic(func(o map[string]any) { o["id"] = long(257) }), nil), "order.id"},
		"a referral code of 300 bytes": {signedDelivery("/webhooks/orders", generic(func(o map[string]any) { o["referral_code"] = long(300) }), nil), "order.referral_code"},
		"a coupon of 300 bytes":        {signedDelivery("/webhooks/orders", generic(func(o map[string]any) { o["coupon"] = long(300) }), nil), "order.coupon"},
		"more distinct categories than an order may count": {signedDelivery("/webhooks/orders", generic(func(o map[string]any) {
			o["lines"] = manyLines(ledger.MaxCategories+1, func(i int) map[string]any {
				return map[string]any{"sku": "S", "category": fmt.Sprint("c", i), "quantity": 1, "amount": 100}
			})
		}), nil), "order.lines"},
		"SKUs past the order's text bound": {signedDelivery("/webhooks/orders", generic(func(o map[string]any) {
			o["lines"] = manyLines(ledger.MaxLines, func(i int) map[string]any {
				return map[string]any{"sku": fmt.Sprintf("%040d", i), "quantity": 1, "amount": 100}
			})
		}), nil), "order.lines"},
		"a refund id of 300 bytes": {signedDelivery("/webhooks/orders", refund(func(rf map[string]any) { rf["id"] = long(300) }), nil), "order.refund.id"},
		"a refund line's SKU of 300 bytes": {signedDelivery("/webhooks/orders", refund(func(rf map[string]any) {
			rf["lines"] = []any{map[string]any{"sku": long(300), "amount": 100}}
		}), nil), "order.refund.lines[0].sku"},
		"a sign-up with a 3,000-character customer id": {signedDelivery("/webhooks/referrals", edited(t, sample(t, "generic-referral.json", code), func(doc map[string]any) {
			obj(doc, "customer")["id"] = long(3000)
		}), nil), "customer.id"},
		"a sign-up id of 300 bytes": {signedDelivery("/webhooks/referrals", edited(t, sample(t, "generic-referral.json", code), func(doc map[string]any) {
			doc["id"] = long(300)
		}), nil), "id"},
		"a Shopify product type of 300 characters": {signedDelivery("/webhooks/shopify", shopify(func(o map[string]any) {
			firstOf(o, "line_items")["product_type"] = long(300)
		}), shopifyHeaders("orders/paid", "w-type")), "order.lines[0].category"},
		"a Shopify landing site of 3,000 characters": {signedDelivery("/webhooks/shopify", shopify(func(o map[string]any) {
			o["landing_site"] = "/?ref=" + code + "&x=" + long(3000)
		}), shopifyHeaders("orders/paid", "w-landing")), "landing_site"},
		"a Shopify webhook id of 300 bytes": {signedDelivery("/webhooks/shopify", sample(t, "shopify-orders-paid.json", code),
			shopifyHeaders("orders/paid", long(300))), "X-Shopify-Webhook-Id"},
		"a Stripe subscription with a 3,000-character customer": {signedDelivery("/webhooks/stripe", edited(t, subscription, func(doc map[string]any) {
			obj(doc, "data", "object")["customer"] = long(3000)
		}), nil), "data.object.customer"},
		"a Stripe invoice of a 300-byte subscription id": {signedDelivery("/webhooks/stripe", edited(t, sample(t, "stripe-invoice-paid.json", code), func(doc map[string]any) {
			obj(doc, "data", "object")["subscription"] = long(300)
		}), nil), "order.subscription"},
		"a WooCommerce delivery id of 201 bytes": {signedDelivery("/webhooks/woocommerce", sample(t, "woocommerce-order-processing.json", code),
			wooHeaders(long(webhook.MaxWooCommerceDeliveryID+1))), "X-WC-Webhook-Delivery-ID"},
		"a WooCommerce SKU of 300 bytes": {signedDelivery("/webhooks/woocommerce", edited(t, sample(t, "woocommerce-order-processing.json", code), func(doc map[string]any) {
			firstOf(doc, "line_items")["sku"] = long(300)
		}), wooHeaders("d-sku")), "order.lines[0].sku"},
	} {
		before := h.itemCount()
		res := h.do("POST", c.d.path, "", c.d.body, c.d.headers)
		e, _ := res.Body["error"].(map[string]any)
		msg, _ := e["message"].(string)
		if res.Status != 400 || res.errorCode() != "invalid_event" || !strings.Contains(msg, c.field) || e["field"] != c.field {
			t.Errorf("%s: want 400 invalid_event naming %s, got %d %.300s", name, c.field, res.Status, res.Raw)
		}
		if h.itemCount() != before {
			t.Errorf("%s: a refused delivery wrote something", name)
		}
	}
}

// The largest order the bounds allow, attributed, and the most refunds it
// may keep are stored (the item stays below DynamoDB's 400 KB, the
// counter update below its expression limit); one refund more is refused.
func TestLargestOrderWithinTheBoundsIsStored(t *testing.T) {
	h := newHarness(t)
	code := h.createPartner(`{"name":"Acme","email":"a@acme.example"}`)["referral_code"].(string)
	id := func(prefix string) string { return prefix + strings.Repeat("9", bounds.ID.Max-len(prefix)) }
	category := func(i int) string { return fmt.Sprintf("%02d", i) + strings.Repeat("é", bounds.ID.Max/2-1) } // 256 bytes
	lines := make([]any, ledger.MaxLines)
	for i := range lines {
		lines[i] = map[string]any{"sku": fmt.Sprintf("SKU-%08d", i), "category": category(i % ledger.MaxCategories), "quantity": 1, "amount": 100}
	}
	orderID := id("order-")
	paid, _ := json.Marshal(map[string]any{"id": id("evt-"), "type": "order.paid", "order": map[string]any{"id": orderID, "currency": "EUR",
		"referral_code": code, "coupon": id("coupon-"), "customer": map[string]any{"id": id("cust-"), "email": "big@b.example"}, "lines": lines}})
	if res := h.postGeneric("/webhooks/orders", paid); res.Status != 200 || res.Body["commission"] == 0.0 {
		t.Fatalf("largest order: %d %.300s", res.Status, res.Raw)
	}
	refund := func(n int) []byte {
		var rl []any
		for j := range ledger.MaxLines / ledger.MaxRefunds {
			rl = append(rl, map[string]any{"sku": fmt.Sprintf("%032d", n*100+j), "amount": 1})
		}
		b, _ := json.Marshal(map[string]any{"id": fmt.Sprint("evt-rf-", n), "type": "order.refunded", "order": map[string]any{"id": orderID, "currency": "EUR",
			"refund": map[string]any{"id": id(fmt.Sprint("rf-", n, "-")), "amount": len(rl), "lines": rl}}})
		return b
	}
	for n := range ledger.MaxRefunds {
		if res := h.postGeneric("/webhooks/orders", refund(n)); res.Status != 200 || res.Body["status"] != "applied" {
			t.Fatalf("refund %d: %d %.300s", n, res.Status, res.Raw)
		}
	}
	if res := h.postGeneric("/webhooks/orders", refund(0)); res.Status != 200 || res.Body["status"] != "duplicate" {
		t.Fatalf("a refund again: %d %.300s", res.Status, res.Raw)
	}
	if res := h.postGeneric("/webhooks/orders", refund(ledger.MaxRefunds)); res.Status != 422 || res.errorCode() != "invalid_event" {
		t.Fatalf("one refund more: %d %.300s", res.Status, res.Raw)
	}
}

// The property: whatever a sender posts, accepted or refused, the answer
// is never a 5xx (which a shop retries forever). A fixed-seed generator
// mutates the sample events of every source (long strings at every string
// field, unicode, nulls, wrong types, huge arrays), signs them and posts
// them; clicks get odd codes and targets. The bodies are odd on purpose,
// so they go to the server without the contract check.
func TestNoWebhookDeliveryAnswers5xx(t *testing.T) {
	h := newHarness(t)
	code := h.createPartner(`{"name":"Acme","email":"a@acme.example"}`)["referral_code"].(string)
	rng := rand.New(rand.NewPCG(28, 2))
	templates := []struct {
		file, path string
		headers    func(i int) map[string]string
	}{
		{"generic-order-paid.json", "/webhooks/orders", nil},
		{"generic-order-refunded.json", "/webhooks/orders", nil},
		{"generic-order-cancelled.json", "/webhooks/orders", nil},
		{"generic-referral.json", "/webhooks/referrals", nil},
		{"shopify-orders-paid.json", "/webhooks/shopify", func(i int) map[string]string { return shopifyHeaders("orders/paid", fmt.Sprint("w", i)) }},
		{"shopify-refunds-create.json", "/webhooks/shopify", func(i int) map[string]string { return shopifyHeaders("refunds/create", fmt.Sprint("w", i)) }},
		{"shopify-orders-cancelled.json", "/webhooks/shopify", func(i int) map[string]string { return shopifyHeaders("orders/cancelled", fmt.Sprint("w", i)) }},
		{"stripe-checkout-session-completed.json", "/webhooks/stripe", nil},
		{"stripe-checkout-subscription.json", "/webhooks/stripe", nil},
		{"stripe-invoice-paid.json", "/webhooks/stripe", nil},
		{"stripe-charge-refunded.json", "/webhooks/stripe", nil},
		{"woocommerce-order-processing.json", "/webhooks/woocommerce", func(i int) map[string]string { return wooHeaders(fmt.Sprint("d", i)) }},
		{"woocommerce-order-partially-refunded.json", "/webhooks/woocommerce", func(i int) map[string]string { return wooHeaders(fmt.Sprint("d", i)) }},
		{"woocommerce-order-cancelled.json", "/webhooks/woocommerce", func(i int) map[string]string { return wooHeaders(fmt.Sprint("d", i)) }},
	}
	docs := make([]any, len(templates))
	for i, tpl := range templates {
		if err := json.Unmarshal(sample(t, tpl.file, code), &docs[i]); err != nil {
			t.Fatal(err)
		}
	}
	statuses := map[int]int{}
	for i := range 360 {
		k := rng.IntN(len(templates))
		tpl := templates[k]
		body, _ := json.Marshal(mutate(rng, docs[k], 0))
		var headers map[string]string
		if tpl.headers != nil {
			headers = tpl.headers(i)
			if rng.IntN(8) == 0 { // the delivery id header is a string a sender controls too
				for name := range headers {
					if strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "ID") {
						headers[name] = strings.Repeat("9", []int{0, bounds.ID.Max, bounds.ID.Max + 1, 70_000}[rng.IntN(4)])
					}
				}
			}
		}
		d := signedDelivery(tpl.path, body, headers)
		status := h.postRaw(d)
		statuses[status]++
		if status >= 500 {
			t.Errorf("%s mutated (%d bytes) answered %d: %.400s", tpl.file, len(body), status, body)
		}
	}
	for range 40 {
		target := "/r/" + url.PathEscape(oddString(rng)) + "?to=" + url.QueryEscape("https://shop.example/"+oddString(rng))
		if rng.IntN(2) == 0 {
			target = "/r/" + code + "?to=" + url.QueryEscape("https://shop.example/"+oddString(rng))
		}
		if status := h.postRaw(delivery{path: target}); status >= 500 {
			t.Errorf("click %.200s answered %d", target, status)
		}
	}
	if statuses[200] == 0 || statuses[400] == 0 {
		t.Errorf("the generator should produce both accepted and refused deliveries: %v", statuses)
	}
}

// postRaw sends d (a GET without a body) straight to the server and
// returns the status.
func (h *harness) postRaw(d delivery) int {
	h.t.Helper()
	method := "POST"
	if d.body == nil {
		method = "GET"
	}
	req, err := http.NewRequest(method, h.srv.URL+d.path, bytes.NewReader(d.body))
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range d.headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// mutate copies a decoded JSON document, replacing some values with odd
// ones: most of the document stays as the sender's, so the odd value
// reaches the code that reads it.
func mutate(rng *rand.Rand, doc any, depth int) any {
	if rng.IntN(12) == 0 {
		return oddValue(rng, doc, depth)
	}
	switch v := doc.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = mutate(rng, e, depth+1)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = mutate(rng, e, depth+1)
		}
		return out
	case string:
		if rng.IntN(3) == 0 {
			return oddString(rng)
		}
	}
	return doc
}

// oddValue is a value of another kind than a sender should send, or an
// array far longer than usual.
func oddValue(rng *rand.Rand, doc any, depth int) any {
	switch rng.IntN(8) {
	case 0:
		return nil
	case 1:
		return []any{-1, 1e308, 9223372036854775807, -9223372036854775808, 0.5}[rng.IntN(5)]
	case 2:
		return rng.IntN(2) == 0
	case 3:
		return map[string]any{"x": oddString(rng)}
	case 4:
		if arr, ok := doc.([]any); ok && len(arr) > 0 && depth < 4 {
			n := []int{ledger.MaxLines, ledger.MaxLines + 1, 3000}[rng.IntN(3)]
			out := make([]any, n)
			for i := range out {
				out[i] = mutate(rng, arr[i%len(arr)], depth+1)
			}
			return out
		}
		return []any{oddString(rng)}
	default:
		return oddString(rng)
	}
}

// oddString is empty, at or just past a bound, far past every bound, or
// unicode (multi-byte, control and zero characters).
func oddString(rng *rand.Rand) string {
	lengths := []int{0, 1, bounds.ID.Max, bounds.ID.Max + 1, bounds.Name.Max + 1, 2048, bounds.URL.Max + 1, 70_000, 300_000}
	n := lengths[rng.IntN(len(lengths))]
	units := []string{"x", "é", "€", "😀", "\u0000", "\u202e", "=", "/", "%"}
	unit := units[rng.IntN(len(units))]
	return strings.Repeat(unit, max(n/len(unit), min(n, 1)))
}
