package httpapi

import (
	"net/http"
	"time"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/engage"
	"github.com/partnerloop/partnerloop/internal/notify"
)

// The staff writes the console's engagement and webhook screens need
// beyond creating things: edits, early ends, points adjustments, secret
// rotation and resending a delivery.

func (s *Server) changeChallenge(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in engage.ChallengeChange
	if !s.decodeJSON(w, r, &in) {
		return
	}
	c, err := s.Engage.ChangeChallenge(r.Context(), r.PathValue("id"), in, p.Subject)
	s.answer(w, r, http.StatusOK, c, err)
}

func (s *Server) endChallenge(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	c, err := s.Engage.EndChallenge(r.Context(), r.PathValue("id"), p.Subject)
	s.answer(w, r, http.StatusOK, c, err)
}

func (s *Server) changeReward(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	var in engage.RewardChange
	if !s.decodeJSON(w, r, &in) {
		return
	}
	rw, err := s.Engage.ChangeReward(r.Context(), r.PathValue("id"), in)
	s.answer(w, r, http.StatusOK, rw, err)
}

func (s *Server) adjustPoints(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in engage.Adjustment
	if !s.decodeJSON(w, r, &in) {
		return
	}
	out, err := s.Engage.AdjustPoints(r.Context(), r.PathValue("id"), in, p.Subject)
	s.answer(w, r, http.StatusCreated, out, err)
}

func (s *Server) rotateSecret(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	var in struct {
		OverlapSeconds *int64 `json:"overlap_seconds"`
	}
	if !s.decodeJSON(w, r, &in) {
		return
	}
	overlap := notify.DefaultOverlap
	if in.OverlapSeconds != nil {
		// Past the bound the domain refuses it, without overflowing here.
		overlap = time.Duration(min(max(*in.OverlapSeconds, -1), int64(notify.MaxOverlap.Seconds())+1)) * time.Second
	}
	e, err := s.Notify.RotateSecret(r.Context(), r.PathValue("id"), overlap)
	s.answer(w, r, http.StatusOK, e, err)
}

func (s *Server) resendDelivery(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	out, err := s.Notify.Resend(r.Context(), r.PathValue("id"), r.PathValue("event_id"))
	s.answer(w, r, http.StatusAccepted, out, err)
}

// staffWorkRoutes are these routes by pattern.
func (s *Server) staffWorkRoutes() map[string]principalHandler {
	return map[string]principalHandler{
		"PATCH /v1/challenges/{id}":                                    s.changeChallenge,
		"POST /v1/challenges/{id}/end":                                 s.endChallenge,
		"PATCH /v1/rewards/{id}":                                       s.changeReward,
		"POST /v1/partners/{id}/points":                                s.adjustPoints,
		"POST /v1/webhook-endpoints/{id}/rotate-secret":                s.rotateSecret,
		"POST /v1/webhook-endpoints/{id}/deliveries/{event_id}/resend": s.resendDelivery,
	}
}
