package httpapi

import (
	"errors"
	"net"
	"net/http"
	"slices"
	"strconv"

	"github.com/partnerloop/partnerloop/internal/apply"
	"github.com/partnerloop/partnerloop/internal/auth"
)

// joinRoutes are the public side of applications: the join page, its
// data and beacon, the application and the e-mail's confirmation. No
// sign-in: their writes are bounded, rate-limited and trusted only once a
// person or a rule approves.
func (s *Server) joinRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /join/{slug}":              s.joinPage,
		"GET /join/confirm/{token}":     s.joinPage,
		"GET /v1/join/{slug}":           s.joinData,
		"POST /v1/join/{slug}/started":  s.joinStarted,
		"POST /v1/applications":         s.submitApplication,
		"POST /v1/applications/confirm": s.confirmApplication,
	}
}

// applicationRoutes are the review of applications; routeRoles says who
// may call them.
func (s *Server) applicationRoutes() map[string]principalHandler {
	return map[string]principalHandler{
		"GET /v1/applications":               s.listApplications,
		"GET /v1/applications/{id}":          s.getApplication,
		"POST /v1/applications/{id}/approve": s.approveApplication,
		"POST /v1/applications/{id}/reject":  s.rejectApplication,
		"GET /v1/reports/applications":       s.applicationsReport,
	}
}

// joinPage serves the join page (and the confirmation page, the same
// module), under the portal's Content-Security-Policy.
func (s *Server) joinPage(w http.ResponseWriter, r *http.Request) {
	if s.Web == nil {
		s.fail(w, r, errNoRoute)
		return
	}
	s.Web.Join(w, r)
}

// pageLanguage is ?lang= when the page's chooser set it, else the best of
// Accept-Language.
func pageLanguage(r *http.Request) string {
	if lang := r.URL.Query().Get("lang"); slices.Contains(apply.Languages(), lang) {
		return lang
	}
	return apply.Negotiate(r.Header.Get("Accept-Language"))
}

// joinData answers the group's join page in the visitor's language and
// counts the view.
func (s *Server) joinData(w http.ResponseWriter, r *http.Request) {
	p, err := s.Applications.View(r.Context(), r.PathValue("slug"), pageLanguage(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Vary", "Accept-Language")
	writeJSON(w, http.StatusOK, p)
}

// joinStarted counts a first touch of the form (the page's beacon).
func (s *Server) joinStarted(w http.ResponseWriter, r *http.Request) {
	if err := s.Applications.Started(r.Context(), r.PathValue("slug")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// sourceAddress is the caller's network address as API Gateway saw it
// (its source IP): unlike X-Forwarded-For, which a caller may fill in, it
// is what a rate limit can count.
func sourceAddress(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

func (s *Server) submitApplication(w http.ResponseWriter, r *http.Request) {
	var sub apply.Submission
	if !s.decodeJSON(w, r, &sub) {
		return
	}
	if sub.Language == "" {
		sub.Language = apply.Negotiate(r.Header.Get("Accept-Language"))
	}
	a, err := s.Applications.Submit(r.Context(), sub, sourceAddress(r))
	if limited := (*apply.RateLimited)(nil); errors.As(err, &limited) {
		w.Header().Set("Retry-After", strconv.Itoa(int(limited.RetryAfter.Seconds()+0.999)))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": a.ID, "status": a.Status})
}

func (s *Server) confirmApplication(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
	}
	if !s.decodeJSON(w, r, &in) {
		return
	}
	a, err := s.Applications.Confirm(r.Context(), in.Token)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": a.ID, "status": a.Status})
}

func (s *Server) listApplications(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	limit, cursor, ok := s.pageParams(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	list, next, err := s.Applications.List(r.Context(), apply.Query{Status: apply.Status(q.Get("status")), Group: q.Get("group")}, limit, cursor)
	s.writePage(w, r, "applications", list, next, err)
}

// applicationView is an application with its funnel events.
type applicationView struct {
	apply.Application
	Events []apply.Event `json:"events"`
}

func (s *Server) getApplication(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	a, err := s.Applications.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, applicationView{a, a.Events()})
}

// approveApplication takes {"tier"?}; the audit trail records who decided.
func (s *Server) approveApplication(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in struct {
		Tier string `json:"tier"`
	}
	if s.decodeJSON(w, r, &in) {
		a, err := s.Applications.Approve(r.Context(), r.PathValue("id"), apply.Decision{Tier: in.Tier}, p.Subject)
		s.writeDecided(w, r, a, err)
	}
}

// rejectApplication takes {"reason", "note"?}.
func (s *Server) rejectApplication(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in struct {
		Reason apply.Reason `json:"reason"`
		Note   string       `json:"note"`
	}
	if s.decodeJSON(w, r, &in) {
		a, err := s.Applications.Reject(r.Context(), r.PathValue("id"), apply.Decision{Reason: in.Reason, Note: in.Note}, p.Subject)
		s.writeDecided(w, r, a, err)
	}
}

func (s *Server) writeDecided(w http.ResponseWriter, r *http.Request, a apply.Application, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, applicationView{a, a.Events()})
}

func (s *Server) applicationsReport(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	period := r.URL.Query().Get("period")
	funnel, err := s.Applications.Funnel(r.Context(), period)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"period": period, "groups": funnel})
}
