package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/csvsafe"
	"github.com/partnerloop/partnerloop/internal/reports"
)

// table is a report as rows of cells, for CSV; JSON gets the typed rows.
type table struct {
	header []string
	rows   [][]string
}

func amount(v int64) string { return strconv.FormatInt(v, 10) }

// writeReport answers JSON, or CSV with ?format=csv (amounts stay integer
// minor units in both).
func (s *Server) writeReport(w http.ResponseWriter, r *http.Request, name string, rows any, t table, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("format") != "csv" {
		writeJSON(w, http.StatusOK, map[string]any{"report": name, "from": r.URL.Query().Get("from"), "to": r.URL.Query().Get("to"), "rows": rows})
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, name))
	_ = csvsafe.Write(w, t.header, t.rows) // the client went away; nothing left to do
}

func (s *Server) reportMonths(r *http.Request) ([]string, error) {
	return reports.Months(r.URL.Query().Get("from"), r.URL.Query().Get("to"))
}

func (s *Server) owedReport(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	rows, err := s.Reports.Owed(r.Context())
	t := table{header: []string{"currency", "partners", "pending", "payable", "in_payout", "clawed_back"}}
	for _, o := range rows {
		t.rows = append(t.rows, []string{string(o.Currency), strconv.Itoa(o.Partners), amount(o.Pending), amount(o.Payable), amount(o.InPayout), amount(o.ClawedBack)})
	}
	s.writeReport(w, r, "owed", rows, t, err)
}

func (s *Server) paymentsReport(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	months, err := s.reportMonths(r)
	if err != nil {
		s.writeReport(w, r, "payments", nil, table{}, err)
		return
	}
	rows, _, err := s.Reports.Payments(r.Context(), months)
	t := table{header: []string{"month", "currency", "paid", "donated"}}
	for _, p := range rows {
		t.rows = append(t.rows, []string{p.Month, string(p.Currency), amount(p.Paid), amount(p.Donated)})
	}
	s.writeReport(w, r, "payments", rows, t, err)
}

func (s *Server) donationsReport(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	months, err := s.reportMonths(r)
	if err != nil {
		s.writeReport(w, r, "donations", nil, table{}, err)
		return
	}
	_, rows, err := s.Reports.Payments(r.Context(), months)
	t := table{header: []string{"charity_id", "currency", "amount", "partners"}}
	for _, c := range rows {
		t.rows = append(t.rows, []string{c.CharityID, string(c.Currency), amount(c.Amount), strings.Join(c.Partners, " ")})
	}
	s.writeReport(w, r, "donations", rows, t, err)
}

func (s *Server) roiReport(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	months, err := s.reportMonths(r)
	if err != nil {
		s.writeReport(w, r, "roi", nil, table{}, err)
		return
	}
	partners, tiers, err := s.Reports.ROI(r.Context(), months)
	rows, name := partners, "roi"
	if r.URL.Query().Get("by") == "tier" {
		rows, name = tiers, "roi-by-tier"
	}
	t := table{header: []string{"partner_id", "name", "tier", "currency", "revenue", "refunds", "commission", "bonuses", "donations", "return_bps"}}
	for _, x := range rows {
		t.rows = append(t.rows, []string{x.PartnerID, x.Name, string(x.Tier), string(x.Currency), amount(x.Revenue), amount(x.Refunds),
			amount(x.Commission), amount(x.Bonuses), amount(x.Donations), amount(x.ReturnBps)})
	}
	if rows == nil {
		rows = []reports.ROI{}
	}
	s.writeReport(w, r, name, rows, t, err)
}
