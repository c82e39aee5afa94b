package httpapi

import (
	"errors"
	"net/http"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/payout"
)

func (s *Server) createBatch(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	b, err := s.Payouts.Create(r.Context(), p.Subject)
	if errors.Is(err, payout.ErrNothingPayable) {
		writeError(w, http.StatusConflict, "nothing_payable", err.Error())
		return
	}
	s.writeBatch(w, r, http.StatusCreated, b, err)
}

func (s *Server) getBatch(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	b, err := s.Payouts.Get(r.Context(), r.PathValue("id"))
	s.writeBatch(w, r, http.StatusOK, b, err)
}

func (s *Server) approveBatch(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	b, err := s.Payouts.Approve(r.Context(), r.PathValue("id"), p.Subject)
	s.writeBatch(w, r, http.StatusOK, b, err)
}

type reasonBody struct {
	Reason string `json:"reason"`
}

func (s *Server) cancelBatch(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in reasonBody
	if !decodeJSON(w, r, &in) {
		return
	}
	b, err := s.Payouts.Cancel(r.Context(), r.PathValue("id"), p.Subject, in.Reason)
	s.writeBatch(w, r, http.StatusOK, b, err)
}

func (s *Server) excludeItem(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in reasonBody
	if !decodeJSON(w, r, &in) {
		return
	}
	b, err := s.Payouts.Exclude(r.Context(), r.PathValue("id"), r.PathValue("item_id"), p.Subject, in.Reason)
	s.writeBatch(w, r, http.StatusOK, b, err)
}

func (s *Server) batchAudit(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	entries, err := s.Payouts.Audit(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeBatch(w, r, http.StatusOK, payout.Batch{}, err)
		return
	}
	if entries == nil {
		entries = []payout.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"batch_id": r.PathValue("id"), "entries": entries})
}

func (s *Server) writeBatch(w http.ResponseWriter, r *http.Request, status int, b payout.Batch, err error) {
	switch {
	case errors.Is(err, payout.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "payout batch not found")
	case errors.Is(err, payout.ErrItemNotFound):
		writeError(w, http.StatusNotFound, "not_found", "batch item not found")
	case errors.Is(err, payout.ErrSameApprover):
		writeError(w, http.StatusForbidden, "four_eyes", err.Error())
	case errors.Is(err, payout.ErrNotDraft):
		writeError(w, http.StatusConflict, "not_draft", err.Error())
	case errors.Is(err, payout.ErrReasonRequired):
		writeError(w, http.StatusUnprocessableEntity, "reason_required", err.Error())
	case err != nil:
		s.internalError(w, r, err)
	default:
		if b.Items == nil {
			b.Items = []payout.Item{}
		}
		if b.Skipped == nil {
			b.Skipped = []payout.Skip{}
		}
		writeJSON(w, status, b)
	}
}
