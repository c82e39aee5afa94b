package program

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/money"
)

// The fraud rules a program may turn on (package fraud implements them).
const (
	FraudCustomerIsPartner  = "customer_is_partner"
	FraudSameCompanyDomain  = "same_company_domain"
	FraudDisposableEmail    = "disposable_email"
	FraudPaidAdClick        = "paid_ad_click"
	FraudBannedReferrer     = "banned_referrer"
	FraudSharedPayoutMethod = "shared_payout_method"
	FraudSameDevice         = "same_device"
	FraudCouponLeak         = "coupon_leak"
	FraudLargeCommission    = "large_commission"
	FraudFirstPayoutMinimum = "first_payout_minimum"
)

// FraudRules lists every rule id.
func FraudRules() []string {
	return []string{FraudCustomerIsPartner, FraudSameCompanyDomain, FraudDisposableEmail, FraudPaidAdClick, FraudBannedReferrer,
		FraudSharedPayoutMethod, FraudSameDevice, FraudCouponLeak, FraudLargeCommission, FraudFirstPayoutMinimum}
}

// What a rule that fires does besides recording its event.
const (
	FraudHold = "hold" // hold the accrual it names, or the payout, until finance decides
	FraudFlag = "flag" // only open the case for review
)

// Fraud configures the fraud rules. A group may replace a rule's settings
// for its partners (GroupTerms.Fraud); see FraudFor.
type Fraud struct {
	Rules map[string]FraudRule `json:"rules,omitempty"`
	// CaseExpiryDays: a pending case with no new event for this long is
	// no longer extended; the next event opens a new one. Default 30.
	CaseExpiryDays int `json:"case_expiry_days,omitempty"`
	// FourEyesAbove: a decision on a case holding more than this amount of
	// a currency takes two different finance users.
	FourEyesAbove map[money.Currency]int64 `json:"four_eyes_above,omitempty"`
}

// FraudRule is one rule's settings; each rule reads the fields its
// comment names and ignores the others.
type FraudRule struct {
	Enabled bool   `json:"enabled"`
	Action  string `json:"action,omitempty"` // hold (the default) or flag
	// Amounts (large_commission): an accrual above this fires, per currency.
	Amounts map[money.Currency]int64 `json:"amounts,omitempty"`
	// AllowedCampaigns (paid_ad_click): utm_campaign values that may run
	// paid ads on the brand.
	AllowedCampaigns []string `json:"allowed_campaigns,omitempty"`
	// Hosts (banned_referrer): referring hosts whose clicks fire; a host
	// covers its subdomains.
	Hosts []string `json:"hosts,omitempty"`
	// Customers: distinct customers one device converts within WindowHours
	// that fire same_device; for first_payout_minimum, the distinct paying
	// customers a partner needs before its first payout.
	Customers int `json:"customers,omitempty"`
	// WindowHours (same_device): how far back a device's customers count.
	WindowHours int `json:"window_hours,omitempty"`
	// RateBps and MinOrders (coupon_leak): the share of a partner's coupon
	// orders in a month without any click of the partner above which it
	// fires, once it has at least MinOrders coupon orders.
	RateBps   int64 `json:"rate_bps,omitempty"`
	MinOrders int   `json:"min_orders,omitempty"`
}

// Holds reports whether the rule, when it fires, holds money.
func (r FraudRule) Holds() bool { return r.Action != FraudFlag }

// Bounds of the fraud settings.
const (
	MaxFraudListItems  = 500
	MaxCaseExpiryDays  = 365
	MaxFraudWindowDays = 30
)

// DefaultCaseExpiryDays is how long a case waits for new events by default.
const DefaultCaseExpiryDays = 30

// CaseExpiry is the days a pending case stays open without new events.
func (f Fraud) CaseExpiry() int {
	if f.CaseExpiryDays == 0 {
		return DefaultCaseExpiryDays
	}
	return f.CaseExpiryDays
}

// Rule is the rule's settings and whether it is on.
func (f Fraud) Rule(id string) (FraudRule, bool) {
	r, ok := f.Rules[id]
	return r, ok && r.Enabled
}

