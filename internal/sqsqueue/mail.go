package sqsqueue

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/partnerloop/partnerloop/internal/mail"
)

// MailJobs sends e-mail jobs to the mail queue.
type MailJobs struct {
	SQS *sqs.Client
	URL string
}

// SendJobs enqueues jobs ten per request. The deduplication id is the
// e-mail's id, so a re-send within five minutes is dropped (and a later one
// is dropped by the mailer's claim); the group is the recipient, so one
// recipient's e-mails go out in order and others' are not held back.
func (q *MailJobs) SendJobs(ctx context.Context, jobs []mail.Job) error {
	for chunk := range slices.Chunk(jobs, 10) {
		entries := make([]sqstypes.SendMessageBatchRequestEntry, 0, len(chunk))
		for i, j := range chunk {
			body, err := json.Marshal(j)
			if err != nil {
				return err
			}
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(string(body)),
				MessageGroupId: aws.String(cmp.Or(j.PartnerID, j.To)), MessageDeduplicationId: aws.String(j.ID)})
		}
		out, err := q.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.URL), Entries: entries})
		if err != nil {
			return err
		}
		if len(out.Failed) > 0 {
			return fmt.Errorf("%d e-mail jobs not queued: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
		}
	}
	return nil
}

// Mailer is the part of the mail service the mailer function needs.
type Mailer interface {
	Deliver(ctx context.Context, job mail.Job) (mail.Outcome, error)
}

// HandleMailJobs delivers every queued job and reports the ones that
// failed, so SQS retries only those until the dead-letter queue takes them.
func HandleMailJobs(ctx context.Context, m Mailer, ev events.SQSEvent) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for _, r := range ev.Records {
		var job mail.Job
		if err := json.Unmarshal([]byte(r.Body), &job); err != nil {
			continue // not ours to retry: it can never be read
		}
		if _, err := m.Deliver(ctx, job); err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		}
	}
	return resp
}

// PollMailOnce is PollOnce for the mail queue.
func PollMailOnce(ctx context.Context, client *sqs.Client, queueURL string, m Mailer, waitSeconds int32) (int, error) {
	return pollOnce(ctx, client, queueURL, waitSeconds, func(ev events.SQSEvent) events.SQSEventResponse {
		return HandleMailJobs(ctx, m, ev)
	})
}
