// Package messages holds the broadcasts finance writes to partners: each
// reaches the inbox of every partner of its audience in the portal and,
// where the partner allows announcements, its mailbox; partners reply to
// them and finance reads the thread.
//
// A broadcast is sent in pages from a queue: a page e-mails its recipients
// at the rate SES allows, then records its counts (and, for a targeted
// audience, its recipients' inbox entries) in one transaction under a
// marker of its own, so a page redelivered after a crash neither counts
// twice nor, since each recipient's e-mail has an id of its own that the
// mail service claims, mails twice.
package messages

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/program"
)

// Bounds of a broadcast and a reply.
var (
	SubjectLimit = bounds.Limit{Max: 200, Chars: true}
	BodyLimit    = bounds.Limit{Max: 20000, Chars: true}
	ReplyLimit   = bounds.Limit{Max: 2000, Chars: true}
)

// MaxPartnerIDs is the most partners an audience may name one by one;
// larger audiences are tiers or everyone.
const MaxPartnerIDs = 1000

// MaxScheduleAhead is how far ahead a broadcast may be scheduled.
const MaxScheduleAhead = 365 * 24 * time.Hour

// Errors of the routes.
var (
	ErrInvalid  = errors.New("invalid message")
	ErrNotFound = errors.New("message not found")
	// ErrPageDone is the store's answer to a page committed before.
	ErrPageDone = errors.New("page already committed")
	// ErrRetry is the mailer's answer for an e-mail another delivery is
	// sending (a page redelivered while the crashed one's claim lasts).
	ErrRetry = errors.New("e-mail held by another delivery; retry later")
)

// invalid is a refused field: it is ErrInvalid and names the field.
func invalid(field, reason string) error {
	return invalidBounds(&bounds.Error{Field: field, Reason: reason})
}

// invalidBounds makes a refused string (a *bounds.Error) ErrInvalid.
func invalidBounds(err error) error { return fmt.Errorf("%w: %w", ErrInvalid, err) }

// Audience is who a broadcast goes to: every partner, or the partners of
// some tiers and some partners by id (both together add up).
type Audience struct {
	All        bool           `json:"all,omitempty" dynamodbav:"all,omitempty"`
	Tiers      []program.Tier `json:"tiers,omitempty" dynamodbav:"tiers,omitempty"`
	PartnerIDs []string       `json:"partner_ids,omitempty" dynamodbav:"partner_ids,omitempty"`
}

// check refuses an empty or contradictory audience, unknown tiers and too
// many or over-long ids; it returns the audience with ids and tiers
// deduplicated.
func (a Audience) check() (Audience, error) {
	switch {
	case a.All && (len(a.Tiers) > 0 || len(a.PartnerIDs) > 0):
		return a, invalid("audience.all", "cannot be combined with tiers or partner_ids")
	case !a.All && len(a.Tiers) == 0 && len(a.PartnerIDs) == 0:
		return a, invalid("audience", "must name all, tiers or partner_ids")
	case len(a.PartnerIDs) > MaxPartnerIDs:
		return a, invalid("audience.partner_ids", fmt.Sprintf("must list at most %d partners; write to tiers or to all for more", MaxPartnerIDs))
	}
	for i, t := range a.Tiers {
		if !slices.Contains(program.Tiers(), t) {
			return a, invalid(fmt.Sprintf("audience.tiers[%d]", i), "must be authorized, silver or gold")
		}
	}
	for i, id := range a.PartnerIDs {
		if id == "" {
			return a, invalid(fmt.Sprintf("audience.partner_ids[%d]", i), "must not be empty")
		}
		if err := bounds.ID.Check(fmt.Sprintf("audience.partner_ids[%d]", i), id); err != nil {
			return a, invalidBounds(err)
		}
	}
	out := Audience{All: a.All, Tiers: slices.Compact(slices.Sorted(slices.Values(a.Tiers)))}
	for _, id := range a.PartnerIDs {
		if !slices.Contains(out.PartnerIDs, id) {
			out.PartnerIDs = append(out.PartnerIDs, id)
		}
	}
	return out, nil
}

