package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/program"
)

func (s *Server) getProgram(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	v, err := s.Programs.Current(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeProgram(w, v)
}

// writeProgram answers a program version with its number as the ETag, the
// value an editor sends back in If-Match.
func writeProgram(w http.ResponseWriter, v program.Versioned) {
	w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(v.Version, 10)))
	writeJSON(w, http.StatusOK, v)
}

// ifMatchVersion reads If-Match: a program version, bare or as the quoted
// ETag GET /v1/program sent. Absent (or "*") is nil: save over whatever is
// current, as before the header existed.
func ifMatchVersion(h string) (*int64, error) {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return nil, nil
	}
	h = strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	v, err := strconv.ParseInt(h, 10, 64)
	if err != nil || v < 0 {
		return nil, errBadIfMatch
	}
	return &v, nil
}

// putProgram saves the body as the next program version; orders accrue with
// the version in force when they arrive and record its number.
func (s *Server) putProgram(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	basedOn, err := ifMatchVersion(r.Header.Get("If-Match"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	prog, err := program.Parse(body)
	if err == nil {
		var v program.Versioned
		if v, err = s.Programs.Update(r.Context(), prog, p.Subject, basedOn); err == nil {
			writeProgram(w, v)
			return
		}
	}
	s.fail(w, r, err)
}
