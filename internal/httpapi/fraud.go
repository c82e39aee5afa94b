package httpapi

import (
	"net/http"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/fraud"
)

// fraudRoutes are the fraud review queue; routeRoles says who may call them.
func (s *Server) fraudRoutes() map[string]principalHandler {
	return map[string]principalHandler{
		"GET /v1/fraud/cases":               s.listFraudCases,
		"GET /v1/fraud/cases/{id}":          s.getFraudCase,
		"POST /v1/fraud/cases/{id}/resolve": s.decideFraudCase(fraud.Resolve),
		"POST /v1/fraud/cases/{id}/confirm": s.decideFraudCase(fraud.Confirm),
	}
}

func (s *Server) listFraudCases(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	limit, cursor, ok := s.pageParams(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	cases, next, err := s.Fraud.List(r.Context(), fraud.Query{Status: fraud.Status(q.Get("status")), Rule: q.Get("rule"), PartnerID: q.Get("partner_id")}, limit, cursor)
	s.writePage(w, r, "cases", cases, next, err)
}

func (s *Server) getFraudCase(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	d, err := s.Fraud.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// decideFraudCase answers 200 with the case once the decision took effect
// (or had already), 202 when it waits for a second user's approval.
func (s *Server) decideFraudCase(kind string) principalHandler {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		var in struct {
			Note           string `json:"note"`
			Reverse        bool   `json:"reverse"`
			SuspendPartner bool   `json:"suspend_partner"`
		}
		if !s.decodeJSON(w, r, &in) {
			return
		}
		d, out, err := s.Fraud.Decide(r.Context(), r.PathValue("id"),
			fraud.Decision{Kind: kind, Note: in.Note, Reverse: in.Reverse, SuspendPartner: in.SuspendPartner, By: p.Subject})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		status := http.StatusOK
		if out == fraud.AwaitsApproval {
			status = http.StatusAccepted
		}
		writeJSON(w, status, d)
	}
}
