package mail

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMoneyAndDatesInEachLocale(t *testing.T) {
	day := time.Date(2026, 3, 5, 23, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		lang, eur, chf, neg, date string
	}{
		{"en", "€1,234,567.89", "CHF\u00a012.00", "-€3.50", "March 5, 2026"},
		{"it", "1.234.567,89\u00a0€", "12,00\u00a0CHF", "-3,50\u00a0€", "5 marzo 2026"},
		{"ru", "1\u00a0234\u00a0567,89\u00a0€", "12,00\u00a0CHF", "-3,50\u00a0€", "5 марта 2026"},
	} {
		l := LocaleOf(c.lang)
		if got := l.Money(123456789, "EUR"); got != c.eur {
			t.Errorf("%s: EUR %q, want %q", c.lang, got, c.eur)
		}
		if got := l.Money(1200, "CHF"); got != c.chf {
			t.Errorf("%s: CHF %q, want %q", c.lang, got, c.chf)
		}
		if got := l.Money(-350, "EUR"); got != c.neg {
			t.Errorf("%s: negative %q, want %q", c.lang, got, c.neg)
		}
		if got := l.Date(day); got != c.date {
			t.Errorf("%s: date %q, want %q", c.lang, got, c.date)
		}
	}
	if got := LocaleOf("en").Money(1500, "JPY"); got != "¥1,500" {
		t.Errorf("JPY has no minor units: %q", got)
	}
	if LocaleOf("xx").Lang != "en" {
		t.Error("an unknown language falls back to English")
	}
}

func TestEveryPartnerKindIsWrittenInEveryLanguage(t *testing.T) {
	kinds := []Kind{KindInvitation, KindWelcome, KindDigest, KindPayoutSent, KindDonationMade, KindTierChanged, KindBadgeAwarded, KindRedemptionFulfilled,
		KindGoalReached, KindChallengeStarted, KindSubmissionApproved, KindSubmissionRejected}
	facts := Facts{Name: "Anna", Amount: "€10.00", Method: "PayPal", Reference: "REF-1", Charity: "water", Tier: "Gold", From: "Silver",
		Badge: "First sale", Reward: "Mug", Quantity: 2, Day: "March 5, 2026", Total: "€12.00", Link: "https://x.example/r/ABC",
		Goal: "spring", Level: 2, Period: "2026-03", Donation: "€5.00", Challenge: "Post a review", Reason: "no photo"}
	for _, lang := range Languages() {
		subjects := map[string]Kind{}
		for _, k := range kinds {
			if _, ok := locales[lang].copy[k]; !ok {
				t.Errorf("%s has no copy for %s", lang, k)
				continue
			}
			subject, text, html, err := LocaleOf(lang).Render(Content{Kind: k, Facts: facts, Page: "https://x.example/portal/"})
			if err != nil {
				t.Fatalf("%s %s: %v", lang, k, err)
			}
			if subject == "" || strings.Contains(subject, "<no value>") || strings.Contains(text, "<no value>") {
				t.Errorf("%s %s: a fact is missing: %q %q", lang, k, subject, text)
			}
			if other, seen := subjects[subject]; seen {
				t.Errorf("%s: %s and %s share the subject %q", lang, k, other, subject)
			}
			subjects[subject] = k
			if !strings.Contains(html, `lang="`+lang+`"`) || !strings.Contains(html, "https://x.example/portal/") || !strings.Contains(text, "https://x.example/portal/") {
				t.Errorf("%s %s: page link or language missing:\n%s", lang, k, html)
			}
		}
	}
	en, _, _, _ := LocaleOf("en").Render(Content{Kind: KindPayoutSent, Facts: facts})
	it, _, _, _ := LocaleOf("it").Render(Content{Kind: KindPayoutSent, Facts: facts})
	ru, _, _, _ := LocaleOf("ru").Render(Content{Kind: KindPayoutSent, Facts: facts})
	if en != "Payout sent: €10.00" || it != "Pagamento inviato: €10.00" || ru != "Выплата отправлена: €10.00" {
		t.Errorf("subjects %q %q %q", en, it, ru)
	}
}

