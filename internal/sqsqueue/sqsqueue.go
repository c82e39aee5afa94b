// Package sqsqueue sends payout and donation messages to SQS FIFO queues and,
// for local runs, polls them the way the Lambda event source mapping does.
package sqsqueue

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/obs"
	"github.com/partnerloop/partnerloop/internal/payout"
)

// Publisher routes each leg to its queue.
type Publisher struct {
	SQS          *sqs.Client
	PayoutsURL   string
	DonationsURL string
}

// Send enqueues one leg. The deduplication id makes a re-send within SQS's
// five-minute window a no-op; the message group keeps one partner's (or one
// charity's) legs in order.
func (p *Publisher) Send(ctx context.Context, m payout.Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	url := p.PayoutsURL
	if m.Leg == payout.LegDonation {
		url = p.DonationsURL
	}
	_, err = p.SQS.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:               aws.String(url),
		MessageBody:            aws.String(string(body)),
		MessageGroupId:         aws.String(cmp.Or(m.PartnerID, m.CharityID)),
		MessageDeduplicationId: aws.String(m.DeduplicationID()),
	})
	return err
}

// Settler is the part of the payout service a worker needs.
type Settler interface {
	Settle(ctx context.Context, m payout.Message) (payout.Settlement, error)
}

// HandleBatch settles every record and reports the ones that failed, so SQS
// retries only those (ReportBatchItemFailures).
// Each message's outcome is a metric per leg (payout or donation): Paid,
// AlreadySettled, Failed (final, back to payable) or Retried, with the
// time it took.
func HandleBatch(ctx context.Context, s Settler, ev events.SQSEvent, metrics *obs.Metrics) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for _, r := range ev.Records {
		start := time.Now()
		var m payout.Message
		var outcome payout.Settlement
		err := json.Unmarshal([]byte(r.Body), &m)
		if err == nil {
			outcome, err = s.Settle(ctx, m)
		}
		name := "Retried"
		if err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		} else {
			name = map[payout.Settlement]string{payout.Paid: "Paid", payout.AlreadySettled: "AlreadySettled", payout.Failed: "Failed"}[outcome]
		}
		metrics.Emit(map[string]string{"Leg": cmp.Or(string(m.Leg), "unreadable")},
			obs.Metric{Name: "Legs" + name, Unit: obs.Count, Value: 1},
			obs.Metric{Name: "WorkerLatency", Unit: obs.Milliseconds, Value: time.Since(start).Milliseconds()})
	}
	return resp
}

// PollOnce receives up to ten messages, hands them to HandleBatch and deletes
// the ones that succeeded, as the Lambda event source mapping does in AWS.
func PollOnce(ctx context.Context, client *sqs.Client, queueURL string, s Settler, waitSeconds int32) (int, error) {
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL),
		MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds})
	if err != nil {
		return 0, fmt.Errorf("receive: %w", err)
	}
	if len(out.Messages) == 0 {
		return 0, nil
	}
	ev := events.SQSEvent{}
	for _, m := range out.Messages {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body)})
	}
	failed := map[string]bool{}
	for _, f := range HandleBatch(ctx, s, ev, nil).BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	for _, r := range ev.Records {
		if failed[r.MessageId] {
			continue // becomes visible again after the visibility timeout
		}
		if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: aws.String(r.ReceiptHandle)}); err != nil {
			return len(ev.Records), fmt.Errorf("delete: %w", err)
		}
	}
	return len(ev.Records), nil
}

// CreateQueues creates each FIFO queue with its dead-letter queue from the
// appspec definitions and returns the queue URLs by name; used locally and in
// tests (the stack creates them in AWS).
func CreateQueues(ctx context.Context, client *sqs.Client, queues []appspec.Queue, prefix string) (map[string]string, error) {
	urls := map[string]string{}
	for _, q := range queues {
		dlq, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(prefix + q.DLQName()),
			Attributes: map[string]string{"FifoQueue": "true"}})
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", q.DLQName(), err)
		}
		attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return nil, fmt.Errorf("read %s arn: %w", q.DLQName(), err)
		}
		redrive, _ := json.Marshal(map[string]any{"deadLetterTargetArn": attrs.Attributes["QueueArn"], "maxReceiveCount": q.MaxReceiveCount})
		main, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(prefix + q.FIFOName()),
			Attributes: map[string]string{"FifoQueue": "true", "VisibilityTimeout": fmt.Sprint(q.VisibilitySeconds), "RedrivePolicy": string(redrive)}})
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", q.FIFOName(), err)
		}
		urls[q.Name] = aws.ToString(main.QueueUrl)
		urls[q.Name+"-dlq"] = aws.ToString(dlq.QueueUrl)
	}
	return urls, nil
}

// Redrive moves every message of a dead-letter queue back to its queue,
// keeping each message's group. The copy gets a fresh deduplication id, so
// the FIFO queue accepts it even inside the five-minute window; settling is
// idempotent, so a message that is redriven twice still pays once.
func Redrive(ctx context.Context, client *sqs.Client, dlqURL, queueURL string) (int, error) {
	moved := 0
	for {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL), MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{
				sqstypes.MessageSystemAttributeNameMessageGroupId, sqstypes.MessageSystemAttributeNameMessageDeduplicationId}})
		if err != nil {
			return moved, fmt.Errorf("receive from dead-letter queue: %w", err)
		}
		if len(out.Messages) == 0 {
			return moved, nil
		}
		for _, m := range out.Messages {
			group := m.Attributes[string(sqstypes.MessageSystemAttributeNameMessageGroupId)]
			dedup := m.Attributes[string(sqstypes.MessageSystemAttributeNameMessageDeduplicationId)]
			if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: m.Body,
				MessageGroupId: aws.String(cmp.Or(group, "redrive")), MessageDeduplicationId: aws.String(dedup + ":redrive:" + aws.ToString(m.MessageId))}); err != nil {
				return moved, fmt.Errorf("send back: %w", err)
			}
			if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(dlqURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return moved, fmt.Errorf("delete from dead-letter queue: %w", err)
			}
			moved++
		}
	}
}
