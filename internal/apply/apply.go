// Package apply holds applications to join a partner group: what a
// visitor of a group's join page submits, the checks it passes (the
// group's form, bounds, a honeypot, rate limits, one open application per
// e-mail and group), the confirmation of its e-mail, and the decision
// that makes it a partner or turns it down, by a person or by the group's
// auto-approval rule. Nothing an application brings is trusted until a
// person or a rule approves it.
package apply

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/group"
	"github.com/partnerloop/partnerloop/internal/program"
)

// Status is where an application stands. An application whose e-mail is
// not confirmed is pending but not shown to anyone.
type Status string

// Statuses.
const (
	Pending  Status = "pending"
	Approved Status = "approved"
	Rejected Status = "rejected"
)

// Statuses lists the statuses a listing filters by.
func Statuses() []Status { return []Status{Pending, Approved, Rejected} }

// Reason is why an application was rejected; the e-mail names it.
type Reason string

// Reasons.
const (
	NotAFit        Reason = "not_a_fit"
	Incomplete     Reason = "incomplete"
	Duplicate      Reason = "duplicate"
	FraudSuspected Reason = "fraud_suspected"
	Other          Reason = "other"
)

// Reasons lists every rejection reason.
func Reasons() []Reason { return []Reason{NotAFit, Incomplete, Duplicate, FraudSuspected, Other} }

// Application is one application, as finance reviews it.
type Application struct {
	ID       string         `json:"id" dynamodbav:"id"`
	GroupID  string         `json:"group" dynamodbav:"group_id"`
	Name     string         `json:"name" dynamodbav:"name"`
	Email    string         `json:"email" dynamodbav:"email"`
	Country  string         `json:"country" dynamodbav:"country"`
	Website  string         `json:"website,omitempty" dynamodbav:"website,omitempty"`
	Answers  map[string]any `json:"answers" dynamodbav:"answers"`
	Language string         `json:"language" dynamodbav:"language"`
	Status   Status         `json:"status" dynamodbav:"status"`
	// SubmittedAt, EmailConfirmedAt and DecidedAt are the application's
	// steps; Events lists them in order.
	SubmittedAt      time.Time  `json:"submitted_at" dynamodbav:"submitted_at"`
	EmailConfirmedAt *time.Time `json:"email_confirmed_at" dynamodbav:"email_confirmed_at,omitempty"`
	DecidedAt        *time.Time `json:"decided_at,omitempty" dynamodbav:"decided_at,omitempty"`
	// DecidedBy is the staff user who decided, or "auto_approve".
	DecidedBy string       `json:"decided_by,omitempty" dynamodbav:"decided_by,omitempty"`
	Reason    Reason       `json:"reason,omitempty" dynamodbav:"reason,omitempty"`
	Note      string       `json:"note,omitempty" dynamodbav:"note,omitempty"`
	PartnerID string       `json:"partner_id,omitempty" dynamodbav:"partner_id,omitempty"`
	Tier      program.Tier `json:"tier,omitempty" dynamodbav:"tier,omitempty"`
	// EmailHash keys the e-mail's rate limit and open application (the
	// service's keyed hash, never shown).
	EmailHash string `json:"-" dynamodbav:"email_hash"`
}

// Event is one step of an application, in the detail's funnel events.
type Event struct {
	Step Step      `json:"step"`
	At   time.Time `json:"at"`
	By   string    `json:"by,omitempty"`
}

// Events are the application's steps so far.
func (a Application) Events() []Event {
	events := []Event{{Step: StepSubmitted, At: a.SubmittedAt}}
	if a.EmailConfirmedAt != nil {
		events = append(events, Event{Step: StepConfirmed, At: *a.EmailConfirmedAt})
	}
	if a.DecidedAt != nil {
		events = append(events, Event{Step: Step(a.Status), At: *a.DecidedAt, By: a.DecidedBy})
	}
	return events
}

// AutoApprover is who decides an application the group's rule approved.
const AutoApprover = "auto_approve"

// Submission is the body of POST /v1/applications.
type Submission struct {
	Group    string         `json:"group"`
	Name     string         `json:"name"`
	Email    string         `json:"email"`
	Country  string         `json:"country"`
	Website  string         `json:"website"`
	Answers  map[string]any `json:"answers"`
	Consent  bool           `json:"consent"`
	Language string         `json:"language"`
	// Fax is the honeypot: the join page hides it from people, so only a
	// form-filling robot sets it.
	Fax string `json:"fax"`
}

// IsRobot reports whether the honeypot was filled.
func (s Submission) IsRobot() bool { return s.Fax != "" }

// Languages are the languages of the join page and its e-mails.
func Languages() []string { return []string{"en", "it", "ru"} }

var (
	// ErrInvalid wraps every reason a submission or decision is refused;
	// the error names the field (bounds.Error).
	ErrInvalid = errors.New("invalid application")
	// ErrNotFound is an unknown application, or one whose e-mail is not
	// confirmed yet (nobody sees it before).
	ErrNotFound = errors.New("application not found")
	// ErrNoJoinPage is a slug no group with a join page has.
	ErrNoJoinPage = errors.New("no join page at this address")
	// ErrExists is a second open application of an e-mail to a group (or
	// one before the group's reapply window after a rejection).
	ErrExists = errors.New("an application of this e-mail to this group is open, approved, or was rejected too recently")
	// ErrDecided is a decision on an application decided before.
	ErrDecided = errors.New("the application was decided before")
	// ErrInvalidToken is a confirmation link not signed by the service, or
	// expired.
	ErrInvalidToken = errors.New("unknown or expired confirmation link")
	// ErrBadPeriod is a report period that is not a month (2026-05).
	ErrBadPeriod = errors.New("period must be a month as YYYY-MM")
	// ErrRateLimited is a submission past a rate limit; RateLimited says
	// when to retry.
	ErrRateLimited = errors.New("too many applications; retry later")
)

