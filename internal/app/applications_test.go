package app_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// joinGroup is a group with a join page whose form asks for a shop URL
// and a sales channel; tweak replaces parts of it, as resellersGroup.
func joinGroup(id string, tweak ...string) []byte {
	body := fmt.Sprintf(`{"id":%q,"name":"Resellers %s","slug":%q,"default_tier":"silver",
		"form":[{"key":"shop_url","label":{"en":"Your shop","it":"Il tuo negozio","ru":"Ваш магазин"},"type":"url","required":true},
			{"key":"channel","label":{"en":"Channel","it":"Canale","ru":"Канал"},"type":"select","options":["online","store"],"required":false},
			{"key":"newsletter","label":{"en":"News","it":"Novità","ru":"Новости"},"type":"checkbox","required":false}],
		"landing":{"title":{"en":"Sell with us","it":"Vendi con noi","ru":"Продавайте с нами"},
			"description":{"en":"**Earn** 20%% <script>x</script>","it":"","ru":"Зарабатывайте"},"terms_url":"https://shop.example/terms"}}`, id, id, id)
	for i := 0; i+1 < len(tweak); i += 2 {
		body = strings.Replace(body, tweak[i], tweak[i+1], 1)
	}
	return []byte(body)
}

// application is a body of POST /v1/applications; tweak as joinGroup.
func application(groupID, email string, tweak ...string) []byte {
	body := fmt.Sprintf(`{"group":%q,"name":"Giulia Bianchi","email":%q,"country":"IT","website":"https://giulia.example",
		"answers":{"shop_url":"https://shop.giulia.example","channel":"online"},"consent":true,"language":"it"}`, groupID, email)
	for i := 0; i+1 < len(tweak); i += 2 {
		body = strings.Replace(body, tweak[i], tweak[i+1], 1)
	}
	return []byte(body)
}

func (h *harness) submit(body []byte) response {
	h.t.Helper()
	return h.do("POST", "/v1/applications", "", body, nil)
}

var confirmLink = regexp.MustCompile(`https://go\.partnerloop\.example/join/confirm/([A-Za-z0-9_.]+)`)

// confirmationToken delivers the mail and reads the token of the one
// confirmation e-mail the address received.
func (h *harness) confirmationToken(address, subject string) string {
	h.t.Helper()
	h.deliverMail()
	m := onlyMail(h.t.(*testing.T), address, subject)
	found := confirmLink.FindStringSubmatch(m.Body.Text)
	if found == nil || !strings.Contains(m.Body.HTML, found[0]) {
		h.t.Fatalf("no confirmation link in %q: %s", m.Subject, m.Body.Text)
	}
	return found[1]
}

func (h *harness) confirm(token string) response {
	h.t.Helper()
	return h.do("POST", "/v1/applications/confirm", "", fmt.Appendf(nil, `{"token":%q}`, token), nil)
}

// appliedAndConfirmed submits an application and confirms its e-mail.
func (h *harness) appliedAndConfirmed(groupID, email string, tweak ...string) string {
	h.t.Helper()
	res := h.submit(application(groupID, email, tweak...))
	if res.Status != 201 || res.Body["status"] != "pending" {
		h.t.Fatalf("submit: %d %s", res.Status, res.Raw)
	}
	if c := h.confirm(h.confirmationToken(email, "")); c.Status != 200 {
		h.t.Fatalf("confirm: %d %s", c.Status, c.Raw)
	}
	return res.Body["id"].(string)
}

