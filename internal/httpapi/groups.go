package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/group"
)

// addGroup gives a partner's detail its group's name and the terms it
// earns by (the list shows group_id only: the terms are the program's and
// the group's, read through the function's caches).
func (s *Server) addGroup(ctx context.Context, v *partnerView) error {
	prog, err := s.Programs.Current(ctx)
	if err != nil {
		return err
	}
	g, err := s.Groups.SummaryFor(ctx, prog.Program, v.GroupID, v.Tier) // view read an absent group as the default
	if err != nil {
		return err
	}
	v.Group = &g
	return nil
}

// writeGroup answers a group version with its number as the ETag, the
// value an editor sends back in If-Match, as for the program.
func writeGroup(w http.ResponseWriter, status int, v group.Versioned) {
	w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(v.Version, 10)))
	writeJSON(w, status, v)
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	g, err := group.Parse(body)
	if err == nil {
		var v group.Versioned
		if v, err = s.Groups.Create(r.Context(), g, p.Subject); err == nil {
			writeGroup(w, http.StatusCreated, v)
			return
		}
	}
	s.fail(w, r, err)
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	v, err := s.Groups.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeGroup(w, http.StatusOK, v)
}

// patchGroup applies a JSON merge patch to the group and saves it as the
// next version; If-Match reads as for PUT /v1/program.
func (s *Server) patchGroup(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	expected, body, ok := s.versionedSave(w, r)
	if !ok {
		return
	}
	v, err := s.Groups.Update(r.Context(), r.PathValue("id"), body, p.Subject, expected)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeGroup(w, http.StatusOK, v)
}
