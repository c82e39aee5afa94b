// Package httpapi is the HTTP face of Partnerloop: it decodes requests, calls
// the domain services and encodes their answers. The same handlers run in
// Lambda (through the API Gateway adapter) and in the local server.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/partnerloop/partnerloop/internal/apikey"
	"github.com/partnerloop/partnerloop/internal/apply"
	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/audit"
	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/discount"
	"github.com/partnerloop/partnerloop/internal/embed"
	"github.com/partnerloop/partnerloop/internal/engage"
	"github.com/partnerloop/partnerloop/internal/fraud"
	"github.com/partnerloop/partnerloop/internal/group"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/mail"
	"github.com/partnerloop/partnerloop/internal/messages"
	"github.com/partnerloop/partnerloop/internal/notify"
	"github.com/partnerloop/partnerloop/internal/obs"
	"github.com/partnerloop/partnerloop/internal/page"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/performance"
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/referral"
	"github.com/partnerloop/partnerloop/internal/reports"
	"github.com/partnerloop/partnerloop/internal/statement"
	"github.com/partnerloop/partnerloop/internal/team"
	"github.com/partnerloop/partnerloop/internal/web"
)

// MaxBodyBytes bounds every request body; larger ones get 413.
const MaxBodyBytes = 1 << 20

// WebhookSecrets are the shared secrets per sender.
type WebhookSecrets struct {
	Generic, Shopify, Stripe, WooCommerce []byte
}

// SecretSource returns the webhook secrets in force. In AWS it re-reads
// them every few minutes, so a secret set or rolled after deployment takes
// effect without one.
type SecretSource func(ctx context.Context) (WebhookSecrets, error)

// StaticSecrets is a SecretSource of fixed secrets (local runs, tests).
func StaticSecrets(ws WebhookSecrets) SecretSource {
	return func(context.Context) (WebhookSecrets, error) { return ws, nil }
}

// DeadLetters redrives a queue's dead-letter queue ("payouts" or "donations").
type DeadLetters interface {
	Redrive(ctx context.Context, queue string) (int, error)
}

// ProgramRegistry serves and saves program versions.
type ProgramRegistry interface {
	program.Provider
	Update(ctx context.Context, p program.Program, by string, expected *program.Expected) (program.Versioned, error)
	History(ctx context.Context, limit int32, cursor string) ([]program.Versioned, string, error)
}

// Authenticator turns a request into a principal or auth.ErrUnauthenticated.
type Authenticator func(r *http.Request) (auth.Principal, error)

// Server holds the services behind the routes. Nil services are allowed for
// functions that do not serve the routes needing them.
type Server struct {
	Partners      *partner.Service
	Referrals     *referral.Service
	Ledger        *ledger.Service
	Payouts       *payout.Service
	Performance   *performance.Service
	DeadLetters   DeadLetters
	Reports       *reports.Service
	Statements    *statement.Query
	Engage        *engage.Service
	Notify        *notify.Service
	Mail          *mail.Service
	Messages      *messages.Service
	Audit         *audit.Log
	Team          *team.Service
	Fraud         *fraud.Service
	Programs      ProgramRegistry
	Groups        *group.Service
	Applications  *apply.Service
	APIKeys       *apikey.Service
	Embed         *embed.Service
	Discounts     *discount.Service
	Web           *web.Site // the portal and console; nil where not served
	Secrets       SecretSource
	Hasher        referral.EmailHasher
	Authenticate  Authenticator
	PublicBaseURL string
	Now           func() time.Time
	Log           *slog.Logger
	Metrics       *obs.Metrics
}

// Handlers are route handlers by pattern ("METHOD /path").
type Handlers map[string]http.HandlerFunc

// Handler serves the given routes from every family's handlers (the local
// server and tests).
func (s *Server) Handler(routes []appspec.Route) http.Handler {
	return s.Serve(routes, s.AllHandlers())
}

// AllHandlers are the handlers of every route.
func (s *Server) AllHandlers() Handlers {
	handlers := s.APIHandlers()
	maps.Copy(handlers, s.WebhookHandlers())
	maps.Copy(handlers, s.RedirectHandlers())
	return handlers
}

