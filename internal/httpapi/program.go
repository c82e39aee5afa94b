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

// ifMatch reads If-Match as RFC 9110 has it for a save. Absent or "*" is
// nil: save over whatever is current (there always is a version, 0 being
// the default). Otherwise a list of entity tags, each a program version as
// the ETag of GET /v1/program quotes it (a bare number is taken too); the
// save goes ahead if any strong tag names the current version. A weak tag
// (W/"3") never matches, If-Match comparing strongly.
func ifMatch(h string) (*program.Expected, error) {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return nil, nil
	}
	expected := &program.Expected{}
	tags := 0
	for _, tag := range strings.Split(h, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "" {
			continue // a list may have empty elements
		}
		v, weak, err := versionTag(tag)
		if err != nil {
			return nil, err
		}
		tags++
		if !weak {
			expected.Versions = append(expected.Versions, v)
		}
	}
	if tags == 0 {
		return nil, errBadIfMatch
	}
	return expected, nil
}

// versionTag reads one entity tag: "3", W/"3" or a bare 3.
func versionTag(tag string) (version int64, weak bool, err error) {
	tag, weak = strings.CutPrefix(tag, "W/")
	if unquoted, ok := strings.CutPrefix(tag, `"`); ok {
		if tag, ok = strings.CutSuffix(unquoted, `"`); !ok {
			return 0, false, errBadIfMatch
		}
	} else if weak {
		return 0, false, errBadIfMatch // a weak tag is always quoted
	}
	v, err := strconv.ParseUint(tag, 10, 63)
	if err != nil {
		return 0, false, errBadIfMatch
	}
	return int64(v), weak, nil
}

// versionedSave reads what a save of a versioned document sends: its
// If-Match and its body. On a bad one it has answered.
func (s *Server) versionedSave(w http.ResponseWriter, r *http.Request) (*program.Expected, []byte, bool) {
	expected, err := ifMatch(strings.Join(r.Header.Values("If-Match"), ","))
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	body, ok := s.readBody(w, r)
	return expected, body, ok
}

// putProgram saves the body as the next program version; orders accrue with
// the version in force when they arrive and record its number.
func (s *Server) putProgram(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	expected, body, ok := s.versionedSave(w, r)
	if !ok {
		return
	}
	prog, err := program.Parse(body)
	if err == nil {
		var v program.Versioned
		if v, err = s.Programs.Update(r.Context(), prog, p.Subject, expected); err == nil {
			writeProgram(w, v)
			return
		}
	}
	s.fail(w, r, err)
}
