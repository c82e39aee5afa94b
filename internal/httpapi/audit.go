package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/audit"
	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/csvsafe"
	"github.com/partnerloop/partnerloop/internal/obs"
)

// auditing says how a staff write is recorded in the audit trail: its
// action, what it changed (from the path, or the answer's id for a
// creation) and, where the change has a before, how to read it in the
// shape the route answers, so the entry keeps only the fields that changed.
// Batch steps are not here: their store writes each entry in the step's
// own transaction. Nor are fraud decisions: fraud.Service records each,
// and each half of a four-eyes one, with the case before and after.
type auditing struct {
	action string
	target func(r *http.Request, answer map[string]any) string
	before func(s *Server, r *http.Request) (any, error)
}

// inPath names the target by a path value: "partner:<id>".
func inPath(kind, param string) func(*http.Request, map[string]any) string {
	return func(r *http.Request, _ map[string]any) string { return kind + ":" + r.PathValue(param) }
}

// created names the target by the id of the answer.
func created(kind string) func(*http.Request, map[string]any) string {
	return func(_ *http.Request, answer map[string]any) string { return fmt.Sprintf("%s:%v", kind, answer["id"]) }
}

func fixed(target string) func(*http.Request, map[string]any) string {
	return func(*http.Request, map[string]any) string { return target }
}

func partnerBefore(s *Server, r *http.Request) (any, error) {
	p, err := s.Partners.Get(r.Context(), r.PathValue("id"))
	return s.view(p), err
}

var routeAudits = map[string]auditing{
	"POST /v1/partners":                {"partner.created", created("partner"), nil},
	"PATCH /v1/partners/{id}":          {"partner.changed", inPath("partner", "id"), partnerBefore},
	"PATCH /v1/partners/{id}/settings": {"partner.settings_changed", inPath("partner", "id"), partnerBefore},
	"PATCH /v1/partners/{id}/notifications": {"partner.notifications_changed", inPath("partner", "id"), func(s *Server, r *http.Request) (any, error) {
		return s.Mail.Preferences(r.Context(), r.PathValue("id"))
	}},
	"POST /v1/accruals/{source}/{order_id}/release": {"accrual.released", func(r *http.Request, _ map[string]any) string {
		return "order:" + r.PathValue("source") + "/" + r.PathValue("order_id")
	}, nil},
	"PUT /v1/program":                  {"program.saved", fixed("program"), func(s *Server, r *http.Request) (any, error) { return s.Programs.Current(r.Context()) }},
	"POST /v1/groups":                  {"group.created", created("group"), nil},
	"PATCH /v1/groups/{id}":            {"group.changed", inPath("group", "id"), func(s *Server, r *http.Request) (any, error) { return s.Groups.Get(r.Context(), r.PathValue("id")) }},
	"POST /v1/charities":               {"charity.created", created("charity"), nil},
	"POST /v1/queues/{queue}/redrive":  {"queue.redriven", inPath("queue", "queue"), nil},
	"POST /v1/challenges":              {"challenge.created", created("challenge"), nil},
	"POST /v1/rewards":                 {"reward.created", created("reward"), nil},
	"POST /v1/redemptions/{id}/fulfil": {"redemption.fulfilled", inPath("redemption", "id"), nil},
	"POST /v1/redemptions/{id}/cancel": {"redemption.cancelled", inPath("redemption", "id"), nil},
	"POST /v1/challenges/{id}/submissions/{sid}/approve": {"submission.approved", func(r *http.Request, _ map[string]any) string {
		return "challenge:" + r.PathValue("id") + "/submission:" + r.PathValue("sid")
	}, nil},
	"POST /v1/challenges/{id}/submissions/{sid}/reject": {"submission.rejected", func(r *http.Request, _ map[string]any) string {
		return "challenge:" + r.PathValue("id") + "/submission:" + r.PathValue("sid")
	}, nil},
	"POST /v1/messages":                   {"message.sent", created("message"), nil},
	"POST /v1/webhook-endpoints":          {"endpoint.created", created("endpoint"), nil},
	"DELETE /v1/webhook-endpoints/{id}":   {"endpoint.deleted", inPath("endpoint", "id"), func(s *Server, r *http.Request) (any, error) { return s.Notify.Get(r.Context(), r.PathValue("id")) }},
	"POST /v1/api-keys":                   {"api_key.created", created("api_key"), nil},
	"DELETE /v1/api-keys/{id}":            {"api_key.revoked", inPath("api_key", "id"), nil},
	"POST /v1/groups/{id}/discount-codes": {"group.discount_codes_added", inPath("group", "id"), nil},
	"POST /v1/team":                       {"team.member_added", created("member"), nil},
	"PATCH /v1/team/{id}":                 {"team.member_changed", inPath("member", "id"), teamBefore},
	"DELETE /v1/team/{id}":                {"team.member_removed", inPath("member", "id"), teamBefore},

	"POST /v1/applications/{id}/approve": {"application.approved", inPath("application", "id"), nil},
	"POST /v1/applications/{id}/reject":  {"application.rejected", inPath("application", "id"), nil},

	"PATCH /v1/challenges/{id}":    {"challenge.changed", inPath("challenge", "id"), challengeBefore},
	"POST /v1/challenges/{id}/end": {"challenge.ended", inPath("challenge", "id"), challengeBefore},
	"PATCH /v1/rewards/{id}": {"reward.changed", inPath("reward", "id"), func(s *Server, r *http.Request) (any, error) {
		return s.Engage.Reward(r.Context(), r.PathValue("id"))
	}},
	"POST /v1/partners/{id}/points":                 {"partner.points_adjusted", inPath("partner", "id"), nil},
	"POST /v1/webhook-endpoints/{id}/rotate-secret": {"endpoint.secret_rotated", inPath("endpoint", "id"), nil},
	"POST /v1/webhook-endpoints/{id}/deliveries/{event_id}/resend": {"endpoint.delivery_resent", func(r *http.Request, _ map[string]any) string {
		return "endpoint:" + r.PathValue("id") + "/event:" + r.PathValue("event_id")
	}, nil},
}

