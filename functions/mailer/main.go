// Command mailer sends e-mail jobs from the mail queue through Amazon SES,
// once each, and puts bounced and complaining addresses (SES notifications
// by SNS) on the suppression list.
package main

import (
	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/app/withses"
)

func main() { app.StartMailer(withses.Mailer) }
