package httpapi

import (
	"fmt"
	"net/http"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/csvsafe"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/payout"
)

func (s *Server) createBatch(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	b, err := s.Payouts.Create(r.Context(), p.Subject)
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
	if !s.decodeJSON(w, r, &in) {
		return
	}
	b, err := s.Payouts.Cancel(r.Context(), r.PathValue("id"), p.Subject, in.Reason)
	s.writeBatch(w, r, http.StatusOK, b, err)
}

func (s *Server) excludeItem(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in reasonBody
	if !s.decodeJSON(w, r, &in) {
		return
	}
	b, err := s.Payouts.Exclude(r.Context(), r.PathValue("id"), r.PathValue("item_id"), p.Subject, in.Reason)
	s.writeBatch(w, r, http.StatusOK, b, err)
}

func (s *Server) batchAudit(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	entries, err := s.Payouts.Audit(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if entries == nil {
		entries = []payout.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"batch_id": r.PathValue("id"), "entries": entries})
}

func (s *Server) writeBatch(w http.ResponseWriter, r *http.Request, status int, b payout.Batch, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status, b)
}

func (s *Server) addCharity(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	var c payout.Charity
	if !s.decodeJSON(w, r, &c) {
		return
	}
	c, err := s.Payouts.AddCharity(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// listCharities is open to partners too: they choose from it.
func (s *Server) listCharities(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	list, err := s.Payouts.ListCharities(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"charities": list})
}

func (s *Server) charityReceipts(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	id := r.PathValue("id")
	list, err := s.Payouts.Receipts(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"charity_id": id, "receipts": list})
}

// exportBatch serves the PayPal Payouts or Wise batch file of an approved batch.
func (s *Server) exportBatch(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	q := r.URL.Query()
	cur, _ := money.ParseCurrency(q.Get("currency"))
	header, rows, err := s.Payouts.Export(r.Context(), r.PathValue("id"), q.Get("format"), cur)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s-%s.csv"`, r.PathValue("id"), q.Get("format"), cur))
	_ = csvsafe.Write(w, header, rows) // the client went away; nothing left to do
}

type referenceBody struct {
	Reference string `json:"reference"`
}

func (s *Server) markItemPaid(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in referenceBody
	if !s.decodeJSON(w, r, &in) {
		return
	}
	b, err := s.Payouts.MarkPaid(r.Context(), r.PathValue("id"), r.PathValue("item_id"), p.Subject, in.Reference)
	s.writeBatch(w, r, http.StatusOK, b, err)
}