func TestJoinPageSpeaksTheVisitorsLanguageAndEscapesItsMarkdown(t *testing.T) {
	h := newHarness(t)
	h.createGroup(joinGroup("resellers"))
	it := h.do("GET", "/v1/join/resellers", "", nil, map[string]string{"Accept-Language": "de-DE, it;q=0.8, en;q=0.5"})
	if it.Status != 200 || it.Body["language"] != "it" || it.Body["title"] != "Vendi con noi" || it.Body["group"] != "resellers" {
		t.Fatalf("Italian page: %d %s", it.Status, it.Raw)
	}
	// No Italian description: the English one, rendered, its markup escaped.
	if html := it.Body["description_html"]; html != "<p><strong>Earn</strong> 20% &lt;script&gt;x&lt;/script&gt;</p>\n" {
		t.Errorf("description %q", html)
	}
	if label := it.Body["form"].([]any)[0].(map[string]any)["label"]; label != "Il tuo negozio" {
		t.Errorf("label %v", label)
	}
	ru := h.do("GET", "/v1/join/resellers?lang=ru", "", nil, map[string]string{"Accept-Language": "it"})
	if ru.Body["language"] != "ru" || ru.Body["title"] != "Продавайте с нами" || !strings.Contains(ru.Body["description_html"].(string), "Зарабатывайте") {
		t.Errorf("the chooser's language: %s", ru.Raw)
	}
	for _, path := range []string{"/v1/join/nobody", "/v1/join/default"} { // the default group has no landing
		if res := h.do("GET", path, "", nil, nil); res.Status != 404 || res.errorCode() != "not_found" {
			t.Errorf("%s: %d %s", path, res.Status, res.Raw)
		}
	}
	page := h.do("GET", "/join/resellers", "", nil, nil)
	if page.Status != 200 || !strings.Contains(string(page.Raw), "/assets/join.js") ||
		!strings.Contains(page.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("join page: %d %v %s", page.Status, page.Header, page.Raw)
	}
	if res := h.do("POST", "/v1/join/resellers/started", "", nil, nil); res.Status != 204 {
		t.Errorf("beacon: %d %s", res.Status, res.Raw)
	}
}

func TestAnApplicationIsSeenOnlyOnceItsEmailIsConfirmed(t *testing.T) {
	h := newHarness(t)
	h.createGroup(joinGroup("resellers"))
	to := mailbox("giulia")
	res := h.submit(application("resellers", to))
	if res.Status != 201 || res.Body["status"] != "pending" || len(res.Body) != 2 {
		t.Fatalf("submit: %d %s", res.Status, res.Raw)
	}
	id := res.Body["id"].(string)
	if list := h.do("GET", "/v1/applications", h.tokens["alice"], nil, nil); len(list.Body["applications"].([]any)) != 0 {
		t.Fatalf("an unconfirmed application is listed: %s", list.Raw)
	}
	if got := h.do("GET", "/v1/applications/"+id, h.tokens["alice"], nil, nil); got.Status != 404 {
		t.Fatalf("an unconfirmed application is shown: %d", got.Status)
	}
	if res := h.do("POST", "/v1/applications/"+id+"/approve", h.tokens["alice"], []byte(`{}`), nil); res.Status != 404 {
		t.Fatalf("an unconfirmed application is approved: %d %s", res.Status, res.Raw)
	}

	token := h.confirmationToken(to, "Conferma la tua e-mail per candidarti a Resellers resellers")
	// A character well inside the signature, so every bit of it counts (a
	// last base64 character may carry ignored bits).
	swap := map[bool]string{true: "B", false: "A"}[token[len(token)-5] == 'A']
	if bad := h.confirm(token[:len(token)-5] + swap + token[len(token)-4:]); bad.Status != 404 {
		t.Fatalf("a forged token: %d %s", bad.Status, bad.Raw)
	}
	for range 2 { // a second click answers the same
		if c := h.confirm(token); c.Status != 200 || c.Body["id"] != id || c.Body["status"] != "pending" {
			t.Fatalf("confirm: %d %s", c.Status, c.Raw)
		}
	}
	list := h.do("GET", "/v1/applications?status=pending&group=resellers", h.tokens["alice"], nil, nil)
	if apps := list.Body["applications"].([]any); len(apps) != 1 || apps[0].(map[string]any)["id"] != id {
		t.Fatalf("pending after confirmation: %s", list.Raw)
	}
	if other := h.do("GET", "/v1/applications?group=others", h.tokens["alice"], nil, nil); len(other.Body["applications"].([]any)) != 0 {
		t.Errorf("another group's queue: %s", other.Raw)
	}
	got := h.do("GET", "/v1/applications/"+id, h.tokens["alice"], nil, nil)
	events := got.Body["events"].([]any)
	if got.Status != 200 || got.Body["country"] != "IT" || got.Body["website"] != "https://giulia.example" || got.Body["email_confirmed_at"] == nil ||
		got.Body["answers"].(map[string]any)["shop_url"] != "https://shop.giulia.example" || len(events) != 2 ||
		events[0].(map[string]any)["step"] != "submitted" || events[1].(map[string]any)["step"] != "confirmed" {
		t.Fatalf("detail: %d %s", got.Status, got.Raw)
	}
	if res := h.do("GET", "/v1/applications?status=open", h.tokens["alice"], nil, nil); res.Status != 422 || res.errorCode() != "invalid_application" {
		t.Errorf("unknown status: %d %s", res.Status, res.Raw)
	}
}

