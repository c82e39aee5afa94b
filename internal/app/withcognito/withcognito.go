// Package withcognito keeps a deployed function's team in the stack's
// Cognito user pool.
package withcognito

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/cognito"
)

// Team creates the team's sign-ins in the user pool, when the stack has
// one (an external OpenID Connect provider leaves the team in the table).
func Team(_ context.Context, env app.Env, cfg *app.Config) error {
	if pool := os.Getenv(appspec.EnvUserPoolID); pool != "" {
		cfg.TeamDirectory = cognito.Directory{Client: cognitoidentityprovider.NewFromConfig(env.AWS), PoolID: pool}
	}
	return nil
}
