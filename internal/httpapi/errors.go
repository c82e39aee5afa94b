package httpapi

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/partnerloop/partnerloop/internal/apikey"
	"github.com/partnerloop/partnerloop/internal/apply"
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
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/notify"
	"github.com/partnerloop/partnerloop/internal/page"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/referral"
	"github.com/partnerloop/partnerloop/internal/reports"
	"github.com/partnerloop/partnerloop/internal/team"
	"github.com/partnerloop/partnerloop/internal/webhook"
)

// Failures the HTTP layer finds itself, before any domain code runs.
var (
	errNoRoute          = errors.New("no such route")
	errUnauthenticated  = errors.New("unauthenticated")
	errForbidden        = errors.New("forbidden")
	errPayloadTooLarge  = errors.New("body exceeds 1 MiB")
	errUnreadableBody   = errors.New("could not read the request body")
	errMalformedJSON    = errors.New("malformed JSON")
	errBadLimit         = errors.New("bad limit")
	errBadIfMatch       = errors.New(`If-Match must be the program version the edit started from, e.g. "3"`)
	errNotConfigured    = errors.New("this webhook endpoint has no secret configured")
	errInvalidSignature = errors.New("signature does not match the body")
	// errInvalidEvent is a webhook body that cannot be read as an event; it
	// wraps the parser's reason.
	errInvalidEvent = errors.New("invalid event")
	// ErrUnknownQueue is returned by DeadLetters for a queue name it does not know.
	ErrUnknownQueue = errors.New("queue must be payouts or donations")
)

// invalidEvent marks a webhook body the parser refused: 400, the sender's
// bug, never worth a retry.
func invalidEvent(err error) error { return fmt.Errorf("%w: %w", errInvalidEvent, err) }

// failure is how the API answers one kind of error: its status, its
// error.code, and when it happens, in the README's words. Message, when
// set, replaces the error's own text (which may carry internals).
type failure struct {
	err     error
	status  int
	code    string
	when    string
	message string
}

