// Command dispatcher runs on a schedule and sends the messages of approved
// payout batches whose outbox rows are still open.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/partnerloop/partnerloop/internal/app"
)

func main() {
	a := app.MustFromLambdaEnv()
	lambda.Start(func(ctx context.Context, _ events.EventBridgeEvent) error {
		n, err := a.Payouts.DispatchPending(ctx)
		a.Log.InfoContext(ctx, "outbox swept", "batches", n)
		return err
	})
}
