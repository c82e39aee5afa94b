// Package program holds the rules of a partner program: which currencies it
// pays in, how long commission is held, what each tier earns and where
// referral links land.
package program

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/commission"
	"github.com/partnerloop/partnerloop/internal/discount"
	"github.com/partnerloop/partnerloop/internal/money"
)

// Tier is a partner level; each earns its own commission rate.
type Tier string

const (
	TierAuthorized Tier = "authorized"
	TierSilver     Tier = "silver"
	TierGold       Tier = "gold"
)

// Program is the configuration commission is computed with.
type Program struct {
	// LandingURL is where /r/{code} sends visitors; it is configuration, never
	// taken from a request, so the redirect cannot be turned into an open one.
	LandingURL string `json:"landing_url"`
	// HoldDays is the return window before pending commission becomes payable.
	HoldDays int `json:"hold_days"`
	// TierRatesBps is the commission rate per tier in basis points of the
	// order's net merchandise amount (tax and shipping excluded).
	TierRatesBps map[Tier]int64 `json:"tier_rates_bps"`
	// MinimumPayout is the smallest payable balance, per currency, that a
	// payout batch picks up.
	MinimumPayout map[money.Currency]int64 `json:"minimum_payout"`
	// CookieDays is how long the referral cookie set by /r/{code} lives.
	CookieDays int `json:"cookie_days"`
	// LandingHosts are further hosts /r/{code}?to=<url> may send visitors
	// to (deep links to products); any other target falls back to LandingURL.
	LandingHosts []string `json:"landing_hosts,omitempty"`
	// MaxClicksPerSourceHour flags a partner whose link is clicked more often
	// than this from one source within an hour; 0 turns the check off.
	MaxClicksPerSourceHour int64 `json:"max_clicks_per_source_hour"`
	// CharityOptions, if set, are the charities partners may give a share to.
	CharityOptions []string `json:"charity_options,omitempty"`
	// Commission refines the tier rates per product, category and order.
	Commission commission.Rules `json:"commission"`
	// Attribution decides between competing evidence for an order.
	Attribution Attribution `json:"attribution"`
	// Recurring is how long a referred subscription keeps earning.
	Recurring Recurring `json:"recurring"`
	// TierRules, if set, let the performance job move partners between tiers.
	TierRules *TierRules `json:"tier_rules,omitempty"`
	// Goals pay bonuses for reaching sales levels in a period.
	Goals []Goal `json:"goals,omitempty"`
	// Donations the program makes on its partners' behalf.
	Donations *Donations `json:"donations,omitempty"`
	// Points partners earn for sales and activities.
	Points *Points `json:"points,omitempty"`
	// Badges partners are awarded once, when a badge's rule first holds.
	Badges []Badge `json:"badges,omitempty"`
	// Fraud turns fraud rules on and sets them (package fraud).
	Fraud Fraud `json:"fraud,omitzero"`
	// Discount is what customers referred by partners of a group without
	// its own discount get off (package discount).
	Discount *discount.Discount `json:"discount,omitempty"`
}

// Recurring configures commission on subscription invoices: the first
// invoice always earns; later ones while the subscription is younger than
// Months months, or for its whole life with Forever. Months 0 means the
// first invoice only.
type Recurring struct {
	Months  int  `json:"months"`
	Forever bool `json:"forever,omitempty"`
}

// Earns reports whether an invoice at `at` of a subscription referred at
// `start` (its checkout) earns commission: calendar months counted from
// start, a day of the month the end month lacks clamped to its last day
// (31 January + 1 month ends on 28 or 29 February), and the first invoice,
// paid within a day of checkout, always earns.
func (r Recurring) Earns(start, at time.Time) bool {
	return r.Forever || at.Before(AddMonths(start, r.Months)) || at.Sub(start) < 24*time.Hour
}

// AddMonths adds calendar months, clamping the day to the target month's
// length instead of spilling into the next month as time.AddDate does.
func AddMonths(t time.Time, months int) time.Time {
	first := time.Date(t.Year(), t.Month(), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location()).AddDate(0, months, 0)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(t.Day(), last)-1)
}

