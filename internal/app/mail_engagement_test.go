package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/program"
)

func TestMailGoalLevelReachedOnceInThePartnersLanguage(t *testing.T) {
	h := newHarness(t)
	h.addCharity("ch_water")
	h.putProgram(func(p *program.Program) {
		p.Donations = &program.Donations{DefaultCharity: "ch_water"}
		p.Goals = []program.Goal{
			{ID: "spring", Period: "month", Measure: "units", Currency: "EUR",
				Levels: []program.GoalLevel{{Threshold: 1, BonusFlat: 1500}, {Threshold: 1000, BonusFlat: 5000}}},
			// A level that brings only a donation is told as well.
			{ID: "gift", Period: "month", Measure: "units", Currency: "EUR", Levels: []program.GoalLevel{{Threshold: 2, DonationFlat: 500}}},
		}
	})
	to := mailbox("giulia")
	p := h.createPartner(fmt.Sprintf(`{"name":"Giulia","email":%q,"tier":"silver","language":"it"}`, to))
	h.postGeneric("/webhooks/orders", genericOrder("evt_goal1", "ord_goal1", p["referral_code"].(string), "EUR", 10000))
	for range 2 { // a second run reaches no new level
		h.runPerformance()
		h.deliverMail()
	}
	bonus := onlyMail(t, to, "Hai raggiunto il livello 1 dell'obiettivo spring")
	gift := onlyMail(t, to, "Hai raggiunto il livello 1 dell'obiettivo gift")
	for _, m := range []sentMail{bonus, gift} {
		wantUnsubscribe(t, m, true)
		if !strings.Contains(m.Body.HTML, `href="https://go.partnerloop.example/portal/#/home"`) || !strings.Contains(m.Body.Text, "Ciao Giulia,") {
			t.Fatalf("goal e-mail: %s", m.Body.HTML)
		}
	}
	if !strings.Contains(bonus.Body.Text, "Ti valgono un bonus di 15,00\u00a0€.") || strings.Contains(bonus.Body.Text, "Doniamo") {
		t.Fatalf("bonus level: %s", bonus.Body.Text)
	}
	if !strings.Contains(gift.Body.Text, "Doniamo 5,00\u00a0€ in beneficenza a tuo nome.") || strings.Contains(gift.Body.Text, "bonus") {
		t.Fatalf("donation level: %s", gift.Body.Text)
	}
	if n := len(mailTo(t, to)); n != 2 {
		t.Fatalf("%d e-mails, want one per level reached", n)
	}
}

func TestMailChallengeStartedReachesOnlyTheTargetedPartners(t *testing.T) {
	h := newHarness(t)
	addr, ids := map[string]string{}, map[string]string{}
	for name, body := range map[string]string{
		"silver":    `{"name":"Silvia","email":%q,"tier":"silver","language":"it"}`,
		"quiet":     `{"name":"Quiet","email":%q,"tier":"silver"}`,
		"suspended": `{"name":"Gone","email":%q,"tier":"silver"}`,
		"gold":      `{"name":"Goldie","email":%q,"tier":"gold"}`,
	} {
		addr[name] = mailbox("ch-" + name)
		ids[name] = h.createPartner(fmt.Sprintf(body, addr[name]))["id"].(string)
	}
	if res := h.do("PATCH", "/v1/partners/"+ids["quiet"]+"/notifications", h.partnerToken(ids["quiet"]),
		[]byte(`{"categories":{"engagement":false}}`), nil); res.Status != http.StatusOK {
		t.Fatalf("opt out: %d %s", res.Status, res.Raw)
	}
	if res := h.do("PATCH", "/v1/partners/"+ids["suspended"], h.tokens["alice"], []byte(`{"status":"suspended"}`), nil); res.Status != http.StatusOK {
		t.Fatalf("suspend: %d %s", res.Status, res.Raw)
	}
	now := time.Now().UTC()
	ends := time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, time.UTC).AddDate(0, 0, 40)
	challenge := func(id, tiers string, starts time.Time) {
		body := fmt.Sprintf(`{"id":%q,"name":"Review push %s","description":"Review the X200","starts_at":%q,"ends_at":%q,"kind":"task",
			"tiers":%s,"reward":{"points":10}}`, id, id, starts.Format(time.RFC3339), ends.Format(time.RFC3339), tiers)
		if res := h.do("POST", "/v1/challenges", h.tokens["alice"], []byte(body), nil); res.Status != http.StatusCreated {
			t.Fatalf("challenge: %d %s", res.Status, res.Raw)
		}
	}
	challenge("silverpush", `["silver"]`, now.Add(-time.Hour)) // started when created
	challenge("everyone", `[]`, now.Add(time.Hour))            // starts later
	h.sendBroadcasts()

	started := onlyMail(t, addr["silver"], "È iniziata una nuova sfida: Review push silverpush")
	wantUnsubscribe(t, started, true)
	months := []string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"}
	if !strings.Contains(started.Body.Text, fmt.Sprintf("fino al %d %s %d", ends.Day(), months[ends.Month()-1], ends.Year())) || !strings.Contains(started.Body.HTML, `href="https://go.partnerloop.example/portal/#/rewards"`) {
		t.Fatalf("challenge started: %s", started.Body.Text)
	}
	for _, name := range []string{"quiet", "suspended", "gold"} {
		if got := mailTo(t, addr[name]); len(got) != 0 {
			t.Fatalf("%s got %d e-mails of a silver challenge", name, len(got))
		}
	}
	if got := counts(h.message("msg_challenge_silverpush")); got != "recipients 2 sent 1 suppressed 1 failed 0" {
		t.Fatalf("silver challenge's notice: %s", got)
	}
	if inbox := h.do("GET", "/v1/partners/"+ids["gold"]+"/inbox", h.partnerToken(ids["gold"]), nil, nil); inbox.Body["unread"] != 0.0 {
		t.Fatalf("a gold partner's inbox: %s", inbox.Raw)
	}

	// The challenge for every partner is told when it starts, to every
	// active partner, once however often its pages are delivered.
	h.ahead.Add(int64(2 * time.Hour))
	h.sendBroadcasts()
	h.sendBroadcasts()
	onlyMail(t, addr["gold"], "A new challenge has started: Review push everyone")
	onlyMail(t, addr["silver"], "È iniziata una nuova sfida: Review push everyone")
	for _, name := range []string{"quiet", "suspended"} {
		if got := mailTo(t, addr[name]); len(got) != 0 {
			t.Fatalf("%s got %d e-mails", name, len(got))
		}
	}
	if got := counts(h.message("msg_challenge_everyone")); got != "recipients 3 sent 2 suppressed 1 failed 0" {
		t.Fatalf("everyone's notice: %s", got)
	}
}

