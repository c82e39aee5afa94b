package devenv

import (
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/partnerloop/partnerloop/internal/auth"
)

// DemoUser is one of the local run's sign-in identities.
type DemoUser struct {
	Subject   string   `json:"subject"`
	Label     string   `json:"label"`
	Groups    []string `json:"groups"`
	PartnerID string   `json:"partner_id,omitempty"`
}

// DemoUsers are two finance users (so four eyes can be tried) and the demo
// partner.
func DemoUsers(partnerID string) []DemoUser {
	return []DemoUser{
		{Subject: "finance-alice", Label: "Alice (finance)", Groups: []string{auth.GroupFinance}},
		{Subject: "finance-bob", Label: "Bob (finance)", Groups: []string{auth.GroupFinance}},
		{Subject: "partner-demo", Label: "Demo Reseller (partner)", PartnerID: partnerID},
	}
}

//go:embed signin
var signInFiles embed.FS

var signInPage = template.Must(template.ParseFS(signInFiles, "signin/page.html"))

// SignInPath is the local sign-in page. It exists only in local runs: the
// deployed functions use OpenID Connect and never include this package.
const SignInPath = "/dev/sign-in"

// SignIn serves the development sign-in: a page listing the demo users, and
// a POST that answers a token for the one chosen. The page stores it as
// the OpenID Connect code would, so the portal and console work unchanged.
type SignIn struct {
	Users  []DemoUser
	Tokens auth.HS256
	// SecurityHeaders sets the pages' Content-Security-Policy and friends.
	SecurityHeaders func(http.Header)
}

// Register adds the sign-in routes to mux.
func (s SignIn) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+SignInPath, s.page)
	mux.HandleFunc("GET "+SignInPath+".js", s.script)
	mux.HandleFunc("POST "+SignInPath, s.token)
}

func (s SignIn) page(w http.ResponseWriter, _ *http.Request) {
	s.SecurityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = signInPage.Execute(w, s.Users) // the client went away; nothing left to do
}

func (s SignIn) script(w http.ResponseWriter, _ *http.Request) {
	s.SecurityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	body, _ := signInFiles.ReadFile("signin/signin.js") // embedded above
	_, _ = w.Write(body)
}

func (s SignIn) token(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Subject string `json:"subject"`
	}
	_ = json.NewDecoder(http.MaxBytesReader(w, r.Body, 1024)).Decode(&in)
	i := slices.IndexFunc(s.Users, func(u DemoUser) bool { return u.Subject == in.Subject })
	if i < 0 {
		http.Error(w, `{"error":{"code":"not_found","message":"no such demo user"}}`, http.StatusNotFound)
		return
	}
	u := s.Users[i]
	tok, err := s.Tokens.Issue(u.Subject, u.Groups, u.PartnerID, 12*time.Hour)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"could not sign a token"}}`, http.StatusInternalServerError)
		return
	}
	home := "/portal/"
	if u.PartnerID == "" {
		home = "/console/"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]string{"token": tok, "home": home})
}
