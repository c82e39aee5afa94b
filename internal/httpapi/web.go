package httpapi

import (
	"net/http"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/web"
)

// uiRoutes are the portal's and console's pages and assets.
func (s *Server) uiRoutes() map[string]http.HandlerFunc {
	site := func(h func(*web.Site, http.ResponseWriter, *http.Request)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if s.Web == nil {
				s.fail(w, r, errNoRoute)
				return
			}
			h(s.Web, w, r)
		}
	}
	return map[string]http.HandlerFunc{
		"GET /":              site((*web.Site).Root),
		"GET /portal":        site((*web.Site).Portal),
		"GET /console":       site((*web.Site).Console),
		"GET /assets/{file}": site((*web.Site).Asset),
		"GET /v1/sign-in":    site((*web.Site).Config),
	}
}

// me is who the caller is, and what the portal needs of the program to
// build links: the landing page and the hosts deep links may point to.
type me struct {
	Subject   string   `json:"subject"`
	Groups    []string `json:"groups"`
	PartnerID string   `json:"partner_id,omitempty"`
	Finance   bool     `json:"finance"`
	// Roles and Routes are the caller's roles and the signed-in routes
	// they admit, so the console shows only what the caller may do.
	Roles        []string `json:"roles"`
	Routes       []string `json:"routes"`
	LandingURL   string   `json:"landing_url"`
	LandingHosts []string `json:"landing_hosts"`
}

func (s *Server) whoAmI(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if p.PartnerID != "" {
		// The portal asks on every visit; the first is the partner's first
		// sign-in, which the welcome e-mail follows. Signing in never
		// fails for it.
		if err := s.Mail.SignedIn(r.Context(), p.PartnerID); err != nil {
			s.Log.WarnContext(r.Context(), "first sign-in not recorded", "partner_id", p.PartnerID, "error", err)
		}
	}
	prog, err := s.Programs.Current(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	groups := p.Groups
	if groups == nil {
		groups = []string{}
	}
	hosts := prog.Program.LandingHosts
	if hosts == nil {
		hosts = []string{}
	}
	writeJSON(w, http.StatusOK, me{Subject: p.Subject, Groups: groups, PartnerID: p.PartnerID, Finance: p.IsFinance(),
		Roles: p.Roles().Names(), Routes: routesFor(p.Roles()), LandingURL: prog.Program.LandingURL, LandingHosts: hosts})
}
