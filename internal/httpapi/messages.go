package httpapi

import (
	"net/http"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/messages"
	"github.com/partnerloop/partnerloop/internal/partner"
)

// messageRoutes are the broadcasts and the partners' inboxes; routeRoles
// says who may call them.
func (s *Server) messageRoutes() map[string]principalHandler {
	return map[string]principalHandler{
		"POST /v1/messages":                          s.createMessage,
		"GET /v1/messages":                           paged(s, "messages", s.Messages.List),
		"POST /v1/messages/preview":                  s.previewMessage,
		"GET /v1/messages/{id}":                      s.getMessage,
		"GET /v1/messages/{id}/replies":              s.messageReplies,
		"GET /v1/partners/{id}/inbox":                s.inbox,
		"POST /v1/partners/{id}/inbox/{mid}/read":    s.markRead,
		"POST /v1/partners/{id}/inbox/{mid}/replies": s.reply,
	}
}

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var d messages.Draft
	if !s.decodeJSON(w, r, &d) {
		return
	}
	m, err := s.Messages.Create(r.Context(), d, p.Subject)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, m)
}

func (s *Server) previewMessage(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	var in struct {
		Subject string            `json:"subject"`
		Body    messages.Markdown `json:"body"`
	}
	if !s.decodeJSON(w, r, &in) {
		return
	}
	previews, err := s.Messages.Preview(in.Subject, in.Body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"previews": previews})
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	m, err := s.Messages.Get(r.Context(), r.PathValue("id"))
	s.answer(w, r, http.StatusOK, m, err)
}

func (s *Server) messageReplies(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	limit, cursor, ok := s.pageParams(w, r)
	if !ok {
		return
	}
	replies, next, err := s.Messages.Replies(r.Context(), r.PathValue("id"), limit, cursor)
	s.writePage(w, r, "replies", replies, next, err)
}

func (s *Server) inbox(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	servePartnerPage(s, w, r, p, s.Messages.Inbox)
}

// ownInbox is the path's partner if it is the caller; another partner's
// inbox is not found, as its other routes answer.
func (s *Server) ownInbox(w http.ResponseWriter, r *http.Request, p auth.Principal) (string, bool) {
	id := r.PathValue("id")
	if p.PartnerID != id {
		s.fail(w, r, partner.ErrNotFound)
		return "", false
	}
	return id, true
}

func (s *Server) markRead(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, ok := s.ownInbox(w, r, p)
	if !ok {
		return
	}
	item, err := s.Messages.MarkRead(r.Context(), id, r.PathValue("mid"))
	s.answer(w, r, http.StatusOK, item, err)
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, ok := s.ownInbox(w, r, p)
	if !ok {
		return
	}
	var in struct {
		Body string `json:"body"`
	}
	if !s.decodeJSON(w, r, &in) {
		return
	}
	reply, err := s.Messages.Reply(r.Context(), id, r.PathValue("mid"), in.Body)
	s.answer(w, r, http.StatusCreated, reply, err)
}