func TestApplicationsOutsideTheFormAreRefusedNamingTheField(t *testing.T) {
	h := newHarness(t)
	h.createGroup(joinGroup("resellers"))
	to := mailbox("x")
	for _, c := range []struct {
		tweak []string
		field string
	}{
		{[]string{`"group":"resellers"`, `"group":"nobody"`}, "group"},
		{[]string{`"name":"Giulia Bianchi"`, `"name":"  "`}, "name"},
		{[]string{`"name":"Giulia Bianchi"`, `"name":"=HYPERLINK()"`}, "name"},
		{[]string{`"name":"Giulia Bianchi"`, `"name":"` + strings.Repeat("n", 201) + `"`}, "name"},
		{[]string{`"email":"` + to + `"`, `"email":"Giulia <g@x.example>"`}, "email"},
		{[]string{`"country":"IT"`, `"country":"Italy"`}, "country"},
		{[]string{`"website":"https://giulia.example"`, `"website":"javascript:alert(1)"`}, "website"},
		{[]string{`"language":"it"`, `"language":"de"`}, "language"},
		{[]string{`"shop_url":"https://shop.giulia.example"`, `"shop_url":""`}, "answers.shop_url"},
		{[]string{`"shop_url":"https://shop.giulia.example"`, `"shop_url":"not a url"`}, "answers.shop_url"},
		{[]string{`"shop_url":"https://shop.giulia.example"`, `"shop_url":7`}, "answers.shop_url"},
		{[]string{`"channel":"online"`, `"channel":"door to door"`}, "answers.channel"},
		{[]string{`"channel":"online"`, `"channel":"online","newsletter":"yes"`}, "answers.newsletter"},
		{[]string{`"channel":"online"`, `"channel":"online","age":"40"`}, "answers.age"},
		{[]string{`"consent":true`, `"consent":false`}, "consent"},
	} {
		before := h.itemCount()
		res := h.submit(application("resellers", to, c.tweak...))
		field, _ := res.Body["error"].(map[string]any)["field"].(string)
		if res.Status != 422 || res.errorCode() != "invalid_application" || field != c.field {
			t.Errorf("%v: %d %s, want 422 naming %s", c.tweak, res.Status, res.Raw, c.field)
		}
		if h.itemCount() != before {
			t.Errorf("%v: a refused application wrote items", c.tweak)
		}
	}
	if res := h.submit(application("resellers", to, `"consent":true`, `"consent":true,"role":"admin"`)); res.Status != 400 || res.errorCode() != "malformed_json" {
		t.Errorf("an unknown field: %d %s", res.Status, res.Raw)
	}
}

func TestAFilledHoneypotIsAnsweredAsTakenAndStoresNothing(t *testing.T) {
	h := newHarness(t)
	h.createGroup(joinGroup("resellers"))
	to := mailbox("robot")
	before := h.itemCount()
	res := h.submit(application("resellers", to, `"consent":true`, `"consent":true,"fax":"+39 02 1234"`))
	if res.Status != 201 || res.Body["status"] != "pending" || !strings.HasPrefix(res.Body["id"].(string), "ap_") {
		t.Fatalf("robot: %d %s", res.Status, res.Raw)
	}
	h.deliverMail()
	if h.itemCount() != before || len(mailTo(t, to)) != 0 {
		t.Fatalf("a robot's application was stored (%d → %d items) or mailed", before, h.itemCount())
	}
}