// failures maps every error a handler may meet to its answer; the first row
// the error matches (errors.Is) wins, so the HTTP layer's own rows, which
// wrap a domain error to say where it arose, come first. Anything else is
// 500 internal. The README's error table is this list (a test keeps them equal).
var failures = []failure{
	{errNoRoute, http.StatusNotFound, "not_found", "no such route", ""},
	{auth.ErrMixedPrincipal, http.StatusUnauthorized, "mixed_principal", "a token with both a `partner_id` and a staff group (`admin`, `finance`, `manager`, `viewer`, `support`)", "a token is for staff or for a partner, never both"},
	{errUnauthenticated, http.StatusUnauthorized, "unauthenticated", "missing, expired or invalid bearer token", ""},
	{errForbidden, http.StatusForbidden, "forbidden", "the caller's roles do not allow the route (`error.needs` names the roles that would)", ""},
	{errPayloadTooLarge, http.StatusRequestEntityTooLarge, "payload_too_large", "body over 1 MiB", ""},
	{errUnreadableBody, http.StatusBadRequest, "unreadable_body", "the body could not be read", ""},
	{errMalformedJSON, http.StatusBadRequest, "malformed_json", "a request body that is not the documented JSON (unknown fields included; `error.field` names an unknown field or a value of the wrong type)", ""},
	{errBadLimit, http.StatusBadRequest, "bad_limit", fmt.Sprintf("`limit` not between 1 and %d", page.MaxLimit), fmt.Sprintf("limit must be between 1 and %d", page.MaxLimit)},
	{page.ErrBadCursor, http.StatusBadRequest, "bad_cursor", "`cursor` not from a previous page", "cursor is not from a previous page"},
	{errBadIfMatch, http.StatusBadRequest, "bad_if_match", "`If-Match` is not a program version", ""},
	{errNotConfigured, http.StatusServiceUnavailable, "not_configured", "the webhook's secret is not set", ""},
	{webhook.ErrStale, http.StatusUnauthorized, "stale_timestamp", "signature timestamp more than 5 minutes away", "signature timestamp is more than 5 minutes from now"},
	{errInvalidSignature, http.StatusUnauthorized, "invalid_signature", "bad or missing webhook signature", errInvalidSignature.Error()},
	{money.ErrUnknownCurrency, http.StatusBadRequest, "unknown_currency", "a currency that is not ISO 4217", ""},
	{errInvalidEvent, http.StatusBadRequest, "invalid_event", "malformed webhook JSON, negative or out-of-bounds amounts, missing ids, a string past its bound (`error.field` names it)", ""},
	{ledger.ErrInvalidEvent, http.StatusUnprocessableEntity, "invalid_event", "an event the order's stored state refuses (another currency, a refund past what one order keeps)", ""},
	{referral.ErrInvalidLead, http.StatusUnprocessableEntity, "invalid_referral", "a sign-up without a usable referral", ""},
	{partner.ErrNotFound, http.StatusNotFound, "not_found", "unknown partner or referral code, or another partner's id", ""},
	{partner.ErrInvalid, http.StatusUnprocessableEntity, "invalid_partner", "a partner field out of its rules", ""},
	{partner.ErrCouponTaken, http.StatusConflict, "coupon_taken", "a coupon or code another partner holds", ""},
	{partner.ErrConcurrentChange, http.StatusConflict, "concurrent_change", "the partner changed while the request ran; retry", "the partner changed while this request ran; retry"},
	{ledger.ErrNotHeld, http.StatusConflict, "not_held", "release of an accrual that is not held", "no held accrual for this order"},
	{payout.ErrNotFound, http.StatusNotFound, "not_found", "unknown payout batch", ""},
	{payout.ErrItemNotFound, http.StatusNotFound, "not_found", "unknown batch item", ""},
	{payout.ErrCharityNotFound, http.StatusNotFound, "not_found", "unknown charity", ""},
	{payout.ErrSameApprover, http.StatusForbidden, "four_eyes", "the batch's creator approving it", ""},
	{payout.ErrNotDraft, http.StatusConflict, "not_draft", "changing a batch or item that is no longer a draft", ""},
	{payout.ErrReasonRequired, http.StatusUnprocessableEntity, "reason_required", "exclusion, cancellation or marking paid without a reason or reference", ""},
	{payout.ErrNothingPayable, http.StatusConflict, "nothing_payable", "no partner reaches the minimum payout, or approving a draft with nothing left to pay", ""},
	{payout.ErrBuildInProgress, http.StatusConflict, "batch_in_progress", "a batch build while another one runs; retry when it is done", ""},
	{payout.ErrInvalidCharity, http.StatusUnprocessableEntity, "invalid_charity", "a charity field out of its rules", ""},
	{payout.ErrCharityExists, http.StatusConflict, "charity_exists", "a charity id already in the catalog", ""},
	{payout.ErrBadExport, http.StatusBadRequest, "bad_export", "an export format or currency that is not offered", ""},
	{payout.ErrNotApproved, http.StatusConflict, "not_approved", "exporting or marking paid a batch that is not approved", ""},
	{program.ErrInvalid, http.StatusUnprocessableEntity, "invalid_program", "a program out of its rules", ""},
	{program.ErrVersionConflict, http.StatusConflict, "version_conflict", "`If-Match` names a version someone saved over", ""},
	{group.ErrInvalid, http.StatusUnprocessableEntity, "invalid_group", "a group field out of its rules (`error.field` names it)", ""},
	{group.ErrNotFound, http.StatusNotFound, "not_found", "unknown group", ""},
	{group.ErrExists, http.StatusConflict, "already_exists", "a group id already taken (`default` always is)", ""},
	{group.ErrSlugTaken, http.StatusConflict, "slug_taken", "a group slug another group has", ""},
	{apply.ErrInvalid, http.StatusUnprocessableEntity, "invalid_application", "an application, its answers or a rejection out of their rules (`error.field` names it)", ""},
	{apply.ErrNotFound, http.StatusNotFound, "not_found", "unknown application, or one whose e-mail is not confirmed yet", ""},
	{apply.ErrNoJoinPage, http.StatusNotFound, "not_found", "a join page no group has (the default group has none until given a landing)", ""},
	{apply.ErrInvalidToken, http.StatusNotFound, "not_found", "a confirmation link not signed by the service, or past its 7 days", ""},
	{apply.ErrExists, http.StatusConflict, "application_exists", "a second open application of an e-mail to a group, one after an approval, or one within `reapply_after_days` of a rejection", ""},
	{apply.ErrDecided, http.StatusConflict, "already_decided", "approving or rejecting an application decided before", ""},
	{apply.ErrRateLimited, http.StatusTooManyRequests, "rate_limited", "more applications from one address or e-mail than the limits allow; `Retry-After` gives the seconds to wait", ""},
	{apply.ErrBadPeriod, http.StatusBadRequest, "bad_period", "the applications report's `period` is not a month (`2026-05`)", ""},
	{reports.ErrBadPeriod, http.StatusBadRequest, "bad_period", "`from`/`to` not months in order, at most 36 apart", ""},
	{ErrUnknownQueue, http.StatusNotFound, "not_found", "redrive of a queue other than payouts or donations", ""},
	{errBadQuery, http.StatusBadRequest, "bad_query", "leaderboard `period`, `measure`, `currency`, `tier` or `limit` out of their rules", ""},
	{engage.ErrUnknownPartner, http.StatusNotFound, "unknown_partner", "an activity for a partner that does not exist", ""},
	{engage.ErrInvalid, http.StatusUnprocessableEntity, "invalid_request", "a challenge, submission, reward, redemption or decision out of its rules", ""},
	{engage.ErrChallengeNotFound, http.StatusNotFound, "not_found", "unknown challenge, or one not open to the partner's tier", ""},
	{engage.ErrSubmissionNotFound, http.StatusNotFound, "not_found", "unknown submission", ""},
	{engage.ErrRewardNotFound, http.StatusNotFound, "not_found", "unknown reward", ""},
	{engage.ErrRedemptionNotFound, http.StatusNotFound, "not_found", "unknown redemption", ""},
	{engage.ErrChallengeExists, http.StatusConflict, "already_exists", "a challenge id already taken", ""},
	{engage.ErrChallengeEnded, http.StatusConflict, "challenge_ended", "editing or ending a challenge that has ended", ""},
	{engage.ErrChallengeChanged, http.StatusConflict, "concurrent_change", "the challenge changed while the request ran; retry", ""},
	{engage.ErrRewardRetired, http.StatusConflict, "reward_retired", "redeeming a reward taken out of the catalog", ""},
	{engage.ErrRewardExists, http.StatusConflict, "already_exists", "a reward id already taken", ""},
	{engage.ErrAlreadyDecided, http.StatusConflict, "already_decided", "approving or rejecting a submission decided before", ""},
	{engage.ErrAlreadyCompleted, http.StatusConflict, "already_completed", "a submission for, or approval of, a challenge the partner completed", ""},
	{engage.ErrInsufficientPoints, http.StatusConflict, "insufficient_points", "a redemption costing more than the available points, or a points adjustment taking more than them", ""},
	{engage.ErrOutOfStock, http.StatusConflict, "out_of_stock", "a redemption of more than the reward's stock", ""},
	{engage.ErrNotOpen, http.StatusConflict, "not_open", "fulfilling or cancelling a redemption that is no longer requested", ""},
	{engage.ErrDonationInBatch, http.StatusConflict, "donation_in_batch", "cancelling a donation redemption a payout batch already took", ""},
	{team.ErrInvalid, http.StatusUnprocessableEntity, "invalid_member", "a team member's e-mail, name or roles out of their rules (`error.field` names it)", ""},
	{team.ErrNotFound, http.StatusNotFound, "not_found", "unknown team member", ""},
	{team.ErrExists, http.StatusConflict, "member_exists", "a team member with that e-mail address already exists", ""},
	{team.ErrSelf, http.StatusConflict, "own_admin_role", "an admin removing themselves or their own admin role", ""},
	{team.ErrConcurrentChange, http.StatusConflict, "concurrent_change", "the team member changed while the request ran; retry", ""},
	{audit.ErrBadQuery, http.StatusBadRequest, "bad_query", "audit `from`/`to` not dates or RFC 3339 times in order, at most 366 days apart, or `target`, `actor`, `action` past 256 bytes", ""},
	{notify.ErrInvalid, http.StatusUnprocessableEntity, "invalid_endpoint", "a webhook endpoint URL that is not https or names a non-public address, or unknown events", ""},
	{notify.ErrNotFound, http.StatusNotFound, "not_found", "unknown webhook endpoint", ""},
	{notify.ErrNotDelivered, http.StatusNotFound, "not_found", "a resend of an event the endpoint was not sent in the last 30 days", ""},
	{notify.ErrRotated, http.StatusConflict, "concurrent_change", "the endpoint's secret was rotated while the request ran; retry", ""},
	{mail.ErrInvalid, http.StatusUnprocessableEntity, "invalid_preferences", "switching off `transactional` e-mail, an unknown category or language", ""},
	{mail.ErrInvalidToken, http.StatusNotFound, "not_found", "an unsubscribe link that was not signed by the service", "unknown unsubscribe link"},
	{messages.ErrInvalid, http.StatusUnprocessableEntity, "invalid_message", "a broadcast, its audience or a reply out of its bounds, or naming an unknown partner", ""},
	{messages.ErrNotFound, http.StatusNotFound, "not_found", "unknown broadcast, or one not in the partner's inbox", ""},
	{fraud.ErrInvalid, http.StatusUnprocessableEntity, "invalid_request", "a fraud case query or decision out of its rules (`error.field` names it)", ""},
	{fraud.ErrNotFound, http.StatusNotFound, "not_found", "unknown fraud case", ""},
	{fraud.ErrDecided, http.StatusConflict, "already_decided", "a decision on a fraud case decided otherwise before", ""},
	{fraud.ErrSameApprover, http.StatusForbidden, "four_eyes", "the user who made a four-eyes decision approving it", ""},
	{fraud.ErrOtherDecision, http.StatusConflict, "other_decision_pending", "a decision on a fraud case that waits for approval of another", ""},
	{fraud.ErrConflict, http.StatusConflict, "concurrent_change", "the fraud case changed while the request ran; retry", ""},
	{apikey.ErrInvalid, http.StatusUnprocessableEntity, "invalid_api_key", "an API key's name or scopes out of their rules (`error.field` names it)", ""},
	{apikey.ErrNotFound, http.StatusNotFound, "not_found", "unknown API key", ""},
	{embed.ErrInvalid, http.StatusUnprocessableEntity, "invalid_request", "an embed token request out of its rules, or naming an unknown group (`error.field` names it)", ""},
	{embed.ErrCreating, http.StatusConflict, "concurrent_change", "a customer's first widget token while another request creates its partner; retry", ""},
	{discount.ErrInvalid, http.StatusUnprocessableEntity, "invalid_discount", "uploaded discount codes out of their rules (`error.field` names it)", ""},
	{discount.ErrNoCodeList, http.StatusConflict, "not_code_list", "discount codes uploaded to a group whose discount provider is not `code_list`", ""},
	{discount.ErrExhausted, http.StatusConflict, "codes_exhausted", "a customer joining a `code_list` group whose uploaded codes are all taken", ""},
	{discount.ErrNotConfigured, http.StatusServiceUnavailable, "not_configured", "a customer joining a `stripe` discount group where no Stripe API key is set", ""},
}

