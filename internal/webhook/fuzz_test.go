package webhook

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
)

// The fuzz targets state three properties of every parser: it never
// panics; what it refuses is a client error (ErrPayload or an unknown
// currency, answered 4xx), never something a retry could fix; and what it
// accepts is a valid event. The generic format is the canonical encoding
// of an event, so an accepted generic body re-encodes to the same event.
// Seeds: testdata/fuzz/<target>/ (the sample events and past findings).

func clientError(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, ErrPayload) && !errors.Is(err, money.ErrUnknownCurrency) {
		t.Fatalf("refusal is not a client error: %v", err)
	}
}

func validEvent(t *testing.T, evt ledger.Event) {
	t.Helper()
	if err := evt.Validate(); err != nil {
		t.Fatalf("accepted an invalid event %+v: %v", evt, err)
	}
}

// encodeGeneric writes an event as the generic format (e-mail aside: only
// its hash is kept, so the round trip compares without it).
func encodeGeneric(evt ledger.Event) []byte {
	type line struct {
		SKU      string `json:"sku"`
		Category string `json:"category"`
		Quantity int64  `json:"quantity"`
		Amount   int64  `json:"amount"`
	}
	type refundLine struct {
		SKU    string `json:"sku"`
		Amount int64  `json:"amount"`
	}
	order := map[string]any{"id": evt.OrderID, "currency": evt.Currency}
	if o := evt.Order; o != nil {
		lines := []line{}
		for _, l := range o.Lines {
			lines = append(lines, line{l.SKU, l.Category, l.Quantity, l.Amount})
		}
		order["lines"], order["tax"], order["shipping"] = lines, o.Tax, o.Shipping
		order["referral_code"], order["coupon"] = o.ReferralCode, o.Coupon
		order["customer"] = map[string]string{"id": o.Customer.ID}
	}
	if rf := evt.Refund; rf != nil {
		lines := []refundLine{}
		for _, l := range rf.Lines {
			lines = append(lines, refundLine{l.SKU, l.Amount})
		}
		order["refund"] = map[string]any{"id": rf.ID, "amount": rf.Amount, "lines": lines}
	}
	b, _ := json.Marshal(map[string]any{"id": evt.ID, "type": evt.Kind, "order": order})
	return b
}

func withoutEmail(evt ledger.Event) ledger.Event {
	if evt.Order != nil {
		o := *evt.Order
		o.Customer.EmailHash, o.Customer.NormalHash, o.Customer.Domain = "", "", ""
		evt.Order = &o
	}
	return evt
}

func FuzzParseGeneric(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		evt, err := ParseGeneric(body, hasher)
		clientError(t, err)
		if err != nil {
			return
		}
		validEvent(t, evt)
		again, err := ParseGeneric(encodeGeneric(evt), hasher)
		if err != nil {
			t.Fatalf("re-encoded event refused: %v\n%s", err, encodeGeneric(evt))
		}
		if a, b := withoutEmail(evt), withoutEmail(again); !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip changed the event:\n%+v\n%+v", a, b)
		}
	})
}

func FuzzParseLead(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		lead, err := ParseLead(body, hasher)
		clientError(t, err)
		if err == nil && (lead.ID == "" || lead.ReferralCode == "") {
			t.Fatalf("accepted a lead without id or code: %+v", lead)
		}
	})
}

func FuzzParseShopify(f *testing.F) {
	f.Fuzz(func(t *testing.T, topic string, body []byte) {
		evt, handled, err := ParseShopify(topic, "wh-1", body, hasher)
		clientError(t, err)
		if err == nil && handled {
			validEvent(t, evt)
		}
	})
}

func FuzzParseStripe(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := ParseStripe(body, hasher)
		clientError(t, err)
		if err == nil && d.Order != nil {
			validEvent(t, *d.Order)
		}
	})
}

func FuzzParseWooCommerce(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		evts, err := ParseWooCommerce("order.updated", "dlv", body, hasher)
		clientError(t, err)
		for _, evt := range evts {
			validEvent(t, evt)
		}
	})
}

// FuzzVerifyTimestamped: no header but the one made with the secret for
// this body verifies, and no header makes it panic.
func FuzzVerifyTimestamped(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"evt"}`)
	f.Add(SignTimestamped(body, []byte("s"), now))
	f.Add("t=1800000000,v1=00,v1=zz")
	f.Add("t=-1,v1=")
	f.Add(",,,=,t")
	f.Fuzz(func(t *testing.T, header string) {
		err := VerifyTimestamped(header, body, []byte("s"), now)
		// Hex is read case-insensitively, so only the letters' case may differ.
		if err == nil && !strings.Contains(strings.ToLower(header), SignTimestamped(body, []byte("s"), now)[len("t=1800000000,"):]) {
			t.Fatalf("verified a header without the body's signature: %q", header)
		}
		if err != nil && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrStale) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