func TestApplicationsAreRateLimitedPerAddressAndPerEmail(t *testing.T) {
	h := newHarness(t)
	for i := range 6 {
		h.createGroup(joinGroup(fmt.Sprintf("g%d", i)))
	}
	// One e-mail: five applications a day, then 429.
	same := mailbox("busy")
	for i := range 5 {
		if res := h.submit(application(fmt.Sprintf("g%d", i), same)); res.Status != 201 {
			t.Fatalf("application %d: %d %s", i, res.Status, res.Raw)
		}
	}
	before := h.itemCount()
	limited := h.submit(application("g5", same))
	wait, _ := strconv.Atoi(limited.Header.Get("Retry-After"))
	if limited.Status != 429 || limited.errorCode() != "rate_limited" || wait < 1 || wait > 24*3600 {
		t.Fatalf("sixth of one e-mail: %d %v %s", limited.Status, limited.Header, limited.Raw)
	}
	if h.itemCount() != before {
		t.Errorf("a limited application wrote items")
	}
	// One address: ten an hour (five taken above), then 429.
	for i := range 5 {
		if res := h.submit(application("g5", mailbox(fmt.Sprintf("n%d", i)))); res.Status != 201 {
			t.Fatalf("address application %d: %d %s", i, res.Status, res.Raw)
		}
	}
	limited = h.submit(application("g5", mailbox("eleventh")))
	wait, _ = strconv.Atoi(limited.Header.Get("Retry-After"))
	if limited.Status != 429 || wait < 1 || wait > 3600 {
		t.Fatalf("eleventh of one address: %d %v %s", limited.Status, limited.Header, limited.Raw)
	}
	// The window passes.
	h.ahead.Add(int64(25 * time.Hour))
	if res := h.submit(application("g5", mailbox("later"))); res.Status != 201 {
		t.Fatalf("after the window: %d %s", res.Status, res.Raw)
	}
}

func TestOneOpenApplicationPerEmailAndGroupAndTheReapplyWindow(t *testing.T) {
	h := newHarness(t)
	h.createGroup(joinGroup("resellers"))
	h.createGroup(joinGroup("quick", `"default_tier":"silver"`, `"default_tier":"silver","reapply_after_days":0`))
	to := mailbox("twice")
	first := h.submit(application("resellers", to))
	if again := h.submit(application("resellers", to)); again.Status != 409 || again.errorCode() != "application_exists" {
		t.Fatalf("second open application: %d %s", again.Status, again.Raw)
	}
	if other := h.submit(application("quick", to)); other.Status != 201 {
		t.Fatalf("another group: %d %s", other.Status, other.Raw)
	}
	h.deliverMail()
	for _, m := range mailTo(t, to) {
		if found := confirmLink.FindStringSubmatch(m.Body.Text); found != nil {
			if c := h.confirm(found[1]); c.Status != 200 {
				t.Fatalf("confirm: %d %s", c.Status, c.Raw)
			}
		}
	}
	id := first.Body["id"].(string)
	if res := h.do("POST", "/v1/applications/"+id+"/reject", h.tokens["alice"], []byte(`{"reason":"incomplete","note":"no shop yet"}`), nil); res.Status != 200 {
		t.Fatalf("reject: %d %s", res.Status, res.Raw)
	}
	if again := h.submit(application("resellers", to)); again.Status != 409 || again.errorCode() != "application_exists" {
		t.Fatalf("within 30 days of the rejection: %d %s", again.Status, again.Raw)
	}
	h.ahead.Add(int64(31 * 24 * time.Hour))
	if again := h.submit(application("resellers", to)); again.Status != 201 || again.Body["status"] != "pending" {
		t.Fatalf("after the reapply window: %d %s", again.Status, again.Raw)
	}
	// A group with reapply_after_days 0 takes one at once after a rejection.
	quick := h.do("GET", "/v1/applications?group=quick", h.tokens["alice"], nil, nil).Body["applications"].([]any)[0].(map[string]any)["id"].(string)
	h.do("POST", "/v1/applications/"+quick+"/reject", h.tokens["alice"], []byte(`{"reason":"other"}`), nil)
	if again := h.submit(application("quick", to)); again.Status != 201 {
		t.Fatalf("reapply_after_days 0: %d %s", again.Status, again.Raw)
	}
}

