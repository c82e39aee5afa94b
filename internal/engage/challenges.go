package engage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/messages"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/program"
)

// Challenge kinds and measures.
const (
	KindSales = "sales"
	KindTask  = "task"

	MeasureRevenue = "revenue"
	MeasureUnits   = "units"
	MeasureOrders  = "orders"
)

// Challenge is a time-boxed aim: sales reaching a target within
// [StartsAt, EndsAt), or a task finance approves.
type Challenge struct {
	ID          string         `json:"id" dynamodbav:"id"`
	Name        string         `json:"name" dynamodbav:"name"`
	Description string         `json:"description" dynamodbav:"description"`
	StartsAt    time.Time      `json:"starts_at" dynamodbav:"starts_at"`
	EndsAt      time.Time      `json:"ends_at" dynamodbav:"ends_at"`
	Kind        string         `json:"kind" dynamodbav:"kind"`
	Measure     string         `json:"measure,omitempty" dynamodbav:"measure,omitempty"`
	Category    string         `json:"category,omitempty" dynamodbav:"category,omitempty"`
	Currency    money.Currency `json:"currency,omitempty" dynamodbav:"currency,omitempty"`
	Target      int64          `json:"target,omitempty" dynamodbav:"target,omitempty"`
	Tiers       []program.Tier `json:"tiers,omitempty" dynamodbav:"tiers,omitempty"` // empty: every tier
	Reward      Prize          `json:"reward" dynamodbav:"reward"`
	CreatedAt   time.Time      `json:"created_at" dynamodbav:"created_at"`
	CreatedBy   string         `json:"created_by" dynamodbav:"created_by"`
	UpdatedAt   *time.Time     `json:"updated_at,omitempty" dynamodbav:"updated_at,omitempty"`
	UpdatedBy   string         `json:"updated_by,omitempty" dynamodbav:"updated_by,omitempty"`
	// Completions and Submissions count partners who completed it and
	// submissions received (finance's view).
	Completions int64 `json:"completions" dynamodbav:"completions"`
	Submissions int64 `json:"submissions" dynamodbav:"submissions"`
}

// Prize is what completing a challenge earns: points, money (an accrual
// paid like a goal bonus) and a badge, in any combination.
type Prize struct {
	Points int64                    `json:"points,omitempty" dynamodbav:"points,omitempty"`
	Amount map[money.Currency]int64 `json:"amount,omitempty" dynamodbav:"amount,omitempty"`
	Badge  string                   `json:"badge,omitempty" dynamodbav:"badge,omitempty"`
}

// ChallengeView is a challenge as a partner sees it.
type ChallengeView struct {
	Challenge
	Progress    *int64     `json:"progress,omitempty" dynamodbav:"progress,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty" dynamodbav:"completed_at,omitempty"`
}

// Submission statuses.
const (
	SubmissionPending  = "pending"
	SubmissionApproved = "approved"
	SubmissionRejected = "rejected"
)

// Submission is a partner's proof of a task.
type Submission struct {
	ID          string     `json:"id" dynamodbav:"id"`
	ChallengeID string     `json:"challenge_id" dynamodbav:"challenge_id"`
	PartnerID   string     `json:"partner_id" dynamodbav:"partner_id"`
	Text        string     `json:"text" dynamodbav:"text"`
	URLs        []string   `json:"urls" dynamodbav:"urls"`
	Status      string     `json:"status" dynamodbav:"status"`
	Reason      string     `json:"reason,omitempty" dynamodbav:"reason,omitempty"`
	SubmittedAt time.Time  `json:"submitted_at" dynamodbav:"submitted_at"`
	DecidedAt   *time.Time `json:"decided_at,omitempty" dynamodbav:"decided_at,omitempty"`
	DecidedBy   string     `json:"decided_by,omitempty" dynamodbav:"decided_by,omitempty"`
}