// inTiers reports whether a partner is reached through the audience's
// tiers (or everyone): active partners only.
func (a Audience) inTiers(p partner.Partner) bool {
	return p.Status == partner.StatusActive && (a.All || slices.Contains(a.Tiers, p.Tier))
}

// Draft is a broadcast as finance writes it.
type Draft struct {
	Subject  string     `json:"subject"`
	Body     Markdown   `json:"body"`
	Audience Audience   `json:"audience"`
	SendAt   *time.Time `json:"send_at"`
}

// Status of a broadcast.
type Status string

const (
	StatusScheduled Status = "scheduled" // waits for send_at
	StatusSending   Status = "sending"   // in the inboxes; e-mails going out page by page
	StatusSent      Status = "sent"      // every page done
)

// Counts are what became of a broadcast's e-mails: recipients is everyone
// it reached, each of whom was sent an e-mail, suppressed (opted out of
// announcements, or an address on the suppression list) or failed (SES
// refused it).
type Counts struct {
	Recipients int64 `json:"recipients" dynamodbav:"recipients"`
	Sent       int64 `json:"sent" dynamodbav:"sent"`
	Suppressed int64 `json:"suppressed" dynamodbav:"suppressed"`
	Failed     int64 `json:"failed" dynamodbav:"failed"`
}

// Message is a broadcast.
type Message struct {
	ID       string   `json:"id" dynamodbav:"id"`
	Subject  string   `json:"subject" dynamodbav:"subject"`
	Body     Markdown `json:"body" dynamodbav:"body"`
	HTML     string   `json:"html" dynamodbav:"-"` // the body rendered, filled on reading
	Audience Audience `json:"audience" dynamodbav:"audience"`
	// SendAt is when it reaches the inboxes (and the e-mails start).
	SendAt     time.Time  `json:"send_at" dynamodbav:"send_at"`
	Status     Status     `json:"status" dynamodbav:"status"`
	CreatedBy  string     `json:"created_by" dynamodbav:"created_by"`
	CreatedAt  time.Time  `json:"created_at" dynamodbav:"created_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty" dynamodbav:"finished_at,omitempty"`
	Counts
	Replies int64 `json:"replies" dynamodbav:"replies"`
	// Challenge, set on the notice of a challenge's start, makes each
	// recipient's e-mail the challenge-started one (engagement mail in the
	// partner's language) rather than the broadcast's own words.
	Challenge *ChallengeNotice `json:"challenge,omitempty" dynamodbav:"challenge,omitempty"`
}

// ChallengeNotice is the challenge a start notice tells of.
type ChallengeNotice struct {
	ID     string    `json:"id" dynamodbav:"id"`
	Name   string    `json:"name" dynamodbav:"name"`
	EndsAt time.Time `json:"ends_at" dynamodbav:"ends_at"`
}

// ChallengeStarted is the broadcast telling a challenge's audience (its
// tiers, or every partner) that it started. It is due at the challenge's
// start, so the scheduler that sends broadcasts sends it then, through
// the same paced, resumable fan-out; its id follows from the challenge's,
// so a challenge has one notice.
func ChallengeStarted(n ChallengeNotice, description string, tiers []program.Tier, startsAt time.Time, by string, now time.Time) Message {
	body := strings.TrimSpace(description)
	if body == "" {
		body = n.Name
	}
	sendAt := now
	if startsAt.After(now) {
		sendAt = startsAt.UTC()
	}
	return Message{ID: ChallengeNoticeID(n.ID), Subject: n.Name, Body: Markdown(body),
		Audience: Audience{All: len(tiers) == 0, Tiers: slices.Clone(tiers)}, SendAt: sendAt, Status: StatusScheduled,
		CreatedBy: by, CreatedAt: now, Challenge: &n}
}

// ChallengeNoticeID is the id of the start notice of the challenge id.
func ChallengeNoticeID(challengeID string) string { return "msg_challenge_" + challengeID }

func (m Message) rendered() Message {
	m.HTML = m.Body.Render().HTML
	return m
}

// Reply is a partner's answer to a broadcast.
type Reply struct {
	ID          string    `json:"id" dynamodbav:"id"`
	MessageID   string    `json:"message_id" dynamodbav:"message_id"`
	PartnerID   string    `json:"partner_id" dynamodbav:"partner_id"`
	PartnerName string    `json:"partner_name" dynamodbav:"partner_name"`
	Body        string    `json:"body" dynamodbav:"body"`
	At          time.Time `json:"at" dynamodbav:"at"`
}

