package apply

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/group"
	"github.com/partnerloop/partnerloop/internal/mail"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/partner"
)

// Store keeps applications, the e-mail holds that keep one application
// open per e-mail and group, the rate-limit counters and the funnel
// counters.
type Store interface {
	// GroupBySlug is the id of the group whose join page the slug names.
	GroupBySlug(ctx context.Context, slug string) (string, bool, error)
	// EmailConfirmed reports whether an e-mail confirmed an application
	// before (by its hash).
	EmailConfirmed(ctx context.Context, emailHash string) (bool, error)
	// Submit writes a new application, its hold, one count per limit
	// within its window and the funnel steps, in one transaction:
	// ErrExists while another application holds the e-mail in the group,
	// a *RateLimited past a limit's Max.
	Submit(ctx context.Context, a Application, holdUntil *time.Time, limits []Counted, steps []Step, events []outbox.Event) error
	Application(ctx context.Context, id string) (Application, bool, error)
	// Confirm saves the application with its e-mail confirmed, if it was
	// not before (ErrDecided otherwise), keeps the hold open until a
	// decision and remembers the e-mail as confirmed.
	Confirm(ctx context.Context, a Application) error
	// Decide saves a decided application, if it is still pending
	// (ErrDecided otherwise), with the partner it creates (an approval)
	// and the hold's new end (nil: held for good), in one transaction;
	// partner.ErrCodeTaken if the partner's referral code exists.
	Decide(ctx context.Context, a Application, joined *Joined, holdUntil *time.Time, events []outbox.Event) error
	Applications(ctx context.Context, q Query, limit int32, cursor string) ([]Application, string, error)
	// Count adds one to a funnel step of the group's day.
	Count(ctx context.Context, groupID string, step Step, at time.Time) error
	// Funnel sums the month's steps per group.
	Funnel(ctx context.Context, month time.Time) (map[string]map[Step]int64, error)
}

// Joined is the partner an approval creates, its e-mail preferences and
// its invitation.
type Joined struct {
	Partner     partner.Partner
	Preferences mail.Preferences
	Invitation  outbox.Event
}

// Counted is one rate limit as a submission counts against it: Key's
// count in the window starting at Window may not pass Max.
type Counted struct {
	Key    string
	Window time.Time
	Ends   time.Time
	Max    int64
}

// Groups reads groups (group.Store does).
type Groups interface {
	Group(ctx context.Context, id string, consistent bool) (group.Versioned, bool, error)
}

// Partners creates the partner an approval makes, saving it with save.
type Partners interface {
	CreateWith(ctx context.Context, in partner.NewPartner, save func(partner.Partner) error) (partner.Partner, error)
}

// Links checks the signed links of confirmation e-mails.
type Links interface {
	VerifyConfirmation(token string, now time.Time) (string, error)
}

// Hasher hashes e-mails and addresses under the service's key.
type Hasher interface {
	Hash(s string) string
}

// Limits are how many applications one network address and one e-mail
// submit per window.
type Limits struct {
	PerAddress, PerEmail       int64
	AddressWindow, EmailWindow time.Duration
}

// DefaultLimits: 10 applications an hour from one address, 5 a day from
// one e-mail.
var DefaultLimits = Limits{PerAddress: 10, AddressWindow: time.Hour, PerEmail: 5, EmailWindow: 24 * time.Hour}

// ConfirmWithin is how long a confirmation link works; an application
// not confirmed by then is dropped and the e-mail may apply again.
const ConfirmWithin = 7 * 24 * time.Hour

// Service takes, confirms and decides applications.
type Service struct {
	Store    Store
	Groups   Groups
	Partners Partners
	Links    Links
	Hasher   Hasher
	Limits   Limits
	Now      func() time.Time
	Log      *slog.Logger
}

func newID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return "ap_" + hex.EncodeToString(b)
}

// joinable reads the group an application or a page names; one without a
// join page (the default group until given one) is not there.
func (s *Service) joinable(ctx context.Context, id string) (group.Group, bool, error) {
	v, found, err := s.Groups.Group(ctx, id, false)
	if err != nil || !found || v.Landing == nil {
		return group.Group{}, false, err
	}
	return v.Group, true, nil
}

