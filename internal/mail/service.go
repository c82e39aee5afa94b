package mail

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/partner"
)

// Errors of a claim on an e-mail id.
var (
	// ErrSent means the e-mail was sent before: a redelivered job.
	ErrSent = errors.New("e-mail already sent")
	// ErrClaimed means another delivery holds the e-mail's lease.
	ErrClaimed = errors.New("e-mail being sent by another delivery")
)

// Store keeps preferences, the suppression list, sent e-mails and digests.
type Store interface {
	Preferences(ctx context.Context, partnerID string) (Preferences, error)
	SavePreferences(ctx context.Context, partnerID string, p Preferences) error
	Suppressed(ctx context.Context, address string) (bool, error)
	Suppress(ctx context.Context, address, reason string, at time.Time) error
	// Claim takes an e-mail id for sending until the lease ends: ErrSent
	// if it was sent, ErrClaimed while another unexpired claim holds it.
	Claim(ctx context.Context, id string, now, leaseUntil time.Time) error
	MarkSent(ctx context.Context, id, messageID string, at time.Time) error
	Release(ctx context.Context, id string) error
	// DigestPartners lists the partners whose commission moved on a day
	// (the ledger records it with the accrual, in the order's own
	// transaction); DigestLines reads what it booked and took back that day.
	DigestPartners(ctx context.Context, day string) ([]string, error)
	DigestLines(ctx context.Context, ref DigestRef) ([]DigestLine, error)
	// DigestsQueued reports whether a day's digests were all queued;
	// MarkDigestsQueued records it.
	DigestsQueued(ctx context.Context, day string) (bool, error)
	MarkDigestsQueued(ctx context.Context, day string, now time.Time) error
	// Enrol saves a new partner's preferences with its invitation event,
	// if any, in one transaction.
	Enrol(ctx context.Context, partnerID string, p Preferences, events []outbox.Event) error
	// SignedInBefore reports whether a partner's first sign-in is recorded;
	// FirstSignIn records it with its event, in one transaction, unless it
	// was recorded already.
	SignedInBefore(ctx context.Context, partnerID string) (bool, error)
	FirstSignIn(ctx context.Context, partnerID string, evt outbox.Event) error
}

// Queue carries jobs to the mailer.
type Queue interface {
	SendJobs(ctx context.Context, jobs []Job) error
}

// Sender sends one message and returns the provider's message id.
type Sender interface {
	Send(ctx context.Context, m Message) (string, error)
}

// Partners reads the partners mail goes to.
type Partners interface {
	GetPartner(ctx context.Context, id string) (partner.Partner, error)
}

// Service decides, renders and sends e-mail.
type Service struct {
	Store    Store
	Queue    Queue
	Sender   Sender
	Partners Partners
	Signer   Signer
	// BaseURL is the public origin of the portal, console and links.
	BaseURL string
	// FinanceTo are the addresses finance mail goes to (there is no team
	// directory); a batch's creator is left out when its sign-in name is
	// one of them.
	FinanceTo []string
	// Lease is how long a claim keeps other deliveries of the same e-mail
	// off (default 10 minutes).
	Lease time.Duration
	// DigestAfter is how long after a day ends (UTC) its digests go out
	// (default 30 minutes), so the index that lists a day's commissions
	// has caught up with the day's last ones.
	DigestAfter time.Duration
	Now         func() time.Time
	Log         *slog.Logger
}

// Outcome is what became of one e-mail.
type Outcome string

// Outcomes of a delivery.
const (
	Sent       Outcome = "sent"
	Duplicate  Outcome = "duplicate"  // sent before
	OptedOut   Outcome = "opted_out"  // the partner switched the category off
	Suppressed Outcome = "suppressed" // the address bounced or complained
	NoOne      Outcome = "no_one"     // the partner is gone, or the digest empty
)

// partnerKinds are the event types that mail a partner, with their kind.
var partnerKinds = map[string]Kind{
	outbox.PartnerInvited:      KindInvitation,
	outbox.PartnerSignedIn:     KindWelcome,
	outbox.PayoutPaid:          KindPayoutSent,
	outbox.DonationPaid:        KindDonationMade,
	outbox.TierChanged:         KindTierChanged,
	outbox.BadgeAwarded:        KindBadgeAwarded,
	outbox.RedemptionFulfilled: KindRedemptionFulfilled,
	outbox.GoalLevelReached:    KindGoalReached,
	outbox.SubmissionApproved:  KindSubmissionApproved,
	outbox.SubmissionRejected:  KindSubmissionRejected,
}

