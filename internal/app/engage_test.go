package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/sqsqueue"
	"github.com/partnerloop/partnerloop/internal/webhook"
)

// withPoints gives 1 point per euro and points for trainings and quizzes.
func withPoints(p *program.Program) {
	p.Points = &program.Points{PerUnit: map[money.Currency]int64{"EUR": 1}, Activities: map[string]int64{"training.completed": 50, "quiz.passed": 20}}
}

func (h *harness) points(partnerID string) (pending, available, redeemed int64) {
	h.t.Helper()
	res := h.do("GET", "/v1/partners/"+partnerID, h.tokens["alice"], nil, nil)
	p, _ := res.Body["points"].(map[string]any)
	num := func(k string) int64 { v, _ := p[k].(float64); return int64(v) }
	return num("pending"), num("available"), num("redeemed")
}

func activity(id, typ, partnerID string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"type":%q,"partner_id":%q,"activity":{"id":"course-7","name":"Selling the X200","score":92.5},"occurred_at":"2026-11-20T10:00:00Z"}`,
		id, typ, partnerID)
}

func TestPointsFollowTheOrderAndActivitiesCreditOnce(t *testing.T) {
	h := newHarness(t)
	h.putProgram(func(p *program.Program) { withPoints(p); p.HoldDays = 30 })
	p := h.createPartner(`{"name":"Acme","email":"acme@a.example"}`)
	id, code := p["id"].(string), p["referral_code"].(string)

	h.postGeneric("/webhooks/orders", genericOrder("e1", "o1", code, "EUR", 12345)) // 123.45 EUR: 123 points
	if pending, available, _ := h.points(id); pending != 123 || available != 0 {
		t.Fatalf("points after the order: pending %d available %d", pending, available)
	}
	refund := []byte(`{"id":"e2","type":"order.refunded","order":{"id":"o1","currency":"EUR","refund":{"id":"r1","amount":6000}}}`)
	h.postGeneric("/webhooks/orders", refund)
	h.postGeneric("/webhooks/orders", refund) // a duplicate delivery reverses nothing more
	// 6000/12345 of 123 = 59.8: 59 points reversed, as the commission is.
	if pending, _, _ := h.points(id); pending != 64 {
		t.Fatalf("points after the refund: pending %d", pending)
	}

	for range 2 {
		res := h.postGeneric("/webhooks/activities", activity("act_1", "training.completed", id))
		if res.Status != 200 || res.Body["points"] != 50.0 {
			t.Fatalf("activity: %d %s", res.Status, res.Raw)
		}
	}
	if _, available, _ := h.points(id); available != 50 {
		t.Fatalf("a repeated activity credited twice: available %d", available)
	}
	before := h.itemCount()
	for _, c := range []struct {
		body   []byte
		status int
		code   string
	}{
		{activity("act_2", "training.completed", "pt_nobody"), 404, "unknown_partner"},
		{activity("act_3", "webinar.attended", id), 400, "invalid_event"},
		{[]byte(`{"id":"act_4","type":"quiz.passed"`), 400, "invalid_event"},
	} {
		if res := h.postGeneric("/webhooks/activities", c.body); res.Status != c.status || res.errorCode() != c.code {
			t.Errorf("%s: %d %s", c.body, res.Status, res.Raw)
		}
	}
	if res := h.do("POST", "/webhooks/activities", "", activity("act_5", "quiz.passed", id), map[string]string{
		"Partnerloop-Signature": webhook.SignTimestamped(activity("act_5", "quiz.passed", id), []byte("wrong"), time.Now())}); res.Status != 401 {
		t.Errorf("bad signature: %d", res.Status)
	}
	if h.itemCount() != before {
		t.Fatal("a refused activity wrote something")
	}

	// The maturity run makes the order's points available.
	maturity := h.fns["Maturity"].Ledger
	maturity.Now = func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }
	if _, err := maturity.MatureDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	pending, available, _ := h.points(id)
	if pending != 0 || available != 64+50 {
		t.Fatalf("after maturity: pending %d available %d", pending, available)
	}
	st := h.do("GET", "/v1/partners/"+id+"/statement", h.partnerToken(id), nil, nil)
	kinds := map[string]float64{}
	for _, l := range st.Body["point_lines"].([]any) {
		line := l.(map[string]any)
		kinds[line["kind"].(string)] += line["points"].(float64)
	}
	if kinds["order"] != 123 || kinds["reversal"] != -59 || kinds["activity"] != 50 {
		t.Fatalf("statement point lines: %v", kinds)
	}
}

func TestConcurrentRedemptionsNeverOverspendOrOversell(t *testing.T) {
	h := newHarness(t)
	h.putProgram(withPoints)
	a := h.createPartner(`{"name":"A","email":"a@a.example"}`)
	b := h.createPartner(`{"name":"B","email":"b@b.example"}`)
	for i, p := range []map[string]any{a, b} {
		// 500 points each: 5 mugs' worth.
		h.postGeneric("/webhooks/orders", genericOrder(fmt.Sprint("e", i), fmt.Sprint("o", i), p["referral_code"].(string), "EUR", 50000))
	}
	if res := h.do("POST", "/v1/rewards", h.tokens["alice"], []byte(`{"id":"mug","name":"Mug","description":"A mug","points_cost":100,"stock":7,"kind":"item"}`), nil); res.Status != 201 {
		t.Fatalf("reward: %d %s", res.Status, res.Raw)
	}
	var ok, noPoints, noStock atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		p := []map[string]any{a, b}[i%2]
		wg.Go(func() {
			res := h.do("POST", "/v1/redemptions", h.partnerToken(p["id"].(string)), []byte(`{"reward_id":"mug","quantity":1}`), nil)
			switch {
			case res.Status == 201:
				ok.Add(1)
			case res.errorCode() == "insufficient_points":
				noPoints.Add(1)
			case res.errorCode() == "out_of_stock":
				noStock.Add(1)
			default:
				t.Errorf("redeem: %d %s", res.Status, res.Raw)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 7 {
		t.Fatalf("%d redemptions succeeded for a stock of 7 (%d without points, %d out of stock)", ok.Load(), noPoints.Load(), noStock.Load())
	}
	spent := int64(0)
	for _, p := range []map[string]any{a, b} {
		_, available, redeemed := h.points(p["id"].(string))
		if available < 0 || available+redeemed != 500 {
			t.Fatalf("points: available %d redeemed %d", available, redeemed)
		}
		spent += redeemed
	}
	rewards := h.do("GET", "/v1/rewards", h.partnerToken(a["id"].(string)), nil, nil).Body["rewards"].([]any)
	if stock := rewards[0].(map[string]any)["stock"]; stock != 0.0 || spent != 700 {
		t.Fatalf("stock %v, %d points spent", stock, spent)
	}

	// Cancelling gives points and stock back; a cancelled one cannot be fulfilled.
	list := h.do("GET", "/v1/redemptions?status=requested", h.tokens["alice"], nil, nil).Body["redemptions"].([]any)
	first := list[0].(map[string]any)
	owner := first["partner_id"].(string)
	_, before, _ := h.points(owner)
	if res := h.do("POST", "/v1/redemptions/"+first["id"].(string)+"/cancel", h.tokens["alice"], []byte(`{"reason":"out of mugs after all"}`), nil); res.Status != 200 {
		t.Fatalf("cancel: %d %s", res.Status, res.Raw)
	}
	if _, after, _ := h.points(owner); after != before+100 {
		t.Fatalf("points after cancelling: %d, were %d", after, before)
	}
	if res := h.do("POST", "/v1/redemptions/"+first["id"].(string)+"/fulfil", h.tokens["alice"], []byte(`{"reference":"DHL 123"}`), nil); res.Status != 409 || res.errorCode() != "not_open" {
		t.Fatalf("fulfil a cancelled redemption: %d %s", res.Status, res.Raw)
	}
	second := list[1].(map[string]any)
	if res := h.do("POST", "/v1/redemptions/"+second["id"].(string)+"/fulfil", h.tokens["alice"], []byte(`{"reference":"DHL 124"}`), nil); res.Status != 200 || res.Body["status"] != "fulfilled" {
		t.Fatalf("fulfil: %d %s", res.Status, res.Raw)
	}
	if res := h.do("POST", "/v1/redemptions", h.tokens["alice"], []byte(`{"reward_id":"mug","quantity":1}`), nil); res.Status != 403 {
		t.Fatalf("finance redeeming: %d", res.Status)
	}
}

func TestDonationRedemptionJoinsTheNextBatchsDonation(t *testing.T) {
	h := newHarness(t)
	h.putProgram(withPoints)
	h.addCharity("ch_water")
	p := h.createPartner(`{"name":"A","email":"a@a.example"}`)
	id := p["id"].(string)
	h.postGeneric("/webhooks/orders", genericOrder("e1", "o1", p["referral_code"].(string), "EUR", 30000))
	body := `{"id":"give","name":"Give 10 EUR","description":"To clean water","points_cost":100,"kind":"donation","charity_id":"ch_water","donation_value":{"EUR":1000}}`
	if res := h.do("POST", "/v1/rewards", h.tokens["alice"], []byte(body), nil); res.Status != 201 {
		t.Fatalf("reward: %d %s", res.Status, res.Raw)
	}
	if res := h.do("POST", "/v1/redemptions", h.partnerToken(id), []byte(`{"reward_id":"give","quantity":2}`), nil); res.Status != 201 {
		t.Fatalf("redeem: %d %s", res.Status, res.Raw)
	}
	if res := h.do("POST", "/v1/redemptions", h.partnerToken(id), []byte(`{"reward_id":"give","quantity":2}`), nil); res.errorCode() != "insufficient_points" {
		t.Fatalf("100 points left for 200: %d %s", res.Status, res.Raw)
	}
	batch := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
	if pl := batch.Body["pledges"].([]any); len(pl) != 1 || pl[0].(map[string]any)["amount"] != 2000.0 {
		t.Fatalf("batch pledges: %s", batch.Raw)
	}
	h.do("POST", "/v1/payout-batches/"+batch.Body["id"].(string)+"/approve", h.tokens["bob"], nil, nil)
	h.drainUntilCompleted(batch.Body["id"].(string))
	receipts := h.do("GET", "/v1/charities/ch_water/receipts", h.tokens["alice"], nil, nil).Body["receipts"].([]any)
	if len(receipts) != 1 || receipts[0].(map[string]any)["amount"] != 2000.0 {
		t.Fatalf("receipts: %v", receipts)
	}
	st := h.do("GET", "/v1/partners/"+id+"/statement", h.partnerToken(id), nil, nil)
	if gifts := st.Body["donated_on_your_behalf"].([]any); len(gifts) != 1 {
		t.Fatalf("statement donations: %s", st.Raw)
	}
}

func (h *harness) runPerformance() {
	h.t.Helper()
	if _, err := h.fns["Performance"].Performance.Run(context.Background()); err != nil {
		h.t.Fatalf("performance run: %v", err)
	}
}

func TestSalesChallengeCompletesOnceFromOutOfOrderAndDuplicatedSales(t *testing.T) {
	h := newHarness(t)
	h.putProgram(func(p *program.Program) {
		withPoints(p)
		p.Badges = []program.Badge{{ID: "spring-champion", Name: "Spring champion", Rule: program.BadgeRule{ChallengesCompleted: 1000}},
			{ID: "first-sale", Name: "First sale", Rule: program.BadgeRule{FirstSale: true}}}
	})
	p := h.createPartner(`{"name":"A","email":"a@a.example"}`)
	id, code := p["id"].(string), p["referral_code"].(string)
	starts, ends := time.Now().UTC().Add(-time.Hour), time.Now().UTC().Add(24*time.Hour)
	body := fmt.Sprintf(`{"id":"spring","name":"Spring push","description":"Sell 500 EUR","starts_at":%q,"ends_at":%q,"kind":"sales",
		"measure":"revenue","currency":"EUR","target":50000,"reward":{"points":200,"amount":{"EUR":2500},"badge":"spring-champion"}}`,
		starts.Format(time.RFC3339), ends.Format(time.RFC3339))
	if res := h.do("POST", "/v1/challenges", h.tokens["alice"], []byte(body), nil); res.Status != 201 {
		t.Fatalf("challenge: %d %s", res.Status, res.Raw)
	}
	// A refund of the second order arrives before it; everything twice.
	deliveries := [][]byte{
		[]byte(`{"id":"e3","type":"order.refunded","order":{"id":"o2","currency":"EUR","refund":{"id":"r1","amount":10000}}}`),
		genericOrder("e1", "o1", code, "EUR", 30000),
		genericOrder("e2", "o2", code, "EUR", 30000),
	}
	for _, d := range append(deliveries, deliveries...) {
		if res := h.postGeneric("/webhooks/orders", d); res.Status != 200 {
			t.Fatalf("delivery: %d %s", res.Status, res.Raw)
		}
	}
	view := h.do("GET", "/v1/challenges/spring", h.partnerToken(id), nil, nil)
	if view.Body["progress"] != 50000.0 || view.Body["completed_at"] != nil {
		t.Fatalf("progress before the job: %s", view.Raw)
	}
	h.runPerformance()
	h.runPerformance() // at most once per partner
	view = h.do("GET", "/v1/challenges/spring", h.partnerToken(id), nil, nil)
	if view.Body["completed_at"] == nil {
		t.Fatalf("not completed: %s", view.Raw)
	}
	if all := h.do("GET", "/v1/challenges", h.tokens["alice"], nil, nil).Body["challenges"].([]any); all[0].(map[string]any)["completions"] != 1.0 {
		t.Fatalf("finance's count: %v", all)
	}
	_, available, _ := h.points(id)
	if available != 500+200 {
		t.Fatalf("points: %d, want 500 from sales and 200 from the challenge", available)
	}
	partner := h.do("GET", "/v1/partners/"+id, h.partnerToken(id), nil, nil)
	badges := map[string]bool{}
	for _, b := range partner.Body["badges"].([]any) {
		badges[b.(map[string]any)["id"].(string)] = b.(map[string]any)["awarded_at"] != nil
	}
	if !badges["spring-champion"] || !badges["first-sale"] || len(badges) != 2 {
		t.Fatalf("badges: %s", partner.Raw)
	}
	// The money reward is an accrual of its own, like a goal bonus.
	bonus := 0.0
	for _, l := range h.do("GET", "/v1/partners/"+id+"/statement", h.partnerToken(id), nil, nil).Body["lines"].([]any) {
		if line := l.(map[string]any); line["source"] == "bonus" {
			bonus += line["amount"].(float64)
		}
	}
	if bonus != 2500 {
		t.Fatalf("challenge bonus accrued: %v", bonus)
	}
	// A refund that takes the partner back under the target leaves the
	// reward standing (the README says why).
	h.postGeneric("/webhooks/orders", []byte(`{"id":"e4","type":"order.refunded","order":{"id":"o1","currency":"EUR","refund":{"id":"r2","amount":30000}}}`))
	h.runPerformance()
	view = h.do("GET", "/v1/challenges/spring", h.partnerToken(id), nil, nil)
	if view.Body["progress"] != 20000.0 || view.Body["completed_at"] == nil {
		t.Fatalf("after the refund: %s", view.Raw)
	}
	if _, available, _ := h.points(id); available != 200+200 {
		t.Fatalf("points after the refund: %d (the order's 300 reversed, the challenge's 200 kept)", available)
	}
}

func TestTaskChallengeSubmissionsAreApprovedOnce(t *testing.T) {
	h := newHarness(t)
	h.putProgram(withPoints)
	p := h.createPartner(`{"name":"A","email":"a@a.example","tier":"silver"}`)
	gold := h.createPartner(`{"name":"G","email":"g@g.example","tier":"gold"}`)
	id := p["id"].(string)
	starts, ends := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
	for _, body := range []string{
		`{"id":"review","name":"Post a review","description":"Review the X200","starts_at":"` + starts + `","ends_at":"` + ends + `","kind":"task","tiers":["silver"],"reward":{"points":75}}`,
		`{"name":"Gold only","description":"","starts_at":"` + starts + `","ends_at":"` + ends + `","kind":"task","tiers":["gold"],"reward":{"points":5}}`,
	} {
		if res := h.do("POST", "/v1/challenges", h.tokens["alice"], []byte(body), nil); res.Status != 201 || res.Body["id"] == "" {
			t.Fatalf("challenge: %d %s", res.Status, res.Raw)
		}
	}
	if res := h.do("POST", "/v1/challenges", h.tokens["alice"], []byte(`{"name":"x","starts_at":"`+ends+`","ends_at":"`+starts+`","kind":"task","reward":{"points":1}}`), nil); res.Status != 422 {
		t.Fatalf("ends before it starts: %d %s", res.Status, res.Raw)
	}
	if list := h.do("GET", "/v1/challenges", h.partnerToken(id), nil, nil).Body["challenges"].([]any); len(list) != 1 {
		t.Fatalf("a silver partner sees %d challenges", len(list))
	}
	if res := h.do("POST", "/v1/challenges/review/submissions", h.partnerToken(gold["id"].(string)), []byte(`{"text":"done"}`), nil); res.Status != 404 {
		t.Fatalf("a gold partner submits to a silver challenge: %d", res.Status)
	}
	var subs []string
	for _, text := range []string{"first try", "second try"} {
		res := h.do("POST", "/v1/challenges/review/submissions", h.partnerToken(id), []byte(`{"text":"`+text+`","urls":["https://reviews.example/x200"]}`), nil)
		if res.Status != 201 || res.Body["status"] != "pending" {
			t.Fatalf("submit: %d %s", res.Status, res.Raw)
		}
		subs = append(subs, res.Body["id"].(string))
	}
	if list := h.do("GET", "/v1/challenges/review/submissions", h.tokens["alice"], nil, nil).Body["submissions"].([]any); len(list) != 2 {
		t.Fatalf("submissions: %v", list)
	}
	base := "/v1/challenges/review/submissions/"
	if res := h.do("POST", base+subs[0]+"/reject", h.tokens["alice"], []byte(`{"reason":"no photo"}`), nil); res.Body["status"] != "rejected" {
		t.Fatalf("reject: %d %s", res.Status, res.Raw)
	}
	var wg sync.WaitGroup
	statuses := make([]int, 3)
	for i := range statuses {
		wg.Go(func() { statuses[i] = h.do("POST", base+subs[1]+"/approve", h.tokens["alice"], nil, nil).Status })
	}
	wg.Wait()
	approved := 0
	for _, s := range statuses {
		if s == 200 {
			approved++
		} else if s != 409 {
			t.Fatalf("approvals answered %v", statuses)
		}
	}
	if approved != 1 {
		t.Fatalf("approvals answered %v", statuses)
	}
	if _, available, _ := h.points(id); available != 75 {
		t.Fatalf("reward credited %d points", available)
	}
	if res := h.do("POST", base+subs[0]+"/approve", h.tokens["alice"], nil, nil); res.Status != 409 {
		t.Fatalf("approving a rejected submission: %d", res.Status)
	}
	if res := h.do("POST", "/v1/challenges/review/submissions", h.partnerToken(id), []byte(`{"text":"again"}`), nil); res.errorCode() != "already_completed" {
		t.Fatalf("submitting after completion: %d %s", res.Status, res.Raw)
	}
}

func TestLeaderboardRanksTiesEquallyAndHidesNames(t *testing.T) {
	h := newHarness(t)
	h.putProgram(withPoints)
	var ids []string
	for i, amount := range []int64{30000, 50000, 30000, 10000} {
		p := h.createPartner(fmt.Sprintf(`{"name":"Partner %c","email":"p%d@p.example"}`, 'A'+i, i))
		ids = append(ids, p["id"].(string))
		h.postGeneric("/webhooks/orders", genericOrder(fmt.Sprint("e", i), fmt.Sprint("o", i), p["referral_code"].(string), "EUR", amount))
	}
	h.createPartner(`{"name":"Idle","email":"idle@p.example"}`)
	if res := h.do("PATCH", "/v1/partners/"+ids[1]+"/settings", h.partnerToken(ids[1]), []byte(`{"show_on_leaderboard":true}`), nil); res.Status != 200 {
		t.Fatalf("settings: %d %s", res.Status, res.Raw)
	}
	h.runPerformance()
	month := time.Now().UTC().Format("2006-01")
	board := h.do("GET", "/v1/leaderboard?period="+month+"&measure=revenue&currency=EUR&limit=10", h.partnerToken(ids[2]), nil, nil)
	var got []string
	for _, e := range board.Body["entries"].([]any) {
		m := e.(map[string]any)
		got = append(got, fmt.Sprintf("%v %v %v", m["rank"], m["partner"], m["value"]))
	}
	want := []string{"1 Partner B 50000", "2 Partner #2 30000", "2 Partner #2 30000", "4 Partner #4 10000"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("entries %v, want %v", got, want)
	}
	if you := board.Body["you"].(map[string]any); you["rank"] != 2.0 || you["value"] != 30000.0 {
		t.Fatalf("you: %v", you)
	}
	idle := h.do("GET", "/v1/leaderboard?period="+month+"&measure=points", h.tokens["alice"], nil, nil)
	if idle.Body["you"] != nil || len(idle.Body["entries"].([]any)) != 4 {
		t.Fatalf("finance's points board: %s", idle.Raw)
	}
	if res := h.do("GET", "/v1/leaderboard?measure=revenue", h.tokens["alice"], nil, nil); res.Status != 400 || res.errorCode() != "bad_query" {
		t.Fatalf("revenue without currency: %d %s", res.Status, res.Raw)
	}

	// Reading a board costs the same however many partners it ranks.
	rec := h.meter()
	rec.Reset()
	h.do("GET", "/v1/leaderboard?period="+month+"&measure=revenue&currency=EUR", h.partnerToken(ids[0]), nil, nil)
	small := rec.Bill()
	for i := range 30 {
		p := h.createPartner(fmt.Sprintf(`{"name":"More %d","email":"m%d@p.example"}`, i, i))
		h.postGeneric("/webhooks/orders", genericOrder(fmt.Sprint("m", i), fmt.Sprint("om", i), p["referral_code"].(string), "EUR", int64(1000+i)))
	}
	h.runPerformance()
	rec.Reset()
	h.do("GET", "/v1/leaderboard?period="+month+"&measure=revenue&currency=EUR", h.partnerToken(ids[0]), nil, nil)
	if large := rec.Bill(); large.Requests != small.Requests || large.ReadUnits > small.ReadUnits+1 {
		t.Fatalf("a board of 34 partners costs %+v, of 4 partners %+v", large, small)
	}
}

func TestOutboundWebhookIsRetriedUntilDeliveredWithOneEventID(t *testing.T) {
	h := newHarness(t)
	var mu sync.Mutex
	var seen []string
	var secret string
	calls := 0
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhook.VerifyTimestamped(r.Header.Get("Partnerloop-Signature"), body, []byte(secret), time.Now()); err != nil {
			t.Errorf("delivery signature: %v", err)
		}
		var evt struct {
			ID, Type string
			Data     map[string]any
		}
		_ = json.Unmarshal(body, &evt)
		seen = append(seen, evt.ID+" "+evt.Type)
		calls++
		if calls <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	created := h.do("POST", "/v1/webhook-endpoints", h.tokens["bob"], []byte(`{"url":"`+receiver.URL+`/hooks","events":["commission.created"]}`), nil)
	if created.Status != 201 || created.Body["secret"] == nil {
		t.Fatalf("endpoint: %d %s", created.Status, created.Raw)
	}
	secret = created.Body["secret"].(string)
	endpoint := created.Body["id"].(string)
	if got := h.do("GET", "/v1/webhook-endpoints/"+endpoint, h.tokens["bob"], nil, nil); got.Body["secret"] != nil {
		t.Fatalf("the secret is shown again: %s", got.Raw)
	}
	if res := h.do("POST", "/v1/webhook-endpoints", h.tokens["alice"], []byte(`{"url":"https://x.example","events":["payout.paid"]}`), nil); res.Status != 403 {
		t.Fatalf("finance (not admin) creates an endpoint: %d", res.Status)
	}
	h.ahead.Add(int64(time.Minute)) // every function has seen the new endpoint
	p := h.createPartner(`{"name":"A","email":"a@a.example"}`)
	order := genericOrder("e1", "o1", p["referral_code"].(string), "EUR", 10000)
	h.postGeneric("/webhooks/orders", order)
	h.postGeneric("/webhooks/orders", order) // a duplicate commits nothing, so emits nothing

	dispatcher, notifier := h.fns["Dispatcher"], h.fns["Notifier"]
	rep, err := dispatcher.Notify.Dispatch(context.Background())
	if err != nil || rep.Events != 1 || rep.Deliveries != 1 {
		t.Fatalf("dispatch: %+v %v", rep, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := sqsqueue.PollDeliveriesOnce(context.Background(), h.env.SQS, notifier.NotifyURL, notifier.NotifyRetryBase, notifier.Notify, 1); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		done := calls >= 3
		mu.Unlock()
		if done {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3 || seen[0] != seen[1] || seen[1] != seen[2] {
		t.Fatalf("attempts: %v", seen)
	}
	deliveries := h.do("GET", "/v1/webhook-endpoints/"+endpoint+"/deliveries", h.tokens["bob"], nil, nil).Body["deliveries"].([]any)
	var codes []any
	for _, d := range deliveries {
		codes = append(codes, d.(map[string]any)["response_code"])
	}
	if fmt.Sprint(codes) != "[204 503 503]" {
		t.Fatalf("deliveries newest first: %v", codes)
	}
	if rep, _ := dispatcher.Notify.Dispatch(context.Background()); rep.Events != 0 {
		t.Fatalf("the outbox still holds %d events", rep.Events)
	}
}
