// Package group holds partner groups: segments of partners with their own
// terms (a commission block and hold replacing the program's, a default
// tier) and what their public join page shows and asks (landing text, the
// application form, the rule that approves an application by itself).
package group

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/commission"
	"github.com/partnerloop/partnerloop/internal/discount"
	"github.com/partnerloop/partnerloop/internal/program"
)

// Group is one group's definition, as POST /v1/groups takes it.
type Group struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Slug names the group's join page (/join/<slug>); unique.
	Slug string `json:"slug"`
	// Commission, if set, replaces the program's commission block for the
	// group's partners; HoldDays replaces the program's hold.
	Commission *commission.Rules `json:"commission,omitempty"`
	HoldDays   *int              `json:"hold_days,omitempty"`
	// Fraud replaces, rule by rule, the program's fraud rules for the
	// group's partners.
	Fraud map[string]program.FraudRule `json:"fraud,omitempty"`
	// DefaultTier is the tier a partner placed in the group starts at.
	DefaultTier program.Tier `json:"default_tier,omitempty"`
	AutoApprove *AutoApprove `json:"auto_approve,omitempty"`
	// ReapplyAfterDays is how long a rejected applicant waits before
	// applying to the group again (package apply's default when unset).
	ReapplyAfterDays *int `json:"reapply_after_days,omitempty"`
	// Form is what the join page asks besides name, e-mail, country,
	// website and consent.
	Form    []Field  `json:"form"`
	Landing *Landing `json:"landing,omitempty"`
	// Discount is what the customers the group's partners refer get off,
	// through each partner's own code (package discount).
	Discount *discount.Discount `json:"discount,omitempty"`
	// EmbedOrigins are the shop's origins whose pages may frame the
	// group's referral widget.
	EmbedOrigins []string `json:"embed_origins,omitempty"`
	// CustomerRewards is how the group's customers are rewarded: money
	// (store credit) or points.
	CustomerRewards string `json:"customer_rewards,omitempty"`
}

// AutoApprove approves an application without review when enabled and
// the applicant's country and e-mail domain are among those listed (an
// empty list allows any).
type AutoApprove struct {
	Enabled      bool     `json:"enabled"`
	Countries    []string `json:"countries,omitempty"`
	EmailDomains []string `json:"email_domains,omitempty"`
}

// Texts are one text in each language of the pages.
type Texts struct {
	EN string `json:"en"`
	IT string `json:"it"`
	RU string `json:"ru"`
}

// Field types of the application form.
var fieldTypes = []string{"text", "textarea", "url", "select", "checkbox"}

// Field is one question of the application form; a select's answer is
// one of its options.
type Field struct {
	Key      string   `json:"key"`
	Label    Texts    `json:"label"`
	Type     string   `json:"type"`
	Options  []string `json:"options,omitempty"`
	Required bool     `json:"required"`
}

// Landing is the join page's text: a title and a Markdown description per
// language, an optional logo and colour, and the terms applicants accept.
type Landing struct {
	Title       Texts  `json:"title"`
	Description Texts  `json:"description"`
	LogoURL     string `json:"logo_url,omitempty"`
	BrandColor  string `json:"brand_color,omitempty"`
	TermsURL    string `json:"terms_url"`
}

// Bounds of a group besides those of package bounds.
const (
	MaxSlug        = 64
	MaxFormFields  = 30
	MaxOptions     = 50
	MaxCountries   = 250
	MaxDomains     = 100
	MaxHoldDays    = 365
	MaxReapplyDays = 365
	maxDescription = 10_000
)

// markdown bounds a landing description, in characters.
var markdown = bounds.Limit{Max: maxDescription, Chars: true}

var (
	// ErrInvalid wraps every reason a group is refused; the error names
	// the field (bounds.Error).
	ErrInvalid = errors.New("invalid group")
	// ErrNotFound is an unknown group.
	ErrNotFound = errors.New("group not found")
	// ErrExists is a new group with an id already taken.
	ErrExists = errors.New("a group with this id exists")
	// ErrSlugTaken is a slug another group has.
	ErrSlugTaken = errors.New("another group has this slug")
	// ErrVersionConflict means the group was saved since the version the
	// edit started from; it is program.ErrVersionConflict, answered alike.
	ErrVersionConflict = fmt.Errorf("group changed concurrently: %w", program.ErrVersionConflict)
)