// financeKinds are the event types that mail finance.
var financeKinds = map[string]Kind{
	outbox.BatchAwaitingApproval: KindBatchAwaitingApproval,
	outbox.PayoutFailed:          KindPayoutFailed,
}

// Wants makes e-mail a built-in subscriber: the events that mail are
// always recorded (finance's only when finance addresses are configured).
// Commissions are not among them: the daily digest reads what the order's
// own transaction wrote (see SendDigests), so an order pays no event for it.
func (s *Service) Wants(_ context.Context, eventType string) bool {
	if _, ok := financeKinds[eventType]; ok {
		return len(s.FinanceTo) > 0
	}
	_, ok := partnerKinds[eventType]
	_, applicant := applicantKinds[eventType]
	return ok || applicant
}

// eventData is every field the mailed events carry that e-mails use.
type eventData struct {
	PartnerID  string         `json:"partner_id"`
	OrderID    string         `json:"order_id"`
	Currency   money.Currency `json:"currency"`
	Amount     int64          `json:"amount"`
	Reference  string         `json:"reference"`
	CharityID  string         `json:"charity_id"`
	BatchID    string         `json:"batch_id"`
	ItemID     string         `json:"item_id"`
	Leg        string         `json:"leg"`
	From       string         `json:"from"`
	To         string         `json:"to"`
	Name       string         `json:"name"`
	RewardName string         `json:"reward_name"`
	Quantity   int64          `json:"quantity"`
	CreatedBy  string         `json:"created_by"`
	Reason     string         `json:"reason"`
	// A goal's level reached in a period, with the bonus (Amount) and the
	// donation it brings.
	GoalID   string `json:"goal_id"`
	Level    int    `json:"level"`
	Period   string `json:"period"`
	Donation int64  `json:"donation"`
	// The challenge a submission was made to.
	ChallengeName string `json:"challenge_name"`
	// The charity of a donation, by name (events recorded before it was
	// carried name it by id only).
	CharityName string `json:"charity_name"`
}

// Forward turns one outbox event into mail work: one job per recipient of
// the events that mail. Forwarding an event twice queues the same jobs,
// which are sent once.
func (s *Service) Forward(ctx context.Context, evt outbox.Event) error {
	if kind, ok := applicantKinds[evt.Type]; ok {
		return s.forwardToApplicant(ctx, evt, kind)
	}
	var d eventData
	if err := json.Unmarshal(evt.Data, &d); err != nil {
		return fmt.Errorf("event %s: %w", evt.ID, err)
	}
	var jobs []Job
	if kind, ok := financeKinds[evt.Type]; ok {
		for _, to := range s.FinanceTo {
			if !strings.EqualFold(to, d.CreatedBy) {
				jobs = append(jobs, Job{ID: JobID(evt.ID, to, kind), Kind: kind, To: to, At: evt.CreatedAt, Data: evt.Data})
			}
		}
	} else if kind, ok := partnerKinds[evt.Type]; ok {
		jobs = append(jobs, Job{ID: JobID(evt.ID, d.PartnerID, kind), Kind: kind, PartnerID: d.PartnerID, At: evt.CreatedAt, Data: evt.Data})
	}
	if len(jobs) == 0 {
		return nil
	}
	return s.Queue.SendJobs(ctx, jobs)
}

// DigestDays is how many complete days a digest run looks back on, so a
// run that failed for a day or two catches up.
const DigestDays = 3

// SendDigests queues the digest of every partner whose commission moved
// on a complete day (ended DigestAfter ago) not queued yet, one job per
// partner and day, and returns how many. A run that stops halfway queues
// the day again; the jobs' ids keep each digest to one e-mail.
func (s *Service) SendDigests(ctx context.Context) (int, error) {
	now := s.Now().UTC()
	lastComplete := now.Add(-cmp.Or(s.DigestAfter, 30*time.Minute)).AddDate(0, 0, -1)
	queued := 0
	for back := DigestDays - 1; back >= 0; back-- {
		day := lastComplete.AddDate(0, 0, -back).Format(time.DateOnly)
		done, err := s.Store.DigestsQueued(ctx, day)
		if err != nil {
			return queued, err
		}
		if done {
			continue
		}
		partners, err := s.Store.DigestPartners(ctx, day)
		if err != nil {
			return queued, err
		}
		for _, id := range partners {
			job := Job{ID: JobID("digest:"+day, id, KindDigest), Kind: KindDigest, PartnerID: id, Day: day, At: now}
			if err := s.Queue.SendJobs(ctx, []Job{job}); err != nil {
				return queued, err
			}
			queued++
		}
		if err := s.Store.MarkDigestsQueued(ctx, day, now); err != nil {
			return queued, err
		}
	}
	return queued, nil
}

