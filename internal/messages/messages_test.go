package messages

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/program"
)

func TestMarkdownRendersItsSubset(t *testing.T) {
	body := Markdown("Hello **partners**,\nour *spring* offer is [here](https://shop.example/spring?a=1&b=2).\n\n" +
		"- more _commission_\n- free shipping\n\n1. sign in\n2. share")
	r := body.Render()
	wantHTML := "<p>Hello <strong>partners</strong>,\nour <em>spring</em> offer is <a href=\"https://shop.example/spring?a=1&amp;b=2\">here</a>.</p>\n" +
		"<ul>\n<li>more <em>commission</em></li>\n<li>free shipping</li>\n</ul>\n" +
		"<ol>\n<li>sign in</li>\n<li>share</li>\n</ol>\n"
	if r.HTML != wantHTML {
		t.Errorf("html:\n%s\nwant:\n%s", r.HTML, wantHTML)
	}
	wantText := "Hello partners,\nour spring offer is here (https://shop.example/spring?a=1&b=2).\n\n- more commission\n- free shipping\n\n1. sign in\n2. share"
	if r.Text != wantText {
		t.Errorf("text:\n%s\nwant:\n%s", r.Text, wantText)
	}
}

func TestMarkdownEscapesEverythingElse(t *testing.T) {
	for body, want := range map[Markdown]string{
		`<script>alert(1)</script>`:               "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n",
		`[click](javascript:alert(1))`:            "<p>[click](javascript:alert(1))</p>\n",
		`[mail](mailto:a@b.example)`:              "<p>[mail](mailto:a@b.example)</p>\n",
		`[x](https://a.example/"onmouseover="x)`:  "<p>[x](https://a.example/&#34;onmouseover=&#34;x)</p>\n",
		`<img src=x onerror=alert(1)> & "quotes"`: "<p>&lt;img src=x onerror=alert(1)&gt; &amp; &#34;quotes&#34;</p>\n",
		`**unclosed and *half`:                    "<p>**unclosed and *half</p>\n",
		`\*not emphasis\*`:                        "<p>*not emphasis*</p>\n",
		"[**bold link**](http://a.example/<b>)":   "<p>[<strong>bold link</strong>](http://a.example/&lt;b&gt;)</p>\n",
		"- <b>item</b>":                           "<ul>\n<li>&lt;b&gt;item&lt;/b&gt;</li>\n</ul>\n",
	} {
		if got := body.Render().HTML; got != want {
			t.Errorf("%q:\n got %q\nwant %q", body, got, want)
		}
	}
}

// allowedMarkup is every tag the renderer writes; anything else in its
// output would be markup from the body.
var allowedMarkup = regexp.MustCompile(`<(/?(p|em|strong|ul|ol|li|a)|a href="https?://[^"<>]*")>`)

func TestRenderedBodiesCarryOnlyTheSubsetsTags(t *testing.T) {
	pieces := []string{"<", ">", "*", "**", "_", "[", "]", "(", ")", "](", "http://a.example", "javascript:", "\"", "'", "&", "\n", "\n\n", "- ", "1. ", "x", " ", "\\"}
	// Every sequence of three pieces: a few thousand bodies mixing every delimiter.
	for _, a := range pieces {
		for _, b := range pieces {
			for _, c := range pieces {
				body := Markdown("[" + a + b + c + "](" + a + c + ")" + b + a)
				html := body.Render().HTML
				if rest := allowedMarkup.ReplaceAllString(html, ""); strings.ContainsAny(rest, "<>") {
					t.Fatalf("%q rendered markup of its own: %q", body, html)
				}
			}
		}
	}
}

func TestMarkdownOfTheLongestBodyRendersQuickly(t *testing.T) {
	worst := Markdown(strings.Repeat("*[_", BodyLimit.Max/3))
	start := time.Now()
	worst.Render()
	if d := time.Since(start); d > time.Second {
		t.Fatalf("%d unmatched openers took %v", BodyLimit.Max, d)
	}
}

// draftStore knows two partners and records what is written.
type draftStore struct {
	Store
	created []Message
}

func (s *draftStore) MissingPartners(_ context.Context, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		if id != "p1" && id != "p2" {
			out = append(out, id)
		}
	}
	return out, nil
}

