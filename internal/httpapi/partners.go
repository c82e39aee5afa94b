package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/discount"
	"github.com/partnerloop/partnerloop/internal/engage"
	"github.com/partnerloop/partnerloop/internal/group"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/mail"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/obs"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/referral"
	"github.com/partnerloop/partnerloop/internal/statement"
)

// decodeJSON reads a JSON request body strictly: unknown fields are
// reported, so a typo in a field name is not silently ignored.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, ok := s.readBody(w, r)
	if !ok {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		s.fail(w, r, fmt.Errorf("%w: %w", errMalformedJSON, namedField(err, "")))
		return false
	}
	return true
}

// namedField names the field a decoding error is about, as a refused value
// does: a value of the wrong type, or an unknown field (which the decoder
// names only in its message, by its key). prefix is the path of the object
// decoded ("charity.").
func namedField(err error, prefix string) error {
	if te := (*json.UnmarshalTypeError)(nil); errors.As(err, &te) && te.Field != "" {
		return &bounds.Error{Field: prefix + te.Field, Reason: fmt.Sprintf("must be a JSON %s, not %s", jsonType(te.Type), te.Value)}
	}
	if quoted, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if key, uerr := strconv.Unquote(quoted); uerr == nil {
			return &bounds.Error{Field: prefix + key, Reason: "is not a field of this request"}
		}
	}
	return err
}

// jsonType names the JSON type that decodes into t.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	default:
		return "number"
	}
}

type partnerView struct {
	partner.Partner
	ReferralLink string                            `json:"referral_link"`
	Balances     map[money.Currency]ledger.Balance `json:"balances,omitempty"`
	Points       *ledger.Points                    `json:"points,omitempty"`
	Badges       []engage.Award                    `json:"badges,omitempty"`
	// Group is the partner's group and the terms it earns by (one partner's view).
	Group *group.Summary `json:"group,omitempty"`
}

func (s *Server) view(p partner.Partner) partnerView {
	if p.Coupons == nil {
		p.Coupons = []string{} // partners created before coupons existed
	}
	p.GroupID = p.Group() // partners created before groups are in the default one
	return partnerView{Partner: p, ReferralLink: s.PublicBaseURL + "/r/" + url.PathEscape(p.ReferralCode)}
}

func (s *Server) listPartners(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	limit, cursor, ok := s.pageParams(w, r)
	if !ok {
		return
	}
	list, next, err := s.Partners.List(r.Context(), r.URL.Query().Get("q"), limit, cursor)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ids := make([]string, 0, len(list))
	for _, p := range list {
		ids = append(ids, p.ID)
	}
	points, err := s.Engage.PointsOf(r.Context(), ids)
	views := make([]partnerView, 0, len(list))
	for _, p := range list {
		v := s.view(p)
		pts := points[p.ID]
		v.Points = &pts
		views = append(views, v)
	}
	s.writePage(w, r, "partners", views, next, err)
}

func (s *Server) createPartner(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	var in newPartnerRequest
	if !s.decodeJSON(w, r, &in) {
		return
	}
	if err := in.check(); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.Partners.Create(r.Context(), in.NewPartner)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Invite || in.Language != "" {
		if err := s.Mail.Enrol(r.Context(), p.ID, in.Language, in.Invite); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusCreated, s.view(p))
}

// visiblePartner is the partner id in the path if the caller may see it
// (itself, or finance). Another partner's id answers 404, not 403, so ids
// cannot be probed.
func (s *Server) visiblePartner(w http.ResponseWriter, r *http.Request, p auth.Principal) (string, bool) {
	id := r.PathValue("id")
	if !p.CanSeePartner(id) {
		s.fail(w, r, partner.ErrNotFound)
		return "", false
	}
	return id, true
}

// scopedPartner loads the partner named in the path if the caller may see it.
func (s *Server) scopedPartner(w http.ResponseWriter, r *http.Request, p auth.Principal) (partner.Partner, map[money.Currency]ledger.Balance, bool) {
	id, ok := s.visiblePartner(w, r, p)
	if !ok {
		return partner.Partner{}, nil, false
	}
	pt, err := s.Partners.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return partner.Partner{}, nil, false
	}
	balances, err := s.Ledger.Balances(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return partner.Partner{}, nil, false
	}
	return pt, balances, true
}

