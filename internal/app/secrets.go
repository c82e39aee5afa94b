package app

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/partnerloop/partnerloop/internal/httpapi"
)

// SecretsRefresh is how long a function keeps a secret before reading it
// again: a webhook secret set or rolled after deployment works within it.
const SecretsRefresh = 5 * time.Minute

// refreshing holds a value read by read, re-read once it is older than ttl.
// A failed re-read keeps serving the last value, so a Secrets Manager
// hiccup does not fail webhooks that were verifying fine.
type refreshing[T any] struct {
	read func(context.Context) (T, error)
	ttl  time.Duration
	now  func() time.Time

	mu    sync.Mutex
	value T
	at    time.Time
}

func (r *refreshing[T]) get(ctx context.Context) (T, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.at.IsZero() && r.now().Sub(r.at) < r.ttl {
		return r.value, nil
	}
	v, err := r.read(ctx)
	if err != nil {
		if !r.at.IsZero() {
			return r.value, nil
		}
		return v, err
	}
	r.value, r.at = v, r.now()
	return v, nil
}

// secretReader reads a JSON secret from Secrets Manager into a T.
func secretReader[T any](client *secretsmanager.Client, arn string) func(context.Context) (T, error) {
	return func(ctx context.Context) (T, error) {
		var v T
		out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
		if err != nil {
			return v, err
		}
		return v, decodeSecret(aws.ToString(out.SecretString), &v)
	}
}

// webhookSecretSource serves the webhook secrets r holds.
func webhookSecretSource(r *refreshing[Secrets]) httpapi.SecretSource {
	return func(ctx context.Context) (httpapi.WebhookSecrets, error) {
		s, err := r.get(ctx)
		return s.webhook(), err
	}
}

func (s Secrets) webhook() httpapi.WebhookSecrets {
	return httpapi.WebhookSecrets{Generic: []byte(s.Generic), Shopify: []byte(s.Shopify), Stripe: []byte(s.Stripe), WooCommerce: []byte(s.WooCommerce)}
}
