// Package evidence describes what is kept of who referred a customer, what
// an order's one read finds of it and what the order's commit adds to it.
// The ledger carries it between the store and attribution without
// interpreting it.
package evidence

import (
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/fraud"
	"github.com/partnerloop/partnerloop/internal/partner"
)

// Touch is remembered evidence that a partner referred a customer: a
// reported sign-up, a referred subscription, or earlier orders that carried
// the partner's code. It is kept under the customer's e-mail hash and id,
// so it follows the customer across devices and shops.
type Touch struct {
	PartnerID  string    `json:"partner_id" dynamodbav:"partner_id"`
	Via        string    `json:"via" dynamodbav:"via"` // sign_up, subscription or earlier_order
	Ref        string    `json:"ref" dynamodbav:"ref"` // what produced it; one touch per ref
	At         time.Time `json:"at" dynamodbav:"at"`
	CustomerID string    `json:"customer_id,omitempty" dynamodbav:"customer_id,omitempty"`
	EmailHash  string    `json:"email_hash,omitempty" dynamodbav:"email_hash,omitempty"`
	// FirstAt is when a renewed touch (a partner's earlier orders for the
	// customer, one touch however many orders) was first made; At is the latest.
	FirstAt *time.Time `json:"first_at,omitempty" dynamodbav:"first_at,omitempty"`
	// Referrer is the partner as it was when the touch was made. An order
	// credited by the touch commits only while it is still so; otherwise
	// the order reads the partner afresh.
	Referrer partner.Referrer `json:"-" dynamodbav:"referrer"`
}

// First is when the touch was first made.
func (t Touch) First() time.Time {
	if t.FirstAt != nil {
		return *t.FirstAt
	}
	return t.At
}

// Retention outlives the longest attribution window a program may set.
const Retention = 366 * 24 * time.Hour

// Query names an order's evidence: its codes, its customer and the click
// it came by.
type Query struct {
	Codes      []string // normalised referral code and coupon
	EmailHash  string
	CustomerID string
	Click      *ClickRef
}

// ClickRef names one click's record: the partner's counter of clicks from
// one source (a hash of the visitor's address) in one hour. The redirect
// puts it on the landing URL and the shop passes it on with the order.
type ClickRef struct {
	PartnerID, Source string
	Hour              time.Time
}

const clickHourLayout = "2006010215"

// String is the reference as the landing URL carries it.
func (c ClickRef) String() string {
	return c.PartnerID + "." + c.Hour.UTC().Format(clickHourLayout) + "." + c.Source
}

// ParseClickRef reads a reference String made; anything else is not one.
func ParseClickRef(s string) (ClickRef, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" || len(s) > 128 {
		return ClickRef{}, false
	}
	hour, err := time.Parse(clickHourLayout, parts[1])
	if err != nil {
		return ClickRef{}, false
	}
	return ClickRef{PartnerID: parts[0], Source: parts[2], Hour: hour}, true
}

// Purchase is the order that claimed a purchase fingerprint.
type Purchase struct {
	Source  string `dynamodbav:"source"`
	OrderID string `dynamodbav:"order_id"`
}

// Found is what is kept for a Query.
type Found struct {
	// Referrers resolves the query's codes; an unknown code is absent.
	Referrers map[string]partner.Referrer
	// Touches of the customer, once per ref.
	Touches []Touch
	// Purchases are the fingerprints claimed under the customer's e-mail on
	// PurchaseDay (only one day's are kept).
	Purchases   map[string]Purchase
	PurchaseDay string
	// Click is what the redirect kept of the query's click, if it is kept.
	Click *fraud.Click
}

// Claim takes a purchase fingerprint for an order.
type Claim struct {
	Fingerprint string
	Purchase    Purchase
	Day         string
	// NewDay replaces the fingerprints kept for an earlier day.
	NewDay bool
}

// Write is what an order adds to its customer's evidence, committed in the
// order's transaction.
type Write struct {
	EmailHash, CustomerID string
	// Touch is the touch the order makes or renews, or nil.
	Touch *Touch
	// Expired are refs of touches past Retention the read found: dropped.
	Expired []string
	// Claim is the purchase fingerprint the order takes, or nil.
	Claim *Claim
	// Referrer, when set, is the snapshot a touch credited the order by: the
	// commit fails (and the order is read again) unless it is still current.
	Referrer *partner.Referrer
}

// OrderWrite is the evidence write of an order by the customer: under the
// e-mail hash when there is one (the key that follows the customer across
// shops, where the day's fingerprints are kept too), else under the
// customer id. One item per order; reads take both keys, so a touch kept
// under either still credits.
func OrderWrite(emailHash, customerID string) Write {
	if emailHash != "" {
		return Write{EmailHash: emailHash}
	}
	return Write{CustomerID: customerID}
}

// IsZero reports whether the write changes nothing.
func (w Write) IsZero() bool { return w.Touch == nil && w.Claim == nil && w.Referrer == nil }
