package apply

import (
	"errors"
	"testing"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/group"
)

func TestTheRuleApprovesOnlyWhatItLists(t *testing.T) {
	rule := &group.AutoApprove{Enabled: true, Countries: []string{"IT"}, EmailDomains: []string{"shop.example"}}
	for _, c := range []struct {
		rule           *group.AutoApprove
		country, email string
		want           bool
	}{
		{rule, "IT", "a@shop.example", true},
		{rule, "IT", "a@SHOP.example", true},
		{rule, "DE", "a@shop.example", false},
		{rule, "IT", "a@sub.shop.example", false},
		{&group.AutoApprove{Enabled: true}, "DE", "a@any.example", true},
		{&group.AutoApprove{Enabled: false}, "IT", "a@shop.example", false},
		{nil, "IT", "a@shop.example", false},
	} {
		if got := AutoApproves(c.rule, c.country, c.email); got != c.want {
			t.Errorf("%+v %s %s: %v", c.rule, c.country, c.email, got)
		}
	}
}

func TestNegotiatePicksTheBestLanguageThePageSpeaks(t *testing.T) {
	for header, want := range map[string]string{
		"":                          "en",
		"it-IT,it;q=0.9,en;q=0.8":   "it",
		"de-DE, ru;q=0.5, it;q=0.7": "it",
		"fr, de":                    "en",
		"ru;q=0, it;q=0.1":          "it",
		"RU-ru":                     "ru",
		"en;q=0.2, it;q=notanumber": "en",
	} {
		if got := Negotiate(header); got != want {
			t.Errorf("%q: %s, want %s", header, got, want)
		}
	}
}

func TestAnswersFollowTheForm(t *testing.T) {
	form := []group.Field{
		{Key: "shop", Type: "url", Required: true},
		{Key: "channel", Type: "select", Options: []string{"online", "store"}},
		{Key: "terms", Type: "checkbox", Required: true},
		{Key: "about", Type: "textarea"},
	}
	ok := map[string]any{"shop": "https://s.example", "channel": "store", "terms": true}
	if err := checkAnswers(form, ok); err != nil {
		t.Fatalf("valid answers: %v", err)
	}
	long := make([]rune, 2001)
	for i := range long {
		long[i] = 'x'
	}
	for field, answers := range map[string]map[string]any{
		"answers.shop":    {"channel": "store", "terms": true},
		"answers.channel": {"shop": "https://s.example", "channel": "door", "terms": true},
		"answers.terms":   {"shop": "https://s.example", "terms": false},
		"answers.about":   {"shop": "https://s.example", "terms": true, "about": string(long)},
		"answers.age":     {"shop": "https://s.example", "terms": true, "age": "40"},
	} {
		var be *bounds.Error
		if err := checkAnswers(form, answers); !errors.Is(err, ErrInvalid) || !errors.As(err, &be) || be.Field != field {
			t.Errorf("%v: %v, want %s refused", answers, err, field)
		}
	}
}

func TestAReportPeriodIsAMonth(t *testing.T) {
	if m, err := ParseMonth("2026-05"); err != nil || m.Month() != 5 {
		t.Errorf("2026-05: %v %v", m, err)
	}
	for _, bad := range []string{"", "2026-5", "May", "2026-05-01"} {
		if _, err := ParseMonth(bad); !errors.Is(err, ErrBadPeriod) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
