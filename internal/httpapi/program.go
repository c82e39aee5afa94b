package httpapi

import (
	"errors"
	"net/http"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/program"
)

func (s *Server) getProgram(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	v, err := s.Programs.Current(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// putProgram saves the body as the next program version; orders accrue with
// the version in force when they arrive and record its number.
func (s *Server) putProgram(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	prog, err := program.Parse(body)
	if err == nil {
		var v program.Versioned
		if v, err = s.Programs.Update(r.Context(), prog, p.Subject); err == nil {
			writeJSON(w, http.StatusOK, v)
			return
		}
	}
	switch {
	case errors.Is(err, program.ErrInvalid):
		writeError(w, http.StatusUnprocessableEntity, "invalid_program", err.Error())
	case errors.Is(err, program.ErrVersionConflict):
		writeError(w, http.StatusConflict, "version_conflict", err.Error())
	default:
		s.internalError(w, r, err)
	}
}
