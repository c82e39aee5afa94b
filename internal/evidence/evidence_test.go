package evidence

import "testing"

func TestAnOrderWritesItsEvidenceUnderOneKey(t *testing.T) {
	if w := OrderWrite("hash", "c1"); w.EmailHash != "hash" || w.CustomerID != "" {
		t.Errorf("with an e-mail: %+v, want the e-mail key only", w)
	}
	if w := OrderWrite("", "c1"); w.EmailHash != "" || w.CustomerID != "c1" {
		t.Errorf("without an e-mail: %+v, want the customer key", w)
	}
}
