// Command maturity runs on a schedule and makes pending commission payable
// once the program's return window has passed.
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
		n, err := a.Ledger.MatureDue(ctx)
		a.Log.InfoContext(ctx, "accruals matured", "count", n)
		return err
	})
}
