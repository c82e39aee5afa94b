package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
)

// shopPage serves a shop's account page on an origin of its own with the
// one line the README gives a shop, for the widget token token holds.
func shopPage(t *testing.T, partnerloop string, token *atomic.Value) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Your account</title></head>
<body><h1>Your account</h1>
<script src="%s/embed/snippet.js" data-group="customers" data-token="%s" async></script>
</body></html>`, partnerloop, token.Load())
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestEmbeddedWidgetOnAShopsPageInTheBrowser(t *testing.T) {
	h := newHarness(t)
	site := h.site("")
	var token atomic.Value
	token.Store("")
	shop := shopPage(t, site.URL, &token)
	elsewhere := shopPage(t, site.URL, &token) // an origin the group does not name

	// The group lets the shop's origin, a second local port, frame the widget.
	group := strings.Replace(string(customersGroup("customers", `{"kind":"percent","value":10,"duration":"once","provider":"shopify","shop":"shop.example"}`)),
		`"embed_origins":["https://shop.example"]`, `"embed_origins":["https://shop.example",`+fmt.Sprintf("%q", shop.URL)+`]`, 1)
	h.createGroup([]byte(group))
	_, key := h.apiKey()
	issued := h.embedToken(key, "cust-7", "customers")
	if issued.Status != 201 {
		t.Fatalf("token: %d %s", issued.Status, issued.Raw)
	}
	token.Store(issued.Body["token"].(string))
	w := h.widget(h.embedToken(key, "cust-7", "customers").Body["token"].(string)).Body
	link, code := w["referral_link"].(string), w["referral_code"].(string)

	res, err := http.Get(site.URL + "/embed/?group=customers")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors https://shop.example "+shop.URL+";") || strings.Contains(csp, elsewhere.URL) {
		t.Fatalf("the widget's CSP: %s", csp)
	}

	tab := devtest.NewBrowser(t, shop.URL).NewTab("en-US", 1000, 900)
	tab.Open("/")
	tab.Wait("heading", "Your account")
	widget := tab.Frame("Refer a friend")
	widget.Wait("heading", "Your friends get")
	if got := widget.Wait("textbox", "Your link").Call(`function() { return this.value; }`); got != fmt.Sprintf("%q", link) {
		t.Errorf("the frame's link is %s, want %s", got, link)
	}
	widget.Wait("StaticText", "10% off their first order with code "+code)
	widget.Wait("button", "Copy link")
	widget.Wait("link", "WhatsApp")
	var height float64
	if err := json.Unmarshal([]byte(tab.Evaluate(`document.querySelector('iframe').getBoundingClientRect().height`)), &height); err != nil || height <= 320 {
		t.Errorf("the frame kept its first height (%v, %v)", height, err)
	}
	tab.Screenshot("embed-on-shop-page")
}
