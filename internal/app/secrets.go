package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/partnerloop/partnerloop/internal/httpapi"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/stripepay"
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

// ProviderSecrets are the payout providers' API keys.
type ProviderSecrets struct {
	StripeAPIKey string `json:"stripe_api_key"`
}

// errStripeNotConfigured fails a Stripe leg (its amount returns to payable)
// while no API key is set.
var errStripeNotConfigured = errors.New("no Stripe API key in the provider secret")

// refreshingStripe pays with the Stripe key currently in the provider
// secret, building a new client when the key changes.
type refreshingStripe struct {
	keys    *refreshing[ProviderSecrets]
	apiBase string

	mu     sync.Mutex
	key    string
	client *stripepay.Connect
}

func (s *refreshingStripe) Pay(ctx context.Context, m payout.Message) (string, error) {
	keys, err := s.keys.get(ctx)
	if err != nil {
		return "", err // retried through SQS
	}
	if keys.StripeAPIKey == "" {
		return "", errors.Join(payout.ErrFinal, errStripeNotConfigured)
	}
	s.mu.Lock()
	if keys.StripeAPIKey != s.key {
		s.key, s.client = keys.StripeAPIKey, stripepay.New(keys.StripeAPIKey, s.apiBase)
	}
	client := s.client
	s.mu.Unlock()
	return client.Pay(ctx, m)
}