func (s *draftStore) CreateMessage(_ context.Context, m Message) error {
	s.created = append(s.created, m)
	return nil
}

var now = time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)

func draftService(store Store) *Service {
	return &Service{Store: store, Now: func() time.Time { return now }}
}

func TestCreateRefusesADraftOutOfBoundsNamingTheField(t *testing.T) {
	ok := Draft{Subject: "Spring", Body: "News", Audience: Audience{All: true}}
	later := now.Add(2 * MaxScheduleAhead)
	many := make([]string, MaxPartnerIDs+1)
	for i := range many {
		many[i] = "p1"
	}
	for _, c := range []struct {
		field string
		edit  func(*Draft)
	}{
		{"subject", func(d *Draft) { d.Subject = "  " }},
		{"subject", func(d *Draft) { d.Subject = strings.Repeat("Ж", 201) }},
		{"subject", func(d *Draft) { d.Subject = "two\nlines" }},
		{"body", func(d *Draft) { d.Body = "" }},
		{"body", func(d *Draft) { d.Body = Markdown(strings.Repeat("x", 20001)) }},
		{"audience", func(d *Draft) { d.Audience = Audience{} }},
		{"audience.all", func(d *Draft) { d.Audience.Tiers = []program.Tier{"gold"} }},
		{"audience.tiers[1]", func(d *Draft) { d.Audience = Audience{Tiers: []program.Tier{"gold", "platinum"}} }},
		{"audience.partner_ids", func(d *Draft) { d.Audience = Audience{PartnerIDs: many} }},
		{"audience.partner_ids[0]", func(d *Draft) { d.Audience = Audience{PartnerIDs: []string{strings.Repeat("p", 257)}} }},
		{"audience.partner_ids[1]", func(d *Draft) { d.Audience = Audience{PartnerIDs: []string{"p1", "p9", "p2"}} }},
		{"send_at", func(d *Draft) { d.SendAt = &later }},
	} {
		d := ok
		c.edit(&d)
		store := &draftStore{}
		_, err := draftService(store).Create(context.Background(), d, "anna")
		var be *bounds.Error
		if !errors.Is(err, ErrInvalid) || !errors.As(err, &be) || be.Field != c.field {
			t.Errorf("%s: %v", c.field, err)
		}
		if len(store.created) > 0 {
			t.Errorf("%s: a refused draft was stored", c.field)
		}
	}
}

func TestCreateSchedulesAtSendAtOrNow(t *testing.T) {
	store := &draftStore{}
	past, future := now.Add(-time.Hour), now.Add(48*time.Hour)
	for _, c := range []struct {
		at   *time.Time
		want time.Time
	}{{nil, now}, {&past, now}, {&future, future}} {
		m, err := draftService(store).Create(context.Background(), Draft{Subject: " Spring ", Body: "*News*",
			Audience: Audience{Tiers: []program.Tier{"gold", "silver", "gold"}, PartnerIDs: []string{"p2", "p1", "p2"}}, SendAt: c.at}, "anna")
		if err != nil {
			t.Fatal(err)
		}
		if !m.SendAt.Equal(c.want) || m.Status != StatusScheduled || m.Subject != "Spring" || m.HTML != "<p><em>News</em></p>\n" ||
			strings.Join(m.Audience.PartnerIDs, ",") != "p2,p1" || len(m.Audience.Tiers) != 2 {
			t.Errorf("send_at %v: %+v", c.at, m)
		}
	}
}

func TestAPageTakesWhatTheRateSendsWithinTheFunctionTimeout(t *testing.T) {
	for rate, want := range map[float64]int{0: MaxPageSize, 0.5: 10, 1: 20, 14: MaxPageSize} {
		if got := (&Service{Rate: rate}).PageSize(); got != want {
			t.Errorf("rate %v: page of %d, want %d", rate, got, want)
		}
	}
}

// countingMailer answers every recipient with its outcome and counts calls.
type countingMailer struct {
	Mailer
	outcomes map[string]Outcome
	failing  map[string]error
	calls    int
}

func (m *countingMailer) Announce(_ context.Context, _ Message, partnerID string) (Outcome, error) {
	m.calls++
	return m.outcomes[partnerID], m.failing[partnerID]
}

