package httpapi

import (
	"encoding/xml"
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"rsc.io/qr"
)

// TestQRSVGDrawsEveryDarkModuleAndNothingElse reads the drawn squares back
// and compares them with the code, module by module, quiet zone included.
func TestQRSVGDrawsEveryDarkModuleAndNothingElse(t *testing.T) {
	link := "https://go.partnerloop.example/r/ABCD2345"
	svg, err := qrSVG(link)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ViewBox string `xml:"viewBox,attr"`
		Title   string `xml:"title"`
		Path    struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(svg, &doc); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	code, _ := qr.Encode(link, qr.M)
	side := code.Size + 2*quietZone
	if doc.ViewBox != fmt.Sprintf("0 0 %d %d", side, side) || doc.Title != link {
		t.Errorf("viewBox %q, title %q", doc.ViewBox, doc.Title)
	}
	drawn := map[[2]int]bool{}
	for _, m := range regexp.MustCompile(`M(\d+) (\d+)h1v1h-1z`).FindAllStringSubmatch(doc.Path.D, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		drawn[[2]int{x - quietZone, y - quietZone}] = true
	}
	dark := 0
	for y := range code.Size {
		for x := range code.Size {
			if code.Black(x, y) {
				dark++
				if !drawn[[2]int{x, y}] {
					t.Fatalf("module %d,%d is dark but not drawn", x, y)
				}
			}
		}
	}
	if len(drawn) != dark {
		t.Errorf("drew %d squares for %d dark modules", len(drawn), dark)
	}
}
