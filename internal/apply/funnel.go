package apply

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/group"
	"github.com/partnerloop/partnerloop/internal/messages"
)

// Step is one step of the join funnel.
type Step string

// Steps of the funnel: a view of the join page, the first touch of its
// form, a submission, a confirmed e-mail, a decision.
const (
	StepVisited   Step = "visited"
	StepStarted   Step = "started"
	StepSubmitted Step = "submitted"
	StepConfirmed Step = "confirmed"
	StepApproved  Step = "approved"
	StepRejected  Step = "rejected"
)

// Funnel is one group's steps in a month.
type Funnel struct {
	Group     string `json:"group"`
	Visited   int64  `json:"visited"`
	Started   int64  `json:"started"`
	Submitted int64  `json:"submitted"`
	Confirmed int64  `json:"confirmed"`
	Approved  int64  `json:"approved"`
	Rejected  int64  `json:"rejected"`
}

// Funnel is the month's funnel of every group with a step counted in it,
// by group id.
func (s *Service) Funnel(ctx context.Context, period string) ([]Funnel, error) {
	month, err := ParseMonth(period)
	if err != nil {
		return nil, err
	}
	counts, err := s.Store.Funnel(ctx, month)
	if err != nil {
		return nil, err
	}
	out := make([]Funnel, 0, len(counts))
	for _, id := range slices.Sorted(maps.Keys(counts)) {
		c := counts[id]
		out = append(out, Funnel{Group: id, Visited: c[StepVisited], Started: c[StepStarted], Submitted: c[StepSubmitted],
			Confirmed: c[StepConfirmed], Approved: c[StepApproved], Rejected: c[StepRejected]})
	}
	return out, nil
}

// Page is a group's join page in one language, as the page draws it.
type Page struct {
	Group    string `json:"group"`
	Slug     string `json:"slug"`
	Language string `json:"language"`
	Title    string `json:"title"`
	// DescriptionHTML is the landing's Markdown rendered with every
	// character of its text escaped (package messages' subset).
	DescriptionHTML string      `json:"description_html"`
	LogoURL         string      `json:"logo_url,omitempty"`
	BrandColor      string      `json:"brand_color,omitempty"`
	TermsURL        string      `json:"terms_url"`
	Form            []PageField `json:"form"`
}

// PageField is one question of the form, labelled in the page's language.
type PageField struct {
	Key      string   `json:"key"`
	Label    string   `json:"label"`
	Type     string   `json:"type"`
	Options  []string `json:"options,omitempty"`
	Required bool     `json:"required"`
}

// in is a text in the language, English where it has none.
func in(t group.Texts, lang string) string {
	v := map[string]string{"en": t.EN, "it": t.IT, "ru": t.RU}[lang]
	return cmp.Or(strings.TrimSpace(v), t.EN)
}

// PageOf is the group's join page in the language.
func PageOf(g group.Group, lang string) Page {
	p := Page{Group: g.ID, Slug: g.Slug, Language: lang, Title: in(g.Landing.Title, lang),
		DescriptionHTML: messages.Markdown(in(g.Landing.Description, lang)).Render().HTML,
		LogoURL:         g.Landing.LogoURL, BrandColor: g.Landing.BrandColor, TermsURL: g.Landing.TermsURL, Form: []PageField{}}
	for _, f := range g.Form {
		p.Form = append(p.Form, PageField{Key: f.Key, Label: in(f.Label, lang), Type: f.Type, Options: f.Options, Required: f.Required})
	}
	return p
}

// View answers the join page of a slug in the language and counts the
// view (no cookie: one more on the group's day).
func (s *Service) View(ctx context.Context, slug, lang string) (Page, error) {
	g, err := s.bySlug(ctx, slug)
	if err != nil {
		return Page{}, err
	}
	s.count(ctx, g.ID, StepVisited)
	return PageOf(g, lang), nil
}

// Started counts the first touch of a join page's form.
func (s *Service) Started(ctx context.Context, slug string) error {
	g, err := s.bySlug(ctx, slug)
	if err == nil {
		s.count(ctx, g.ID, StepStarted)
	}
	return err
}

func (s *Service) bySlug(ctx context.Context, slug string) (group.Group, error) {
	if len(slug) > group.MaxSlug {
		return group.Group{}, ErrNoJoinPage
	}
	id, found, err := s.Store.GroupBySlug(ctx, slug)
	if err != nil || !found {
		return group.Group{}, cmp.Or(err, ErrNoJoinPage)
	}
	g, found, err := s.joinable(ctx, id)
	if err != nil || !found {
		return group.Group{}, cmp.Or(err, ErrNoJoinPage)
	}
	return g, nil
}

// count adds a page's step; a count lost to a storage failure costs the
// visitor nothing, so it is logged, not answered.
func (s *Service) count(ctx context.Context, groupID string, step Step) {
	if err := s.Store.Count(ctx, groupID, step, s.Now().UTC()); err != nil {
		s.Log.WarnContext(ctx, "join funnel step not counted", "group", groupID, "step", step, "error", err)
	}
}

// Negotiate picks the page's language from an Accept-Language header:
// the first of the visitor's languages the page speaks, else English.
func Negotiate(acceptLanguage string) string {
	type choice struct {
		lang string
		q    float64
	}
	var choices []choice
	for part := range strings.SplitSeq(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
			var err error
			if q, err = strconv.ParseFloat(v, 64); err != nil {
				q = 0
			}
		}
		if q > 0 && slices.Contains(Languages(), base) {
			choices = append(choices, choice{base, q})
		}
	}
	slices.SortStableFunc(choices, func(a, b choice) int { return cmp.Compare(b.q, a.q) })
	if len(choices) == 0 {
		return "en"
	}
	return choices[0].lang
}

// Day is the funnel's day of a time (UTC).
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }
