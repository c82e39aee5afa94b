package mail

import (
	"strings"
	"testing"
	"time"
)

func TestConfirmationLinksAreSignedAndExpire(t *testing.T) {
	s, other := NewSigner("secret"), NewSigner("another")
	until := time.Date(2026, 5, 8, 12, 0, 0, 0, time.UTC)
	token := s.ConfirmationToken("ap_1", until)
	if id, err := s.VerifyConfirmation(token, until.Add(-time.Hour)); err != nil || id != "ap_1" {
		t.Fatalf("valid token: %q %v", id, err)
	}
	later := strings.Replace(token, ".", ".9", 1) // a later expiry, not signed
	for name, bad := range map[string]string{"another key": other.ConfirmationToken("ap_1", until), "moved expiry": later,
		"another id": strings.Replace(token, "ap_1", "ap_2", 1), "garbage": "ap_1.x", "unsubscribe": s.Token("ap_1", Earnings)} {
		if _, err := s.VerifyConfirmation(bad, until.Add(-time.Hour)); err != ErrInvalidToken {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := s.VerifyConfirmation(token, until.Add(time.Second)); err != ErrInvalidToken {
		t.Errorf("an expired token: %v", err)
	}
}

func TestApplicantKindsAreWrittenInEveryLanguageWithoutThePartnersFooter(t *testing.T) {
	facts := Facts{Name: "Giulia", Group: "Resellers", Day: "8 May", Reason: "a reason"}
	for _, k := range []Kind{KindApplicationConfirm, KindApplicationRejected} {
		subjects := map[string]bool{}
		for _, lang := range Languages() {
			subject, text, _, err := LocaleOf(lang).Render(Content{Kind: k, Facts: facts, Page: "https://x.example/join/confirm/t"})
			if err != nil || !strings.Contains(subject, "Resellers") || !strings.Contains(text, "Giulia") {
				t.Errorf("%s in %s: %q %q %v", k, lang, subject, text, err)
			}
			if strings.Contains(text, LocaleOf(lang).Word("footer")) {
				t.Errorf("%s in %s carries the partners' footer", k, lang)
			}
			subjects[subject] = true
		}
		if len(subjects) != len(Languages()) {
			t.Errorf("%s: a language falls back to another's words", k)
		}
		if k.ToPartner() || !k.toApplicant() || k.Category() != Transactional {
			t.Errorf("%s is not an applicant's transactional e-mail", k)
		}
	}
}
