package mail

import (
	"context"
	htmltemplate "html/template"

	"github.com/partnerloop/partnerloop/internal/partner"
)

// KindAnnouncement is a broadcast finance wrote to partners.
const KindAnnouncement Kind = "announcement"

// Announcement is a broadcast's own words: its subject and its body as
// HTML (rendered by the messages package, which escapes all of the text)
// and as plain text.
type Announcement struct {
	Subject string
	HTML    htmltemplate.HTML
	Text    string
}

// announcementCopy greets the partner above a broadcast's body and leads
// to the portal's inbox below it.
var announcementCopy = map[string]copyText{
	"en": {Lines: []string{"Hello {{.Name}},"}, Action: "Open your inbox"},
	"it": {Lines: []string{"Ciao {{.Name}},"}, Action: "Apri la tua posta"},
	"ru": {Lines: []string{"Здравствуйте, {{.Name}}!"}, Action: "Открыть входящие"},
}

func init() {
	// The copy of the other kinds is in locales; a broadcast's words are
	// its own, so only the greeting and the link are the locale's.
	for lang, words := range announcementCopy {
		locales[lang].copy[KindAnnouncement] = words
	}
}

// Announce e-mails a broadcast to a partner under the e-mail id (once,
// however often it is asked), unless the partner switched announcements
// off or its address is suppressed; it carries the unsubscribe headers.
func (s *Service) Announce(ctx context.Context, id, partnerID string, a Announcement) (Outcome, error) {
	return s.SendToPartner(ctx, id, partnerID, Announcements, func(p partner.Partner, _ Locale) (Content, error) {
		return s.announcement(p.Name, a), nil
	})
}

// PreviewAnnouncement renders a broadcast as a partner reading the
// language gets it, with a sample unsubscribe link.
func (s *Service) PreviewAnnouncement(lang, name string, a Announcement) (subject, text, html string, err error) {
	c := s.announcement(name, a)
	c.Unsubscribe = s.BaseURL + "/unsubscribe/preview"
	return LocaleOf(lang).Render(c)
}

func (s *Service) announcement(name string, a Announcement) Content {
	return Content{Kind: KindAnnouncement, Facts: Facts{Name: name}, Page: s.portal("inbox"), Announcement: &a}
}