func TestRenderEscapesHTMLAndKeepsSubjectsOnOneLine(t *testing.T) {
	facts := Facts{Name: `<script>alert("x")</script> & Co`, Badge: "Top\r\nBcc: evil@example.com"}
	subject, text, html, err := LocaleOf("en").Render(Content{Kind: KindBadgeAwarded, Facts: facts, Page: "https://x.example/portal/#/rewards",
		Unsubscribe: "https://x.example/unsubscribe/tok"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co") {
		t.Errorf("the name is not escaped in HTML:\n%s", html)
	}
	if !strings.Contains(text, `<script>alert("x")</script> & Co`) {
		t.Errorf("the text part is plain text:\n%s", text)
	}
	if strings.ContainsAny(subject, "\r\n") || subject != "You earned a badge: Top Bcc: evil@example.com" {
		t.Errorf("subject %q", subject)
	}
	if !strings.Contains(html, `href="https://x.example/unsubscribe/tok"`) || !strings.Contains(text, "Unsubscribe from these e-mails: https://x.example/unsubscribe/tok") {
		t.Errorf("unsubscribe link missing:\n%s\n%s", html, text)
	}
}

func TestDigestRowsFoldReversalsIntoTheTotal(t *testing.T) {
	at := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	rows, total := digestRows(LocaleOf("it"), []DigestLine{
		{OrderID: "o2", Currency: "EUR", Amount: 500, At: at.Add(time.Hour)},
		{OrderID: "o1", Currency: "EUR", Amount: 1200, At: at},
		{OrderID: "o1", Currency: "EUR", Amount: 300, Reversal: true, At: at.Add(2 * time.Hour)},
		{OrderID: "o3", Currency: "USD", Amount: 100, At: at.Add(3 * time.Hour)},
	})
	want := []Row{{"Ordine o1", "12,00\u00a0€"}, {"Ordine o2", "5,00\u00a0€"}, {"Ordine rimborsato o1", "-3,00\u00a0€"},
		{"Ordine o3", "1,00\u00a0$"}, {"Totale", "14,00\u00a0€, 1,00\u00a0$"}}
	if len(rows) != len(want) {
		t.Fatalf("rows %v", rows)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d: %v, want %v", i, rows[i], want[i])
		}
	}
	if total != "14,00\u00a0€, 1,00\u00a0$" {
		t.Errorf("total %q", total)
	}
}

func TestTransactionalMailCannotBeSwitchedOff(t *testing.T) {
	p := DefaultPreferences()
	_, err := p.Apply(Change{Categories: map[Category]bool{Transactional: false}})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "categories.transactional" || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err %v", err)
	}
	if _, err := p.Apply(Change{Categories: map[Category]bool{"news": false}}); !errors.As(err, &fe) || fe.Field != "categories.news" {
		t.Fatalf("unknown category: %v", err)
	}
	ru := "ru"
	next, err := p.Apply(Change{Language: &ru, Categories: map[Category]bool{Earnings: false, Transactional: true}})
	if err != nil || next.Allows(Earnings) || !next.Allows(Engagement) || !next.Allows(Transactional) || next.Language != "ru" {
		t.Fatalf("%v %+v", err, next)
	}
	de := "de"
	if _, err := p.Apply(Change{Language: &de}); !errors.As(err, &fe) || fe.Field != "language" {
		t.Fatalf("language: %v", err)
	}
	if !(Preferences{}).Allows(Earnings) {
		t.Error("a category never chosen is on")
	}
}

func TestUnsubscribeTokensAreSigned(t *testing.T) {
	s := NewSigner("secret")
	tok := s.Token("pt_ABC", Earnings)
	id, c, err := s.Verify(tok)
	if err != nil || id != "pt_ABC" || c != Earnings {
		t.Fatalf("%q %q %v", id, c, err)
	}
	for _, bad := range []string{
		strings.Replace(tok, "pt_ABC", "pt_ABD", 1),        // another partner
		strings.Replace(tok, "earnings", "engagement", 1),  // another category
		NewSigner("other").Token("pt_ABC", Earnings),       // another key
		NewSigner("secret").Token("pt_ABC", Transactional), // never switchable
		"pt_ABC.earnings", "", strings.Repeat("a.", 150) + "b", // malformed
	} {
		if _, _, err := s.Verify(bad); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%q verified", bad)
		}
	}
}

func TestJobIDsDependOnCauseRecipientAndKind(t *testing.T) {
	a := JobID("evt_1", "pt_1", KindPayoutSent)
	if a != JobID("evt_1", "pt_1", KindPayoutSent) {
		t.Fatal("not deterministic")
	}
	for _, other := range []string{JobID("evt_2", "pt_1", KindPayoutSent), JobID("evt_1", "pt_2", KindPayoutSent), JobID("evt_1", "pt_1", KindDonationMade)} {
		if other == a {
			t.Error("ids collide")
		}
	}
}
