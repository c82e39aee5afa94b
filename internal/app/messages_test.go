package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/partnerloop/partnerloop/internal/mail"
	"github.com/partnerloop/partnerloop/internal/sqsqueue"
)

// sendBroadcasts runs the dispatcher (which starts the broadcasts due) and
// then the mailer over the mail queue until it is empty: each message is
// handled until it succeeds, then once more, as SQS redelivers a message
// whose deletion was lost.
func (h *harness) sendBroadcasts() { h.runBroadcasts(true) }

// runBroadcasts is sendBroadcasts, with the redeliveries or without.
func (h *harness) runBroadcasts(redeliver bool) {
	h.t.Helper()
	if _, err := h.fns["Dispatcher"].Messages.StartDue(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.drainMailQueue(func(ctx context.Context, batch events.SQSEvent) {
		for _, m := range batch.Records {
			ev := events.SQSEvent{Records: []events.SQSMessage{m}}
			for attempt := 1; len(sqsqueue.HandleMailJobs(ctx, h.fns["Mailer"].MailWork(), ev).BatchItemFailures) > 0; attempt++ {
				if attempt == 3 {
					h.t.Fatalf("mail queue message failed %d times: %s", attempt, m.Body)
				}
			}
			if redeliver && len(sqsqueue.HandleMailJobs(ctx, h.fns["Mailer"].MailWork(), ev).BatchItemFailures) > 0 {
				h.t.Fatalf("a redelivered message failed: %s", m.Body)
			}
		}
	})
}

// failTransactions makes the next n DynamoDB transactions of every
// function fail, as a crash between a page's e-mails and its commit does.
func (h *harness) failTransactions(n int64) {
	left := &atomic.Int64{}
	left.Store(n)
	h.useDynamoDBOptions(func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("crash", func(ctx context.Context, in middleware.InitializeInput,
				next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if awsmiddleware.GetOperationName(ctx) == "TransactWriteItems" && left.Add(-1) >= 0 {
					return middleware.InitializeOutput{}, middleware.Metadata{}, errors.New("the function crashed")
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
		})
	})
}

func (h *harness) broadcast(body string) map[string]any {
	h.t.Helper()
	res := h.do("POST", "/v1/messages", h.tokens["alice"], []byte(body), nil)
	if res.Status != http.StatusCreated {
		h.t.Fatalf("create broadcast: %d %s", res.Status, res.Raw)
	}
	return res.Body
}

func (h *harness) message(id string) map[string]any {
	h.t.Helper()
	res := h.do("GET", "/v1/messages/"+id, h.tokens["alice"], nil, nil)
	if res.Status != http.StatusOK {
		h.t.Fatalf("get broadcast: %d %s", res.Status, res.Raw)
	}
	return res.Body
}

func counts(m map[string]any) string {
	return fmt.Sprintf("recipients %v sent %v suppressed %v failed %v", m["recipients"], m["sent"], m["suppressed"], m["failed"])
}

func TestBroadcastReachesItsAudienceOnceThroughCrashesAndRedeliveries(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	addr := map[string]string{}
	ids := map[string]string{}
	for name, body := range map[string]string{
		"gold":      `{"name":"Gold Ltd","email":%q,"tier":"gold"}`,
		"optedOut":  `{"name":"Quiet Gold","email":%q,"tier":"gold"}`,
		"bounced":   `{"name":"Bounced Gold","email":%q,"tier":"gold"}`,
		"silver":    `{"name":"Silver Srl","email":%q,"tier":"silver"}`,
		"named":     `{"name":"Named Srl","email":%q,"tier":"silver","language":"it"}`,
		"suspended": `{"name":"Gone Gold","email":%q,"tier":"gold"}`,
	} {
		addr[name] = mailbox("bc-" + strings.ToLower(name))
		ids[name] = h.createPartner(fmt.Sprintf(body, addr[name]))["id"].(string)
	}
	if res := h.do("PATCH", "/v1/partners/"+ids["optedOut"]+"/notifications", h.partnerToken(ids["optedOut"]),
		[]byte(`{"categories":{"announcements":false}}`), nil); res.Status != http.StatusOK {
		t.Fatalf("opt out: %d %s", res.Status, res.Raw)
	}
	if _, err := h.app.Mail.Suppress(ctx, mail.Feedback{Type: "Complaint", Addresses: []string{addr["bounced"]}, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if res := h.do("PATCH", "/v1/partners/"+ids["suspended"], h.tokens["alice"], []byte(`{"status":"suspended"}`), nil); res.Status != http.StatusOK {
		t.Fatalf("suspend: %d %s", res.Status, res.Raw)
	}

	msg := h.broadcast(fmt.Sprintf(`{"subject":"Spring offer","body":"Hello **partners**: see [the offer](https://shop.example/spring).",
		"audience":{"tiers":["gold"],"partner_ids":[%q,%q]}}`, ids["named"], ids["gold"]))
	if msg["status"] != "scheduled" || counts(msg) != "recipients 0 sent 0 suppressed 0 failed 0" {
		t.Fatalf("new broadcast: %v", msg)
	}
	// The first page (the partners named by id) crashes after its e-mails,
	// before its commit; its redelivery must neither mail nor count twice.
	if _, err := h.fns["Dispatcher"].Messages.StartDue(ctx); err != nil {
		t.Fatal(err)
	}
	h.failTransactions(1)
	h.sendBroadcasts()

	got := h.message(msg["id"].(string))
	if got["status"] != "sent" || counts(got) != "recipients 4 sent 2 suppressed 2 failed 0" {
		t.Errorf("after the fan-out: %s, status %v", counts(got), got["status"])
	}
	for name, want := range map[string]int{"gold": 1, "named": 1, "optedOut": 0, "bounced": 0, "silver": 0, "suspended": 0} {
		if n := len(mailTo(t, addr[name])); n != want {
			t.Errorf("%s received %d e-mails, want %d", name, n, want)
		}
	}
	gold := onlyMail(t, addr["gold"], "Spring offer")
	wantUnsubscribe(t, gold, true)
	if !strings.Contains(gold.Body.HTML, `<strong>partners</strong>: see <a href="https://shop.example/spring">the offer</a>.`) ||
		!strings.Contains(gold.Body.HTML, "Hello Gold Ltd,") || !strings.Contains(gold.Body.Text, "the offer (https://shop.example/spring)") ||
		!strings.Contains(gold.Body.HTML, "https://go.partnerloop.example/portal/#/inbox") {
		t.Errorf("e-mail: %s\n%s", gold.Body.HTML, gold.Body.Text)
	}
	if named := onlyMail(t, addr["named"], "Spring offer"); !strings.Contains(named.Body.HTML, "Ciao Named Srl,") {
		t.Errorf("the Italian partner's e-mail: %s", named.Body.HTML)
	}

	// Every recipient's inbox has it, e-mailed or not; the others' do not.
	for name, want := range map[string]int{"gold": 1, "named": 1, "optedOut": 1, "bounced": 1, "silver": 0, "suspended": 0} {
		res := h.do("GET", "/v1/partners/"+ids[name]+"/inbox", h.partnerToken(ids[name]), nil, nil)
		if msgs := res.Body["messages"].([]any); res.Status != http.StatusOK || len(msgs) != want || res.Body["unread"] != float64(want) {
			t.Errorf("%s's inbox: %d %s", name, res.Status, res.Raw)
		}
	}
}

func TestInboxMergesBroadcastsToAllWithTargetedOnesPagedWithReadsAndReplies(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(fmt.Sprintf(`{"name":"Penny Parts","email":%q}`, mailbox("inbox-p")))["id"].(string)
	q := h.createPartner(fmt.Sprintf(`{"name":"Quinn Tools","email":%q}`, mailbox("inbox-q")))["id"].(string)
	pTok, qTok := h.partnerToken(p), h.partnerToken(q)
	toAll := h.broadcast(`{"subject":"To everyone","body":"All of you.","audience":{"all":true}}`)["id"].(string)
	toP := h.broadcast(fmt.Sprintf(`{"subject":"Just Penny","body":"Only you.","audience":{"partner_ids":[%q]}}`, p))["id"].(string)
	later := h.broadcast(fmt.Sprintf(`{"subject":"Tomorrow","body":"Soon.","audience":{"all":true},"send_at":%q}`,
		time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339)))["id"].(string)
	h.sendBroadcasts()

	inbox := func(partnerID, token, query string) response {
		t.Helper()
		res := h.do("GET", "/v1/partners/"+partnerID+"/inbox"+query, token, nil, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("inbox: %d %s", res.Status, res.Raw)
		}
		return res
	}
	ids := func(res response) string {
		var out []string
		for _, m := range res.Body["messages"].([]any) {
			out = append(out, m.(map[string]any)["id"].(string))
		}
		return strings.Join(out, ",")
	}
	first := inbox(p, pTok, "?limit=1")
	if ids(first) != toP || first.Body["unread"] != float64(2) || first.Body["next_cursor"] == "" {
		t.Fatalf("first page of Penny's inbox: %s", first.Raw)
	}
	second := inbox(p, pTok, "?limit=1&cursor="+first.Body["next_cursor"].(string))
	if ids(second) != toAll || second.Body["next_cursor"] != "" {
		t.Fatalf("second page of Penny's inbox: %s", second.Raw)
	}
	if qs := inbox(q, qTok, ""); ids(qs) != toAll || qs.Body["unread"] != float64(1) {
		t.Fatalf("Quinn's inbox: %s", qs.Raw)
	}
	if fin := inbox(p, h.tokens["alice"], ""); ids(fin) != toP+","+toAll {
		t.Errorf("finance reading Penny's inbox: %s", fin.Raw)
	}

	read := h.do("POST", "/v1/partners/"+p+"/inbox/"+toAll+"/read", pTok, nil, nil)
	if read.Status != http.StatusOK || read.Body["read_at"] == nil {
		t.Fatalf("mark read: %d %s", read.Status, read.Raw)
	}
	again := h.do("POST", "/v1/partners/"+p+"/inbox/"+toAll+"/read", pTok, nil, nil)
	if again.Body["read_at"] != read.Body["read_at"] {
		t.Errorf("a second read moved read_at: %s then %s", read.Raw, again.Raw)
	}
	if box := inbox(p, pTok, ""); box.Body["unread"] != float64(1) || box.Body["messages"].([]any)[1].(map[string]any)["read_at"] != read.Body["read_at"] {
		t.Errorf("after reading one: %s", box.Raw)
	}
	if qs := inbox(q, qTok, ""); qs.Body["unread"] != float64(1) {
		t.Errorf("Penny's read counted for Quinn: %s", qs.Raw)
	}

	// A partner sees, reads and answers only its own inbox.
	before := h.itemCount()
	for _, c := range []struct {
		method, path, token, body string
		status                    int
	}{
		{"GET", "/v1/partners/" + p + "/inbox", qTok, "", 404},
		{"POST", "/v1/partners/" + q + "/inbox/" + toP + "/read", qTok, "", 404},
		{"POST", "/v1/partners/" + p + "/inbox/" + toP + "/read", qTok, "", 404},
		{"POST", "/v1/partners/" + q + "/inbox/" + toP + "/replies", qTok, `{"body":"Me too?"}`, 404},
		{"POST", "/v1/partners/" + p + "/inbox/" + later + "/read", pTok, "", 404},
		{"POST", "/v1/partners/" + p + "/inbox/msg_unknown/read", pTok, "", 404},
		{"POST", "/v1/partners/" + p + "/inbox/" + toP + "/read", h.tokens["alice"], "", 403},
		{"POST", "/v1/partners/" + p + "/inbox/" + toP + "/replies", pTok, `{"body":"` + strings.Repeat("x", 2001) + `"}`, 422},
		{"POST", "/v1/partners/" + p + "/inbox/" + toP + "/replies", pTok, `{"body":"  "}`, 422},
		{"GET", "/v1/messages", pTok, "", 403},
		{"POST", "/v1/messages", pTok, `{"subject":"x","body":"y","audience":{"all":true}}`, 403},
		{"GET", "/v1/messages/" + toP + "/replies", pTok, "", 403},
	} {
		if res := h.do(c.method, c.path, c.token, []byte(c.body), nil); res.Status != c.status {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, res.Status, res.Raw, c.status)
		}
	}
	if after := h.itemCount(); after != before {
		t.Errorf("refused requests wrote %d items", after-before)
	}

	reply := h.do("POST", "/v1/partners/"+p+"/inbox/"+toP+"/replies", pTok, []byte(`{"body":"Thanks, <b>count me in</b>."}`), nil)
	if reply.Status != http.StatusCreated {
		t.Fatalf("reply: %d %s", reply.Status, reply.Raw)
	}
	thread := h.do("GET", "/v1/messages/"+toP+"/replies", h.tokens["alice"], nil, nil)
	replies := thread.Body["replies"].([]any)
	if len(replies) != 1 || replies[0].(map[string]any)["body"] != "Thanks, <b>count me in</b>." ||
		replies[0].(map[string]any)["partner_name"] != "Penny Parts" || h.message(toP)["replies"] != float64(1) {
		t.Errorf("the thread: %s", thread.Raw)
	}

	// A scheduled broadcast waits for its time; a partner who joined after
	// a broadcast to all does not get it.
	h.ahead.Add(int64(25 * time.Hour))
	newcomer := h.createPartner(fmt.Sprintf(`{"name":"Newcomer","email":%q}`, mailbox("inbox-new")))["id"].(string)
	h.sendBroadcasts()
	if box := inbox(p, pTok, ""); ids(box) != later+","+toP+","+toAll || box.Body["unread"] != float64(2) {
		t.Errorf("Penny's inbox after the scheduled broadcast: %s", box.Raw)
	}
	if box := inbox(newcomer, h.partnerToken(newcomer), ""); ids(box) != "" || box.Body["unread"] != float64(0) {
		t.Errorf("the newcomer's inbox: %s", box.Raw)
	}
	list := h.do("GET", "/v1/messages?limit=2", h.tokens["alice"], nil, nil)
	if ids(list) != later+","+toP || list.Body["next_cursor"] == "" {
		t.Errorf("broadcasts, newest first: %s", list.Raw)
	}
}

func TestBroadcastOutOfBoundsIsRefusedNamingTheFieldAndWritesNothing(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(fmt.Sprintf(`{"name":"A","email":%q}`, mailbox("bounds")))["id"].(string)
	before := h.itemCount()
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf("%q", p)
	}
	for field, body := range map[string]string{
		"subject":                 `{"subject":"` + strings.Repeat("s", 201) + `","body":"b","audience":{"all":true}}`,
		"body":                    `{"subject":"s","body":"` + strings.Repeat("b", 20001) + `","audience":{"all":true}}`,
		"audience":                `{"subject":"s","body":"b","audience":{}}`,
		"audience.tiers[0]":       `{"subject":"s","body":"b","audience":{"tiers":["platinum"]}}`,
		"audience.partner_ids":    `{"subject":"s","body":"b","audience":{"partner_ids":[` + strings.Join(many, ",") + `]}}`,
		"audience.partner_ids[1]": `{"subject":"s","body":"b","audience":{"partner_ids":["` + p + `","p_nobody"]}}`,
	} {
		res := h.do("POST", "/v1/messages", h.tokens["alice"], []byte(body), nil)
		e, _ := res.Body["error"].(map[string]any)
		if res.Status != http.StatusUnprocessableEntity || res.errorCode() != "invalid_message" || e["field"] != field {
			t.Errorf("%s: %d %s", field, res.Status, res.Raw)
		}
	}
	if after := h.itemCount(); after != before {
		t.Errorf("refused broadcasts wrote %d items", after-before)
	}
	preview := h.do("POST", "/v1/messages/preview", h.tokens["alice"], []byte(`{"subject":"Hi","body":"*New* <b>rates</b>"}`), nil)
	previews, _ := preview.Body["previews"].([]any)
	if preview.Status != http.StatusOK || len(previews) != 3 {
		t.Fatalf("preview: %d %s", preview.Status, preview.Raw)
	}
	for i, greeting := range []string{"Hello Alex,", "Ciao Alessandra,", "Здравствуйте, Алексей!"} {
		pv := previews[i].(map[string]any)
		if html := pv["html"].(string); !strings.Contains(html, greeting) || !strings.Contains(html, "<em>New</em> &lt;b&gt;rates&lt;/b&gt;") || pv["subject"] != "Hi" {
			t.Errorf("preview %d: %v", i, pv)
		}
	}
}