// Submit checks a submission and stores it as a pending application whose
// e-mail the confirmation e-mail asks to confirm; an e-mail confirmed
// before is confirmed at once, and approved at once when the group's rule
// matches. A filled honeypot answers as if stored and stores nothing.
// address is the sender's network address, counted by its hash.
func (s *Service) Submit(ctx context.Context, sub Submission, address string) (Application, error) {
	if err := bounded(bounds.ID.Check("group", sub.Group)); err != nil {
		return Application{}, err
	}
	g, found, err := s.joinable(ctx, sub.Group)
	if err != nil {
		return Application{}, err
	}
	if !found {
		return Application{}, refused("group", "must name a group with a join page")
	}
	if err := sub.Check(g); err != nil {
		return Application{}, err
	}
	now := s.Now().UTC()
	if sub.IsRobot() {
		return Application{ID: newID(), Status: Pending, SubmittedAt: now}, nil
	}
	a := Application{ID: newID(), GroupID: g.ID, Name: strings.TrimSpace(sub.Name), Email: sub.Email, Country: sub.Country, Website: sub.Website,
		Answers: sub.Answers, Language: cmp.Or(sub.Language, "en"), Status: Pending, SubmittedAt: now,
		EmailHash: s.Hasher.Hash(sub.Email)}
	if a.Answers == nil {
		a.Answers = map[string]any{}
	}
	confirmed, err := s.Store.EmailConfirmed(ctx, a.EmailHash)
	if err != nil {
		return Application{}, err
	}
	limits := []Counted{
		s.counted("ADDR#"+s.Hasher.Hash("ip:"+address), s.limits().PerAddress, s.limits().AddressWindow, now),
		s.counted("EMAIL#"+a.EmailHash, s.limits().PerEmail, s.limits().EmailWindow, now),
	}
	// An unconfirmed application holds the e-mail until its link expires;
	// a confirmed one until it is decided.
	steps, holdUntil, events := []Step{StepSubmitted}, (*time.Time)(nil), []outbox.Event(nil)
	if confirmed {
		a.EmailConfirmedAt = &now
		steps = append(steps, StepConfirmed)
	} else {
		until := now.Add(ConfirmWithin)
		holdUntil = &until
		events = append(events, outbox.New(outbox.ApplicationSubmitted, a.ID, now, mail.Applicant{ApplicationID: a.ID, Email: a.Email, Name: a.Name,
			Language: a.Language, Group: g.Name, Slug: g.Slug, ConfirmBy: until}))
	}
	if err := s.Store.Submit(ctx, a, holdUntil, limits, steps, events); err != nil {
		return Application{}, err
	}
	if confirmed {
		return s.autoApprove(ctx, a, g)
	}
	return a, nil
}

func (s *Service) limits() Limits {
	if s.Limits == (Limits{}) {
		return DefaultLimits
	}
	return s.Limits
}

func (s *Service) counted(key string, max int64, window time.Duration, now time.Time) Counted {
	start := now.Truncate(window)
	return Counted{Key: key, Window: start, Ends: start.Add(window), Max: max}
}

// Confirm confirms the e-mail of the application a signed link names, and
// approves it when the group's rule matches. Following the link again
// answers the application as it is.
func (s *Service) Confirm(ctx context.Context, token string) (Application, error) {
	now := s.Now().UTC()
	id, err := s.Links.VerifyConfirmation(token, now)
	if err != nil {
		return Application{}, ErrInvalidToken
	}
	a, found, err := s.Store.Application(ctx, id)
	switch {
	case err != nil:
		return Application{}, err
	case !found:
		return Application{}, ErrInvalidToken // dropped unconfirmed
	case a.EmailConfirmedAt != nil:
		return a, nil
	}
	a.EmailConfirmedAt = &now
	if err := s.Store.Confirm(ctx, a); errors.Is(err, ErrDecided) {
		return s.Get(ctx, id) // confirmed by a concurrent click
	} else if err != nil {
		return Application{}, err
	}
	g, found, err := s.joinable(ctx, a.GroupID)
	if err != nil || !found {
		return a, err
	}
	return s.autoApprove(ctx, a, g)
}

// autoApprove approves a confirmed application the group's rule matches;
// one that fails stays pending for a person to decide.
func (s *Service) autoApprove(ctx context.Context, a Application, g group.Group) (Application, error) {
	if !AutoApproves(g.AutoApprove, a.Country, a.Email) {
		return a, nil
	}
	approved, err := s.approve(ctx, a, "", AutoApprover)
	if err != nil {
		s.Log.WarnContext(ctx, "auto-approval failed; the application waits for review", "application_id", a.ID, "error", err)
		return a, nil
	}
	return approved, nil
}