// errorsIsAny reports whether err is any of targets.
func errorsIsAny(err error, targets ...error) bool {
	return slices.ContainsFunc(targets, func(t error) bool { return errors.Is(err, t) })
}

// internalFailure is every other error: storage or queue trouble, so the
// caller retries; nothing was half-written.
var internalFailure = failure{status: http.StatusInternalServerError, code: "internal", when: "storage or queue failure: retry; nothing was written", message: "temporary failure; retry later"}

// failureFor finds how err is answered.
func failureFor(err error) (failure, bool) {
	for _, f := range failures {
		if errors.Is(err, f.err) {
			return f, true
		}
	}
	return internalFailure, false
}

// fail answers err as the failures table says; an error not in it is logged
// with its cause and answered 500, the cause never in the response.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	f, known := failureFor(err)
	if !known {
		s.Log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	if errors.Is(err, errUnauthenticated) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="partnerloop"`)
	}
	var b errorBody
	b.Error.Code, b.Error.Message = f.code, cmp.Or(f.message, err.Error())
	if fe := (*program.FieldError)(nil); errors.As(err, &fe) {
		b.Error.Field = fe.Field
	}
	if fr := (errForbiddenRole{}); errors.As(err, &fr) {
		b.Error.Needs = fr.needs.Names()
	}
	if fe := (*mail.FieldError)(nil); errors.As(err, &fe) {
		b.Error.Field = fe.Field
	} else if be := (*bounds.Error)(nil); errors.As(err, &be) {
		b.Error.Field = be.Field
	}
	writeError(w, f.status, b)
}

// ErrorTable is the failures list as the README's Markdown table.
func ErrorTable() string {
	var b strings.Builder
	b.WriteString("| Status | `error.code` | When |\n|---|---|---|\n")
	for _, f := range slices.Concat(failures, []failure{internalFailure}) {
		fmt.Fprintf(&b, "| %d | `%s` | %s |\n", f.status, f.code, f.when)
	}
	return b.String()
}
