package devenv

import (
	"context"
	"embed"
	"encoding/json"
	"html/template"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/team"
)

// DemoUser is one of the local run's sign-in identities.
type DemoUser struct {
	Subject   string   `json:"subject"`
	Label     string   `json:"label"`
	Groups    []string `json:"groups"`
	PartnerID string   `json:"partner_id,omitempty"`
}

// DemoUsers are two finance users (so four eyes can be tried), one user of
// each other staff role, and the demo partner.
func DemoUsers(partnerID string) []DemoUser {
	return []DemoUser{
		{Subject: "finance-alice", Label: "Alice (finance)", Groups: []string{auth.GroupFinance}},
		{Subject: "finance-bob", Label: "Bob (finance)", Groups: []string{auth.GroupFinance}},
		{Subject: "admin-ada", Label: "Ada (admin)", Groups: []string{auth.GroupAdmin}},
		{Subject: "manager-maria", Label: "Maria (manager)", Groups: []string{auth.GroupManager}},
		{Subject: "viewer-victor", Label: "Victor (viewer)", Groups: []string{auth.GroupViewer}},
		{Subject: "support-sam", Label: "Sam (support)", Groups: []string{auth.GroupSupport}},
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
	Users []DemoUser
	// Team, if set, lists the members added through POST /v1/team, who
	// sign in here beside the demo users (the local team directory).
	Team interface {
		List(context.Context) ([]team.Member, error)
	}
	Tokens auth.HS256
	// SecurityHeaders sets the pages' Content-Security-Policy and friends.
	SecurityHeaders func(http.Header)
}

// Register adds the sign-in routes to mux.
func (s SignIn) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+SignInPath, loopbackOnly(s.page))
	mux.HandleFunc("GET "+SignInPath+".js", loopbackOnly(s.script))
	mux.HandleFunc("POST "+SignInPath, loopbackOnly(s.token))
}

// loopbackOnly answers only requests addressed to a loopback name. A page
// of another site whose name was rebound to 127.0.0.1 (DNS rebinding)
// reaches this server with that name in Host, and must get no token.
func loopbackOnly(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !isLoopbackHost(r.Host) {
			writeError(w, http.StatusForbidden, "forbidden", "the development sign-in answers only at localhost, 127.0.0.1 or [::1]")
			return
		}
		next(w, r)
	}
}

// isLoopbackHost reports whether a Host header (with or without a port)
// names this machine: localhost or a loopback address.
func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.IsLoopback()
}

// users are the demo users and the team's members.
func (s SignIn) users(ctx context.Context) ([]DemoUser, error) {
	if s.Team == nil {
		return s.Users, nil
	}
	members, err := s.Team.List(ctx)
	if err != nil {
		return nil, err
	}
	users := slices.Clone(s.Users)
	for _, m := range members {
		users = append(users, DemoUser{Subject: m.ID, Label: m.Name + " (" + strings.Join(m.Roles, ", ") + ")", Groups: m.Roles})
	}
	return users, nil
}

func (s SignIn) page(w http.ResponseWriter, r *http.Request) {
	users, err := s.users(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "could not read the team")
		return
	}
	s.SecurityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = signInPage.Execute(w, users) // the client went away; nothing left to do
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
	users, err := s.users(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "could not read the team")
		return
	}
	i := slices.IndexFunc(users, func(u DemoUser) bool { return u.Subject == in.Subject })
	if i < 0 {
		writeError(w, http.StatusNotFound, "not_found", "no such demo user")
		return
	}
	u := users[i]
	tok, err := s.Tokens.Issue(u.Subject, u.Groups, u.PartnerID, 12*time.Hour)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "could not sign a token")
		return
	}
	home := "/portal/"
	if u.PartnerID == "" {
		home = "/console/"
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": tok, "home": home})
}

// writeJSON answers as the API does: JSON, never cached, never sniffed.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing left to do
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]map[string]string{"error": {"code": code, "message": message}})
}
