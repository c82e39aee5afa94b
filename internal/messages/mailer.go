package messages

import (
	"context"
	"errors"
	htmltemplate "html/template"

	"github.com/partnerloop/partnerloop/internal/mail"
)

// Mail is the Mailer of the mail service: a broadcast's e-mail to a
// partner has the id of the broadcast and the partner, which the mail
// service claims before sending, so it goes out once.
type Mail struct{ Service *mail.Service }

// previewName stands for the partner's name in a preview.
var previewName = map[string]string{"en": "Alex", "it": "Alessandra", "ru": "Алексей"}

func announcement(m Message) mail.Announcement {
	r := m.Body.Render()
	// The renderer escapes every character of the text it is given.
	return mail.Announcement{Subject: m.Subject, HTML: htmltemplate.HTML(r.HTML), Text: r.Text}
}

// Announce sends a broadcast's e-mail to a partner: a challenge's start
// notice in the words of its kind, any other in the broadcast's own.
func (ml Mail) Announce(ctx context.Context, m Message, partnerID string) (Outcome, error) {
	var out mail.Outcome
	var err error
	if c := m.Challenge; c != nil {
		out, err = ml.Service.ChallengeStarted(ctx, mail.JobID(m.ID, partnerID, mail.KindChallengeStarted), partnerID,
			mail.ChallengeStart{Name: c.Name, EndsAt: c.EndsAt})
	} else {
		out, err = ml.Service.Announce(ctx, mail.JobID(m.ID, partnerID, mail.KindAnnouncement), partnerID, announcement(m))
	}
	switch {
	case errors.Is(err, mail.ErrClaimed):
		return 0, errors.Join(ErrRetry, err)
	case err != nil:
		return 0, err
	case out == mail.Sent || out == mail.Duplicate:
		return Sent, nil
	}
	return Suppressed, nil
}

// Preview renders a broadcast's e-mail in a language.
func (ml Mail) Preview(m Message, language string) (Preview, error) {
	subject, text, html, err := ml.Service.PreviewAnnouncement(language, previewName[language], announcement(m))
	return Preview{Language: language, Subject: subject, HTML: html, Text: text}, err
}

// Languages are the languages e-mails are written in.
func (Mail) Languages() []string { return mail.Languages() }
