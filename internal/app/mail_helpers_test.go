package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
	"github.com/partnerloop/partnerloop/internal/sqsqueue"
)

// sentMail is one e-mail as the SES emulator's store (GET /store) shows it.
type sentMail struct {
	From        string `json:"from"`
	Destination struct {
		To []string `json:"to"`
	} `json:"destination"`
	Subject string `json:"subject"`
	Body    struct {
		Text string `json:"text"`
		HTML string `json:"html"`
	} `json:"body"`
	Headers []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"headers"`
}

func (m sentMail) header(name string) string {
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// mailTo reads what the SES emulator was sent to an address.
func mailTo(t *testing.T, address string) []sentMail {
	t.Helper()
	res, err := http.Get(devtest.SESEndpoint() + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var store struct {
		Emails []sentMail `json:"emails"`
	}
	if err := json.NewDecoder(res.Body).Decode(&store); err != nil {
		t.Fatal(err)
	}
	var out []sentMail
	for _, m := range store.Emails {
		if slices.Contains(m.Destination.To, address) {
			out = append(out, m)
		}
	}
	return out
}

var mailboxes atomic.Int64

// mailbox is an address no other test of the run writes to (the emulator's
// store is shared).
func mailbox(name string) string {
	return fmt.Sprintf("%s-%d-%d@shop.example", name, time.Now().UnixNano(), mailboxes.Add(1))
}

// deliverMail runs the dispatcher (outbox events to mail jobs), then the
// mailer over every queued job twice, as SQS redelivering each message
// would.
func (h *harness) deliverMail() {
	h.t.Helper()
	if _, err := h.fns["Dispatcher"].Notify.Dispatch(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.drainMailQueue(func(ctx context.Context, batch events.SQSEvent) {
		for range 2 {
			if failed := sqsqueue.HandleMailJobs(ctx, h.fns["Mailer"].Mail, batch).BatchItemFailures; len(failed) > 0 {
				h.t.Fatalf("mail jobs failed: %v", failed)
			}
		}
	})
}

// drainMailQueue hands the mail queue's messages to handle a received batch
// at a time, deleting each batch after it, until the queue is empty.
func (h *harness) drainMailQueue(handle func(ctx context.Context, batch events.SQSEvent)) {
	h.t.Helper()
	ctx := context.Background()
	for {
		out, err := h.env.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(h.cfg.MailURL), MaxNumberOfMessages: 10})
		if err != nil {
			h.t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return
		}
		var batch events.SQSEvent
		for _, m := range out.Messages {
			batch.Records = append(batch.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), Body: aws.ToString(m.Body)})
		}
		handle(ctx, batch)
		for _, m := range out.Messages {
			if _, err := h.env.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(h.cfg.MailURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				h.t.Fatal(err)
			}
		}
	}
}

// onlyMail is the single e-mail an address received whose subject starts
// with prefix.
func onlyMail(t *testing.T, address, prefix string) sentMail {
	t.Helper()
	var found []sentMail
	for _, m := range mailTo(t, address) {
		if strings.HasPrefix(m.Subject, prefix) {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		var subjects []string
		for _, m := range mailTo(t, address) {
			subjects = append(subjects, m.Subject)
		}
		t.Fatalf("%s received %d e-mails %q…, want 1 (all: %q)", address, len(found), prefix, subjects)
	}
	return found[0]
}

// wantUnsubscribe checks the one-click unsubscribe headers are there (a
// non-transactional e-mail) or not (a transactional one).
func wantUnsubscribe(t *testing.T, m sentMail, want bool) {
	t.Helper()
	link, post := m.header("List-Unsubscribe"), m.header("List-Unsubscribe-Post")
	if !want {
		if link != "" || post != "" {
			t.Errorf("%q: a transactional e-mail carries unsubscribe headers %q %q", m.Subject, link, post)
		}
		return
	}
	if !strings.HasPrefix(link, "<https://go.partnerloop.example/unsubscribe/") || !strings.HasSuffix(link, ">") || post != "List-Unsubscribe=One-Click" {
		t.Errorf("%q: unsubscribe headers %q %q", m.Subject, link, post)
	}
}