// Completion is a partner completing a challenge, with the points it
// earns; Submission is the approved one for a task.
type Completion struct {
	Challenge  Challenge
	PartnerID  string
	At         time.Time
	Credit     *Credit
	Events     []outbox.Event
	Submission *Submission
}

func (c Challenge) validate(prog program.Program) error {
	switch {
	case c.ID != "" && (len(c.ID) > 64 || !idPattern(c.ID)):
		return fmt.Errorf("%w: id must be 1 to 64 letters, digits, '-' or '_'", ErrInvalid)
	case c.Name == "" || bounds.Name.Check("name", c.Name) != nil || len(c.Description) > 5000:
		return fmt.Errorf("%w: name (1 to 200 characters) is required; description at most 5000", ErrInvalid)
	case c.StartsAt.IsZero() || !c.EndsAt.After(c.StartsAt):
		return fmt.Errorf("%w: starts_at and ends_at are required, ends_at after starts_at", ErrInvalid)
	case c.EndsAt.Sub(c.StartsAt) > 366*24*time.Hour:
		return fmt.Errorf("%w: a challenge lasts at most a year", ErrInvalid)
	}
	if err := bounds.ID.Check("category", c.Category); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	for _, t := range c.Tiers {
		if program.TierRank(t) < 0 {
			return fmt.Errorf("%w: tiers must be authorized, silver or gold", ErrInvalid)
		}
	}
	switch c.Kind {
	case KindSales:
		if c.Measure != MeasureRevenue && c.Measure != MeasureUnits && c.Measure != MeasureOrders {
			return fmt.Errorf("%w: a sales challenge needs measure revenue, units or orders", ErrInvalid)
		}
		if c.Target <= 0 || c.Target > money.MaxAmount {
			return fmt.Errorf("%w: a sales challenge needs a positive target", ErrInvalid)
		}
		if cur, err := money.ParseCurrency(string(c.Currency)); c.Measure == MeasureRevenue && (err != nil || cur != c.Currency) {
			return fmt.Errorf("%w: measure revenue needs an ISO 4217 currency", ErrInvalid)
		}
		if c.Measure == MeasureOrders && c.Category != "" {
			return fmt.Errorf("%w: measure orders counts whole orders; category applies to revenue and units", ErrInvalid)
		}
	case KindTask:
		if c.Measure != "" || c.Target != 0 || c.Category != "" {
			return fmt.Errorf("%w: a task challenge has no measure, target or category", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: kind must be sales or task", ErrInvalid)
	}
	r := c.Reward
	if r.Points < 0 || r.Points > program.MaxPoints {
		return fmt.Errorf("%w: reward.points must be between 0 and %d", ErrInvalid, program.MaxPoints)
	}
	if _, _, ok := validCurrencyAmount(r.Amount); r.Amount != nil && !ok {
		return fmt.Errorf("%w: reward.amount must be one positive amount in an ISO 4217 currency", ErrInvalid)
	}
	if r.Badge != "" && !slices.ContainsFunc(prog.Badges, func(b program.Badge) bool { return b.ID == r.Badge }) {
		return fmt.Errorf("%w: reward.badge must be one of the program's badges", ErrInvalid)
	}
	if r.Points == 0 && r.Amount == nil && r.Badge == "" {
		return fmt.Errorf("%w: reward needs points, amount or badge", ErrInvalid)
	}
	return nil
}

func idPattern(id string) bool {
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// CreateChallenge adds a challenge; without an id it gets one.
func (s *Service) CreateChallenge(ctx context.Context, c Challenge, by string) (Challenge, error) {
	prog, err := s.Programs.Current(ctx)
	if err != nil {
		return Challenge{}, err
	}
	if err := c.validate(prog.Program); err != nil {
		return Challenge{}, err
	}
	c.ID = cmp.Or(c.ID, "ch_"+randomHex(6))
	c.StartsAt, c.EndsAt, c.CreatedAt, c.CreatedBy = c.StartsAt.UTC(), c.EndsAt.UTC(), s.Now().UTC(), by
	c.Completions, c.Submissions = 0, 0
	return c, s.Store.PutChallenge(ctx, c, c.notice())
}

// notice is the broadcast telling the challenge's audience it started, as
// the challenge reads now.
func (c Challenge) notice() messages.Message {
	return messages.ChallengeStarted(messages.ChallengeNotice{ID: c.ID, Name: c.Name, EndsAt: c.EndsAt}, c.Description, c.Tiers,
		c.StartsAt, c.CreatedBy, c.CreatedAt)
}

// Challenges lists every challenge, newest first (finance's view).
func (s *Service) Challenges(ctx context.Context) ([]Challenge, error) {
	list, err := s.Store.ListChallenges(ctx)
	slices.SortFunc(list, func(a, b Challenge) int { return b.StartsAt.Compare(a.StartsAt) })
	if list == nil {
		list = []Challenge{}
	}
	return list, err
}

// Challenge reads one challenge.
func (s *Service) Challenge(ctx context.Context, id string) (Challenge, error) {
	return s.Store.GetChallenge(ctx, id)
}

func (c Challenge) openTo(t program.Tier) bool {
	return len(c.Tiers) == 0 || slices.Contains(c.Tiers, t)
}

// PartnerChallenges lists the challenges open to the partner's tier, each
// with its progress (sales) and when the partner completed it.
func (s *Service) PartnerChallenges(ctx context.Context, partnerID string) ([]ChallengeView, error) {
	p, err := s.Partners.Get(ctx, partnerID)
	if err != nil {
		return nil, err
	}
	all, err := s.Challenges(ctx)
	if err != nil {
		return nil, err
	}
	done, err := s.Store.Completions(ctx, partnerID)
	if err != nil {
		return nil, err
	}
	out := []ChallengeView{}
	for _, c := range all {
		if !c.openTo(p.Tier) {
			continue
		}
		v, err := s.view(ctx, c, partnerID, done)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// PartnerChallenge is one challenge as the partner sees it; a challenge
// not open to its tier is not found.
func (s *Service) PartnerChallenge(ctx context.Context, partnerID, id string) (ChallengeView, error) {
	p, err := s.Partners.Get(ctx, partnerID)
	if err != nil {
		return ChallengeView{}, err
	}
	c, err := s.Store.GetChallenge(ctx, id)
	if err != nil {
		return ChallengeView{}, err
	}
	if !c.openTo(p.Tier) {
		return ChallengeView{}, ErrChallengeNotFound
	}
	done, err := s.Store.Completions(ctx, partnerID)
	if err != nil {
		return ChallengeView{}, err
	}
	return s.view(ctx, c, partnerID, done)
}

func (s *Service) view(ctx context.Context, c Challenge, partnerID string, done map[string]time.Time) (ChallengeView, error) {
	v := ChallengeView{Challenge: c}
	v.Completions, v.Submissions = 0, 0 // other partners' figures are finance's
	if at, ok := done[c.ID]; ok {
		v.CompletedAt = &at
	}
	if c.Kind == KindSales && !c.StartsAt.After(s.Now()) {
		got, err := s.measure(ctx, c, partnerID)
		if err != nil {
			return ChallengeView{}, err
		}
		v.Progress = &got
	}
	return v, nil
}

// measure is the partner's sales in the challenge's window, from the order
// records paid in it, net of refunds known now.
func (s *Service) measure(ctx context.Context, c Challenge, partnerID string) (int64, error) {
	recs, err := s.Accruals.AccrualsBetween(ctx, partnerID, c.StartsAt, c.EndsAt)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, r := range recs {
		total += r.Counters()[c.counter()]
	}
	return total, nil
}

// counter is the sales counter the challenge measures.
func (c Challenge) counter() string {
	switch c.Measure {
	case MeasureUnits:
		return ledger.UnitsCounter(c.Category)
	case MeasureOrders:
		return ledger.OrdersCounter
	}
	return ledger.NetCounter(c.Currency, c.Category)
}

// NewSubmission is a partner's proof of a task.
type NewSubmission struct {
	Text string   `json:"text" dynamodbav:"text"`
	URLs []string `json:"urls" dynamodbav:"urls"`
}

// Submit records a partner's submission to a running task challenge.
func (s *Service) Submit(ctx context.Context, partnerID, challengeID string, in NewSubmission) (Submission, error) {
	c, err := s.PartnerChallenge(ctx, partnerID, challengeID)
	if err != nil {
		return Submission{}, err
	}
	now := s.Now().UTC()
	switch {
	case c.Kind != KindTask:
		return Submission{}, fmt.Errorf("%w: only task challenges take submissions", ErrInvalid)
	case now.Before(c.StartsAt) || !now.Before(c.EndsAt):
		return Submission{}, fmt.Errorf("%w: the challenge is not running", ErrInvalid)
	case c.CompletedAt != nil:
		return Submission{}, ErrAlreadyCompleted
	case in.Text == "" || len(in.Text) > 5000 || len(in.URLs) > 10:
		return Submission{}, fmt.Errorf("%w: text (1 to 5000 characters) is required; at most 10 urls", ErrInvalid)
	}
	for _, raw := range in.URLs {
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(raw) > 2000 {
			return Submission{}, fmt.Errorf("%w: urls must be http(s) URLs", ErrInvalid)
		}
	}
	sub := Submission{ID: "sub_" + randomHex(6), ChallengeID: challengeID, PartnerID: partnerID, Text: in.Text,
		URLs: in.URLs, Status: SubmissionPending, SubmittedAt: now}
	if sub.URLs == nil {
		sub.URLs = []string{}
	}
	return sub, s.Store.PutSubmission(ctx, sub)
}

// Submissions lists a challenge's submissions (finance).
func (s *Service) Submissions(ctx context.Context, challengeID string) ([]Submission, error) {
	if _, err := s.Store.GetChallenge(ctx, challengeID); err != nil {
		return nil, err
	}
	list, err := s.Store.Submissions(ctx, challengeID)
	if list == nil {
		list = []Submission{}
	}
	return list, err
}

// Approve accepts a pending submission and credits the challenge's reward,
// once: a second approval is ErrAlreadyDecided.
func (s *Service) Approve(ctx context.Context, challengeID, id, by string) (Submission, error) {
	c, sub, err := s.pendingSubmission(ctx, challengeID, id)
	if err != nil {
		return Submission{}, err
	}
	now := s.Now().UTC()
	sub.Status, sub.DecidedAt, sub.DecidedBy = SubmissionApproved, &now, by
	return sub, s.complete(ctx, c, sub.PartnerID, &sub)
}

// Reject turns a pending submission down with a reason.
func (s *Service) Reject(ctx context.Context, challengeID, id, reason, by string) (Submission, error) {
	if reason == "" || len(reason) > 1000 {
		return Submission{}, fmt.Errorf("%w: reason is required (at most 1000 characters)", ErrInvalid)
	}
	c, sub, err := s.pendingSubmission(ctx, challengeID, id)
	if err != nil {
		return Submission{}, err
	}
	now := s.Now().UTC()
	sub.Status, sub.Reason, sub.DecidedAt, sub.DecidedBy = SubmissionRejected, reason, &now, by
	return sub, s.Store.Reject(ctx, sub, s.decisionEvents(ctx, c, sub))
}

// decisionEvents tell the partner finance's decision on its submission
// (approved or rejected, with the reason).
func (s *Service) decisionEvents(ctx context.Context, c Challenge, sub Submission) []outbox.Event {
	typ := outbox.SubmissionApproved
	if sub.Status == SubmissionRejected {
		typ = outbox.SubmissionRejected
	}
	return outbox.Emit(ctx, s.Events, typ, sub.ID, *sub.DecidedAt, map[string]any{"partner_id": sub.PartnerID, "challenge_id": c.ID,
		"challenge_name": c.Name, "submission_id": sub.ID, "reason": sub.Reason, "decided_at": *sub.DecidedAt})
}

func (s *Service) pendingSubmission(ctx context.Context, challengeID, id string) (Challenge, Submission, error) {
	c, err := s.Store.GetChallenge(ctx, challengeID)
	if err != nil {
		return Challenge{}, Submission{}, err
	}
	sub, err := s.Store.GetSubmission(ctx, challengeID, id)
	if err != nil {
		return Challenge{}, Submission{}, err
	}
	if sub.Status != SubmissionPending {
		return Challenge{}, Submission{}, ErrAlreadyDecided
	}
	return c, sub, nil
}

// complete credits a challenge's reward to a partner once. The money and
// the badge go first, each idempotent by its reference; the completion
// record commits last with the points, so a crash in between completes on
// the next attempt without crediting anything twice.
func (s *Service) complete(ctx context.Context, c Challenge, partnerID string, sub *Submission) error {
	done, err := s.Store.Completions(ctx, partnerID)
	if err != nil {
		return err
	}
	if _, ok := done[c.ID]; ok {
		return ErrAlreadyCompleted
	}
	now := s.Now().UTC()
	ref := "challenge:" + c.ID + ":" + partnerID
	if cur, amount, ok := validCurrencyAmount(c.Reward.Amount); ok {
		if _, err := s.Bonuses.CreditBonus(ctx, ledger.Bonus{PartnerID: partnerID, Currency: cur, Amount: amount, Ref: ref,
			Rule: "challenge " + c.ID}); err != nil {
			return fmt.Errorf("credit challenge reward: %w", err)
		}
	}
	if c.Reward.Badge != "" {
		if err := s.award(ctx, partnerID, c.Reward.Badge, "challenge "+c.Name, now); err != nil {
			return err
		}
	}
	comp := Completion{Challenge: c, PartnerID: partnerID, At: now, Submission: sub,
		Events: outbox.Emit(ctx, s.Events, outbox.ChallengeCompleted, ref, now,
			map[string]any{"challenge_id": c.ID, "name": c.Name, "partner_id": partnerID, "completed_at": now, "reward": c.Reward})}
	if sub != nil {
		comp.Events = append(comp.Events, s.decisionEvents(ctx, c, *sub)...)
	}
	if p := c.Reward.Points; p > 0 {
		comp.Credit = &Credit{Line: PointLine{Ref: ref, PartnerID: partnerID, Kind: LineChallenge, Points: p, Description: c.Name, At: now},
			Points: ledger.Points{Earned: p, Available: p}}
	}
	return s.Store.Complete(ctx, comp)
}

// award gives a program badge by id, if the program still has it.
func (s *Service) award(ctx context.Context, partnerID, badgeID, reason string, now time.Time) error {
	prog, err := s.Programs.Current(ctx)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(prog.Program.Badges, func(b program.Badge) bool { return b.ID == badgeID })
	if i < 0 {
		return nil
	}
	b := Award{ID: badgeID, Name: prog.Program.Badges[i].Name, AwardedAt: now, Reason: reason}
	events := outbox.Emit(ctx, s.Events, outbox.BadgeAwarded, "badge:"+badgeID+":"+partnerID, now,
		map[string]any{"badge_id": b.ID, "name": b.Name, "partner_id": partnerID, "awarded_at": now})
	_, err = s.Store.AwardBadge(ctx, partnerID, b, events)
	return err
}

// completeBySales completes a running (or just ended) sales challenge for a
// partner whose measured sales reached the target. The monthly counters of
// the months the window touches bound the window's sales from above, so
// the order records are read only for partners who may have made it.
func (s *Service) completeBySales(ctx context.Context, c Challenge, p partner.Partner, monthly func(months []string) (map[string]int64, error), done map[string]time.Time) (bool, error) {
	if _, ok := done[c.ID]; ok || !c.openTo(p.Tier) || p.Status != partner.StatusActive {
		return false, nil
	}
	bound, err := monthly(monthsOf(c.StartsAt, c.EndsAt))
	if err != nil {
		return false, err
	}
	if bound[c.counter()] < c.Target {
		return false, nil
	}
	got, err := s.measure(ctx, c, p.ID)
	if err != nil || got < c.Target {
		return false, err
	}
	err = s.complete(ctx, c, p.ID, nil)
	if errors.Is(err, ErrAlreadyCompleted) {
		return false, nil
	}
	return err == nil, err
}

// monthsOf lists the months [from, to) touches.
func monthsOf(from, to time.Time) []string {
	var out []string
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(to); m = m.AddDate(0, 1, 0) {
		out = append(out, ledger.Month(m))
	}
	return out
}

// ChallengeChange is what staff may change in a challenge that has not
// ended: what partners read, and when it ends. Absent fields stay.
type ChallengeChange struct {
	Name        *string    `json:"name"`
	Description *string    `json:"description"`
	EndsAt      *time.Time `json:"ends_at"`
}

// ChangeChallenge edits a challenge that has not ended. Its kind, target
// and reward stay what partners signed up for; a new end must be in the
// future (ending now is EndChallenge) and within a year of the start.
func (s *Service) ChangeChallenge(ctx context.Context, id string, ch ChallengeChange, by string) (Challenge, error) {
	c, err := s.runningOrFuture(ctx, id)
	if err != nil {
		return Challenge{}, err
	}
	was := c.EndsAt
	if ch.Name != nil {
		if *ch.Name == "" || bounds.Name.Check("name", *ch.Name) != nil {
			return Challenge{}, fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: "name", Reason: "is required, at most 200 characters"})
		}
		c.Name = *ch.Name
	}
	if ch.Description != nil {
		if len(*ch.Description) > 5000 {
			return Challenge{}, fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: "description", Reason: "must be at most 5000 characters"})
		}
		c.Description = *ch.Description
	}
	if ch.EndsAt != nil {
		end := ch.EndsAt.UTC()
		if !end.After(s.Now()) || !end.After(c.StartsAt) || end.Sub(c.StartsAt) > 366*24*time.Hour {
			return Challenge{}, fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: "ends_at", Reason: "must be in the future, after starts_at and within a year of it"})
		}
		c.EndsAt = end
	}
	now := s.Now().UTC()
	c.UpdatedAt, c.UpdatedBy = &now, by
	return c, s.Store.UpdateChallenge(ctx, c, was, c.notice())
}

// EndChallenge ends a challenge now: no submission is taken after it, and
// sales count up to it. One that has not started ends at its start, so it
// never runs, and its start notice is withdrawn.
func (s *Service) EndChallenge(ctx context.Context, id, by string) (Challenge, error) {
	c, err := s.runningOrFuture(ctx, id)
	if err != nil {
		return Challenge{}, err
	}
	was := c.EndsAt
	now := s.Now().UTC()
	c.EndsAt, c.UpdatedAt, c.UpdatedBy = c.StartsAt, &now, by
	if !now.After(c.StartsAt) {
		return c, s.Store.CancelChallenge(ctx, c, was)
	}
	c.EndsAt = now
	return c, s.Store.UpdateChallenge(ctx, c, was, c.notice())
}

// runningOrFuture reads a challenge that has not ended (ErrChallengeEnded).
func (s *Service) runningOrFuture(ctx context.Context, id string) (Challenge, error) {
	c, err := s.Store.GetChallenge(ctx, id)
	if err != nil {
		return Challenge{}, err
	}
	if !s.Now().Before(c.EndsAt) {
		return Challenge{}, ErrChallengeEnded
	}
	return c, nil
}
