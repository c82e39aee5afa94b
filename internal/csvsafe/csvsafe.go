// Package csvsafe writes the CSV files finance opens in a spreadsheet so
// that no cell runs as a formula (OWASP's "CSV injection").
package csvsafe

import (
	"encoding/csv"
	"io"
	"regexp"
	"strings"
)

// formulaStarts are the first characters that make Excel, LibreOffice or
// Google Sheets read a cell as a formula (a tab or CR too, which some
// import paths strip before looking at the next character).
const formulaStarts = "=+-@\t\r"

// StartsFormula reports whether a spreadsheet could read v as a formula.
func StartsFormula(v string) bool {
	return v != "" && strings.ContainsRune(formulaStarts, rune(v[0]))
}

// number is a plain decimal number: a spreadsheet reads "-12.50" as the
// number it is, so amounts stay numbers finance can add up.
var number = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// Neutralise prefixes a cell that could run as a formula with a single
// quote, which spreadsheets show as text and do not evaluate.
func Neutralise(cell string) string {
	if StartsFormula(cell) && !number.MatchString(cell) {
		return "'" + cell
	}
	return cell
}

// Write writes the header (if any) and the rows as CSV, every cell
// neutralised; cells holding a comma, quote, CR or LF are quoted.
func Write(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if header != nil {
		rows = append([][]string{header}, rows...)
	}
	for _, row := range rows {
		safe := make([]string, len(row))
		for i, cell := range row {
			safe[i] = Neutralise(cell)
		}
		if err := cw.Write(safe); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
