// Package withlocal wires the outside services of a local run or a test,
// where one process runs every function, into an app.Config.
package withlocal

import (
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/sesmail"
	"github.com/partnerloop/partnerloop/internal/stripepay"
)

// Adapters are the outside services of a local run or a test, where one
// process runs every function: e-mail through the SES emulator, Stripe
// through stripe-mock (or a test key).
type Adapters struct {
	SES      *sesv2.Client
	MailFrom string
	// StripeAPIKey enables Stripe payouts and discount codes; StripeAPIBase
	// points the client at stripe-mock.
	StripeAPIKey  string
	StripeAPIBase string
}

// Wire gives cfg these adapters; a deployed function's main wires its
// own through internal/app/with*.
func (a Adapters) Wire(cfg *app.Config) {
	cfg.Mailer = &sesmail.Sender{Client: a.SES, From: a.MailFrom}
	if a.StripeAPIKey != "" {
		cfg.Stripe = stripepay.New(a.StripeAPIKey, a.StripeAPIBase)
		cfg.StripeDiscounts = stripepay.NewDiscounts(a.StripeAPIKey, a.StripeAPIBase)
	}
}
