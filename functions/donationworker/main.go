// Command donationworker settles charity donation legs from the donations
// FIFO queue.
package main

import "github.com/partnerloop/partnerloop/internal/app"

func main() { app.StartQueueWorker() }