// Deliver renders one job and sends it, once.
func (s *Service) Deliver(ctx context.Context, job Job) (Outcome, error) {
	if job.Kind.toApplicant() {
		return s.deliverToApplicant(ctx, job)
	}
	var d eventData
	if len(job.Data) > 0 {
		if err := json.Unmarshal(job.Data, &d); err != nil {
			return "", fmt.Errorf("job %s: %w", job.ID, err)
		}
	}
	if !job.Kind.ToPartner() {
		loc := LocaleOf("en")
		return s.send(ctx, job.ID, job.To, loc, s.financeContent(loc, job, d))
	}
	return s.SendToPartner(ctx, job.ID, job.PartnerID, job.Kind.Category(), func(p partner.Partner, loc Locale) (Content, error) {
		return s.partnerContent(ctx, loc, job, d, p)
	})
}

// errNothingToSay is a composed e-mail with nothing in it (an empty digest).
var errNothingToSay = errors.New("nothing to say")

// SendToPartner sends the e-mail id, composed in the partner's language,
// unless the partner switched its category off or its address is
// suppressed; a non-transactional one carries the one-click unsubscribe
// headers. An id sent before is not sent again.
func (s *Service) SendToPartner(ctx context.Context, id, partnerID string, c Category, compose func(partner.Partner, Locale) (Content, error)) (Outcome, error) {
	p, err := s.Partners.GetPartner(ctx, partnerID)
	if errors.Is(err, partner.ErrNotFound) {
		return NoOne, nil
	}
	if err != nil {
		return "", err
	}
	prefs, err := s.Store.Preferences(ctx, p.ID)
	if err != nil {
		return "", err
	}
	if !prefs.Allows(c) {
		return OptedOut, nil
	}
	loc := LocaleOf(prefs.Language)
	content, err := compose(p, loc)
	if errors.Is(err, errNothingToSay) {
		return NoOne, nil
	}
	if err != nil {
		return "", err
	}
	if c != Transactional {
		content.Unsubscribe = s.BaseURL + "/unsubscribe/" + s.Signer.Token(p.ID, c)
	}
	return s.send(ctx, id, p.Email, loc, content)
}

// send claims the id, sends and marks it sent. A crash between sending
// and marking leaves the claim to expire after Lease; the job's redelivery
// then sends again: at least once, and twice only in that window.
func (s *Service) send(ctx context.Context, id, to string, loc Locale, c Content) (Outcome, error) {
	suppressed, err := s.Store.Suppressed(ctx, to)
	if err != nil {
		return "", err
	}
	if suppressed {
		return Suppressed, nil
	}
	subject, text, html, err := loc.Render(c)
	if err != nil {
		return "", fmt.Errorf("render %s: %w", c.Kind, err)
	}
	m := Message{To: to, Subject: subject, Text: text, HTML: html}
	if c.Unsubscribe != "" {
		m.Headers = []Header{{"List-Unsubscribe", "<" + c.Unsubscribe + ">"}, {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}}
	}
	now := s.Now().UTC()
	switch err := s.Store.Claim(ctx, id, now, now.Add(cmp.Or(s.Lease, 10*time.Minute))); {
	case errors.Is(err, ErrSent):
		return Duplicate, nil
	case err != nil:
		return "", err
	}
	messageID, err := s.Sender.Send(ctx, m)
	if err != nil {
		if rerr := s.Store.Release(ctx, id); rerr != nil {
			s.Log.WarnContext(ctx, "e-mail claim not released; it is retried after its lease", "mail_id", id, "error", rerr)
		}
		return "", fmt.Errorf("send %s: %w", c.Kind, err)
	}
	if err := s.Store.MarkSent(ctx, id, messageID, s.Now().UTC()); err != nil {
		// Sent: failing the job would only send it again after the lease.
		s.Log.WarnContext(ctx, "sent e-mail not marked", "mail_id", id, "message_id", messageID, "error", err)
	}
	return Sent, nil
}

