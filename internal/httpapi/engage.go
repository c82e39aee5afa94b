package httpapi

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/engage"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/notify"
	"github.com/partnerloop/partnerloop/internal/program"
)

var errBadQuery = fmt.Errorf("bad query")

// activity credits a partner's points for a training or quiz; signed like
// /webhooks/orders.
func (s *Server) activity(w http.ResponseWriter, r *http.Request) {
	body, ok := s.timestamped(w, r, "Partnerloop-Signature", generic)
	if !ok {
		return
	}
	var a engage.Activity
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&a); err != nil {
		s.fail(w, r, invalidEvent(err))
		return
	}
	out, err := s.Engage.RecordActivity(r.Context(), a)
	if err != nil {
		if errorsIsAny(err, engage.ErrInvalid, engage.ErrUnknownActivity) {
			err = invalidEvent(err)
		}
		s.fail(w, r, err)
		return
	}
	s.Log.InfoContext(r.Context(), "activity", "event_id", a.ID, "type", a.Type, "partner_id", a.PartnerID, "status", out.Status, "points", out.Points)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createChallenge(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in engage.Challenge
	if !s.decodeJSON(w, r, &in) {
		return
	}
	c, err := s.Engage.CreateChallenge(r.Context(), in, p.Subject)
	s.answer(w, r, http.StatusCreated, c, err)
}

// listChallenges: staff see every challenge with its counts, a partner
// those open to its tier with its progress.
func (s *Server) listChallenges(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if p.IsStaff() {
		list, err := s.Engage.Challenges(r.Context())
		s.answer(w, r, http.StatusOK, map[string]any{"challenges": list}, err)
		return
	}
	list, err := s.Engage.PartnerChallenges(r.Context(), p.PartnerID)
	s.answer(w, r, http.StatusOK, map[string]any{"challenges": list}, err)
}

func (s *Server) getChallenge(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if p.IsStaff() {
		c, err := s.Engage.Challenge(r.Context(), r.PathValue("id"))
		s.answer(w, r, http.StatusOK, c, err)
		return
	}
	c, err := s.Engage.PartnerChallenge(r.Context(), p.PartnerID, r.PathValue("id"))
	s.answer(w, r, http.StatusOK, c, err)
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in engage.NewSubmission
	if !s.decodeJSON(w, r, &in) {
		return
	}
	sub, err := s.Engage.Submit(r.Context(), p.PartnerID, r.PathValue("id"), in)
	s.answer(w, r, http.StatusCreated, sub, err)
}

func (s *Server) listSubmissions(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	list, err := s.Engage.Submissions(r.Context(), r.PathValue("id"))
	s.answer(w, r, http.StatusOK, map[string]any{"submissions": list}, err)
}

func (s *Server) approveSubmission(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	sub, err := s.Engage.Approve(r.Context(), r.PathValue("id"), r.PathValue("sid"), p.Subject)
	if err == nil {
		s.Log.InfoContext(r.Context(), "submission approved", "challenge_id", sub.ChallengeID, "submission_id", sub.ID, "partner_id", sub.PartnerID, "by", p.Subject)
	}
	s.answer(w, r, http.StatusOK, sub, err)
}

func (s *Server) rejectSubmission(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in reasonBody
	if !s.decodeJSON(w, r, &in) {
		return
	}
	sub, err := s.Engage.Reject(r.Context(), r.PathValue("id"), r.PathValue("sid"), in.Reason, p.Subject)
	s.answer(w, r, http.StatusOK, sub, err)
}

