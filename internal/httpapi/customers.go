package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/partnerloop/partnerloop/internal/apikey"
	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/csvsafe"
	"github.com/partnerloop/partnerloop/internal/discount"
	"github.com/partnerloop/partnerloop/internal/embed"
)

// errMissingScope is an API key used on a route its scopes do not admit.
type errMissingScope struct{ scope apikey.Scope }

func (e errMissingScope) Error() string {
	return fmt.Sprintf("this route needs an API key with the %s scope", e.scope)
}

func (e errMissingScope) Unwrap() error { return errForbidden }

// customerRoutes are the staff routes of customer referrals: API keys and
// groups' discount codes.
func (s *Server) customerRoutes() map[string]principalHandler {
	return map[string]principalHandler{
		"POST /v1/api-keys":                      s.createAPIKey,
		"GET /v1/api-keys":                       s.listAPIKeys,
		"DELETE /v1/api-keys/{id}":               s.revokeAPIKey,
		"POST /v1/groups/{id}/discount-codes":    s.uploadDiscountCodes,
		"GET /v1/groups/{id}/discount-codes.csv": s.discountCodesCSV,
	}
}

// embedRoutes are the widget's routes: the token a shop's backend asks
// for with an API key, the widget's data read with that token, and the
// widget's page and script.
func (s *Server) embedRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"POST /v1/embed/tokens": s.withAPIKey(apikey.ScopeEmbed, s.embedToken),
		"GET /v1/embed/widget":  s.widget,
		"GET /embed":            s.embedPage,
		"GET /embed/snippet.js": s.embedSnippet,
	}
}

// withAPIKey admits a request bearing an API key in force that carries
// scope; sign-in tokens are not read here, nor keys anywhere else.
func (s *Server) withAPIKey(scope apikey.Scope, h func(w http.ResponseWriter, r *http.Request, k apikey.Key)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		credential, _ := auth.BearerToken(r.Header.Get("Authorization"))
		k, err := s.APIKeys.Authenticate(r.Context(), credential)
		switch {
		case errors.Is(err, apikey.ErrUnknownKey):
			s.fail(w, r, fmt.Errorf("%w: %w", errUnauthenticated, err))
		case err != nil:
			s.fail(w, r, err)
		case !k.Allows(scope):
			s.fail(w, r, errMissingScope{scope})
		default:
			h(w, r, k)
		}
	}
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in apikey.NewKey
	if !s.decodeJSON(w, r, &in) {
		return
	}
	k, err := s.APIKeys.Create(r.Context(), in, p.Subject)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, k)
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	keys, err := s.APIKeys.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"api_keys": keys})
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	k, err := s.APIKeys.Revoke(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, k)
}

func (s *Server) embedToken(w http.ResponseWriter, r *http.Request, _ apikey.Key) {
	var in embed.Request
	if !s.decodeJSON(w, r, &in) {
		return
	}
	issued, err := s.Embed.Issue(r.Context(), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, issued)
}

// widget answers the data of the customer the widget token names, and
// nothing else: the token is the only credential this route reads.
func (s *Server) widget(w http.ResponseWriter, r *http.Request) {
	credential, _ := auth.BearerToken(r.Header.Get("Authorization"))
	t, err := s.Embed.Verify(r.Context(), credential)
	if errors.Is(err, embed.ErrUnknownToken) {
		err = fmt.Errorf("%w: %w", errUnauthenticated, err)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.Embed.Widget(r.Context(), t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.ReferralLink = s.PublicBaseURL + "/r/" + url.PathEscape(v.ReferralCode)
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) uploadDiscountCodes(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	var in struct {
		Codes []string `json:"codes"`
	}
	if !s.decodeJSON(w, r, &in) {
		return
	}
	g, err := s.Groups.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	added, err := s.Discounts.Upload(r.Context(), g.ID, g.Discount, in.Codes)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"added": added})
}

// discountCodesCSV is the codes of the discount the group's partners give
// in the file Shopify's admin imports into a discount: the group's own
// discount's, or for a group without one the program's (every partner's
// under it).
func (s *Server) discountCodesCSV(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	g, err := s.Groups.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	codes := []discount.Code{}
	offer, ok, err := s.Discounts.Offer(r.Context(), g.ID)
	if err == nil && ok {
		codes, err = s.Discounts.LevelCodes(r.Context(), offer.Level)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows := make([][]string, 0, len(codes))
	for _, c := range codes {
		rows = append(rows, []string{c.Code})
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", g.ID+"-discount-codes.csv"))
	_ = csvsafe.Write(w, discount.ShopifyCSVHeader, rows) // the client went away; nothing left to do
}

// embedPage serves the widget's page, which only the group's shop origins
// may frame (?group= names the group; the token stays in the fragment).
func (s *Server) embedPage(w http.ResponseWriter, r *http.Request) {
	if s.Web == nil {
		s.fail(w, r, errNoRoute)
		return
	}
	var origins []string
	if id := r.URL.Query().Get("group"); id != "" && len(id) <= bounds.ID.Max {
		if g, err := s.Groups.Customers(r.Context(), id); err == nil {
			origins = g.EmbedOrigins
		}
	}
	s.Web.Embed(w, r, origins)
}

func (s *Server) embedSnippet(w http.ResponseWriter, r *http.Request) {
	if s.Web == nil {
		s.fail(w, r, errNoRoute)
		return
	}
	s.Web.Snippet(w, r)
}
