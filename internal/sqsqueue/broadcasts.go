package sqsqueue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/partnerloop/partnerloop/internal/mail"
	"github.com/partnerloop/partnerloop/internal/messages"
)

// broadcastPage is the kind of mail-queue job that carries a page of a
// broadcast's fan-out rather than one e-mail.
const broadcastPage mail.Kind = "broadcast_page"

// broadcastGroup is the message group of every fan-out page: pages go one
// at a time, so broadcasts together keep to the sending rate.
const broadcastGroup = "broadcasts"

// BroadcastPages sends fan-out pages to the mail queue.
type BroadcastPages struct {
	SQS *sqs.Client
	URL string
}

// SendPage queues a page; the deduplication id is the page's, so a page
// queued twice within five minutes runs once (and later, its marker
// keeps it from counting twice).
func (q *BroadcastPages) SendPage(ctx context.Context, p messages.Page) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	// A hash: the page key holds a partner id, longer than a
	// deduplication id may be.
	sum := sha256.Sum256([]byte(p.MessageID + "|" + p.Key()))
	id := "bp_" + hex.EncodeToString(sum[:16])
	body, err := json.Marshal(mail.Job{ID: id, Kind: broadcastPage, Data: data})
	if err != nil {
		return err
	}
	_, err = q.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(string(body)),
		MessageGroupId: aws.String(broadcastGroup), MessageDeduplicationId: aws.String(id)})
	return err
}

// PageRunner sends one page of a broadcast.
type PageRunner interface {
	RunPage(ctx context.Context, p messages.Page) error
}

// MailWork is the mail queue's consumer: e-mail jobs go to the mail
// service, fan-out pages to the broadcasts.
type MailWork struct {
	Mail       Mailer
	Broadcasts PageRunner
}

// Deliver handles one job of the mail queue.
func (w MailWork) Deliver(ctx context.Context, job mail.Job) (mail.Outcome, error) {
	if job.Kind != broadcastPage {
		return w.Mail.Deliver(ctx, job)
	}
	var p messages.Page
	if err := json.Unmarshal(job.Data, &p); err != nil {
		return "", fmt.Errorf("broadcast page %s: %w", job.ID, err)
	}
	return "", w.Broadcasts.RunPage(ctx, p)
}
