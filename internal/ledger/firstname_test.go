package ledger

import (
	"strings"
	"testing"
)

func TestFirstNameKeepsTheFirstWordBounded(t *testing.T) {
	for in, want := range map[string]string{
		"Maria Grazia Rossi":     "Maria",
		"  Jean-Luc Picard":      "Jean-Luc",
		"":                       "",
		"Анна":                   "Анна",
		strings.Repeat("é", 100): strings.Repeat("é", MaxFirstName),
		"Bad\xffName":            "BadName",
	} {
		if got := FirstName(in); got != want {
			t.Errorf("FirstName(%q) = %q, want %q", in, got, want)
		}
	}
}