// RateLimited is ErrRateLimited with the wait before a retry may pass.
type RateLimited struct{ RetryAfter time.Duration }

func (e *RateLimited) Error() string {
	return fmt.Sprintf("%v (in %s)", ErrRateLimited, e.RetryAfter.Round(time.Second))
}
func (e *RateLimited) Unwrap() error { return ErrRateLimited }

// refused is ErrInvalid naming field.
func refused(field, reason string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: field, Reason: fmt.Sprintf(reason, args...)})
}

func bounded(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalid, err)
}

var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)

// Check names the first field of the submission that the group's join
// page does not accept.
func (s Submission) Check(g group.Group) error {
	name := strings.TrimSpace(s.Name)
	if err := bounded(bounds.PersonName("name", name)); err != nil {
		return err
	}
	if name == "" {
		return refused("name", "is required")
	}
	if err := bounded(bounds.Address("email", s.Email)); err != nil {
		return err
	}
	if !countryCode.MatchString(s.Country) {
		return refused("country", "must be an ISO 3166 country code (IT)")
	}
	if s.Website != "" {
		if err := checkURL("website", s.Website); err != nil {
			return err
		}
	}
	if s.Language != "" && !slices.Contains(Languages(), s.Language) {
		return refused("language", "must be one of %s", strings.Join(Languages(), ", "))
	}
	if err := checkAnswers(g.Form, s.Answers); err != nil {
		return err
	}
	if !s.Consent {
		return refused("consent", "must be true: the applicant accepts the terms")
	}
	return nil
}

// checkURL accepts an absolute http or https URL within the URL bound.
func checkURL(field, v string) error {
	if err := bounded(bounds.URL.Check(field, v)); err != nil {
		return err
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return refused(field, "must be an absolute http or https URL")
	}
	return nil
}

// checkAnswers holds the answers to the group's form: every key a
// question's, each answer of its question's type, the required ones given.
func checkAnswers(form []group.Field, answers map[string]any) error {
	for key := range answers {
		if !slices.ContainsFunc(form, func(f group.Field) bool { return f.Key == key }) {
			if err := bounded(bounds.ID.Check("answers", key)); err != nil {
				return err
			}
			return refused("answers."+key, "is not a question of the group's form")
		}
	}
	for _, f := range form {
		field := "answers." + f.Key
		v, given := answers[f.Key]
		if f.Type == "checkbox" {
			ticked, ok := v.(bool)
			if given && !ok {
				return refused(field, "must be true or false")
			}
			if f.Required && !ticked {
				return refused(field, "must be ticked")
			}
			continue
		}
		text, ok := v.(string)
		if given && !ok {
			return refused(field, "must be a string")
		}
		if strings.TrimSpace(text) == "" {
			if f.Required {
				return refused(field, "is required")
			}
			continue
		}
		var err error
		switch f.Type {
		case "text":
			err = bounded(bounds.Name.Check(field, text))
		case "textarea":
			err = bounded(bounds.Text.Check(field, text))
		case "url":
			err = checkURL(field, text)
		case "select":
			if !slices.Contains(f.Options, text) {
				err = refused(field, "must be one of the question's options")
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// AutoApproves reports whether the group's rule approves an application
// from the country and e-mail without review: the rule is on, and the
// country and the e-mail's domain are among those it lists (an empty list
// allows any).
func AutoApproves(rule *group.AutoApprove, country, email string) bool {
	if rule == nil || !rule.Enabled {
		return false
	}
	_, domain, _ := strings.Cut(strings.ToLower(email), "@")
	return (len(rule.Countries) == 0 || slices.Contains(rule.Countries, country)) &&
		(len(rule.EmailDomains) == 0 || slices.Contains(rule.EmailDomains, domain))
}

// DefaultReapplyAfterDays is how long a rejected applicant waits before
// applying to the group again, when the group does not say.
const DefaultReapplyAfterDays = 30

// ReapplyAfter is how long after a rejection the e-mail may apply to the
// group again.
func ReapplyAfter(g group.Group) time.Duration {
	days := DefaultReapplyAfterDays
	if g.ReapplyAfterDays != nil {
		days = *g.ReapplyAfterDays
	}
	return time.Duration(days) * 24 * time.Hour
}

// Decision is a reviewer's decision: the tier an approval starts the
// partner at (empty: the group's default), a rejection's reason and its
// note, which stays with the review.
type Decision struct {
	Tier   string
	Reason Reason
	Note   string
}

// checkRejection requires a known reason and bounds the note.
func (d Decision) checkRejection() error {
	if !slices.Contains(Reasons(), d.Reason) {
		var names []string
		for _, r := range Reasons() {
			names = append(names, string(r))
		}
		return refused("reason", "must be one of %s", strings.Join(names, ", "))
	}
	return bounded(bounds.Text.Check("note", d.Note))
}

// ParseMonth reads a report period, a month as YYYY-MM.
func ParseMonth(period string) (time.Time, error) {
	m, err := time.Parse("2006-01", period)
	if err != nil {
		return time.Time{}, ErrBadPeriod
	}
	return m, nil
}
