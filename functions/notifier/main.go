// Command notifier posts outbound webhook deliveries from the notify queue,
// signed with each endpoint's secret, retrying failures with backoff.
package main

import "github.com/partnerloop/partnerloop/internal/app"

func main() { app.StartNotifier() }
