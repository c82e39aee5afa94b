package web

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func newSite(t *testing.T) *Site {
	t.Helper()
	s, err := New(SignIn{AuthorizationEndpoint: "https://auth.example/oauth2/authorize", TokenEndpoint: "https://auth.example/oauth2/token",
		ClientID: "web"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(h http.HandlerFunc, path string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if file, ok := strings.CutPrefix(path, "/assets/"); ok {
		req.SetPathValue("file", file)
	}
	rec := httptest.NewRecorder()
	h(rec, req)
	return rec
}

func TestPagesAreServedUnderAStrictPolicy(t *testing.T) {
	s := newSite(t)
	rec := get(s.Portal, "/portal/", nil)
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "connect-src 'self' https://auth.example", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("policy allows inline code: %q", csp)
	}
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") || rec.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("portal: %d %v", rec.Code, rec.Header())
	}
}

// No page may carry inline script or style (the policy would block it) or
// load anything from another origin.
func TestAssetsHaveNoInlineCodeAndNoOtherOrigins(t *testing.T) {
	s := newSite(t)
	inline := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]|\son[a-z]+=|\sstyle=|<style`)
	external := regexp.MustCompile(`(?:src|href)="(?:https?:)?//`)
	for name, a := range s.assets {
		if strings.HasSuffix(name, ".html") && (inline.Match(a.body) || external.Match(a.body)) {
			t.Errorf("%s has inline code or an external resource", name)
		}
		if strings.HasSuffix(name, ".js") && regexp.MustCompile(`\bimport\s.*from\s+'https?:`).Match(a.body) {
			t.Errorf("%s imports from another origin", name)
		}
	}
}

func TestAssetsAreRevalidatedByETagAndGzipped(t *testing.T) {
	s := newSite(t)
	first := get(s.Asset, "/assets/portal.js", map[string]string{"Accept-Encoding": "gzip, br"})
	etag := first.Header().Get("ETag")
	if first.Code != 200 || etag == "" || first.Header().Get("Content-Encoding") != "gzip" || first.Header().Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("first load: %d %v", first.Code, first.Header())
	}
	if again := get(s.Asset, "/assets/portal.js", map[string]string{"If-None-Match": etag}); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("revalidation: %d with %d bytes", again.Code, again.Body.Len())
	}
	if plain := get(s.Asset, "/assets/portal.js", nil); plain.Header().Get("Content-Encoding") != "" || !strings.Contains(plain.Body.String(), "import") {
		t.Errorf("without Accept-Encoding: %v", plain.Header())
	}
	if other := get(s.Asset, "/assets/console.js", nil); other.Header().Get("ETag") == etag {
		t.Error("two files share an ETag")
	}
	if missing := get(s.Asset, "/assets/nope.js", nil); missing.Code != 404 {
		t.Errorf("unknown asset: %d", missing.Code)
	}
}

// The portal's first load (page, stylesheet and every module it imports)
// stays under 100 KB transferred.
func TestPortalFirstLoadIsUnder100KB(t *testing.T) {
	s := newSite(t)
	total, seen := 0, map[string]bool{}
	var load func(name string)
	load = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		a, ok := s.assets[name]
		if !ok {
			t.Fatalf("%s is referenced but not embedded", name)
		}
		total += len(a.gzipped)
		for _, m := range regexp.MustCompile(`(?:from |href="/assets/|src="/assets/)['"]?(?:\./)?([\w.-]+\.(?:js|css))`).FindAllSubmatch(a.body, -1) {
			load(string(m[1]))
		}
	}
	load("portal.html")
	if _, ok := s.assets["page.html"]; ok {
		t.Error("the page template is served as it is")
	}
	for _, want := range []string{"app.css", "portal.js", "session.js", "i18n.js", "messages.js", "ui.js", "statement.js"} {
		if !seen[want] {
			t.Errorf("the portal's load misses %s (found %v)", want, seen)
		}
	}
	if total > 100*1024 {
		t.Errorf("portal first load is %d bytes gzipped, over 100 KB", total)
	}
	t.Logf("portal first load: %d bytes gzipped over %d files", total, len(seen))
}

func TestSignInNeedsEndpointsOrTheDevPage(t *testing.T) {
	for _, bad := range []SignIn{{}, {AuthorizationEndpoint: "http://auth.example/a", TokenEndpoint: "https://auth.example/t", ClientID: "c"},
		{AuthorizationEndpoint: "https://auth.example/a", TokenEndpoint: "https://auth.example/t"}} {
		if _, err := New(bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
	if _, err := New(SignIn{DevSignIn: "/dev/sign-in"}); err != nil {
		t.Error(err)
	}
}
