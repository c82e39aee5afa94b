// Command donationworker settles donation messages from its SQS FIFO queue, reporting
// partial batch failures so only failed messages are retried.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/sqsqueue"
)

func main() {
	a := app.MustFromLambdaEnv()
	lambda.Start(func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		return sqsqueue.HandleBatch(ctx, a.Payouts, ev), nil
	})
}