func (s *Server) leaderboard(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	q := r.URL.Query()
	lq := engage.LeaderboardQuery{Period: q.Get("period"), Measure: cmp.Or(q.Get("measure"), engage.MeasureRevenue),
		Currency: money.Currency(q.Get("currency")), Tier: program.Tier(q.Get("tier")), Limit: 10}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.fail(w, r, fmt.Errorf("%w: limit must be a number", errBadQuery))
			return
		}
		lq.Limit = n
	}
	if lq.Period == "" {
		lq.Period = s.Now().UTC().Format("2006-01")
	}
	you := ""
	if !p.IsStaff() {
		you = p.PartnerID
	}
	board, err := s.Engage.Leaderboard(r.Context(), lq, you)
	if errorsIsAny(err, engage.ErrInvalid) {
		err = fmt.Errorf("%w: %w", errBadQuery, err)
	}
	s.answer(w, r, http.StatusOK, board, err)
}

func (s *Server) addReward(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	var in engage.Reward
	if !s.decodeJSON(w, r, &in) {
		return
	}
	rw, err := s.Engage.AddReward(r.Context(), in)
	s.answer(w, r, http.StatusCreated, rw, err)
}

// listRewards: staff see retired rewards too, partners what they may redeem.
func (s *Server) listRewards(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	list, err := s.Engage.Rewards(r.Context(), p.IsStaff())
	s.answer(w, r, http.StatusOK, map[string]any{"rewards": list}, err)
}

func (s *Server) redeem(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in engage.RedeemRequest
	if !s.decodeJSON(w, r, &in) {
		return
	}
	red, err := s.Engage.Redeem(r.Context(), p.PartnerID, in)
	if err == nil {
		s.Log.InfoContext(r.Context(), "redemption", "redemption_id", red.ID, "partner_id", red.PartnerID, "reward_id", red.RewardID, "points", red.Points)
	}
	s.answer(w, r, http.StatusCreated, red, err)
}

func (s *Server) listRedemptions(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	limit, cursor, ok := s.pageParams(w, r)
	if !ok {
		return
	}
	list, next, err := s.Engage.Redemptions(r.Context(), r.URL.Query().Get("status"), limit, cursor)
	s.writePage(w, r, "redemptions", list, next, err)
}

func (s *Server) fulfilRedemption(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in referenceBody
	if !s.decodeJSON(w, r, &in) {
		return
	}
	red, err := s.Engage.Fulfil(r.Context(), r.PathValue("id"), in.Reference, p.Subject)
	s.answer(w, r, http.StatusOK, red, err)
}

func (s *Server) cancelRedemption(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in reasonBody
	if !s.decodeJSON(w, r, &in) {
		return
	}
	red, err := s.Engage.Cancel(r.Context(), r.PathValue("id"), in.Reason, p.Subject)
	s.answer(w, r, http.StatusOK, red, err)
}

func (s *Server) createEndpoint(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in notify.NewEndpoint
	if !s.decodeJSON(w, r, &in) {
		return
	}
	e, err := s.Notify.Create(r.Context(), in, p.Subject)
	if err == nil {
		s.Log.InfoContext(r.Context(), "webhook endpoint created", "endpoint_id", e.ID, "by", p.Subject)
	}
	s.answer(w, r, http.StatusCreated, e, err)
}

func (s *Server) listEndpoints(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	list, err := s.Notify.List(r.Context())
	if list == nil {
		list = []notify.Endpoint{}
	}
	s.answer(w, r, http.StatusOK, map[string]any{"endpoints": list}, err)
}

func (s *Server) getEndpoint(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	e, err := s.Notify.Get(r.Context(), r.PathValue("id"))
	s.answer(w, r, http.StatusOK, e, err)
}

func (s *Server) deleteEndpoint(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if err := s.Notify.Delete(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.Log.InfoContext(r.Context(), "webhook endpoint deleted", "endpoint_id", r.PathValue("id"), "by", p.Subject)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) endpointDeliveries(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	limit, _, ok := s.pageParams(w, r)
	if !ok {
		return
	}
	list, err := s.Notify.Deliveries(r.Context(), r.PathValue("id"), limit)
	s.answer(w, r, http.StatusOK, map[string]any{"deliveries": list}, err)
}

// answer writes v with status, or the error.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status, v)
}