// portal is the URL of a portal page.
func (s *Service) portal(page string) string { return s.BaseURL + "/portal/#/" + page }

func (s *Service) partnerContent(ctx context.Context, loc Locale, job Job, d eventData, p partner.Partner) (Content, error) {
	c := Content{Kind: job.Kind, Facts: Facts{Name: p.Name, Reference: d.Reference}}
	switch job.Kind {
	case KindInvitation:
		c.Page = s.BaseURL + "/portal/"
	case KindWelcome:
		c.Page, c.Facts.Link = s.portal("home"), s.BaseURL+"/r/"+p.ReferralCode
	case KindDigest:
		c.Page = s.portal("statement")
		lines, err := s.Store.DigestLines(ctx, DigestRef{PartnerID: p.ID, Day: job.Day})
		if err != nil {
			return Content{}, err
		}
		if len(lines) == 0 {
			return Content{}, errNothingToSay
		}
		day, err := time.Parse(time.DateOnly, job.Day)
		if err != nil {
			return Content{}, fmt.Errorf("digest day %q: %w", job.Day, err)
		}
		c.Facts.Day = loc.Date(day)
		c.Rows, c.Facts.Total = digestRows(loc, lines)
	case KindPayoutSent:
		method := partner.MethodManual
		if p.Payout != nil {
			method = p.Payout.Method
		}
		c.Page, c.Facts.Amount, c.Facts.Method = s.portal("statement"), loc.Money(d.Amount, d.Currency), loc.Method(method)
	case KindDonationMade:
		c.Page, c.Facts.Amount, c.Facts.Charity = s.portal("statement"), loc.Money(d.Amount, d.Currency), cmp.Or(d.CharityName, d.CharityID)
	case KindTierChanged:
		c.Page, c.Facts.From, c.Facts.Tier = s.portal("home"), loc.Tier(d.From), loc.Tier(d.To)
	case KindBadgeAwarded:
		c.Page, c.Facts.Badge = s.portal("rewards"), d.Name
	case KindRedemptionFulfilled:
		c.Page, c.Facts.Reward, c.Facts.Quantity = s.portal("rewards"), d.RewardName, d.Quantity
	case KindGoalReached:
		c.Page, c.Facts.Goal, c.Facts.Level, c.Facts.Period = s.portal("home"), d.GoalID, d.Level, d.Period
		if d.Amount > 0 {
			c.Facts.Amount = loc.Money(d.Amount, d.Currency)
		}
		if d.Donation > 0 {
			c.Facts.Donation = loc.Money(d.Donation, d.Currency)
		}
	case KindSubmissionApproved, KindSubmissionRejected:
		c.Page, c.Facts.Challenge, c.Facts.Reason = s.portal("rewards"), d.ChallengeName, d.Reason
	default:
		return Content{}, fmt.Errorf("no e-mail of kind %q for a partner", job.Kind)
	}
	return c, nil
}

// digestRows are a day's orders, oldest first, with reversals as negative
// lines, and the day's total per currency.
func digestRows(loc Locale, lines []DigestLine) ([]Row, string) {
	slices.SortFunc(lines, func(a, b DigestLine) int { return a.At.Compare(b.At) })
	totals := map[money.Currency]int64{}
	var rows []Row
	for _, l := range lines {
		cur, amount, label := money.Currency(l.Currency), l.Amount, loc.Word("order")
		if l.Reversal {
			amount, label = -amount, loc.Word("refund")
		}
		totals[cur] += amount
		rows = append(rows, Row{Label: label + " " + l.OrderID, Amount: loc.Money(amount, cur)})
	}
	var sums []string
	for _, cur := range slices.Sorted(maps.Keys(totals)) {
		sums = append(sums, loc.Money(totals[cur], cur))
	}
	total := strings.Join(sums, ", ")
	return append(rows, Row{Label: loc.Word("total"), Amount: total}), total
}

func (s *Service) financeContent(loc Locale, job Job, d eventData) Content {
	f := Facts{Batch: d.BatchID, By: d.CreatedBy, Day: loc.Date(job.At), Partner: d.PartnerID, Item: d.ItemID, Reason: d.Reason,
		Method: d.Leg}
	if d.Currency != "" {
		f.Amount = loc.Money(d.Amount, d.Currency)
	}
	return Content{Kind: job.Kind, Facts: f, Page: s.BaseURL + "/console/"}
}

