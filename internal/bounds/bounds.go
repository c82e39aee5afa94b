// Package bounds holds the limits every string the API accepts is held to
// (the README's "Bounds on input"), so an over-long value is refused with
// the field's name before it can reach storage, where it would fail as a
// key or item too large.
package bounds

import (
	"fmt"
	"net/mail"
	"unicode"
	"unicode/utf8"

	"github.com/partnerloop/partnerloop/internal/csvsafe"
)

// Limit is the most a kind of string may hold, in bytes or in characters.
type Limit struct {
	Max   int
	Chars bool // count Unicode characters rather than bytes
}

// The limits, by kind of field.
var (
	ID    = Limit{Max: 256}              // ids, codes, references, SKUs, categories, host names
	Email = Limit{Max: 254}              // RFC 5321's longest address
	URL   = Limit{Max: 2000}             // what browsers and servers reliably take
	Name  = Limit{Max: 200, Chars: true} // names people read
	Text  = Limit{Max: 2000, Chars: true}
)

// Error is a refused string field; it names the field as a JSON path.
type Error struct {
	Field  string
	Reason string
}

func (e *Error) Error() string { return e.Field + " " + e.Reason }

// Check refuses v when it is longer than the limit.
func (l Limit) Check(field, v string) error {
	n, unit := len(v), "bytes"
	if l.Chars {
		n, unit = utf8.RuneCountInString(v), "characters"
	}
	if n > l.Max {
		return &Error{Field: field, Reason: fmt.Sprintf("must be at most %d %s", l.Max, unit)}
	}
	return nil
}

// Verbatim refuses a value a payout provider or bank must read as it is
// (an e-mail address, a recipient's name) if a spreadsheet would run it as a
// formula: such a value cannot be neutralised in a file without changing it.
func Verbatim(field, v string) error {
	if csvsafe.StartsFormula(v) {
		return &Error{Field: field, Reason: "must not start with =, +, -, @, a tab or a carriage return"}
	}
	return nil
}

// PersonName refuses a name that is past the Name limit, that a spreadsheet
// would run, or that holds a control character (a line break starts a
// new line of an e-mail or a file) or a bidirectional override (it makes
// "gnp.exe" read as "exe.png").
func PersonName(field, v string) error {
	if err := First(Name.Check(field, v), Verbatim(field, v)); err != nil {
		return err
	}
	for _, r := range v {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return &Error{Field: field, Reason: fmt.Sprintf("must not hold the control character %U", r)}
		}
	}
	return nil
}

// Address refuses what is not a plain e-mail address (no display name,
// comment or header), within the Email limit and not starting a formula.
func Address(field, v string) error {
	if err := First(Email.Check(field, v), Verbatim(field, v)); err != nil {
		return err
	}
	if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
		return &Error{Field: field, Reason: "must be a plain e-mail address"}
	}
	return nil
}

// First is the first of errs that is not nil.
func First(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
