package fraud

import (
	"net/url"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/program"
)

// hashOf stands in for the keyed hash the order path uses.
func hashOf(email string) string { return "h:" + NormalizeEmail(email) }

func orderBy(email string) Order {
	return Order{Source: "generic", OrderID: "o1", Currency: "EUR", Commission: 500,
		Customer: Customer{NormalHash: hashOf(email), Domain: EmailDomain(email)}}
}

func partnerWith(email, payoutEmail string) Partner {
	return Partner{ID: "p1", EmailHashes: []string{hashOf(email), hashOf(payoutEmail)}, Domain: EmailDomain(email)}
}

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		" Jane.Doe+shop@GMail.com ": "janedoe@gmail.com",
		"jane.doe@googlemail.com":   "janedoe@gmail.com",
		"jane.doe+x@outlook.com":    "jane.doe@outlook.com",
		"jane.doe+x@acme.example":   "jane.doe+x@acme.example", // a company's server may route +tags elsewhere
		"not-an-address":            "",
		"@gmail.com":                "",
		"+tag@gmail.com":            "",
	} {
		if got := NormalizeEmail(in); got != want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCustomerIsPartner(t *testing.T) {
	p := partnerWith("jane.doe@gmail.com", "payouts@acme.example")
	for _, email := range []string{"JaneDoe+deal@googlemail.com", "j.a.n.e.doe@gmail.com", "Payouts@ACME.example"} {
		if _, fired := CustomerIsPartner(orderBy(email), p); !fired {
			t.Errorf("%s is the partner's mailbox: the rule must fire", email)
		}
	}
	for _, email := range []string{"jane.doe2@gmail.com", "payouts+x@acme.example", "jane.doe@yahoo.com"} {
		if _, fired := CustomerIsPartner(orderBy(email), p); fired {
			t.Errorf("%s is another mailbox: the rule must not fire", email)
		}
	}
	if _, fired := CustomerIsPartner(Order{}, Partner{ID: "p1", EmailHashes: []string{""}}); fired {
		t.Error("an order without an e-mail must not fire")
	}
}

func TestSameCompanyDomain(t *testing.T) {
	p := partnerWith("sales@acme.example", "")
	ev, fired := SameCompanyDomain(orderBy("buyer@ACME.example"), p)
	if !fired || ev["domain"] != "acme.example" {
		t.Errorf("a colleague's order must fire with the domain, got %v %v", ev, fired)
	}
	if _, fired := SameCompanyDomain(orderBy("buyer@other.example"), p); fired {
		t.Error("another company's customer must not fire")
	}
	gmailPartner := partnerWith("jane@gmail.com", "")
	if _, fired := SameCompanyDomain(orderBy("someone@gmail.com"), gmailPartner); fired {
		t.Error("a free-mail domain is shared by strangers: it must not fire")
	}
}

func TestDisposableEmail(t *testing.T) {
	for _, email := range []string{"x@mailinator.com", "x@sub.mailinator.com"} {
		if _, fired := DisposableEmail(orderBy(email)); !fired {
			t.Errorf("%s is disposable: the rule must fire", email)
		}
	}
	for _, email := range []string{"x@gmail.com", "x@acme.example", ""} {
		if _, fired := DisposableEmail(orderBy(email)); fired {
			t.Errorf("%q is not disposable: the rule must not fire", email)
		}
	}
}

func TestLargeCommission(t *testing.T) {
	r := program.FraudRule{Enabled: true, Amounts: map[money.Currency]int64{"EUR": 10000}}
	o := orderBy("x@acme.example")
	o.Commission = 10001
	if _, fired := LargeCommission(o, r); !fired {
		t.Error("an accrual above the amount must fire")
	}
	o.Commission = 10000
	if _, fired := LargeCommission(o, r); fired {
		t.Error("an accrual at the amount must not fire")
	}
	o.Commission, o.Currency = 1_000_000, "USD"
	if _, fired := LargeCommission(o, r); fired {
		t.Error("a currency the rule does not name must not fire")
	}
}

func TestClickRules(t *testing.T) {
	paid := ClickFrom("p1", url.Values{"gclid": {"abc"}, "utm_campaign": {"brand"}}, "https://WWW.Google.com/search?q=shop")
	if paid.RefererHost != "www.google.com" || len(paid.AdParams) != 1 {
		t.Fatalf("click read as %+v", paid)
	}
	if _, fired := PaidAdClick(paid, program.FraudRule{Enabled: true}); !fired {
		t.Error("a paid click on the brand must fire")
	}
	if _, fired := PaidAdClick(paid, program.FraudRule{Enabled: true, AllowedCampaigns: []string{"brand"}}); fired {
		t.Error("an allowed campaign must not fire")
	}
	organic := ClickFrom("p1", url.Values{"utm_campaign": {"brand"}}, "")
	if _, fired := PaidAdClick(organic, program.FraudRule{Enabled: true}); fired {
		t.Error("a click without ad parameters must not fire")
	}
	banned := program.FraudRule{Enabled: true, Hosts: []string{"coupons.example"}}
	if _, fired := BannedReferrer(ClickFrom("p1", nil, "https://deals.coupons.example/x"), banned); !fired {
		t.Error("a listed host's subdomain must fire")
	}
	if _, fired := BannedReferrer(ClickFrom("p1", nil, "https://notcoupons.example/"), banned); fired {
		t.Error("a host that only ends like a listed one must not fire")
	}
	if _, fired := BannedReferrer(ClickFrom("p1", nil, ""), banned); fired {
		t.Error("a click without a referrer must not fire")
	}
}

func TestSharedPayoutMethod(t *testing.T) {
	owners := map[string][]string{"iban:1": {"p1", "p2"}, "mail:1": {"p1"}}
	ev, fired := SharedPayoutMethod("p1", []string{"iban:1", "mail:1"}, owners)
	if !fired || ev["shared_with"] != "p2" {
		t.Errorf("an IBAN two partners use must fire naming the other, got %v %v", ev, fired)
	}
	if _, fired := SharedPayoutMethod("p1", []string{"mail:1"}, owners); fired {
		t.Error("a method only the partner uses must not fire")
	}
}

func TestSameDevice(t *testing.T) {
	r := program.FraudRule{Enabled: true, Customers: 3}
	if _, fired := SameDevice("d1", 3, r); !fired {
		t.Error("a device converting the threshold of customers must fire")
	}
	if _, fired := SameDevice("d1", 2, r); fired {
		t.Error("fewer customers must not fire")
	}
	if _, fired := SameDevice("", 10, r); fired {
		t.Error("an order without a device must not fire")
	}
}

func TestCouponLeak(t *testing.T) {
	r := program.FraudRule{Enabled: true, RateBps: 5000, MinOrders: 10}
	if _, fired := CouponLeak(CouponCounts{Orders: 10, WithoutClick: 6}, r); !fired {
		t.Error("60% of coupon orders without a click, over 50%, must fire")
	}
	if _, fired := CouponLeak(CouponCounts{Orders: 10, WithoutClick: 5}, r); fired {
		t.Error("exactly the rate must not fire")
	}
	if _, fired := CouponLeak(CouponCounts{Orders: 9, WithoutClick: 9}, r); fired {
		t.Error("fewer coupon orders than min_orders must not fire")
	}
}

func TestFirstPayoutMinimum(t *testing.T) {
	r := program.FraudRule{Enabled: true, Customers: 3}
	if _, fired := FirstPayoutMinimum(2, false, r); !fired {
		t.Error("two customers before a first payout needing three must fire")
	}
	if _, fired := FirstPayoutMinimum(3, false, r); fired {
		t.Error("enough customers must not fire")
	}
	if _, fired := FirstPayoutMinimum(0, true, r); fired {
		t.Error("a partner paid before must not fire")
	}
}

func TestScreenHoldsByTheFirstHoldingRuleOnly(t *testing.T) {
	cfg := program.Fraud{Rules: map[string]program.FraudRule{
		program.FraudCustomerIsPartner: {Enabled: true, Action: program.FraudFlag},
		program.FraudDisposableEmail:   {Enabled: true},
		program.FraudLargeCommission:   {Enabled: true, Amounts: map[money.Currency]int64{"EUR": 100}},
		program.FraudSameCompanyDomain: {Enabled: false},
	}}
	o := orderBy("someone@mailinator.com")
	p := partnerWith("someone@mailinator.com", "")
	events, hold := Screen(o, p, cfg, time.Unix(0, 0))
	if hold != "fraud:disposable_email" {
		t.Fatalf("hold %q, want the first holding rule's", hold)
	}
	rules := map[string]bool{}
	held := 0
	for _, e := range events {
		rules[e.Rule] = true
		if e.Held != nil {
			held++
		}
	}
	if len(events) != 3 || !rules["customer_is_partner"] || !rules["large_commission"] || rules["same_company_domain"] || held != 1 {
		t.Errorf("events %+v: want three (flag, hold, hold) with one holding, none from the disabled rule", events)
	}
	again, _ := Screen(o, p, cfg, time.Unix(0, 0))
	if again[0].ID != events[0].ID {
		t.Error("the same order must give the same event ids")
	}
	if events, hold := Screen(o, p, program.Fraud{}, time.Unix(0, 0)); len(events) != 0 || hold != "" {
		t.Error("with no rule on nothing fires")
	}
}

func TestFileAndDecide(t *testing.T) {
	cfg := program.Fraud{FourEyesAbove: map[money.Currency]int64{"EUR": 1000}}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e1 := NewEvent("large_commission", "p1", Evidence{"order": "a"}, &Accrual{"generic", "a", "EUR", 800}, now)
	none := func(string) bool { return false }
	f, ok := File(Case{}, []Event{e1, e1}, none, cfg, now)
	if !ok || !f.Opened || f.Case.Events != 1 || f.Case.Held["EUR"] != 800 {
		t.Fatalf("first event: %+v", f)
	}
	e2 := NewEvent("large_commission", "p1", Evidence{"order": "b"}, &Accrual{"generic", "b", "EUR", 800}, now)
	g, _ := File(f.Case, []Event{e2}, none, cfg, now.Add(24*time.Hour))
	if g.Opened || g.Case.ID != f.Case.ID || g.Case.Held["EUR"] != 1600 || g.PrevVersion != 1 {
		t.Fatalf("a second event within the expiry extends the case: %+v", g)
	}
	h, _ := File(g.Case, []Event{NewEvent("large_commission", "p1", Evidence{"order": "c"}, nil, now)}, none, cfg, now.Add(32*24*time.Hour))
	if !h.Opened || h.Case.ID == g.Case.ID {
		t.Error("an event after 30 days without events opens a new case")
	}

	res := Decision{Kind: Resolve, Note: "known customer", By: "alice"}
	c, out, err := Decide(g.Case, res, cfg)
	if err != nil || out != AwaitsApproval || c.Approval == nil || c.Status != StatusPending {
		t.Fatalf("above four eyes the first decision waits: %v %v %+v", out, err, c)
	}
	if _, _, err := Decide(c, res, cfg); err != ErrSameApprover {
		t.Errorf("the same user again: %v", err)
	}
	if _, _, err := Decide(c, Decision{Kind: Confirm, By: "bob"}, cfg); err != ErrOtherDecision {
		t.Errorf("another decision: %v", err)
	}
	bob := res
	bob.By = "bob"
	done, out, err := Decide(c, bob, cfg)
	if err != nil || out != Decided || done.Status != StatusResolved || done.Decision.By != "alice" || done.Decision.ApprovedBy != "bob" {
		t.Fatalf("a second user decides: %v %v %+v", out, err, done.Decision)
	}
	if _, out, err := Decide(done, bob, cfg); err != nil || out != AlreadyDone {
		t.Errorf("a repeated decision is done already: %v %v", out, err)
	}
	if _, _, err := Decide(done, Decision{Kind: Confirm, By: "carol"}, cfg); err != ErrDecided {
		t.Errorf("another decision on a decided case: %v", err)
	}
	small, _ := File(Case{}, []Event{e1}, none, cfg, now)
	if c, out, _ := Decide(small.Case, Decision{Kind: Confirm, Reverse: true, By: "alice"}, cfg); out != Decided || c.Status != StatusConfirmed {
		t.Errorf("below four eyes one user decides: %v %+v", out, c)
	}
}
