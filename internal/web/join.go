package web

import "net/http"

// Join serves the public join page of a group (and the page that confirms
// an applicant's e-mail): no sign-in, the portal's Content-Security-Policy.
func (s *Site) Join(w http.ResponseWriter, r *http.Request) { s.serve(w, r, "join.html") }
