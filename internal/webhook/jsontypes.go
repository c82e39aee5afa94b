package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/money"
)

// flexString accepts a JSON string or number and keeps its exact text; shop
// ids are numbers in some payloads and strings in others.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("expected a string or a number")
	}
	*f = flexString(n.String())
	return nil
}

// decimal is an amount written as a decimal ("12.50" or 12.5); it is parsed
// into minor units from its text so no float ever holds money.
type decimal = flexString

func minor(d decimal, cur money.Currency, field string) (int64, error) {
	if d == "" {
		return 0, nil
	}
	v, err := money.ParseDecimal(strings.TrimSpace(string(d)), cur)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", field, err)
	}
	return v, nil
}

// firstTime is the first of a provider's timestamps that reads with
// layout (in UTC when the layout has no zone), or zero: a missing or
// unreadable time dates the event on receipt rather than refusing it.
func firstTime(layout string, values ...string) time.Time {
	for _, v := range values {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t
		}
	}
	return time.Time{}
}

// unixTime reads Stripe's Unix seconds; zero or absent is no time.
func unixTime(seconds ...int64) time.Time {
	for _, s := range seconds {
		if s > 0 {
			return time.Unix(s, 0).UTC()
		}
	}
	return time.Time{}
}
