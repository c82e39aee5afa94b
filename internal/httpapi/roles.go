package httpapi

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/partnerloop/partnerloop/internal/audit"
	"github.com/partnerloop/partnerloop/internal/auth"
)

// Who may call each signed-in route. A route open to auth.Partner serves a
// partner its own data only (another partner's id answers 404). The
// README's roles table is this map (a test keeps them equal), and a test
// calls every route with every role and compares the answers with it.
const (
	onlyAdmin = auth.Admin
	// moneyWork: payouts, batches, charities, the program's money rules.
	moneyWork = auth.Admin | auth.Finance
	// programWork: partners, applications, engagement and fraud review,
	// which managers do beside finance.
	programWork = moneyWork | auth.Manager
	// staffReads are what every staff role but support may read.
	staffReads = programWork | auth.Viewer
	// moneyReads: batches, reports, receipts and the audit trail.
	moneyReads = moneyWork | auth.Viewer
	// partnerReads are a partner's record and statement: support's work.
	partnerReads = staffReads | auth.Support
	everyone     = partnerReads | auth.Partner
)

var routeRoles = map[string]auth.Roles{
	"GET /v1/me":                                           everyone,
	"POST /v1/partners":                                    programWork,
	"GET /v1/partners":                                     partnerReads,
	"GET /v1/partners/{id}":                                everyone,
	"GET /v1/partners/{id}/statement":                      everyone,
	"PATCH /v1/partners/{id}":                              programWork,
	"PATCH /v1/partners/{id}/settings":                     moneyWork | auth.Partner,
	"GET /v1/partners/{id}/qr.svg":                         staffReads | auth.Partner,
	"GET /v1/partners/{id}/notifications":                  staffReads | auth.Partner,
	"PATCH /v1/partners/{id}/notifications":                programWork | auth.Partner,
	"GET /v1/accruals/held":                                staffReads,
	"POST /v1/accruals/{source}/{order_id}/release":        programWork,
	"GET /v1/payout-batches":                               moneyReads,
	"POST /v1/payout-batches":                              moneyWork,
	"GET /v1/payout-batches/{id}":                          moneyReads,
	"POST /v1/payout-batches/{id}/approve":                 moneyWork,
	"POST /v1/payout-batches/{id}/cancel":                  moneyWork,
	"GET /v1/payout-batches/{id}/audit":                    moneyReads,
	"POST /v1/payout-batches/{id}/items/{item_id}/exclude": moneyWork,
	"GET /v1/payout-batches/{id}/export":                   moneyWork,
	"POST /v1/payout-batches/{id}/items/{item_id}/paid":    moneyWork,
	"POST /v1/queues/{queue}/redrive":                      onlyAdmin,
	"POST /v1/charities":                                   moneyWork,
	"GET /v1/charities":                                    staffReads | auth.Partner,
	"GET /v1/charities/{id}/receipts":                      moneyReads,
	"GET /v1/reports/owed":                                 moneyReads,
	"GET /v1/reports/payments":                             moneyReads,
	"GET /v1/reports/donations":                            moneyReads,
	"GET /v1/reports/roi":                                  moneyReads,
	"GET /v1/program":                                      staffReads,
	"PUT /v1/program":                                      moneyWork,
	"GET /v1/program/versions":                             staffReads,
	"POST /v1/groups":                                      programWork,
	"GET /v1/groups":                                       staffReads,
	"GET /v1/groups/{id}":                                  staffReads,
	"PATCH /v1/groups/{id}":                                programWork,
	"POST /v1/challenges":                                  programWork,
	"GET /v1/challenges":                                   staffReads | auth.Partner,
	"GET /v1/challenges/{id}":                              staffReads | auth.Partner,
	"POST /v1/challenges/{id}/submissions":                 auth.Partner,
	"GET /v1/challenges/{id}/submissions":                  staffReads,
	"POST /v1/challenges/{id}/submissions/{sid}/approve":   programWork,
	"POST /v1/challenges/{id}/submissions/{sid}/reject":    programWork,
	"GET /v1/leaderboard":                                  staffReads | auth.Partner,
	"POST /v1/rewards":                                     programWork,
	"GET /v1/rewards":                                      staffReads | auth.Partner,
	"POST /v1/redemptions":                                 auth.Partner,
	"GET /v1/redemptions":                                  staffReads,
	"POST /v1/redemptions/{id}/fulfil":                     programWork,
	"POST /v1/redemptions/{id}/cancel":                     programWork,
	"POST /v1/webhook-endpoints":                           onlyAdmin,
	"GET /v1/webhook-endpoints":                            onlyAdmin | auth.Viewer,
	"GET /v1/webhook-endpoints/{id}":                       onlyAdmin | auth.Viewer,
	"DELETE /v1/webhook-endpoints/{id}":                    onlyAdmin,
	"GET /v1/webhook-endpoints/{id}/deliveries":            onlyAdmin | auth.Viewer,
	"GET /v1/audit":                                        moneyReads,
	"GET /v1/team":                                         onlyAdmin,
	"POST /v1/team":                                        onlyAdmin,
	"PATCH /v1/team/{id}":                                  onlyAdmin,
	"DELETE /v1/team/{id}":                                 onlyAdmin,
	"POST /v1/messages":                                    programWork,
	"GET /v1/messages":                                     staffReads,
	"POST /v1/messages/preview":                            programWork,
	"GET /v1/messages/{id}":                                staffReads,
	"GET /v1/messages/{id}/replies":                        staffReads,
	"GET /v1/partners/{id}/inbox":                          staffReads | auth.Partner,
	"POST /v1/partners/{id}/inbox/{mid}/read":              auth.Partner,
	"POST /v1/partners/{id}/inbox/{mid}/replies":           auth.Partner,
	"GET /v1/fraud/cases":                                  programWork,
	"GET /v1/fraud/cases/{id}":                             programWork,
	"POST /v1/fraud/cases/{id}/resolve":                    programWork,
	"POST /v1/fraud/cases/{id}/confirm":                    programWork,
	"POST /v1/api-keys":                                    onlyAdmin,
	"GET /v1/api-keys":                                     onlyAdmin,
	"DELETE /v1/api-keys/{id}":                             onlyAdmin,
	"POST /v1/groups/{id}/discount-codes":                  programWork,
	"GET /v1/groups/{id}/discount-codes.csv":               programWork,
	"GET /v1/applications":                                 staffReads,
	"GET /v1/applications/{id}":                            staffReads,
	"POST /v1/applications/{id}/approve":                   programWork,
	"POST /v1/applications/{id}/reject":                    programWork,
	"GET /v1/reports/applications":                         staffReads,

	// The console's engagement edits, points adjustments and webhook care.
	"PATCH /v1/challenges/{id}":                                    programWork,
	"POST /v1/challenges/{id}/end":                                 programWork,
	"PATCH /v1/rewards/{id}":                                       programWork,
	"POST /v1/partners/{id}/points":                                programWork,
	"POST /v1/webhook-endpoints/{id}/rotate-secret":                onlyAdmin,
	"POST /v1/webhook-endpoints/{id}/deliveries/{event_id}/resend": onlyAdmin,
}