func (s *Server) getPartner(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	pt, balances, ok := s.scopedPartner(w, r, p)
	if !ok {
		return
	}
	summary, err := s.Engage.Summary(r.Context(), pt.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.view(pt)
	v.Balances, v.Points, v.Badges = balances, &summary.Points, summary.Badges
	if err := s.addGroup(r.Context(), &v); err != nil {
		s.fail(w, r, err)
		return
	}
	if v.Balances == nil {
		v.Balances = map[money.Currency]ledger.Balance{}
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) statement(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	servePartnerPage(s, w, r, p, s.Statements.Get)
}

// servePartnerPage answers one page of a partner's own record (statement,
// inbox) to whoever may see the partner.
func servePartnerPage[T any](s *Server, w http.ResponseWriter, r *http.Request, p auth.Principal,
	read func(ctx context.Context, partnerID string, limit int32, cursor string) (T, error)) {
	id, ok := s.visiblePartner(w, r, p)
	if !ok {
		return
	}
	limit, cursor, ok := s.pageParams(w, r)
	if !ok {
		return
	}
	v, err := read(r.Context(), id, limit, cursor)
	s.answer(w, r, http.StatusOK, v, err)
}

func (s *Server) updatePartner(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	var c partner.Change
	if !s.decodeJSON(w, r, &c) {
		return
	}
	p, err := s.Partners.Update(r.Context(), r.PathValue("id"), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.view(p))
}

// settingsFields are what PATCH /v1/partners/{id}/settings may change;
// every other field of a partner is finance's. The language is the one of
// the notification preferences, where it is kept: one field, two doors.
var settingsFields = []string{"charity", "payout_email", "show_on_leaderboard", "language"}

// changeSettings lets a partner change its own charity, payout e-mail,
// leaderboard name and language (finance may too, for support); naming
// any other field answers 403.
func (s *Server) changeSettings(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id := r.PathValue("id")
	if !p.CanSeePartner(id) {
		s.fail(w, r, partner.ErrNotFound)
		return
	}
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	in, language, err := decodeSettings(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pt, err := s.changeSettingsAndLanguage(r.Context(), id, in, language, p.Subject)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Log.InfoContext(r.Context(), "partner settings changed", "partner_id", id, "by", p.Subject)
	writeJSON(w, http.StatusOK, s.view(pt))
}

// changeSettingsAndLanguage checks the language before anything is
// written, so a refused request writes nothing, then changes the
// partner's settings (if any besides the language) and its language.
func (s *Server) changeSettingsAndLanguage(ctx context.Context, id string, in partner.Settings, language *string, by string) (partner.Partner, error) {
	if language == nil {
		return s.Partners.ChangeSettings(ctx, id, in, by)
	}
	if err := mail.CheckLanguage(*language); err != nil {
		return partner.Partner{}, fmt.Errorf("%w: %w", partner.ErrInvalid, err)
	}
	var pt partner.Partner
	var err error
	if in != (partner.Settings{}) {
		pt, err = s.Partners.ChangeSettings(ctx, id, in, by)
	} else {
		pt, err = s.Partners.Get(ctx, id)
	}
	if err != nil {
		return partner.Partner{}, err
	}
	_, err = s.Mail.UpdatePreferences(ctx, id, mail.Change{Language: language})
	return pt, err
}

// decodeSettings reads a settings change: "charity": null stops giving.
func decodeSettings(body []byte) (partner.Settings, *string, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return partner.Settings{}, nil, fmt.Errorf("%w: %v", errMalformedJSON, err)
	}
	var others []string
	for name := range fields {
		if !slices.Contains(settingsFields, name) {
			others = append(others, name)
		}
	}
	if len(others) > 0 {
		slices.Sort(others)
		return partner.Settings{}, nil, fmt.Errorf("%w: only %s may be changed here (finance changes %s)", errForbidden, strings.Join(settingsFields, ", "), strings.Join(others, ", "))
	}
	var in partner.Settings
	if raw, ok := fields["charity"]; ok {
		if string(raw) == "null" {
			in.ClearCharity = true
		} else {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in.Charity); err != nil {
				return partner.Settings{}, nil, fmt.Errorf("%w: %w", errMalformedJSON, namedField(err, "charity."))
			}
		}
	}
	if raw, ok := fields["show_on_leaderboard"]; ok {
		if err := json.Unmarshal(raw, &in.ShowOnLeaderboard); err != nil || in.ShowOnLeaderboard == nil {
			return partner.Settings{}, nil, fmt.Errorf("%w: show_on_leaderboard must be true or false", errMalformedJSON)
		}
	}
	if raw, ok := fields["payout_email"]; ok {
		if err := json.Unmarshal(raw, &in.PayoutEmail); err != nil || in.PayoutEmail == nil {
			return partner.Settings{}, nil, fmt.Errorf("%w: payout_email must be a string", errMalformedJSON)
		}
	}
	var language *string
	if raw, ok := fields["language"]; ok {
		if err := json.Unmarshal(raw, &language); err != nil || language == nil {
			return partner.Settings{}, nil, fmt.Errorf("%w: language must be a string", errMalformedJSON)
		}
	}
	return in, language, nil
}

type heldLine struct {
	PartnerID string `json:"partner_id"`
	statement.Line
}

func (s *Server) heldAccruals(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	recs, err := s.Ledger.Held(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]heldLine, 0, len(recs))
	for _, rec := range recs {
		out = append(out, heldLine{PartnerID: rec.PartnerID, Line: statement.NewLine(rec)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"accruals": out})
}

func (s *Server) releaseAccrual(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	rec, err := s.Ledger.Release(r.Context(), r.PathValue("source"), r.PathValue("order_id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Log.InfoContext(r.Context(), "accrual released", "by", p.Subject, "source", rec.Source, "order_id", rec.OrderID, "partner_id", rec.PartnerID)
	writeJSON(w, http.StatusOK, heldLine{PartnerID: rec.PartnerID, Line: statement.NewLine(rec)})
}

func (s *Server) redirect(w http.ResponseWriter, r *http.Request) {
	prog, err := s.Programs.Current(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	addr := clientAddress(r)
	visit := referral.Visit{Source: clientSource(addr), Address: addr, UserAgent: r.UserAgent(), Query: r.URL.Query(), Referer: r.Referer()}
	p, click, err := s.Referrals.Click(r.Context(), r.PathValue("code"), visit, prog.Program.MaxClicksPerSourceHour)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The target is the landing URL or a deep link on a host the program
	// allows; only the partner's own, validated code is added, and the
	// click's reference for the order to name (order.click_id).
	target := prog.Program.LandingTarget(r.URL.Query().Get("to"))
	q := target.Query()
	q.Set("ref", p.ReferralCode)
	q.Set(clickParam, click.String())
	target.RawQuery = q.Encode()
	http.SetCookie(w, &http.Cookie{Name: "pl_ref", Value: p.ReferralCode, Path: "/", MaxAge: prog.Program.CookieDays * 86400,
		HttpOnly: true, Secure: target.Scheme == "https", SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	s.Metrics.Emit(map[string]string{"Source": "link"}, obs.Metric{Name: "Clicks", Unit: obs.Count, Value: 1})
	link := target.String()
	// A link whose partner gives a Shopify discount (its group's or the
	// program's) goes through the shop's discount URL, which puts the
	// partner's code on the friend's cart.
	if g, err := s.Groups.Customers(r.Context(), p.Group()); err != nil {
		s.Log.WarnContext(r.Context(), "group not read; link without its discount", "group_id", p.Group(), "error", err)
	} else if d, ok := discount.Resolve(g.ID, g.Discount, prog.Program.Discount); ok && d.Provider == discount.Shopify {
		link = discount.ShopifyLink(d.Shop, p.ReferralCode, target)
	}
	http.Redirect(w, r, link, http.StatusFound)
}

// clickParam is the landing URL's parameter that carries the click's
// reference, for the shop to pass on as the order's click_id.
const clickParam = "plc"

// clientAddress is the visitor's address: the first X-Forwarded-For entry
// (set by API Gateway) or the peer address.
func clientAddress(r *http.Request) string {
	addr := strings.TrimSpace(strings.Split(r.Header.Get("X-Forwarded-For"), ",")[0])
	if addr == "" {
		addr, _, _ = net.SplitHostPort(r.RemoteAddr)
	}
	return addr
}

// clientSource identifies where a click came from without storing the
// address: a hash of it.
func clientSource(addr string) string {
	sum := sha256.Sum256([]byte(addr))
	return hex.EncodeToString(sum[:8])
}