// FraudFor resolves the fraud settings of a group's partners, program ←
// group, from the rules the group sets (GroupTerms.Fraud): each replaces
// the program's whole.
func (p Program) FraudFor(group map[string]FraudRule) Fraud {
	f := p.Fraud
	if len(group) > 0 {
		f.Rules = maps.Clone(f.Rules)
		if f.Rules == nil {
			f.Rules = map[string]FraudRule{}
		}
		maps.Copy(f.Rules, group)
	}
	return f
}

// check names the first unusable fraud setting.
func (f Fraud) check() error {
	if f.CaseExpiryDays < 0 || f.CaseExpiryDays > MaxCaseExpiryDays {
		return fmt.Errorf("fraud.case_expiry_days must be between 1 and %d", MaxCaseExpiryDays)
	}
	for cur, v := range f.FourEyesAbove {
		if err := checkCurrencyAmount("fraud.four_eyes_above."+string(cur), cur, v); err != nil {
			return err
		}
	}
	return CheckFraudRules("fraud.rules", f.Rules)
}

// CheckFraudRules names the first unusable rule of rules, its path under
// prefix (a group checks its overrides with it too).
func CheckFraudRules(prefix string, rules map[string]FraudRule) error {
	ids := slices.Sorted(maps.Keys(rules))
	for _, id := range ids {
		r, f := rules[id], prefix+"."+id
		if !slices.Contains(FraudRules(), id) {
			return fmt.Errorf("%s is not a fraud rule; the rules are %s", f, strings.Join(FraudRules(), ", "))
		}
		if r.Action != "" && r.Action != FraudHold && r.Action != FraudFlag {
			return fmt.Errorf("%s.action must be hold or flag", f)
		}
		for cur, v := range r.Amounts {
			if err := checkCurrencyAmount(f+".amounts."+string(cur), cur, v); err != nil {
				return err
			}
		}
		if len(r.AllowedCampaigns) > MaxFraudListItems || len(r.Hosts) > MaxFraudListItems {
			return fmt.Errorf("%s lists at most %d campaigns and %d hosts", f, MaxFraudListItems, MaxFraudListItems)
		}
		for i, c := range r.AllowedCampaigns {
			if err := bounds.ID.Check(fmt.Sprintf("%s.allowed_campaigns[%d]", f, i), c); err != nil {
				return err
			}
		}
		for i, h := range r.Hosts {
			if h == "" || len(h) > 253 || strings.ContainsAny(h, "/:@?# ") || strings.ToLower(h) != h {
				return fmt.Errorf("%s.hosts[%d] must be a lower-case host name without scheme or path", f, i)
			}
		}
		if r.Customers < 0 || r.Customers > 10_000 {
			return fmt.Errorf("%s.customers must be between 0 and 10000", f)
		}
		if r.WindowHours < 0 || r.WindowHours > MaxFraudWindowDays*24 {
			return fmt.Errorf("%s.window_hours must be between 0 and %d", f, MaxFraudWindowDays*24)
		}
		if r.RateBps < 0 || r.RateBps > money.BasisPointsPerUnit {
			return fmt.Errorf("%s.rate_bps must be between 0 and 10000", f)
		}
		if r.MinOrders < 0 || r.MinOrders > 1_000_000 {
			return fmt.Errorf("%s.min_orders must be between 0 and 1000000", f)
		}
	}
	return nil
}

// checkCurrencyAmount accepts an ISO 4217 currency and an amount of it
// between 1 and money.MaxAmount.
func checkCurrencyAmount(field string, cur money.Currency, v int64) error {
	if _, err := money.ParseCurrency(string(cur)); err != nil || money.Currency(strings.ToUpper(string(cur))) != cur {
		return fmt.Errorf("%s is not an ISO 4217 currency", field)
	}
	if v <= 0 || v > money.MaxAmount {
		return fmt.Errorf("%s must be between 1 and %d", field, money.MaxAmount)
	}
	return nil
}