// errForbiddenRole is a caller whose roles the route does not admit; the
// answer names the roles that would be.
type errForbiddenRole struct{ needs auth.Roles }

func (e errForbiddenRole) Error() string {
	return fmt.Sprintf("this route needs one of the roles %s", strings.Join(e.needs.Names(), ", "))
}

func (e errForbiddenRole) Unwrap() error { return errForbidden }

// allow admits a signed-in caller holding one of roles; what a staff
// caller changes is recorded as theirs, in the widest of those roles.
func (s *Server) allow(roles auth.Roles, h principalHandler) http.HandlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		if !p.Roles().Any(roles) {
			s.fail(w, r, errForbiddenRole{needs: roles})
			return
		}
		if p.IsStaff() {
			r = r.WithContext(audit.WithActor(r.Context(), s.actorOf(r, p, roles)))
		}
		h(w, r, p)
	})
}

// routesFor lists the signed-in routes the roles admit, sorted.
func routesFor(roles auth.Roles) []string {
	out := []string{}
	for pattern, admits := range routeRoles {
		if admits.Any(roles) {
			out = append(out, pattern)
		}
	}
	slices.Sort(out)
	return out
}

// RouteRoles is who may call each signed-in route, by "METHOD /path".
func RouteRoles() map[string]auth.Roles { return routeRoles }

// RoleTable is the roles map as the README's Markdown table: a row per
// signed-in route, a column per role.
func RoleTable() string {
	names := (auth.Staff | auth.Partner).Names()
	var b strings.Builder
	fmt.Fprintf(&b, "| Route | %s |\n|---|%s\n", strings.Join(names, " | "), strings.Repeat("---|", len(names)))
	patterns := make([]string, 0, len(routeRoles))
	for p := range routeRoles {
		patterns = append(patterns, p)
	}
	slices.SortFunc(patterns, func(a, b string) int {
		am, ap, _ := strings.Cut(a, " ")
		bm, bp, _ := strings.Cut(b, " ")
		return cmp.Or(strings.Compare(ap, bp), strings.Compare(am, bm))
	})
	for _, p := range patterns {
		fmt.Fprintf(&b, "| `%s` |", p)
		for _, n := range names {
			mark := " "
			if slices.Contains(routeRoles[p].Names(), n) {
				mark = "✓"
			}
			fmt.Fprintf(&b, " %s |", mark)
		}
		b.WriteString("\n")
	}
	return b.String()
}
