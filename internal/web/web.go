// Package web serves the partner portal and the finance console: plain HTML,
// CSS and ES modules embedded in the binary, which talk only to the /v1 API.
// There is no build step: the browser loads the modules as they are, and
// each asset carries a content hash as its ETag, so a deployment is picked
// up on the next load while unchanged files cost a 304.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
)

//go:embed static
var static embed.FS

// SignIn tells the pages how to obtain a token. In AWS it is OpenID Connect
// authorization code with PKCE against the issuer's endpoints; locally the
// runner's development sign-in page hands out tokens instead.
type SignIn struct {
	AuthorizationEndpoint string `json:"authorization_endpoint,omitempty"`
	TokenEndpoint         string `json:"token_endpoint,omitempty"`
	// LogoutEndpoint ends the issuer's session too (Cognito's /logout);
	// without one, signing out forgets the token in this tab only.
	LogoutEndpoint string `json:"logout_endpoint,omitempty"`
	ClientID       string `json:"client_id,omitempty"`
	Scope          string `json:"scope,omitempty"`
	// DevSignIn is the local sign-in page; set only by the local runner.
	DevSignIn string `json:"dev_sign_in,omitempty"`
}

// Validate requires either the OIDC endpoints and client or a dev page.
func (s SignIn) Validate() error {
	if s.DevSignIn != "" {
		return nil
	}
	for name, v := range map[string]string{"authorization endpoint": s.AuthorizationEndpoint, "token endpoint": s.TokenEndpoint} {
		u, err := url.Parse(v)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("web sign-in: the %s must be an https URL, got %q", name, v)
		}
	}
	if s.ClientID == "" {
		return fmt.Errorf("web sign-in: the client id is missing")
	}
	return nil
}

// Site holds the embedded assets, hashed and compressed once at start.
type Site struct {
	assets map[string]asset
	config []byte
	csp    string
}

type asset struct {
	body, gzipped []byte
	etag          string
	contentType   string
}

// New loads every embedded asset and fixes the Content-Security-Policy: only
// this origin, plus the token endpoint the sign-in code posts to.
func New(signIn SignIn) (*Site, error) {
	if err := signIn.Validate(); err != nil {
		return nil, err
	}
	cfg, err := json.Marshal(signIn)
	if err != nil {
		return nil, err
	}
	s := &Site{assets: map[string]asset{}, config: cfg, csp: policy(signIn)}
	err = fs.WalkDir(static, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := static.ReadFile(name)
		if err != nil {
			return err
		}
		s.assets[strings.TrimPrefix(name, "static/")] = newAsset(path.Base(name), body)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, s.renderPages()
}

// renderPages makes portal.html and console.html from page.html: the same
// shell, each running its own module (APP in the page names it). A plain
// replacement, not html/template: templates keep every method of every type
// in the binary (reflection), which doubles the Lambda bootstraps.
func (s *Site) renderPages() error {
	page, ok := s.assets["page.html"]
	if !ok {
		return fmt.Errorf("web: page.html is not embedded")
	}
	delete(s.assets, "page.html")
	for _, app := range []string{"portal", "console"} {
		s.assets[app+".html"] = newAsset(app+".html", bytes.ReplaceAll(page.body, []byte("APP"), []byte(app)))
	}
	return nil
}

func newAsset(name string, body []byte) asset {
	sum := sha256.Sum256(body)
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression) // the level is valid
	_, _ = zw.Write(body)                                   // writes to memory cannot fail
	_ = zw.Close()
	return asset{body: body, gzipped: gz.Bytes(), etag: `"` + hex.EncodeToString(sum[:12]) + `"`,
		contentType: mime.TypeByExtension(path.Ext(name))}
}

func policy(signIn SignIn) string {
	connect := "'self'"
	if u, err := url.Parse(signIn.TokenEndpoint); err == nil && u.Host != "" {
		connect += " " + u.Scheme + "://" + u.Host
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src " + connect +
		"; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
}

// Root sends visitors to the partner portal.
func (s *Site) Root(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/portal/", http.StatusFound)
}

// Portal serves the partner portal's page for every path under /portal/;
// the page routes within itself.
func (s *Site) Portal(w http.ResponseWriter, r *http.Request) { s.serve(w, r, "portal.html") }

// Console serves the finance console's page.
func (s *Site) Console(w http.ResponseWriter, r *http.Request) { s.serve(w, r, "console.html") }

// Asset serves /assets/{file}.
func (s *Site) Asset(w http.ResponseWriter, r *http.Request) { s.serve(w, r, r.PathValue("file")) }

// Config answers the sign-in settings the pages read before anything else.
func (s *Site) Config(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(s.config) // the client went away; nothing left to do
}

// SecurityHeaders are sent with every page and asset.
func (s *Site) SecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", s.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	// The sign-in callback carries the authorization code in its query;
	// no other site may see it in a Referer.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

func (s *Site) serve(w http.ResponseWriter, r *http.Request, name string) {
	s.SecurityHeaders(w.Header())
	s.send(w, r, name)
}

// send writes an asset with its validators, gzipped when accepted.
func (s *Site) send(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := s.assets[name]
	if !ok || strings.HasPrefix(name, ".") {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "no-cache") // revalidate: a new deployment shows at once
	h.Set("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", a.contentType)
	body := a.body
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = a.gzipped
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(body) // the client went away; nothing left to do
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