func challengeBefore(s *Server, r *http.Request) (any, error) {
	return s.Engage.Challenge(r.Context(), r.PathValue("id"))
}

func teamBefore(s *Server, r *http.Request) (any, error) {
	return s.Team.Get(r.Context(), r.PathValue("id"))
}

// actorOf is who the request's changes are recorded as: the caller, in
// the widest of its roles the route admits, and the keyed hash of its
// network (an IPv4 /24, an IPv6 /48), never its address: enough to tell
// callers apart, and the trail, kept for years, holds no person's address
// even were the key to leak.
func (s *Server) actorOf(r *http.Request, p auth.Principal, roles auth.Roles) audit.Actor {
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	network := ""
	if addr, err := netip.ParseAddr(host); err == nil {
		bits := 48
		if addr = addr.Unmap(); addr.Is4() {
			bits = 24
		}
		prefix, _ := addr.Prefix(bits) // bits fit both families
		network = prefix.String()
	}
	return audit.Actor{Subject: p.Subject, Role: (p.Roles() & roles).Widest(), RequestID: obs.RequestID(r.Context()), IPHash: s.Hasher.Hash(network)}
}

// audited records a staff write its route's auditing describes once the
// handler answered 2xx, before the answer leaves: a change the trail
// could not record answers 500 (the change stands; the error is logged
// with the request id). A partner's own changes are not staff writes.
func (s *Server) audited(pattern string, h principalHandler) principalHandler {
	a, ok := routeAudits[pattern]
	if !ok {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		if !p.IsStaff() {
			h(w, r, p)
			return
		}
		var before any
		if a.before != nil {
			if v, err := a.before(s, r); err == nil {
				before = v
			} // else the handler answers the same error
		}
		held := &heldAnswer{ResponseWriter: w, status: http.StatusOK}
		h(held, r, p)
		if held.status >= 200 && held.status < 300 {
			var answer map[string]any
			_ = json.Unmarshal(held.body.Bytes(), &answer) // 204 and non-objects record no after
			var after any
			if answer != nil && r.Method != http.MethodDelete {
				after = answer
			}
			if err := s.Audit.Record(r.Context(), a.action, a.target(r, answer), before, after); err != nil {
				s.Log.ErrorContext(r.Context(), "change made but not recorded in the audit trail", "action", a.action, "error", err)
				s.fail(w, r, err)
				return
			}
		}
		w.WriteHeader(held.status)
		_, _ = w.Write(held.body.Bytes()) // the client went away; nothing left to do
	}
}

// heldAnswer keeps a handler's answer until its change is recorded.
type heldAnswer struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (h *heldAnswer) WriteHeader(code int)        { h.status = code }
func (h *heldAnswer) Write(b []byte) (int, error) { return h.body.Write(b) }

// setErrorCode passes the answer's error code on to the request's log line.
func (h *heldAnswer) setErrorCode(code string) {
	if rec, ok := h.ResponseWriter.(interface{ setErrorCode(string) }); ok {
		rec.setErrorCode(code)
	}
}

// auditTime reads from and to: an RFC 3339 time, or a day (to: its end).
func auditTime(field, v string, endOfDay bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s must be a date (2026-05-01) or an RFC 3339 time", audit.ErrBadQuery, field)
	}
	if endOfDay {
		d = d.Add(24*time.Hour - time.Nanosecond)
	}
	return d, nil
}

// auditTrail answers GET /v1/audit: a page of entries, or with
// format=csv every entry of the query as a file.
func (s *Server) auditTrail(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	q := r.URL.Query()
	limit, cursor, ok := s.pageParams(w, r)
	if !ok {
		return
	}
	query := audit.Query{Target: q.Get("target"), Actor: q.Get("actor"), Action: q.Get("action"), Limit: limit, Cursor: cursor}
	from, errFrom := auditTime("from", q.Get("from"), false)
	to, errTo := auditTime("to", q.Get("to"), true)
	err := bounds.First(errFrom, errTo, bounds.ID.Check("target", query.Target), bounds.ID.Check("actor", query.Actor), bounds.ID.Check("action", query.Action))
	if err != nil {
		s.fail(w, r, fmt.Errorf("%w: %w", audit.ErrBadQuery, err))
		return
	}
	query.From, query.To = from, to
	if q.Get("format") != "csv" {
		entries, next, err := s.Audit.Find(r.Context(), query)
		if entries == nil {
			entries = []audit.Entry{}
		}
		s.writePage(w, r, "entries", entries, next, err)
		return
	}
	var rows [][]string
	for {
		entries, next, err := s.Audit.Find(r.Context(), query)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, e := range entries {
			rows = append(rows, []string{e.ID, e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Role, e.Action, e.Target, e.TargetName, e.Item, e.Reason,
				jsonCell(e.Before), jsonCell(e.After), e.RequestID, e.IPHash})
		}
		if next == "" {
			break
		}
		query.Cursor = next
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit.csv"`)
	_ = csvsafe.Write(w, []string{"id", "at", "actor", "role", "action", "target", "target_name", "item", "reason", "before", "after", "request_id", "ip_hash"}, rows) // the client went away
}

func jsonCell(m map[string]any) string {
	if m == nil {
		return ""
	}
	raw, _ := json.Marshal(m) // decoded JSON always encodes
	return strings.TrimSpace(string(raw))
}