func TestSendCountsEachOutcomeAndSpacesSendsToTheRate(t *testing.T) {
	mailer := &countingMailer{outcomes: map[string]Outcome{"a": Sent, "b": Suppressed, "c": Sent, "d": Sent},
		failing: map[string]error{"d": errors.New("address refused")}}
	var waited time.Duration
	s := &Service{Mailer: mailer, Rate: 10, Now: func() time.Time { return now }, Sleep: func(_ context.Context, d time.Duration) error {
		waited = max(waited, d)
		return nil
	}}
	rs := []partner.Partner{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}
	c, err := s.send(context.Background(), Message{ID: "m", Audience: Audience{Tiers: []program.Tier{"gold"}}}, rs)
	if err != nil {
		t.Fatal(err)
	}
	if c.Counts != (Counts{Recipients: 4, Sent: 2, Suppressed: 1, Failed: 1}) || strings.Join(c.Inboxes, "") != "abcd" {
		t.Errorf("counts %+v, inboxes %v", c.Counts, c.Inboxes)
	}
	// The fourth send waits for 3/10 s after the first.
	if waited < 250*time.Millisecond || waited > 300*time.Millisecond {
		t.Errorf("the last send waited %v, want about 300ms", waited)
	}
	all, err := s.send(context.Background(), Message{ID: "m", Audience: Audience{All: true}}, rs[:1])
	if err != nil || len(all.Inboxes) != 0 {
		t.Errorf("a broadcast to all writes no inbox entry per partner: %+v %v", all, err)
	}
	mailer.failing["b"] = ErrRetry
	if _, err := s.send(context.Background(), Message{ID: "m"}, rs); !errors.Is(err, ErrRetry) {
		t.Errorf("an e-mail held by another delivery must fail the page: %v", err)
	}
}

// listStore is a partner list in parts, and partners by id.
type listStore struct {
	Store
	parts [][]partner.Partner
}

func (s *listStore) Shards() int { return len(s.parts) }

func (s *listStore) PartnersPage(_ context.Context, shard int, after string, limit int32) ([]partner.Partner, bool, error) {
	var out []partner.Partner
	for _, p := range s.parts[shard] {
		if p.ID > after && len(out) < int(limit) {
			out = append(out, p)
		}
	}
	return out, len(out) == int(limit) && out[len(out)-1].ID != s.parts[shard][len(s.parts[shard])-1].ID, nil
}

func (s *listStore) GetPartner(_ context.Context, id string) (partner.Partner, error) {
	for _, part := range s.parts {
		for _, p := range part {
			if p.ID == id {
				return p, nil
			}
		}
	}
	return partner.Partner{}, partner.ErrNotFound
}

func TestPagesWalkThePartnersByIdThenEveryPartOfTheList(t *testing.T) {
	active := func(id string, tier program.Tier) partner.Partner {
		return partner.Partner{ID: id, Tier: tier, Status: partner.StatusActive}
	}
	store := &listStore{parts: [][]partner.Partner{
		{active("a1", "gold"), active("a2", "silver"), active("a3", "gold")},
		{},
		{active("c1", "gold"), {ID: "c2", Tier: "gold", Status: partner.StatusSuspended}, active("c3", "silver")},
	}}
	s := &Service{Store: store, Rate: 0.1} // two recipients a page
	m := Message{ID: "m", Audience: Audience{Tiers: []program.Tier{"gold"}, PartnerIDs: []string{"a2", "c1", "a3"}}}
	var reached []string
	pages := 0
	for p, last := (Page{MessageID: "m"}), false; !last; pages++ {
		var rs []partner.Partner
		var err error
		rs, p, last, err = s.recipients(context.Background(), m, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			reached = append(reached, r.ID)
		}
		if pages > 20 {
			t.Fatal("the walk does not end")
		}
	}
	// By id first (a2 though silver), then the gold partners of the list
	// not named by id; the suspended one is left out.
	if got := strings.Join(reached, ","); got != "a2,c1,a3,a1" {
		t.Errorf("reached %s", got)
	}
	if pages != 7 { // two a page: ids 2 pages; part 0 2; the empty part 1; part 2 2
		t.Errorf("%d pages", pages)
	}
}
