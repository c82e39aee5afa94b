package httpapi

import (
	"net/http"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/team"
)

func (s *Server) listTeam(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	members, err := s.Team.List(r.Context())
	s.answer(w, r, http.StatusOK, map[string]any{"members": members}, err)
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var in team.NewMember
	if !s.decodeJSON(w, r, &in) {
		return
	}
	m, err := s.Team.Add(r.Context(), in, p.Subject)
	s.answer(w, r, http.StatusCreated, m, err)
}

func (s *Server) changeMember(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	var c team.Change
	if !s.decodeJSON(w, r, &c) {
		return
	}
	m, err := s.Team.Update(r.Context(), r.PathValue("id"), c, p.Subject)
	s.answer(w, r, http.StatusOK, m, err)
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	if _, err := s.Team.Remove(r.Context(), r.PathValue("id"), p.Subject); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
