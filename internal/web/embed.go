package web

import (
	"net/http"
	"strings"
)

// Embed serves the referral widget's page. It is the one page another
// site may frame: the shop origins given (the group's embed_origins), or
// none. The widget's token comes in the URL fragment, which never reaches
// a server or a Referer.
func (s *Site) Embed(w http.ResponseWriter, r *http.Request, frameAncestors []string) {
	ancestors := "'none'"
	if len(frameAncestors) > 0 {
		ancestors = strings.Join(frameAncestors, " ")
	}
	h := w.Header()
	h.Set("Content-Security-Policy", strings.Replace(s.csp, "frame-ancestors 'none'", "frame-ancestors "+ancestors, 1))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	s.send(w, r, "embed.html")
}

// Snippet serves the script a shop's page includes to mount the widget.
func (s *Site) Snippet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.send(w, r, "snippet.js")
}
