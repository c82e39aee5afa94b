package app

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Wiring adds an adapter to a deployed function's configuration. Each
// lives in its own package (internal/app/withses, withstripe,
// withcognito) that the function's main names, so a function links only
// the SDKs it uses.
type Wiring func(ctx context.Context, env Env, cfg *Config) error

// Env is what a deployed function builds its adapters from.
type Env struct {
	AWS     aws.Config
	secrets *secretsmanager.Client
}

// RefreshingSecret reads the JSON secret arn into a T, again once it is
// older than SecretsRefresh, keeping the last value when a re-read fails.
func RefreshingSecret[T any](env Env, arn string) func(context.Context) (T, error) {
	r := &refreshing[T]{read: secretReader[T](env.secrets, arn), ttl: SecretsRefresh, now: time.Now}
	return r.get
}