// InboxItem is a broadcast as a partner's inbox shows it.
type InboxItem struct {
	ID      string     `json:"id"`
	Subject string     `json:"subject"`
	Body    Markdown   `json:"body"`
	HTML    string     `json:"html"`
	At      time.Time  `json:"at"`
	ReadAt  *time.Time `json:"read_at,omitempty"`
}

// Inbox is a page of a partner's inbox, newest first, with the count of
// all its unread messages.
type Inbox struct {
	Messages   []InboxItem `json:"messages"`
	Unread     int64       `json:"unread"`
	NextCursor string      `json:"next_cursor"`
}

// Preview is a broadcast's e-mail as a partner reading one language gets it.
type Preview struct {
	Language string `json:"language"`
	Subject  string `json:"subject"`
	HTML     string `json:"html"`
	Text     string `json:"text"`
}

// Outcome is what became of one recipient's e-mail.
type Outcome int

const (
	Sent       Outcome = iota // sent now or by an earlier delivery of the page
	Suppressed                // opted out, or the address is suppressed
)

// Store keeps broadcasts, their fan-out pages, inboxes and replies.
type Store interface {
	CreateMessage(ctx context.Context, m Message) error
	GetMessage(ctx context.Context, id string) (Message, error)
	GetMessages(ctx context.Context, ids []string) (map[string]Message, error)
	MessagesPage(ctx context.Context, limit int32, cursor string) ([]Message, string, error)
	// MissingPartners returns the ids of ids that name no partner.
	MissingPartners(ctx context.Context, ids []string) ([]string, error)
	// DueMessages lists the broadcasts due at now whose first page is not
	// queued yet; StartMessage puts a scheduled one into the inboxes
	// (sending); Queued takes it off the due list.
	DueMessages(ctx context.Context, now time.Time) ([]Message, error)
	StartMessage(ctx context.Context, m Message) error
	Queued(ctx context.Context, id string) error
	// Shards is how many parts the partner list is read in;
	// PartnersPage reads up to limit partners of a part after the id
	// after, and reports whether more follow.
	Shards() int
	PartnersPage(ctx context.Context, shard int, after string, limit int32) ([]partner.Partner, bool, error)
	GetPartner(ctx context.Context, id string) (partner.Partner, error)
	// PageDone reports whether a page was committed; CommitPage records
	// its counts, its recipients' inbox entries and, on the last page,
	// the end of the broadcast, once (ErrPageDone after the first time).
	PageDone(ctx context.Context, messageID, page string) (bool, error)
	CommitPage(ctx context.Context, m Message, page string, c PageCommit) error
	// InboxPage lists a partner's inbox entries, newest first: its own
	// and the broadcasts to all partners since it joined.
	InboxPage(ctx context.Context, partnerID string, joined time.Time, limit int32, cursor string) ([]InboxEntry, string, error)
	HasInboxEntry(ctx context.Context, partnerID string, m Message) (bool, error)
	Unread(ctx context.Context, partnerID string, joined time.Time) (int64, error)
	ReadMarks(ctx context.Context, partnerID string, ids []string) (map[string]time.Time, error)
	// MarkRead records the first read and returns its time.
	MarkRead(ctx context.Context, partnerID, messageID string, at time.Time) (time.Time, error)
	AddReply(ctx context.Context, r Reply) error
	RepliesPage(ctx context.Context, messageID string, limit int32, cursor string) ([]Reply, string, error)
}

// PageCommit is what one page of a broadcast did.
type PageCommit struct {
	Counts
	// Inboxes are the recipients whose inbox gets an entry (a targeted
	// audience's; a broadcast to all is in every inbox once).
	Inboxes []string
	Last    bool
	At      time.Time
}

// InboxEntry places a broadcast in a partner's inbox.
type InboxEntry struct {
	MessageID string
	At        time.Time
}

// Mailer e-mails a broadcast to a partner, once per broadcast and partner
// however often it is asked, and previews it in a language.
type Mailer interface {
	Announce(ctx context.Context, m Message, partnerID string) (Outcome, error)
	Preview(m Message, language string) (Preview, error)
	Languages() []string
}

