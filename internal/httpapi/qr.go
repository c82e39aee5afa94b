package httpapi

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"

	"rsc.io/qr"

	"github.com/partnerloop/partnerloop/internal/auth"
)

// quietZone is the blank border, in modules, scanners need around a code.
const quietZone = 4

// qrSVG draws text as a QR code (error correction M, enough for a printed
// flyer): one square per dark module, in a viewBox one unit per module, so
// it scales to any size without blurring.
func qrSVG(text string) ([]byte, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, err
	}
	side := code.Size + 2*quietZone
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img">`, side, side)
	fmt.Fprintf(&b, `<title>%s</title><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, xmlEscape(text), side, side)
	for y := range code.Size {
		for x := range code.Size {
			if code.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+quietZone, y+quietZone)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // a bytes.Buffer never fails to write
	return b.String()
}

// referralQR serves the partner's referral link as a QR code (SVG), for
// the partner itself or finance.
func (s *Server) referralQR(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	id, ok := s.visiblePartner(w, r, p)
	if !ok {
		return
	}
	pt, err := s.Partners.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	svg, err := qrSVG(s.view(pt).ReferralLink)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	_, _ = w.Write(svg) // the client went away; nothing left to do
}