// Attribution models: which partner an order goes to when several referred it.
const (
	LastClick  = "last_click"  // the most recent evidence wins (default)
	FirstClick = "first_click" // the earliest evidence in the window wins
	CouponWins = "coupon_wins" // a partner's coupon beats everything, else last click
)

// Attribution configures how orders are credited.
type Attribution struct {
	Model string `json:"model,omitempty"`
	// WindowDays is how long a referral (sign-up, earlier referred order)
	// keeps crediting the customer's orders to the partner; default 30.
	WindowDays int `json:"window_days,omitempty"`
}

// Window is the attribution window, with its default.
func (a Attribution) Window() time.Duration {
	if a.WindowDays == 0 {
		return 30 * 24 * time.Hour
	}
	return time.Duration(a.WindowDays) * 24 * time.Hour
}

// Default is the program used when none is configured.
func Default() Program {
	return Program{
		LandingURL:    "https://shop.example/",
		HoldDays:      30,
		TierRatesBps:  map[Tier]int64{TierAuthorized: 500, TierSilver: 800, TierGold: 1200},
		MinimumPayout: map[money.Currency]int64{"EUR": 5000, "USD": 5000, "GBP": 5000},
		CookieDays:    30,
		Recurring:     Recurring{Months: 12},

		MaxClicksPerSourceHour: 100,
	}
}

// ErrInvalid wraps every reason a program definition is rejected.
var ErrInvalid = errors.New("invalid program")

// MaxDefinitionBytes bounds a program as JSON: each version is stored as
// one item, which DynamoDB limits to 400 KB.
const MaxDefinitionBytes = 256 << 10

// Parse reads a program from JSON and validates it.
func Parse(data []byte) (Program, error) {
	var p Program
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // a misspelt rule must not be silently ignored
	if err := dec.Decode(&p); err != nil {
		return Program{}, &FieldError{Field: decodedField(err), err: err}
	}
	return p, p.Validate()
}

// FieldError is a refused program and the field it names as a JSON path
// (landing_url, tier_rates_bps.gold, goals[0].levels[1]), so an editor can
// show the message next to that field. It is ErrInvalid.
type FieldError struct {
	Field string
	err   error
}

func (e *FieldError) Error() string   { return fmt.Sprintf("%v: %v", ErrInvalid, e.err) }
func (e *FieldError) Unwrap() []error { return []error{ErrInvalid, e.err} }

// Validate names the first field that makes the program unusable. Every
// reason check gives starts with the field's path, which FieldError keeps.
func (p Program) Validate() error {
	if err := p.check(); err != nil {
		field, _, _ := strings.Cut(err.Error(), " ")
		return &FieldError{Field: strings.TrimSuffix(field, ":"), err: err}
	}
	return nil
}

// decodedField is the field a JSON decoding error is about, if it says.
func decodedField(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return typeErr.Field
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return strings.Trim(name, `"`)
	}
	return ""
}

