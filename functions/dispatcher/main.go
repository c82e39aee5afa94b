// Command dispatcher runs on a schedule: it sends the messages of approved
// payout batches whose outbox rows are still open, reporting how many are
// open and how old the oldest is, queues outbound webhook events and
// starts the broadcasts whose time has come.
package main

import (
	"context"
	"errors"

	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/obs"
)

func main() {
	app.StartScheduled("outbox batches and events dispatched", func(ctx context.Context, a *app.App) (int, error) {
		r, err := a.Payouts.DispatchPending(ctx)
		a.Metrics.Emit(map[string]string{"Function": "dispatcher"}, obs.Metric{Name: "OutboxOpen", Unit: obs.Count, Value: int64(r.Open)},
			obs.Metric{Name: "OutboxAge", Unit: obs.Seconds, Value: int64(r.OldestAge.Seconds())})
		events, notifyErr := a.Notify.Dispatch(ctx)
		a.Metrics.Emit(map[string]string{"Function": "dispatcher"}, obs.Metric{Name: "WebhookEventsQueued", Unit: obs.Count, Value: int64(events.Events)})
		started, broadcastErr := a.Messages.StartDue(ctx)
		return r.Open + events.Events + started, errors.Join(err, notifyErr, broadcastErr)
	})
}
