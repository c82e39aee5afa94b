// Package withstripe gives a deployed function Stripe (Connect payouts,
// coupons and promotion codes) with the API key in the provider secret,
// re-read as the secret changes.
package withstripe

import (
	"context"
	"errors"
	"os"
	"sync"

	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/discount"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/stripepay"
)

// providerSecrets is the provider secret: the payout providers' API keys.
type providerSecrets struct {
	StripeAPIKey string `json:"stripe_api_key"`
}

// errNoKey fails a Stripe call while the provider secret holds no key.
var errNoKey = errors.New("no Stripe API key in the provider secret")

// Payouts pays Stripe Connect legs, when the function has the provider
// secret. A leg while no key is set fails for good (its amount returns to
// payable); a failed secret read is retried through the queue.
func Payouts(_ context.Context, env app.Env, cfg *app.Config) error {
	if key := apiKey(env); key != nil {
		cfg.Stripe = connect{&keyed[*stripepay.Connect]{key: key, build: func(k string) *stripepay.Connect { return stripepay.New(k, "") },
			missing: errors.Join(payout.ErrFinal, errNoKey)}}
	}
	return nil
}

// Discounts creates the coupons and promotion codes of stripe discounts,
// when the function has the provider secret.
func Discounts(_ context.Context, env app.Env, cfg *app.Config) error {
	if key := apiKey(env); key != nil {
		cfg.StripeDiscounts = codes{&keyed[*stripepay.Discounts]{key: key, build: func(k string) *stripepay.Discounts { return stripepay.NewDiscounts(k, "") },
			missing: discount.ErrNotConfigured}}
	}
	return nil
}

// apiKey reads the Stripe key from the function's provider secret; nil
// when the function has none.
func apiKey(env app.Env) func(context.Context) (string, error) {
	arn := os.Getenv(appspec.EnvProviderSecretARN)
	if arn == "" {
		return nil
	}
	read := app.RefreshingSecret[providerSecrets](env, arn)
	return func(ctx context.Context) (string, error) {
		s, err := read(ctx)
		return s.StripeAPIKey, err
	}
}

// keyed holds a client for the current key, built anew when it changes.
type keyed[T any] struct {
	key     func(context.Context) (string, error)
	build   func(key string) T
	missing error // returned while there is no key

	mu     sync.Mutex
	built  string
	client T
}

func (k *keyed[T]) get(ctx context.Context) (T, error) {
	var none T
	key, err := k.key(ctx)
	switch {
	case err != nil:
		return none, err
	case key == "":
		return none, k.missing
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if key != k.built {
		k.built, k.client = key, k.build(key)
	}
	return k.client, nil
}

type connect struct{ *keyed[*stripepay.Connect] }

func (c connect) Pay(ctx context.Context, m payout.Message) (string, error) {
	client, err := c.get(ctx)
	if err != nil {
		return "", err
	}
	return client.Pay(ctx, m)
}

type codes struct{ *keyed[*stripepay.Discounts] }

func (c codes) Coupon(ctx context.Context, name string, d discount.Discount) (string, error) {
	client, err := c.get(ctx)
	if err != nil {
		return "", err
	}
	return client.Coupon(ctx, name, d)
}

func (c codes) PromotionCode(ctx context.Context, couponID, code, partnerID string) (string, error) {
	client, err := c.get(ctx)
	if err != nil {
		return "", err
	}
	return client.PromotionCode(ctx, couponID, code, partnerID)
}