// RedirectHandlers serve the redirect function's route. Each function's
// main names only its own family: a handler the binary can reach keeps
// what it calls linked, and the pages' templates make the linker keep
// every exported method of the SDK clients.
func (s *Server) RedirectHandlers() Handlers {
	return Handlers{"GET /r/{code}": s.redirect}
}

// WebhookHandlers serve the webhooks function's routes.
func (s *Server) WebhookHandlers() Handlers {
	return Handlers{
		"POST /webhooks/orders":      s.genericOrder,
		"POST /webhooks/referrals":   s.referralLead,
		"POST /webhooks/shopify":     s.shopify,
		"POST /webhooks/stripe":      s.stripe,
		"POST /webhooks/woocommerce": s.wooCommerce,
		"POST /webhooks/activities":  s.activity,
	}
}

// APIHandlers serve the api function's routes: the API, the pages and the
// unsubscribe links.
func (s *Server) APIHandlers() Handlers {
	handlers := Handlers{
		"GET /healthz":              s.healthz,
		"GET /v1/openapi.json":      s.openAPI,
		"GET /unsubscribe/{token}":  s.unsubscribeForm,
		"POST /unsubscribe/{token}": s.unsubscribe,
	}
	// Signed-in routes admit the roles routeRoles gives them.
	signedIn := map[string]principalHandler{
		"POST /v1/partners":                                    s.createPartner,
		"GET /v1/partners":                                     s.listPartners,
		"GET /v1/payout-batches":                               paged(s, "batches", s.Payouts.List),
		"GET /v1/partners/{id}":                                s.getPartner,
		"GET /v1/partners/{id}/statement":                      s.statement,
		"PATCH /v1/partners/{id}":                              s.updatePartner,
		"PATCH /v1/partners/{id}/settings":                     s.changeSettings,
		"GET /v1/partners/{id}/qr.svg":                         s.referralQR,
		"GET /v1/accruals/held":                                s.heldAccruals,
		"POST /v1/accruals/{source}/{order_id}/release":        s.releaseAccrual,
		"POST /v1/payout-batches":                              s.createBatch,
		"GET /v1/payout-batches/{id}":                          s.getBatch,
		"POST /v1/payout-batches/{id}/approve":                 s.approveBatch,
		"POST /v1/payout-batches/{id}/cancel":                  s.cancelBatch,
		"GET /v1/payout-batches/{id}/audit":                    s.batchAudit,
		"POST /v1/payout-batches/{id}/items/{item_id}/exclude": s.excludeItem,
		"POST /v1/queues/{queue}/redrive":                      s.redrive,
		"GET /v1/payout-batches/{id}/export":                   s.exportBatch,
		"POST /v1/payout-batches/{id}/items/{item_id}/paid":    s.markItemPaid,
		"POST /v1/charities":                                   s.addCharity,
		"GET /v1/charities":                                    s.listCharities,
		"GET /v1/charities/{id}/receipts":                      s.charityReceipts,
		"GET /v1/reports/owed":                                 s.owedReport,
		"GET /v1/reports/payments":                             s.paymentsReport,
		"GET /v1/reports/donations":                            s.donationsReport,
		"GET /v1/reports/roi":                                  s.roiReport,
		"GET /v1/program":                                      s.getProgram,
		"GET /v1/program/versions":                             paged(s, "versions", s.Programs.History),
		"POST /v1/groups":                                      s.createGroup,
		"GET /v1/groups":                                       paged(s, "groups", s.Groups.List),
		"GET /v1/groups/{id}":                                  s.getGroup,
		"PATCH /v1/groups/{id}":                                s.patchGroup,
		"GET /v1/me":                                           s.whoAmI,
		"GET /v1/partners/{id}/notifications":                  s.getNotifications,
		"PATCH /v1/partners/{id}/notifications":                s.patchNotifications,
		"PUT /v1/program":                                      s.putProgram,
		"POST /v1/challenges":                                  s.createChallenge,
		"GET /v1/challenges":                                   s.listChallenges,
		"GET /v1/challenges/{id}":                              s.getChallenge,
		"POST /v1/challenges/{id}/submissions":                 s.submit,
		"GET /v1/challenges/{id}/submissions":                  s.listSubmissions,
		"POST /v1/challenges/{id}/submissions/{sid}/approve":   s.approveSubmission,
		"POST /v1/challenges/{id}/submissions/{sid}/reject":    s.rejectSubmission,
		"GET /v1/leaderboard":                                  s.leaderboard,
		"POST /v1/rewards":                                     s.addReward,
		"GET /v1/rewards":                                      s.listRewards,
		"POST /v1/redemptions":                                 s.redeem,
		"GET /v1/redemptions":                                  s.listRedemptions,
		"POST /v1/redemptions/{id}/fulfil":                     s.fulfilRedemption,
		"POST /v1/redemptions/{id}/cancel":                     s.cancelRedemption,
		"POST /v1/webhook-endpoints":                           s.createEndpoint,
		"GET /v1/webhook-endpoints":                            s.listEndpoints,
		"GET /v1/webhook-endpoints/{id}":                       s.getEndpoint,
		"DELETE /v1/webhook-endpoints/{id}":                    s.deleteEndpoint,
		"GET /v1/webhook-endpoints/{id}/deliveries":            s.endpointDeliveries,
		"GET /v1/audit":                                        s.auditTrail,
		"GET /v1/team":                                         s.listTeam,
		"POST /v1/team":                                        s.addMember,
		"PATCH /v1/team/{id}":                                  s.changeMember,
		"DELETE /v1/team/{id}":                                 s.removeMember,
	}
	maps.Copy(signedIn, s.messageRoutes())
	maps.Copy(signedIn, s.staffWorkRoutes())
	maps.Copy(signedIn, s.fraudRoutes())
	maps.Copy(signedIn, s.customerRoutes())
	maps.Copy(signedIn, s.applicationRoutes())
	for pattern, h := range signedIn {
		roles, ok := routeRoles[pattern]
		if !ok {
			panic("httpapi: no roles for route " + pattern) // every signed-in route says who may call it
		}
		handlers[pattern] = s.allow(roles, s.audited(pattern, h))
	}
	maps.Copy(handlers, s.uiRoutes())
	maps.Copy(handlers, s.embedRoutes())
	maps.Copy(handlers, s.joinRoutes())
	return handlers
}

