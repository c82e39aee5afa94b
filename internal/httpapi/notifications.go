package httpapi

import (
	"fmt"
	"html/template"
	"net/http"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/mail"
	"github.com/partnerloop/partnerloop/internal/partner"
)

// newPartnerRequest is a new partner with what its e-mail needs: the
// language it is written in and whether to send the invitation now.
type newPartnerRequest struct {
	partner.NewPartner
	Invite   bool   `json:"invite"`
	Language string `json:"language"`
}

// check refuses a language e-mails are not written in, as a partner field,
// before anything is written.
func (in newPartnerRequest) check() error {
	if in.Language == "" {
		return nil
	}
	if err := mail.CheckLanguage(in.Language); err != nil {
		return fmt.Errorf("%w: %w", partner.ErrInvalid, err)
	}
	return nil
}

func (s *Server) getNotifications(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, ok := s.visiblePartner(w, r, p)
	if !ok {
		return
	}
	prefs, err := s.Mail.Preferences(r.Context(), id)
	s.answer(w, r, http.StatusOK, prefs, err)
}

func (s *Server) patchNotifications(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, ok := s.visiblePartner(w, r, p)
	if !ok {
		return
	}
	var c mail.Change
	if !s.decodeJSON(w, r, &c) {
		return
	}
	prefs, err := s.Mail.UpdatePreferences(r.Context(), id, c)
	s.answer(w, r, http.StatusOK, prefs, err)
}

// unsubscribePage is the page behind an e-mail's unsubscribe link: a GET
// asks (mail scanners follow links, and must not unsubscribe anyone), the
// button POSTs, as a mail client's one-click unsubscribe does.
var unsubscribePage = template.Must(template.New("unsubscribe").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Button}}</title></head>
<body><main>{{if .Done}}<p role="status">{{.Done}}</p>{{else}}<p>{{.Ask}}</p>
<form method="post"><button type="submit">{{.Button}}</button></form>{{end}}</main></body></html>
`))

type unsubscribeView struct {
	Lang, Ask, Button, Done string
}

func (s *Server) unsubscribeForm(w http.ResponseWriter, r *http.Request) {
	c, loc, err := s.Mail.CheckUnsubscribe(r.Context(), r.PathValue("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ask, button, _ := loc.UnsubscribePage(c)
	writeUnsubscribePage(w, unsubscribeView{Lang: loc.Lang, Ask: ask, Button: button})
}

// unsubscribe is RFC 8058's one-click POST (body List-Unsubscribe=One-Click)
// and the page's button alike: no sign-in, the signed link is the proof.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	c, loc, err := s.Mail.Unsubscribe(r.Context(), r.PathValue("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, button, done := loc.UnsubscribePage(c)
	writeUnsubscribePage(w, unsubscribeView{Lang: loc.Lang, Button: button, Done: done})
}

func writeUnsubscribePage(w http.ResponseWriter, v unsubscribeView) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer") // the token is in the URL
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_ = unsubscribePage.Execute(w, v) // only a client gone away fails it
}
