// Package withses gives a deployed function e-mail through Amazon SES v2,
// from the address and through the configuration set the stack names.
package withses

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/sesmail"
)

// Mailer sends the function's e-mail through SES; PARTNERLOOP_SES_ENDPOINT
// points the client at an emulator.
func Mailer(_ context.Context, env app.Env, cfg *app.Config) error {
	client := sesv2.NewFromConfig(env.AWS, func(o *sesv2.Options) {
		if ep := os.Getenv("PARTNERLOOP_SES_ENDPOINT"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	cfg.Mailer = &sesmail.Sender{Client: client, From: os.Getenv(appspec.EnvMailFrom), ConfigurationSet: os.Getenv(appspec.EnvMailConfigurationSet)}
	return nil
}
