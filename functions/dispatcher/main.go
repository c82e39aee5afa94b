// Command dispatcher runs on a schedule and sends the messages of approved
// payout batches whose outbox rows are still open.
package main

import (
	"context"

	"github.com/partnerloop/partnerloop/internal/app"
)

func main() {
	app.StartScheduled("outbox batches dispatched", func(ctx context.Context, a *app.App) (int, error) {
		return a.Payouts.DispatchPending(ctx)
	})
}