// Serve serves routes with handlers, which must hold each of them.
func (s *Server) Serve(routes []appspec.Route, handlers Handlers) http.Handler {
	mux := http.NewServeMux()
	for _, r := range routes {
		pattern := r.Method + " " + r.Path
		h, ok := handlers[pattern]
		if !ok {
			panic("httpapi: no handler for route " + pattern) // appspec and this table must agree
		}
		for _, p := range GatewayPatterns(r) {
			mux.Handle(p, h)
		}
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errNoRoute)
	})
	return answerHeaders(s.logged(s.recoverer(s.boundedPath(mux))))
}

// boundedPath answers 404 to a path with a segment longer than any id: it
// names nothing, and as a key it would fail the read.
func (s *Server) boundedPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for seg := range strings.SplitSeq(r.URL.Path, "/") {
			if len(seg) > bounds.ID.Max {
				s.fail(w, r, fmt.Errorf("%w: a path segment is longer than %d bytes", errNoRoute, bounds.ID.Max))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// answerHeaders keeps browsers from reading any answer as another type than
// the one it declares, and keeps CSV exports (partners' payout details,
// finance's figures) out of every cache. It wraps the logging recorder, so
// handlers still reach the recorder's own methods.
func answerHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(&csvNoStore{ResponseWriter: w}, r)
	})
}

// csvNoStore adds Cache-Control: no-store when the headers go out, as only
// then is the answer's Content-Type known.
type csvNoStore struct {
	http.ResponseWriter
	sent bool
}