func (p Program) check() error {
	if err := p.checkLengths(); err != nil {
		return err
	}
	u, err := url.Parse(p.LandingURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("landing_url must be an absolute http(s) URL")
	}
	for i, h := range p.LandingHosts {
		if h == "" || strings.ContainsAny(h, "/:@?# ") || strings.ToLower(h) != h {
			return fmt.Errorf("landing_hosts[%d] must be a lower-case host name without scheme or path", i)
		}
	}
	if p.MaxClicksPerSourceHour < 0 {
		return fmt.Errorf("max_clicks_per_source_hour must not be negative")
	}
	if p.HoldDays < 0 {
		return fmt.Errorf("hold_days must not be negative")
	}
	if p.CookieDays <= 0 {
		return fmt.Errorf("cookie_days must be positive")
	}
	for _, tier := range Tiers() {
		rate, ok := p.TierRatesBps[tier]
		if !ok || rate < 0 || rate > money.BasisPointsPerUnit {
			return fmt.Errorf("tier_rates_bps.%s must be between 0 and 10000", tier)
		}
	}
	if len(p.MinimumPayout) == 0 {
		return fmt.Errorf("minimum_payout must name at least one currency")
	}
	for cur, min := range p.MinimumPayout {
		if _, err := money.ParseCurrency(string(cur)); err != nil || money.Currency(cur) != cur {
			return fmt.Errorf("minimum_payout.%s is not an ISO 4217 currency", cur)
		}
		if min <= 0 || min > money.MaxAmount {
			return fmt.Errorf("minimum_payout.%s must be between 1 and %d", cur, money.MaxAmount)
		}
	}
	switch p.Attribution.Model {
	case "", LastClick, FirstClick, CouponWins:
	default:
		return fmt.Errorf("attribution.model must be last_click, first_click or coupon_wins")
	}
	if err := p.TierRules.check(); err != nil {
		return err
	}
	if err := checkGoals(p.Goals); err != nil {
		return err
	}
	if err := p.Points.check(); err != nil {
		return err
	}
	if err := checkBadges(p.Badges); err != nil {
		return err
	}
	if err := p.Fraud.check(); err != nil {
		return err
	}
	if p.Discount != nil {
		if err := p.Discount.ValidateForProgram("discount"); err != nil {
			var field *bounds.Error
			errors.As(err, &field) // the error names its field first, as the program's do
			return field
		}
	}
	if d := p.Donations; d != nil && (d.RevenueBps < 0 || d.RevenueBps > money.BasisPointsPerUnit) {
		return fmt.Errorf("donations.revenue_bps must be between 0 and 10000")
	}
	if p.Recurring.Months < 0 || p.Recurring.Months > 120 {
		return fmt.Errorf("recurring.months must be between 0 and 120")
	}
	if p.Attribution.WindowDays < 0 || p.Attribution.WindowDays > 365 {
		return fmt.Errorf("attribution.window_days must be between 1 and 365")
	}
	if err := p.Commission.Validate(); err != nil {
		return err
	}
	if def, _ := json.Marshal(p); len(def) > MaxDefinitionBytes {
		return fmt.Errorf("program must be at most %d bytes as JSON", MaxDefinitionBytes)
	}
	return nil
}

// checkLengths holds every string of the program to its bound, so that a
// long one is named rather than failing the save.
func (p Program) checkLengths() error {
	errs := []error{bounds.URL.Check("landing_url", p.LandingURL)}
	for i, h := range p.LandingHosts {
		errs = append(errs, bounds.ID.Check(fmt.Sprintf("landing_hosts[%d]", i), h))
	}
	for i, c := range p.CharityOptions {
		errs = append(errs, bounds.ID.Check(fmt.Sprintf("charity_options[%d]", i), c))
	}
	for i, g := range p.Goals {
		f := fmt.Sprintf("goals[%d]", i)
		errs = append(errs, bounds.ID.Check(f+".id", g.ID), bounds.ID.Check(f+".category", g.Category))
	}
	if p.Donations != nil {
		errs = append(errs, bounds.ID.Check("donations.default_charity", p.Donations.DefaultCharity))
	}
	return bounds.First(errs...)
}

// LandingTarget is where a referral link sends a visitor: the requested
// deep link if it is an http(s) URL on the landing host or an allowed one,
// else the landing URL. The result is never a host the program did not name.
func (p Program) LandingTarget(requested string) *url.URL {
	landing, _ := url.Parse(p.LandingURL) // validated when the program was saved
	if requested == "" {
		return landing
	}
	u, err := url.Parse(requested)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return landing
	}
	host := strings.ToLower(u.Hostname())
	if host == strings.ToLower(landing.Hostname()) || slices.Contains(p.LandingHosts, host) {
		return u
	}
	return landing
}

// Tiers lists the tiers from lowest to highest.
func Tiers() []Tier { return []Tier{TierAuthorized, TierSilver, TierGold} }

// ParseTier accepts a known tier name; empty means the entry tier.
func ParseTier(s string) (Tier, error) {
	if s == "" {
		return TierAuthorized, nil
	}
	for _, t := range Tiers() {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("tier must be one of authorized, silver, gold")
}

// Hold is the return window as a duration.
func (p Program) Hold() time.Duration { return time.Duration(p.HoldDays) * 24 * time.Hour }

// Currencies are the currencies the program pays out in.
func (p Program) Currencies() []money.Currency {
	out := make([]money.Currency, 0, len(p.MinimumPayout))
	for c := range p.MinimumPayout {
		out = append(out, c)
	}
	return out
}
