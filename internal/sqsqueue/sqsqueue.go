// Package sqsqueue sends payout, donation and webhook delivery messages to
// SQS FIFO queues and,
// for local runs, polls them the way the Lambda event source mapping does.
package sqsqueue

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/notify"
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
	return pollOnce(ctx, client, queueURL, waitSeconds, func(ev events.SQSEvent) events.SQSEventResponse {
		return HandleBatch(ctx, s, ev, nil)
	})
}

func pollOnce(ctx context.Context, client *sqs.Client, queueURL string, waitSeconds int32, handle func(events.SQSEvent) events.SQSEventResponse) (int, error) {
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL),
		MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
	if err != nil {
		return 0, fmt.Errorf("receive: %w", err)
	}
	if len(out.Messages) == 0 {
		return 0, nil
	}
	ev := events.SQSEvent{}
	for _, m := range out.Messages {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
			Body: aws.ToString(m.Body), Attributes: m.Attributes})
	}
	failed := map[string]bool{}
	for _, f := range handle(ev).BatchItemFailures {
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

// Deliveries sends outbound webhook deliveries to the notifier queue.
type Deliveries struct {
	SQS *sqs.Client
	URL string
}

// SendDeliveries enqueues each delivery, ten per request. The group is the
// event and endpoint, so one failing endpoint never holds back another's
// events; the deduplication id drops a re-send within five minutes, unless
// it is an admin's resend, which has its own.
func (d *Deliveries) SendDeliveries(ctx context.Context, ms []notify.Message) error {
	for chunk := range slices.Chunk(ms, 10) {
		entries := make([]sqstypes.SendMessageBatchRequestEntry, 0, len(chunk))
		for i, m := range chunk {
			body, err := json.Marshal(m)
			if err != nil {
				return err
			}
			id := m.Event.ID + ":" + m.EndpointID
			dedup := id
			if m.Resend != "" {
				dedup += ":" + m.Resend
			}
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(string(body)),
				MessageGroupId: aws.String(id), MessageDeduplicationId: aws.String(dedup)})
		}
		out, err := d.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(d.URL), Entries: entries})
		if err != nil {
			return err
		}
		if len(out.Failed) > 0 {
			return fmt.Errorf("%d deliveries not queued: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
		}
	}
	return nil
}

// Deliverer is the part of the notify service the notifier needs.
type Deliverer interface {
	Deliver(ctx context.Context, m notify.Message, attempt int) error
}

// HandleDeliveries posts every queued delivery; a failed one is made
// visible again after its backoff (RetryDelay of its receive count) and
// reported, so SQS retries only it, until the dead-letter queue takes it.
func HandleDeliveries(ctx context.Context, client *sqs.Client, queueURL string, base time.Duration, d Deliverer, ev events.SQSEvent) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for _, r := range ev.Records {
		var m notify.Message
		if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
			continue // not ours to retry: it can never be read
		}
		attempt, _ := strconv.Atoi(r.Attributes["ApproximateReceiveCount"])
		attempt = max(attempt, 1)
		if err := d.Deliver(ctx, m, attempt); err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			// Best effort: without it the queue's visibility timeout applies.
			_, _ = client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(queueURL),
				ReceiptHandle: aws.String(r.ReceiptHandle), VisibilityTimeout: int32(notify.RetryDelay(base, attempt).Seconds())})
		}
	}
	return resp
}

// PollDeliveriesOnce is PollOnce for the notifier queue.
func PollDeliveriesOnce(ctx context.Context, client *sqs.Client, queueURL string, base time.Duration, d Deliverer, waitSeconds int32) (int, error) {
	return pollOnce(ctx, client, queueURL, waitSeconds, func(ev events.SQSEvent) events.SQSEventResponse {
		return HandleDeliveries(ctx, client, queueURL, base, d, ev)
	})
}
