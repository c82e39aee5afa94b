// Command dispatcher runs on a schedule and sends the messages of approved
// payout batches whose outbox rows are still open, reporting how many are
// open and how old the oldest is.
package main

import (
	"context"

	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/obs"
)

func main() {
	app.StartScheduled("outbox batches dispatched", func(ctx context.Context, a *app.App) (int, error) {
		r, err := a.Payouts.DispatchPending(ctx)
		a.Metrics.Emit(map[string]string{"Function": "dispatcher"}, obs.Metric{Name: "OutboxOpen", Unit: obs.Count, Value: int64(r.Open)},
			obs.Metric{Name: "OutboxAge", Unit: obs.Seconds, Value: int64(r.OldestAge.Seconds())})
		return r.Open, err
	})
}