// refused is ErrInvalid naming field.
func refused(field, reason string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: field, Reason: fmt.Sprintf(reason, args...)})
}

var (
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	slugPattern  = regexp.MustCompile(`^[a-z0-9-]+$`)
	keyPattern   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	countryCode  = regexp.MustCompile(`^[A-Z]{2}$`)
	domainName   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)
)

// Validate names the first field that makes the group unusable. Only the
// default group may go without a landing: it holds the partners finance
// adds by hand and has no join page until given one.
func (g Group) Validate() error {
	if err := bounds.ID.Check("id", g.ID); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if !idPattern.MatchString(g.ID) {
		return refused("id", "must be letters, digits, - or _")
	}
	if err := bounds.Name.Check("name", g.Name); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if strings.TrimSpace(g.Name) == "" {
		return refused("name", "is required")
	}
	if len(g.Slug) > MaxSlug || !slugPattern.MatchString(g.Slug) {
		return refused("slug", "must be 1 to %d lower-case letters, digits or hyphens", MaxSlug)
	}
	if g.Commission != nil {
		if err := g.Commission.Validate(); err != nil {
			// The rules' reasons start with the field's path, as the program's do.
			field, reason, _ := strings.Cut(err.Error(), " ")
			return fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: strings.TrimSuffix(field, ":"), Reason: reason})
		}
	}
	if err := program.CheckFraudRules("fraud", g.Fraud); err != nil {
		field, reason, _ := strings.Cut(err.Error(), " ")
		return fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: field, Reason: reason})
	}
	if g.HoldDays != nil && (*g.HoldDays < 0 || *g.HoldDays > MaxHoldDays) {
		return refused("hold_days", "must be between 0 and %d", MaxHoldDays)
	}
	if g.DefaultTier != "" {
		if _, err := program.ParseTier(string(g.DefaultTier)); err != nil {
			return refused("default_tier", "must be one of authorized, silver, gold")
		}
	}
	if g.ReapplyAfterDays != nil && (*g.ReapplyAfterDays < 0 || *g.ReapplyAfterDays > MaxReapplyDays) {
		return refused("reapply_after_days", "must be between 0 and %d", MaxReapplyDays)
	}
	if err := g.AutoApprove.check(); err != nil {
		return err
	}
	if err := checkForm(g.Form); err != nil {
		return err
	}
	if err := g.checkCustomers(); err != nil {
		return err
	}
	if g.Landing == nil {
		if g.ID != program.DefaultGroup {
			return refused("landing", "is required")
		}
	} else if err := g.Landing.check(); err != nil {
		return err
	}
	if def, _ := json.Marshal(g); len(def) > program.MaxDefinitionBytes {
		// Each version is one item, which DynamoDB limits to 400 KB.
		return refused("form", "makes the group longer than %d bytes as JSON", program.MaxDefinitionBytes)
	}
	return nil
}

func (a *AutoApprove) check() error {
	if a == nil {
		return nil
	}
	if len(a.Countries) > MaxCountries {
		return refused("auto_approve.countries", "must list at most %d countries", MaxCountries)
	}
	for i, c := range a.Countries {
		if !countryCode.MatchString(c) {
			return refused(fmt.Sprintf("auto_approve.countries[%d]", i), "must be an ISO 3166 country code (IT)")
		}
	}
	if len(a.EmailDomains) > MaxDomains {
		return refused("auto_approve.email_domains", "must list at most %d domains", MaxDomains)
	}
	for i, d := range a.EmailDomains {
		field := fmt.Sprintf("auto_approve.email_domains[%d]", i)
		if err := bounds.ID.Check(field, d); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if !domainName.MatchString(d) {
			return refused(field, "must be a lower-case domain name (example.com)")
		}
	}
	return nil
}