// Get reads an application whose e-mail is confirmed.
func (s *Service) Get(ctx context.Context, id string) (Application, error) {
	if bounds.ID.Check("id", id) != nil {
		return Application{}, ErrNotFound
	}
	a, found, err := s.Store.Application(ctx, id)
	if err != nil {
		return Application{}, err
	}
	if !found || a.EmailConfirmedAt == nil {
		return Application{}, ErrNotFound
	}
	return a, nil
}

// Query filters the listing: a status (pending when empty) and a group.
type Query struct {
	Status Status
	Group  string
}

// List pages through the confirmed applications of a status, oldest
// pending first, the newest decided first.
func (s *Service) List(ctx context.Context, q Query, limit int32, cursor string) ([]Application, string, error) {
	q.Status = cmp.Or(q.Status, Pending)
	switch {
	case !slices.Contains(Statuses(), q.Status):
		return nil, "", refused("status", "must be pending, approved or rejected")
	case bounds.ID.Check("group", q.Group) != nil:
		return nil, "", bounded(bounds.ID.Check("group", q.Group))
	}
	return s.Store.Applications(ctx, q, limit, cursor)
}

// Approve makes the applicant a partner of the group, at tier (empty: the
// group's default tier), invites it, and records the decision, all in one
// transaction; a decided application is ErrDecided.
func (s *Service) Approve(ctx context.Context, id string, d Decision, by string) (Application, error) {
	a, err := s.pending(ctx, id)
	if err != nil {
		return Application{}, err
	}
	return s.approve(ctx, a, d.Tier, by)
}

func (s *Service) pending(ctx context.Context, id string) (Application, error) {
	a, err := s.Get(ctx, id)
	if err == nil && a.Status != Pending {
		err = ErrDecided
	}
	return a, err
}

func (s *Service) approve(ctx context.Context, a Application, tier, by string) (Application, error) {
	now := s.Now().UTC()
	decided := a
	decided.Status, decided.DecidedAt, decided.DecidedBy = Approved, &now, by
	in := partner.NewPartner{Name: a.Name, Email: a.Email, Tier: tier, GroupID: a.GroupID}
	p, err := s.Partners.CreateWith(ctx, in, func(p partner.Partner) error {
		decided.PartnerID, decided.Tier = p.ID, p.Tier
		prefs, invitation := mail.Enrolment(p.ID, a.Language, now)
		return s.Store.Decide(ctx, decided, &Joined{Partner: p, Preferences: prefs, Invitation: invitation}, nil, nil)
	})
	if err != nil {
		return Application{}, err
	}
	decided.PartnerID, decided.Tier = p.ID, p.Tier
	return decided, nil
}

// Reject turns the application down for a reason, e-mails the reason to
// the applicant (the note stays with the review) and lets the e-mail apply
// to the group again after its reapply window.
func (s *Service) Reject(ctx context.Context, id string, d Decision, by string) (Application, error) {
	if err := d.checkRejection(); err != nil {
		return Application{}, err
	}
	a, err := s.pending(ctx, id)
	if err != nil {
		return Application{}, err
	}
	g, found, err := s.joinable(ctx, a.GroupID)
	if err != nil {
		return Application{}, err
	}
	reapply := DefaultReapplyAfterDays * 24 * time.Hour
	if found {
		reapply = ReapplyAfter(g)
	}
	now := s.Now().UTC()
	decided := a
	decided.Status, decided.DecidedAt, decided.DecidedBy, decided.Reason, decided.Note = Rejected, &now, by, d.Reason, d.Note
	until := now.Add(reapply)
	evt := outbox.New(outbox.ApplicationRejected, a.ID, now, mail.Applicant{ApplicationID: a.ID, Email: a.Email, Name: a.Name, Language: a.Language,
		Group: cmp.Or(g.Name, a.GroupID), Slug: g.Slug, Reason: string(d.Reason)})
	if err := s.Store.Decide(ctx, decided, nil, &until, []outbox.Event{evt}); err != nil {
		return Application{}, err
	}
	return decided, nil
}
