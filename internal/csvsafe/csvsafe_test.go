package csvsafe

import (
	"strings"
	"testing"
)

func TestNeutraliseQuotesFormulasAndKeepsNumbers(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1":                   "'=1+1",
		"+1":                     "'+1",
		"-1+2":                   "'-1+2",
		"@SUM(A1)":               "'@SUM(A1)",
		"\t=cmd":                 "'\t=cmd",
		"\r=cmd":                 "'\r=cmd",
		"=cmd|'/Ccalc'!A0@x.com": "'=cmd|'/Ccalc'!A0@x.com",
		"-1250":                  "-1250",
		"-12.50":                 "-12.50",
		"Acme = best":            "Acme = best",
		"":                       "",
		"a@b.example":            "a@b.example",
	} {
		if got := Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteNeutralisesEveryCellAndQuotesLineBreaks(t *testing.T) {
	var b strings.Builder
	if err := Write(&b, []string{"name", "amount"}, [][]string{{"=HYPERLINK(\"x\")", "-5"}, {"a\rb", "1"}}); err != nil {
		t.Fatal(err)
	}
	want := "name,amount\n\"'=HYPERLINK(\"\"x\"\")\",-5\n\"a\rb\",1\n"
	if b.String() != want {
		t.Fatalf("got %q\nwant %q", b.String(), want)
	}
}
