// Command payoutworker settles payout legs from the payouts FIFO queue,
// paying Stripe Connect legs through Stripe.
package main

import (
	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/app/withstripe"
)

func main() { app.StartQueueWorker(withstripe.Payouts) }