func TestApprovalCreatesThePartnerOnceAndInvitesIt(t *testing.T) {
	h := newHarness(t)
	h.createGroup(joinGroup("resellers"))
	to := mailbox("approved")
	id := h.appliedAndConfirmed("resellers", to)

	results := make(chan response, 2)
	var wg sync.WaitGroup
	for _, who := range []string{"alice", "bob"} {
		wg.Go(func() {
			results <- h.do("POST", "/v1/applications/"+id+"/approve", h.tokens[who], []byte(`{"tier":"gold"}`), nil)
		})
	}
	wg.Wait()
	close(results)
	var approved response
	var statuses []int
	for r := range results {
		statuses = append(statuses, r.Status)
		if r.Status == 200 {
			approved = r
		} else if r.errorCode() != "already_decided" {
			t.Errorf("the other approval: %d %s", r.Status, r.Raw)
		}
	}
	if approved.Status != 200 || approved.Body["status"] != "approved" || approved.Body["decided_by"] == nil {
		t.Fatalf("two approvals at once: %v %s", statuses, approved.Raw)
	}
	partnerID := approved.Body["partner_id"].(string)
	p := h.do("GET", "/v1/partners/"+partnerID, h.tokens["alice"], nil, nil)
	if p.Status != 200 || p.Body["group_id"] != "resellers" || p.Body["tier"] != "gold" || p.Body["email"] != to || p.Body["referral_code"] == "" {
		t.Fatalf("partner: %d %s", p.Status, p.Raw)
	}
	partners := h.do("GET", "/v1/partners?search="+to, h.tokens["alice"], nil, nil).Body["partners"].([]any)
	if len(partners) != 1 {
		t.Fatalf("%d partners with the applicant's e-mail, want 1", len(partners))
	}
	for _, again := range []struct{ path, body string }{{"approve", `{}`}, {"reject", `{"reason":"other"}`}} {
		if res := h.do("POST", "/v1/applications/"+id+"/"+again.path, h.tokens["alice"], []byte(again.body), nil); res.Status != 409 || res.errorCode() != "already_decided" {
			t.Errorf("%s after approval: %d %s", again.path, res.Status, res.Raw)
		}
	}
	h.deliverMail()
	invite := onlyMail(t, to, "Sei invitato al nostro programma partner")
	if !strings.Contains(invite.Body.Text, "Ciao Giulia Bianchi,") {
		t.Errorf("invitation: %s", invite.Body.Text)
	}
	if me := h.do("GET", "/v1/me", h.partnerToken(partnerID), nil, nil); me.Status != 200 || me.Body["partner_id"] != partnerID {
		t.Errorf("the new partner signs in: %d %s", me.Status, me.Raw)
	}
	audit := h.do("GET", "/v1/audit?target=application:"+id, h.tokens["bob"], nil, nil)
	if entries := audit.Body["entries"].([]any); len(entries) != 1 || entries[0].(map[string]any)["action"] != "application.approved" {
		t.Errorf("audit: %s", audit.Raw)
	}
	if again := h.submit(application("resellers", to)); again.Status != 409 || again.errorCode() != "application_exists" {
		t.Errorf("an approved e-mail applies again: %d %s", again.Status, again.Raw)
	}
}

func TestRejectionMailsTheReasonInTheApplicantsLanguage(t *testing.T) {
	h := newHarness(t)
	h.createGroup(joinGroup("resellers"))
	to := mailbox("rejected")
	id := h.appliedAndConfirmed("resellers", to, `"language":"it"`, `"language":"ru"`)
	for _, bad := range []string{`{"reason":"rude"}`, `{}`, `{"reason":"other","note":"` + strings.Repeat("n", 2001) + `"}`} {
		res := h.do("POST", "/v1/applications/"+id+"/reject", h.tokens["alice"], []byte(bad), nil)
		if field := res.Body["error"].(map[string]any)["field"]; res.Status != 422 || (field != "reason" && field != "note") {
			t.Errorf("%s: %d %s", bad, res.Status, res.Raw)
		}
	}
	res := h.do("POST", "/v1/applications/"+id+"/reject", h.tokens["alice"], []byte(`{"reason":"not_a_fit","note":"sells knock-offs"}`), nil)
	if res.Status != 200 || res.Body["status"] != "rejected" || res.Body["reason"] != "not_a_fit" || res.Body["partner_id"] != nil {
		t.Fatalf("reject: %d %s", res.Status, res.Raw)
	}
	h.deliverMail()
	m := onlyMail(t, to, "Ваша заявка в Resellers resellers")
	if !strings.Contains(m.Body.Text, "программа не подходит вашему профилю") || strings.Contains(m.Body.Text, "knock-offs") ||
		!strings.Contains(m.Body.Text, "https://go.partnerloop.example/join/resellers") {
		t.Errorf("rejection e-mail: %s", m.Body.Text)
	}
	if list := h.do("GET", "/v1/applications?status=rejected", h.tokens["alice"], nil, nil); len(list.Body["applications"].([]any)) != 1 {
		t.Errorf("rejected list: %s", list.Raw)
	}
}