func checkForm(form []Field) error {
	if len(form) > MaxFormFields {
		return refused("form", "must have at most %d fields", MaxFormFields)
	}
	var keys []string
	for i, f := range form {
		at := fmt.Sprintf("form[%d]", i)
		if err := bounds.ID.Check(at+".key", f.Key); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if !keyPattern.MatchString(f.Key) || slices.Contains(keys, f.Key) {
			return refused(at+".key", "must be unique, lower-case letters, digits and _, starting with a letter")
		}
		keys = append(keys, f.Key)
		if err := f.Label.check(at+".label", bounds.Text, true); err != nil {
			return err
		}
		if !slices.Contains(fieldTypes, f.Type) {
			return refused(at+".type", "must be one of %s", strings.Join(fieldTypes, ", "))
		}
		if err := checkOptions(at+".options", f.Type, f.Options); err != nil {
			return err
		}
	}
	return nil
}

// checkOptions holds a select to 1 to MaxOptions distinct options; other
// types take none.
func checkOptions(field, typ string, options []string) error {
	if typ != "select" {
		if len(options) > 0 {
			return refused(field, "are only for a select")
		}
		return nil
	}
	if len(options) == 0 || len(options) > MaxOptions {
		return refused(field, "must list 1 to %d options", MaxOptions)
	}
	for i, o := range options {
		at := fmt.Sprintf("%s[%d]", field, i)
		if err := bounds.Name.Check(at, o); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if strings.TrimSpace(o) == "" || slices.Contains(options[:i], o) {
			return refused(at, "must be set and unique")
		}
	}
	return nil
}

// check holds each language's text to limit; required asks for all three.
func (t Texts) check(field string, limit bounds.Limit, required bool) error {
	for _, lang := range []struct{ code, text string }{{"en", t.EN}, {"it", t.IT}, {"ru", t.RU}} {
		at := field + "." + lang.code
		if err := limit.Check(at, lang.text); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if required && strings.TrimSpace(lang.text) == "" {
			return refused(at, "is required")
		}
	}
	return nil
}

func (l *Landing) check() error {
	if err := l.Title.check("landing.title", bounds.Name, true); err != nil {
		return err
	}
	if err := l.Description.check("landing.description", markdown, false); err != nil {
		return err
	}
	if l.LogoURL != "" {
		if err := checkURL("landing.logo_url", l.LogoURL); err != nil {
			return err
		}
	}
	if l.BrandColor != "" && !colorPattern.MatchString(l.BrandColor) {
		return refused("landing.brand_color", "must be a colour as #rrggbb")
	}
	return checkURL("landing.terms_url", l.TermsURL)
}

// checkURL accepts an absolute https URL within the URL bound: the join
// page links and loads it.
func checkURL(field, v string) error {
	if err := bounds.URL.Check(field, v); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return refused(field, "must be an absolute https URL")
	}
	return nil
}

// Terms are what the group changes of the program's terms.
func (g Group) Terms() program.GroupTerms {
	return program.GroupTerms{ID: g.ID, Commission: g.Commission, HoldDays: g.HoldDays, Fraud: g.Fraud, CustomerRewards: g.CustomerRewards}
}

// Parse reads a group strictly: a misspelt field is refused, not ignored.
func Parse(data []byte) (Group, error) {
	var g Group
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return Group{}, fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: decodedField(err), Reason: err.Error()})
	}
	if g.Form == nil {
		g.Form = []Field{}
	}
	return g, g.Validate()
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

// Patched is g with a JSON merge patch (RFC 7396) applied: a field the
// patch names replaces g's, null removes it, objects merge member by
// member. The id cannot change.
func Patched(g Group, patch []byte) (Group, error) {
	var changes any
	if err := json.Unmarshal(patch, &changes); err != nil {
		return Group{}, refused("", "the patch must be JSON: %v", err)
	}
	if _, ok := changes.(map[string]any); !ok {
		return Group{}, refused("", "the patch must be a JSON object")
	}
	current, _ := json.Marshal(g) // a Group always marshals
	var doc any
	_ = json.Unmarshal(current, &doc)
	merged, _ := json.Marshal(mergePatch(doc, changes))
	next, err := Parse(merged)
	if err != nil {
		return Group{}, err
	}
	if next.ID != g.ID {
		return Group{}, refused("id", "cannot change")
	}
	return next, nil
}

func mergePatch(doc, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	d, ok := doc.(map[string]any)
	if !ok {
		d = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(d, k)
		} else {
			d[k] = mergePatch(d[k], v)
		}
	}
	return d
}