// Preferences returns a partner's preferences, every category named.
func (s *Service) Preferences(ctx context.Context, partnerID string) (Preferences, error) {
	if _, err := s.Partners.GetPartner(ctx, partnerID); err != nil {
		return Preferences{}, err
	}
	p, err := s.Store.Preferences(ctx, partnerID)
	if err != nil {
		return Preferences{}, err
	}
	all := DefaultPreferences()
	all.Language = cmp.Or(p.Language, all.Language)
	for _, c := range Categories() {
		all.Categories[c] = p.Allows(c)
	}
	return all, nil
}

// UpdatePreferences applies a change to a partner's preferences.
func (s *Service) UpdatePreferences(ctx context.Context, partnerID string, c Change) (Preferences, error) {
	cur, err := s.Preferences(ctx, partnerID)
	if err != nil {
		return Preferences{}, err
	}
	next, err := cur.Apply(c)
	if err != nil {
		return Preferences{}, err
	}
	return next, s.Store.SavePreferences(ctx, partnerID, next)
}

// Unsubscribe switches off the category a signed link names and returns
// it with the partner's locale.
func (s *Service) Unsubscribe(ctx context.Context, token string) (Category, Locale, error) {
	id, c, err := s.Signer.Verify(token)
	if err != nil {
		return "", Locale{}, err
	}
	cur, err := s.Store.Preferences(ctx, id)
	if err != nil {
		return "", Locale{}, err
	}
	next, err := cur.Apply(Change{Categories: map[Category]bool{c: false}})
	if err != nil {
		return "", Locale{}, err
	}
	return c, LocaleOf(next.Language), s.Store.SavePreferences(ctx, id, next)
}

// CheckUnsubscribe tells what a link would switch off, without doing it
// (the confirmation page a GET shows: link scanners follow GETs).
func (s *Service) CheckUnsubscribe(ctx context.Context, token string) (Category, Locale, error) {
	id, c, err := s.Signer.Verify(token)
	if err != nil {
		return "", Locale{}, err
	}
	prefs, err := s.Store.Preferences(ctx, id)
	return c, LocaleOf(prefs.Language), err
}

// Enrol records a new partner's language and, when invite is set, its
// invitation e-mail. The language was checked before the partner was
// created (CheckLanguage), so a refused request writes nothing.
func (s *Service) Enrol(ctx context.Context, partnerID, language string, invite bool) error {
	prefs, invitation := Enrolment(partnerID, language, s.Now().UTC())
	var events []outbox.Event
	if invite {
		events = append(events, invitation)
	}
	return s.Store.Enrol(ctx, partnerID, prefs, events)
}

// Enrolment is a new partner's preferences (every category on, in the
// language, English if none) and the event of its invitation e-mail, for
// the transaction that creates the partner.
func Enrolment(partnerID, language string, now time.Time) (Preferences, outbox.Event) {
	prefs := DefaultPreferences()
	prefs.Language = cmp.Or(language, prefs.Language)
	return prefs, outbox.New(outbox.PartnerInvited, partnerID, now, map[string]any{"partner_id": partnerID, "at": now})
}

// SignedIn records a partner's first sign-in, which sends the welcome
// e-mail; later sign-ins cost one read.
func (s *Service) SignedIn(ctx context.Context, partnerID string) error {
	before, err := s.Store.SignedInBefore(ctx, partnerID)
	if err != nil || before {
		return err
	}
	now := s.Now().UTC()
	return s.Store.FirstSignIn(ctx, partnerID, outbox.New(outbox.PartnerSignedIn, partnerID, now, map[string]any{"partner_id": partnerID, "at": now}))
}

// Feedback is a bounce or complaint the provider reported.
type Feedback struct {
	Type      string // Bounce or Complaint
	Permanent bool   // a hard bounce; soft ones are retried by the provider
	Addresses []string
	At        time.Time
}

// Suppress puts the addresses of a hard bounce or a complaint on the
// suppression list: nothing is sent to them again (a partner who changes
// its e-mail gets mail at the new address).
func (s *Service) Suppress(ctx context.Context, f Feedback) (int, error) {
	if f.Type == "Bounce" && !f.Permanent {
		return 0, nil
	}
	for i, a := range f.Addresses {
		if err := s.Store.Suppress(ctx, a, strings.ToLower(f.Type), f.At); err != nil {
			return i, err
		}
	}
	return len(f.Addresses), nil
}
