package evidence

import (
	"testing"
	"time"
)

func TestAnOrderWritesItsEvidenceUnderOneKey(t *testing.T) {
	if w := OrderWrite("hash", "c1"); w.EmailHash != "hash" || w.CustomerID != "" {
		t.Errorf("with an e-mail: %+v, want the e-mail key only", w)
	}
	if w := OrderWrite("", "c1"); w.EmailHash != "" || w.CustomerID != "c1" {
		t.Errorf("without an e-mail: %+v, want the customer key", w)
	}
}

func TestClickRefReadsBackWhatItWrites(t *testing.T) {
	ref := ClickRef{PartnerID: "pt_abc", Source: "0123abcd", Hour: time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)}
	if got, ok := ParseClickRef(ref.String()); !ok || got != ref {
		t.Fatalf("%q read back as %+v, %v", ref.String(), got, ok)
	}
	for _, bad := range []string{"", "pt_abc", "pt_abc.2026030415", "pt_abc.20260304.src", ".2026030415.src", "pt_abc.2026030415.", "a.b.c.d"} {
		if _, ok := ParseClickRef(bad); ok {
			t.Errorf("%q is not a click reference", bad)
		}
	}
}
