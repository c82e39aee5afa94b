// Package fraud holds the rules that hold commission by themselves and the
// review queue finance works through. Each rule is a pure function over
// what is known of an order, a click or a partner, answering whether it
// fires and with what evidence; Screen runs those of the order path inside
// the ledger's decision, so a hold and its event commit with the accrual.
// A case gathers one partner's events of one rule; its decisions move
// money only through the ledger (release or reversal).
package fraud

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/program"
)

// Evidence is what made a rule fire, as the case shows it.
type Evidence map[string]string

// Customer is what the rules know of an order's buyer: never the address,
// only its keyed hash and its domain.
type Customer struct {
	// NormalHash is the keyed hash of the normalised address (NormalizeEmail).
	NormalHash string
	Domain     string
}

// Partner is what the rules know of the credited partner.
type Partner struct {
	ID string
	// EmailHashes are the keyed hashes of the partner's normalised
	// addresses: its own and its payout e-mail.
	EmailHashes []string
	Domain      string
}

// Order is a paid order credited to a partner, as its accrual would be.
type Order struct {
	Source, OrderID string
	Currency        money.Currency
	Commission      int64
	Customer        Customer
	// Device is the buyer's hashed address and user agent, if the shop
	// reported them; DeviceCustomers is how many distinct customers it has
	// converted for the partner within the same_device window, this one
	// included (the device counter's answer).
	Device          string
	DeviceCustomers int
	// Click is the click of the credited partner the order came by, when
	// the order names it (the redirect's click reference).
	Click *Click
}

// CustomerIsPartner fires when the customer's normalised address is the
// partner's own or its payout e-mail: case, and for the providers that
// ignore them dots and +tags, do not tell them apart.
func CustomerIsPartner(o Order, p Partner) (Evidence, bool) {
	if o.Customer.NormalHash == "" || !slices.Contains(p.EmailHashes, o.Customer.NormalHash) {
		return nil, false
	}
	return Evidence{"customer_email": "matches the partner's e-mail or payout e-mail"}, true
}

// SameCompanyDomain fires when customer and partner share an e-mail domain
// that is not a free-mail provider's.
func SameCompanyDomain(o Order, p Partner) (Evidence, bool) {
	d := o.Customer.Domain
	if d == "" || d != p.Domain || IsFreeMail(d) {
		return nil, false
	}
	return Evidence{"domain": d}, true
}

// DisposableEmail fires when the customer's domain is a disposable-mail
// service's.
func DisposableEmail(o Order) (Evidence, bool) {
	if o.Customer.Domain == "" || !IsDisposable(o.Customer.Domain) {
		return nil, false
	}
	return Evidence{"domain": o.Customer.Domain}, true
}

// LargeCommission fires when one accrual is above the amount the rule sets
// for its currency; a currency it does not name never fires.
func LargeCommission(o Order, r program.FraudRule) (Evidence, bool) {
	limit, ok := r.Amounts[o.Currency]
	if !ok || o.Commission <= limit {
		return nil, false
	}
	return Evidence{"commission": strconv.FormatInt(o.Commission, 10), "above": strconv.FormatInt(limit, 10), "currency": string(o.Currency)}, true
}

// AdClickParams are the landing-URL parameters ad networks add to a paid
// click: Google (gclid, gbraid, wbraid), Meta, Microsoft and TikTok.
var AdClickParams = []string{"gclid", "gbraid", "wbraid", "fbclid", "msclkid", "ttclid"}

// Click is what the redirect keeps of one click on a partner's link, on
// the click's counter item: which ad parameters the link's URL carried (not
// their values) and its campaign, the referring host (never the referring
// URL), and the visitor's device as a keyed hash (never the address).
type Click struct {
	PartnerID   string   `dynamodbav:"-"`
	AdParams    []string `dynamodbav:"ad_params,omitempty"` // the AdClickParams the URL carried
	Campaign    string   `dynamodbav:"campaign,omitempty"`  // its utm_campaign
	RefererHost string   `dynamodbav:"referer_host,omitempty"`
	Device      string   `dynamodbav:"device,omitempty"`
}

// Bounds of what a click keeps: a campaign longer than MaxCampaign is cut
// (it then matches no allowed campaign), a referring host longer than a
// DNS name can be is dropped.
const (
	MaxCampaign    = 128
	maxRefererHost = 253
)

// ClickFrom reads a click from the link's query and its Referer header.
func ClickFrom(partnerID string, query url.Values, referer string) Click {
	c := Click{PartnerID: partnerID, Campaign: query.Get("utm_campaign")}
	if len(c.Campaign) > MaxCampaign {
		c.Campaign = strings.ToValidUTF8(c.Campaign[:MaxCampaign], "")
	}
	for _, p := range AdClickParams {
		if query.Has(p) {
			c.AdParams = append(c.AdParams, p)
		}
	}
	if u, err := url.Parse(referer); err == nil {
		if h := strings.TrimSuffix(strings.ToLower(u.Hostname()), "."); len(h) <= maxRefererHost {
			c.RefererHost = h
		}
	}
	return c
}

