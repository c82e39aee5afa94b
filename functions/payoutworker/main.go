// Command payoutworker settles payout legs from the payouts FIFO queue.
package main

import "github.com/partnerloop/partnerloop/internal/app"

func main() { app.StartQueueWorker() }
