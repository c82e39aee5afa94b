// Package mail decides what Partnerloop writes to partners and finance, in
// which language, to whom and whether at all: every e-mail follows an
// outbox event (recorded in the transaction of the change that causes
// it), the dispatcher hands the event to Forward, which queues one job per
// recipient, and Deliver renders a job and sends it once, de-duplicated by
// its id. Commission is mailed once a day per partner: SendDigests finds
// the day's accruals the ledger wrote and queues one digest per partner.
package mail

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Category is what a partner may switch on or off, per category.
type Category string

// Categories. Transactional mail (invitations, payouts) cannot be switched
// off: it is about the partner's account and money.
const (
	Transactional Category = "transactional"
	Earnings      Category = "earnings"
	Engagement    Category = "engagement"
	Announcements Category = "announcements"
)

// Categories lists every category, transactional first.
func Categories() []Category { return []Category{Transactional, Earnings, Engagement, Announcements} }

// Kind is one kind of e-mail.
type Kind string

// Kinds. The finance kinds go to the configured finance addresses; the
// others to a partner.
const (
	KindInvitation            Kind = "invitation"
	KindWelcome               Kind = "welcome"
	KindDigest                Kind = "earnings_digest"
	KindPayoutSent            Kind = "payout_sent"
	KindDonationMade          Kind = "donation_made"
	KindTierChanged           Kind = "tier_changed"
	KindBadgeAwarded          Kind = "badge_awarded"
	KindRedemptionFulfilled   Kind = "redemption_fulfilled"
	KindGoalReached           Kind = "goal_level_reached"
	KindChallengeStarted      Kind = "challenge_started"
	KindSubmissionApproved    Kind = "submission_approved"
	KindSubmissionRejected    Kind = "submission_rejected"
	KindBatchAwaitingApproval Kind = "batch_awaiting_approval"
	KindPayoutFailed          Kind = "payout_failed"
)

// Category is the category a kind belongs to.
func (k Kind) Category() Category {
	switch k {
	case KindDigest:
		return Earnings
	case KindTierChanged, KindBadgeAwarded, KindRedemptionFulfilled, KindGoalReached, KindChallengeStarted,
		KindSubmissionApproved, KindSubmissionRejected:
		return Engagement
	}
	return Transactional
}

// ToPartner reports whether the kind goes to a partner (not to finance or
// an applicant).
func (k Kind) ToPartner() bool {
	return k != KindBatchAwaitingApproval && k != KindPayoutFailed && !k.toApplicant()
}

// Preferences are a partner's choices of what to receive, and in which
// language.
type Preferences struct {
	Language   string            `json:"language"`
	Categories map[Category]bool `json:"categories"`
}

// DefaultPreferences is every category on, in English.
func DefaultPreferences() Preferences {
	p := Preferences{Language: "en", Categories: map[Category]bool{}}
	for _, c := range Categories() {
		p.Categories[c] = true
	}
	return p
}

// Allows reports whether the partner receives mail of the category; a
// category the partner never chose is on.
func (p Preferences) Allows(c Category) bool {
	on, chosen := p.Categories[c]
	return c == Transactional || !chosen || on
}

// Errors of the preference and unsubscribe routes.
var (
	ErrInvalid      = errors.New("invalid notification preferences")
	ErrInvalidToken = errors.New("invalid unsubscribe link")
)

// FieldError is a refused change and the field it names
// (categories.transactional, say). It is ErrInvalid.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%v: %s %s", ErrInvalid, e.Field, e.Reason) }
func (e *FieldError) Unwrap() error { return ErrInvalid }

// CheckLanguage refuses a language e-mails are not written in.
func CheckLanguage(lang string) error {
	if !slices.Contains(Languages(), lang) {
		return &FieldError{Field: "language", Reason: "must be one of " + strings.Join(Languages(), ", ")}
	}
	return nil
}

// Change sets the language, or the named categories on or off; the rest
// stays.
type Change struct {
	Language   *string           `json:"language"`
	Categories map[Category]bool `json:"categories"`
}

// Apply returns the preferences with the change made, refusing an unknown
// language or category and switching off transactional mail.
func (p Preferences) Apply(c Change) (Preferences, error) {
	if len(c.Categories) == 0 && c.Language == nil {
		return p, &FieldError{Field: "categories", Reason: "or language must be given"}
	}
	next := DefaultPreferences()
	next.Language = cmp.Or(p.Language, next.Language)
	maps.Copy(next.Categories, p.Categories)
	if c.Language != nil {
		if err := CheckLanguage(*c.Language); err != nil {
			return p, err
		}
		next.Language = *c.Language
	}
	for _, k := range slices.Sorted(maps.Keys(c.Categories)) {
		switch {
		case !slices.Contains(Categories(), k):
			return p, &FieldError{Field: "categories." + string(k), Reason: "is not a category (transactional, earnings, engagement, announcements)"}
		case k == Transactional && !c.Categories[k]:
			return p, &FieldError{Field: "categories.transactional", Reason: "cannot be switched off: invitations and payouts are always sent"}
		}
		next.Categories[k] = c.Categories[k]
	}
	return next, nil
}

// Job is one e-mail to render and send, as the mail queue carries it.
type Job struct {
	// ID is derived from what causes the e-mail and its recipient, so a
	// job queued twice is sent once.
	ID        string          `json:"id"`
	Kind      Kind            `json:"kind"`
	PartnerID string          `json:"partner_id,omitempty"`
	To        string          `json:"to,omitempty"`  // a finance address
	Day       string          `json:"day,omitempty"` // a digest's day, 2006-01-02 (UTC)
	At        time.Time       `json:"at"`
	Data      json.RawMessage `json:"data,omitempty"` // the event's data
}

// JobID is the id of the e-mail of kind about ref (an event id, a digest's
// day) to recipient (a partner id or an address).
func JobID(ref, recipient string, kind Kind) string {
	sum := sha256.Sum256([]byte(ref + "|" + recipient + "|" + string(kind)))
	return "ml_" + hex.EncodeToString(sum[:16])
}

// Header is one extra header of a message.
type Header struct {
	Name, Value string
}

// Message is a rendered e-mail to one address.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
	Headers []Header
}

// DigestLine is what one order booked (or took back) on a partner's day.
type DigestLine struct {
	OrderID  string
	Currency string
	Amount   int64 // minor units, positive
	Reversal bool
	At       time.Time
}

// DigestRef names a partner's digest of one day.
type DigestRef struct {
	PartnerID string
	Day       string
}