func TestTheGroupsRuleApprovesAConfirmedApplication(t *testing.T) {
	h := newHarness(t)
	h.createGroup(joinGroup("auto", `"default_tier":"silver"`, `"default_tier":"silver","auto_approve":{"enabled":true,"countries":["IT"],"email_domains":["shop.example"]}`))
	h.createGroup(joinGroup("later", `"default_tier":"silver"`, `"default_tier":"silver","auto_approve":{"enabled":true,"countries":["IT"]}`))
	to := mailbox("auto") // @shop.example
	res := h.submit(application("auto", to))
	if res.Status != 201 || res.Body["status"] != "pending" {
		t.Fatalf("before confirmation: %d %s", res.Status, res.Raw)
	}
	c := h.confirm(h.confirmationToken(to, ""))
	if c.Status != 200 || c.Body["status"] != "approved" {
		t.Fatalf("confirmed, the rule matches: %d %s", c.Status, c.Raw)
	}
	got := h.do("GET", "/v1/applications/"+res.Body["id"].(string), h.tokens["alice"], nil, nil)
	if got.Body["decided_by"] != "auto_approve" || got.Body["tier"] != "silver" || got.Body["partner_id"] == nil {
		t.Fatalf("auto-approved: %s", got.Raw)
	}
	// An e-mail confirmed before needs no new link: approved at once.
	at := h.submit(application("later", to))
	if at.Status != 201 || at.Body["status"] != "approved" {
		t.Fatalf("an e-mail confirmed before: %d %s", at.Status, at.Raw)
	}
	// A country the rule does not list waits for review.
	de := mailbox("de")
	h.appliedAndConfirmed("auto", de, `"country":"IT"`, `"country":"DE"`)
	pending := h.do("GET", "/v1/applications?group=auto", h.tokens["alice"], nil, nil).Body["applications"].([]any)
	if len(pending) != 1 || pending[0].(map[string]any)["email"] != de {
		t.Fatalf("pending: %v", pending)
	}
}

func TestTheJoinFunnelCountsEachStepPerGroupAndMonth(t *testing.T) {
	h := newHarness(t)
	h.createGroup(joinGroup("resellers"))
	for range 3 {
		h.do("GET", "/v1/join/resellers", "", nil, nil)
	}
	h.do("POST", "/v1/join/resellers/started", "", nil, nil)
	h.do("POST", "/v1/join/resellers/started", "", nil, nil)
	yes := h.appliedAndConfirmed("resellers", mailbox("yes"))
	no := h.appliedAndConfirmed("resellers", mailbox("no"))
	h.submit(application("resellers", mailbox("never")))
	h.do("POST", "/v1/applications/"+yes+"/approve", h.tokens["alice"], []byte(`{}`), nil)
	h.do("POST", "/v1/applications/"+no+"/reject", h.tokens["alice"], []byte(`{"reason":"duplicate"}`), nil)

	period := time.Now().Add(time.Duration(h.ahead.Load())).UTC().Format("2006-01")
	rep := h.do("GET", "/v1/reports/applications?period="+period, h.tokens["alice"], nil, nil)
	groups := rep.Body["groups"].([]any)
	if rep.Status != 200 || len(groups) != 1 {
		t.Fatalf("report: %d %s", rep.Status, rep.Raw)
	}
	want := map[string]float64{"visited": 3, "started": 2, "submitted": 3, "confirmed": 2, "approved": 1, "rejected": 1}
	for step, n := range want {
		if got := groups[0].(map[string]any)[step]; got != n {
			t.Errorf("%s: %v, want %v", step, got, n)
		}
	}
	if res := h.do("GET", "/v1/reports/applications?period=May", h.tokens["alice"], nil, nil); res.Status != 400 || res.errorCode() != "bad_period" {
		t.Errorf("bad period: %d %s", res.Status, res.Raw)
	}
}