// Pages carries fan-out pages to the worker that sends them.
type Pages interface {
	SendPage(ctx context.Context, p Page) error
}

// Service writes, sends and shows broadcasts.
type Service struct {
	Store  Store
	Mailer Mailer
	Pages  Pages
	// Rate is how many e-mails a second a broadcast sends at most (a share
	// of the SES sending quota); 0 is no limit.
	Rate  float64
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Create checks a draft and stores it, to be sent at send_at (or now).
func (s *Service) Create(ctx context.Context, d Draft, by string) (Message, error) {
	now := s.Now().UTC()
	subject := strings.TrimSpace(d.Subject)
	switch {
	case subject == "":
		return Message{}, invalid("subject", "must not be empty")
	case strings.ContainsAny(subject, "\r\n"):
		return Message{}, invalid("subject", "must be one line")
	case strings.TrimSpace(string(d.Body)) == "":
		return Message{}, invalid("body", "must not be empty")
	}
	if err := bounds.First(SubjectLimit.Check("subject", subject), BodyLimit.Check("body", string(d.Body))); err != nil {
		return Message{}, invalidBounds(err)
	}
	aud, err := d.Audience.check()
	if err != nil {
		return Message{}, err
	}
	sendAt := now
	if d.SendAt != nil {
		if d.SendAt.After(now.Add(MaxScheduleAhead)) {
			return Message{}, invalid("send_at", "must be within a year")
		}
		if d.SendAt.After(now) {
			sendAt = d.SendAt.UTC()
		}
	}
	if len(aud.PartnerIDs) > 0 {
		missing, err := s.Store.MissingPartners(ctx, aud.PartnerIDs)
		if err != nil {
			return Message{}, err
		}
		if len(missing) > 0 {
			return Message{}, invalid(fmt.Sprintf("audience.partner_ids[%d]", slices.Index(aud.PartnerIDs, missing[0])), "is not a partner: "+missing[0])
		}
	}
	m := Message{ID: "msg_" + randomHex(8), Subject: subject, Body: d.Body, Audience: aud, SendAt: sendAt, Status: StatusScheduled,
		CreatedBy: by, CreatedAt: now}
	if err := s.Store.CreateMessage(ctx, m); err != nil {
		return Message{}, err
	}
	return m.rendered(), nil
}

// Get reads a broadcast with its counts.
func (s *Service) Get(ctx context.Context, id string) (Message, error) {
	m, err := s.Store.GetMessage(ctx, id)
	return m.rendered(), err
}

// List pages through the broadcasts, newest first.
func (s *Service) List(ctx context.Context, limit int32, cursor string) ([]Message, string, error) {
	ms, next, err := s.Store.MessagesPage(ctx, limit, cursor)
	for i := range ms {
		ms[i] = ms[i].rendered()
	}
	return ms, next, err
}

// Preview renders a draft's e-mail in every language, as a partner gets it.
func (s *Service) Preview(subject string, body Markdown) ([]Preview, error) {
	if err := bounds.First(SubjectLimit.Check("subject", subject), BodyLimit.Check("body", string(body))); err != nil {
		return nil, invalidBounds(err)
	}
	m := Message{Subject: strings.Join(strings.Fields(subject), " "), Body: body}
	var out []Preview
	for _, lang := range s.Mailer.Languages() {
		p, err := s.Mailer.Preview(m, lang)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// StartDue puts every broadcast whose time has come into the inboxes and
// queues its first page; it returns how many it started. A start that
// fails half-way is finished by the next run.
func (s *Service) StartDue(ctx context.Context) (int, error) {
	due, err := s.Store.DueMessages(ctx, s.Now().UTC())
	if err != nil {
		return 0, err
	}
	for i, m := range due {
		if m.Status == StatusScheduled {
			if err := s.Store.StartMessage(ctx, m); err != nil {
				return i, err
			}
		}
		if err := s.Pages.SendPage(ctx, Page{MessageID: m.ID}); err != nil {
			return i, err
		}
		if err := s.Store.Queued(ctx, m.ID); err != nil {
			return i, err
		}
	}
	return len(due), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}
