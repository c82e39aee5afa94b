package bounds

import (
	"errors"
	"strings"
	"testing"
)

func TestLimitsCountBytesOrCharacters(t *testing.T) {
	if err := Name.Check("name", strings.Repeat("Ж", 200)); err != nil {
		t.Errorf("200 characters of two bytes each: %v", err)
	}
	var e *Error
	if err := Name.Check("name", strings.Repeat("x", 201)); !errors.As(err, &e) || e.Field != "name" || err.Error() != "name must be at most 200 characters" {
		t.Errorf("201 characters: %v", err)
	}
	if ID.Check("id", strings.Repeat("x", 256)) != nil || ID.Check("id", strings.Repeat("é", 129)) == nil {
		t.Error("ids are counted in bytes")
	}
}

func TestVerbatimRefusesFormulaStarts(t *testing.T) {
	for _, v := range []string{"=1+1", "+49 30", "-x", "@home", "\tx", "\rx"} {
		if err := Verbatim("name", v); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
	if err := Verbatim("name", "Anna-Lena @ Acme"); err != nil {
		t.Error(err)
	}
}

func TestFirstIsTheFirstFailure(t *testing.T) {
	a, b := errors.New("a"), errors.New("b")
	if First(nil, a, b) != a || First(nil, nil) != nil {
		t.Fatal("First")
	}
}

func TestPersonNameRefusesControlAndOverrideCharacters(t *testing.T) {
	for _, v := range []string{"Giulia\x00", "Giulia\r\nBcc: x", "Giulia\u0085", "Giulia \u202egnp.exe", "\u2066Giulia", "=1+1", strings.Repeat("n", 201)} {
		var e *Error
		if err := PersonName("name", v); !errors.As(err, &e) || e.Field != "name" {
			t.Errorf("%q: %v", v, err)
		}
	}
	for _, v := range []string{"Giulia Bianchi", "Анна-Мария", "محمد\u200cرضا", "👩\u200d💻 Studio"} {
		if err := PersonName("name", v); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
}

func TestAddressTakesPlainAddressesOnly(t *testing.T) {
	for _, v := range []string{"", "Giulia <g@x.example>", "g@x.example\r\nBcc: y@x.example", "g@x.example (work)", "=g@x.example", strings.Repeat("a", 250) + "@x.example"} {
		var e *Error
		if err := Address("email", v); !errors.As(err, &e) || e.Field != "email" {
			t.Errorf("%q: %v", v, err)
		}
	}
	if err := Address("email", "giulia.b+shop@x.example"); err != nil {
		t.Error(err)
	}
}