func (w *csvNoStore) WriteHeader(code int) {
	if !w.sent {
		w.sent = true
		if mediaType, _, _ := strings.Cut(w.Header().Get("Content-Type"), ";"); strings.EqualFold(strings.TrimSpace(mediaType), "text/csv") {
			w.Header().Set("Cache-Control", "no-store")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *csvNoStore) Write(b []byte) (int, error) {
	if !w.sent {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// GatewayPatterns are the net/http patterns matching what API Gateway
// routes to r: /a and /a/ alike, and / only itself.
func GatewayPatterns(r appspec.Route) []string {
	pattern := r.Method + " " + r.Path
	if r.Path == "/" {
		return []string{pattern + "{$}"}
	}
	return []string{pattern, pattern + "/{$}"}
}

// statusRecorder keeps the status and error code a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status    int
	errorCode string
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) setErrorCode(code string) { r.errorCode = code }

// logged gives the request an id (Lambda's request id, so these lines sit
// with the platform's own; a fresh one locally) that every log line of the
// request carries, and writes one line per request: route, status, error
// code and latency. Bodies and headers are never logged, so neither
// secrets, tokens, signatures nor customer e-mails reach the logs.
// Webhook routes also report their latency and rejections as metrics.
func (s *Server) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		if lc, ok := lambdacontext.FromContext(r.Context()); ok {
			id = lc.AwsRequestID
		}
		r = r.WithContext(obs.WithRequestID(r.Context(), id))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		took := time.Since(start).Milliseconds()
		s.Log.InfoContext(r.Context(), "request", "method", r.Method, "route", r.Pattern, "status", rec.status,
			"error_code", rec.errorCode, "duration_ms", took, "trace_id", r.Header.Get("X-Amzn-Trace-Id"))
		if source, ok := strings.CutPrefix(r.Pattern, "POST /webhooks/"); ok {
			s.Metrics.Emit(map[string]string{"Source": source}, obs.Metric{Name: "WebhookLatency", Unit: obs.Milliseconds, Value: took})
			if rec.status >= 400 {
				s.Metrics.Emit(map[string]string{"Source": source, "Reason": rec.errorCode}, obs.Metric{Name: "OrdersRejected", Unit: obs.Count, Value: 1})
			}
		}
	})
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				s.Log.ErrorContext(r.Context(), "panic", "path", r.URL.Path, "panic", v)
				s.fail(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

type principalHandler func(w http.ResponseWriter, r *http.Request, p auth.Principal)

func (s *Server) authed(h principalHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.Authenticate(r)
		if err != nil {
			s.fail(w, r, fmt.Errorf("%w: %w", errUnauthenticated, err))
			return
		}
		h(w, r, p)
	}
}

// BearerHS256 authenticates "Authorization: Bearer <jwt>" with a local secret.
func BearerHS256(v auth.HS256) Authenticator {
	return func(r *http.Request) (auth.Principal, error) {
		token, ok := auth.BearerToken(r.Header.Get("Authorization"))
		if !ok {
			return auth.Principal{}, auth.ErrUnauthenticated
		}
		return v.Verify(token)
	}
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		// Field names the refused field where the error is about one.
		Field string `json:"field,omitempty"`
		// Needs names the roles a refused route admits.
		Needs []string `json:"needs,omitempty"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, b errorBody) {
	if rec, ok := w.(interface{ setErrorCode(string) }); ok {
		rec.setErrorCode(b.Error.Code)
	}
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing left to do
}

// readBody reads at most MaxBodyBytes, answering 413 beyond that.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		s.fail(w, r, errPayloadTooLarge)
		return nil, false
	case err != nil:
		s.fail(w, r, errUnreadableBody)
		return nil, false
	}
	return body, true
}

func (s *Server) redrive(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	n, err := s.DeadLetters.Redrive(r.Context(), r.PathValue("queue"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Log.InfoContext(r.Context(), "dead letters redriven", "queue", r.PathValue("queue"), "count", n, "by", p.Subject)
	writeJSON(w, http.StatusOK, map[string]any{"queue": r.PathValue("queue"), "redriven": n})
}

// pageParams reads ?limit= (1 to page.MaxLimit, default page.DefaultLimit)
// and ?cursor=; on a bad limit it has answered 400.
func (s *Server) pageParams(w http.ResponseWriter, r *http.Request) (int32, string, bool) {
	limit := page.DefaultLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > page.MaxLimit {
			s.fail(w, r, errBadLimit)
			return 0, "", false
		}
		limit = n
	}
	return int32(limit), r.URL.Query().Get("cursor"), true
}

// paged answers a listing read with list, one page per request.
func paged[T any](s *Server, name string, list func(ctx context.Context, limit int32, cursor string) ([]T, string, error)) principalHandler {
	return func(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
		limit, cursor, ok := s.pageParams(w, r)
		if !ok {
			return
		}
		items, next, err := list(r.Context(), limit, cursor)
		s.writePage(w, r, name, items, next, err)
	}
}

// writePage answers one page of a listing: {"<name>": [...], "next_cursor"}.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, name string, items any, next string, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{name: items, "next_cursor": next})
}