func TestMailSubmissionDecisionsInTheLanguageSetInSettings(t *testing.T) {
	h := newHarness(t)
	h.putProgram(withPoints)
	to := mailbox("sasha")
	id := h.createPartner(fmt.Sprintf(`{"name":"Sasha","email":%q,"tier":"silver","language":"en"}`, to))["id"].(string)
	settings := func(body string) response {
		return h.do("PATCH", "/v1/partners/"+id+"/settings", h.partnerToken(id), []byte(body), nil)
	}
	before := h.itemCount()
	for _, body := range []string{`{"language":"de"}`, `{"language":"de","show_on_leaderboard":true}`} {
		bad := settings(body)
		if bad.Status != http.StatusUnprocessableEntity || bad.Body["error"].(map[string]any)["field"] != "language" || h.itemCount() != before {
			t.Fatalf("%s: %d %s (items %d → %d)", body, bad.Status, bad.Raw, before, h.itemCount())
		}
	}
	if p := h.do("GET", "/v1/partners/"+id, h.partnerToken(id), nil, nil); p.Body["show_on_leaderboard"] == true {
		t.Fatalf("a refused change was partly made: %s", p.Raw)
	}
	if res := settings(`{"language":"ru"}`); res.Status != http.StatusOK || res.Body["id"] != id {
		t.Fatalf("language: %d %s", res.Status, res.Raw)
	}
	// One language, read where the notification preferences are.
	if prefs := h.do("GET", "/v1/partners/"+id+"/notifications", h.partnerToken(id), nil, nil); prefs.Body["language"] != "ru" {
		t.Fatalf("preferences: %s", prefs.Raw)
	}

	starts, ends := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
	body := `{"id":"review","name":"Post a review","description":"Review the X200","starts_at":"` + starts + `","ends_at":"` + ends +
		`","kind":"task","tiers":["silver"],"reward":{"points":75}}`
	if res := h.do("POST", "/v1/challenges", h.tokens["alice"], []byte(body), nil); res.Status != http.StatusCreated {
		t.Fatalf("challenge: %d %s", res.Status, res.Raw)
	}
	var subs []string
	for _, text := range []string{"first try", "second try"} {
		res := h.do("POST", "/v1/challenges/review/submissions", h.partnerToken(id), []byte(`{"text":"`+text+`"}`), nil)
		if res.Status != http.StatusCreated {
			t.Fatalf("submit: %d %s", res.Status, res.Raw)
		}
		subs = append(subs, res.Body["id"].(string))
	}
	base := "/v1/challenges/review/submissions/"
	if res := h.do("POST", base+subs[0]+"/reject", h.tokens["alice"], []byte(`{"reason":"no photo of the product"}`), nil); res.Status != http.StatusOK {
		t.Fatalf("reject: %d %s", res.Status, res.Raw)
	}
	if res := h.do("POST", base+subs[1]+"/approve", h.tokens["alice"], nil, nil); res.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", res.Status, res.Raw)
	}
	h.deliverMail()
	h.deliverMail()
	rejected := onlyMail(t, to, "Ваша заявка по испытанию «Post a review» отклонена")
	approved := onlyMail(t, to, "Ваша заявка по испытанию «Post a review» одобрена")
	for _, m := range []sentMail{rejected, approved} {
		wantUnsubscribe(t, m, true)
		if !strings.Contains(m.Body.HTML, `href="https://go.partnerloop.example/portal/#/rewards"`) {
			t.Fatalf("decision e-mail: %s", m.Body.HTML)
		}
	}
	if !strings.Contains(rejected.Body.Text, "Причина: no photo of the product") {
		t.Fatalf("rejection without its reason: %s", rejected.Body.Text)
	}
	if n := len(mailTo(t, to)); n != 2 {
		t.Fatalf("%d e-mails, want one per decision", n)
	}
}