// PaidAdClick fires on a click from a paid ad (a program that turns the
// rule on forbids paid search on its brand) unless its campaign is
// allowed.
func PaidAdClick(c Click, r program.FraudRule) (Evidence, bool) {
	if len(c.AdParams) == 0 || c.Campaign != "" && slices.Contains(r.AllowedCampaigns, c.Campaign) {
		return nil, false
	}
	ev := Evidence{"ad_params": strings.Join(c.AdParams, ",")}
	if c.Campaign != "" {
		ev["campaign"] = c.Campaign
	}
	return ev, true
}

// BannedReferrer fires on a click referred from a listed host or one of
// its subdomains.
func BannedReferrer(c Click, r program.FraudRule) (Evidence, bool) {
	if c.RefererHost == "" {
		return nil, false
	}
	hosts := map[string]bool{}
	for _, h := range r.Hosts {
		hosts[h] = true
	}
	if !underAny(c.RefererHost, hosts) {
		return nil, false
	}
	return Evidence{"referer_host": c.RefererHost}, true
}

// SharedPayoutMethod fires when another partner has one of the partner's
// payout methods (an e-mail, Stripe account or IBAN, each as a keyed hash):
// owners gives, per method hash, the partners that use it.
func SharedPayoutMethod(partnerID string, methods []string, owners map[string][]string) (Evidence, bool) {
	var others []string
	for _, m := range methods {
		for _, o := range owners[m] {
			if o != partnerID && !slices.Contains(others, o) {
				others = append(others, o)
			}
		}
	}
	if len(others) == 0 {
		return nil, false
	}
	slices.Sort(others)
	return Evidence{"shared_with": strings.Join(others, ",")}, true
}

// Defaults of same_device: how many distinct customers one device may
// convert for a partner within how many hours before it fires.
const (
	DefaultDeviceCustomers   = 3
	DefaultDeviceWindowHours = 24
)

// DeviceLimit is the number of distinct customers that fires same_device.
func DeviceLimit(r program.FraudRule) int {
	if r.Customers == 0 {
		return DefaultDeviceCustomers
	}
	return r.Customers
}

// SameDevice fires when one device (hashed address and user agent) has
// converted customers distinct customers for the partner within the rule's
// window, counting this order's.
func SameDevice(device string, customers int, r program.FraudRule) (Evidence, bool) {
	if device == "" || customers < DeviceLimit(r) {
		return nil, false
	}
	return Evidence{"device": device, "customers": strconv.Itoa(customers)}, true
}

// DeviceVisit counts an order's customer on the device of the click it
// names: the distinct customers one device converts for a partner in one
// window of the rule's hours (windows are fixed, counted from the Unix
// epoch). The store adds the customer only while the device stays below
// Limit, and refuses the one that would reach it: the rule then fires.
type DeviceVisit struct {
	PartnerID, Device string
	// Customer is the keyed hash of the customer's normalised e-mail.
	Customer string
	Window   time.Time
	Limit    int
}

// NewDeviceVisit is the visit of an order paid at on device under r.
func NewDeviceVisit(partnerID, device, customer string, at time.Time, r program.FraudRule) DeviceVisit {
	hours := r.WindowHours
	if hours == 0 {
		hours = DefaultDeviceWindowHours
	}
	return DeviceVisit{PartnerID: partnerID, Device: device, Customer: customer,
		Window: at.UTC().Truncate(time.Duration(hours) * time.Hour), Limit: DeviceLimit(r)}
}

// CouponCounts are a partner's coupon orders in a month and those of them
// no click or earlier evidence of the partner referred.
type CouponCounts struct {
	Orders, WithoutClick int64
}

// The monthly sales counters coupon_leak reads: the orders credited by a
// partner's coupon, and those of them that named no click of the partner.
const (
	CouponOrdersCounter       = "coupon_orders"
	CouponWithoutClickCounter = "coupon_orders_no_click"
)

// CouponCountsOf reads coupon_leak's counts from a month's sales counters.
func CouponCountsOf(counters map[string]int64) CouponCounts {
	return CouponCounts{Orders: counters[CouponOrdersCounter], WithoutClick: counters[CouponWithoutClickCounter]}
}

// CouponLeak fires when a partner's coupon converts, past MinOrders coupon
// orders, a share of orders without any click of the partner above the
// rule's rate: the coupon is out on a coupon site.
func CouponLeak(c CouponCounts, r program.FraudRule) (Evidence, bool) {
	if c.Orders == 0 || c.Orders < int64(r.MinOrders) || c.WithoutClick*money.BasisPointsPerUnit <= r.RateBps*c.Orders {
		return nil, false
	}
	return Evidence{"coupon_orders": strconv.FormatInt(c.Orders, 10), "without_click": strconv.FormatInt(c.WithoutClick, 10)}, true
}

// FirstPayoutMinimum fires, at a batch's build, for a partner with fewer
// distinct paying customers than the rule asks before its first payout.
func FirstPayoutMinimum(customers int, paidBefore bool, r program.FraudRule) (Evidence, bool) {
	if paidBefore || customers >= r.Customers {
		return nil, false
	}
	return Evidence{"customers": strconv.Itoa(customers), "needed": strconv.Itoa(r.Customers)}, true
}
