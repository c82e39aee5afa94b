// Package stripepay pays partners through Stripe Connect transfers to their
// connected accounts.
package stripepay

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/stripe/stripe-go/v85"

	"github.com/partnerloop/partnerloop/internal/payout"
)

// Connect is a payout method backed by the Stripe API.
type Connect struct {
	Client *stripe.Client
}

// New returns a Connect method for the API key; apiBase, if set, points the
// client elsewhere than api.stripe.com (stripe-mock in tests and local runs).
func New(apiKey, apiBase string) *Connect {
	if apiBase == "" {
		return &Connect{Client: stripe.NewClient(apiKey)}
	}
	retries := int64(0) // the queue retries; a worker should not hold a message for long
	b := stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{URL: stripe.String(apiBase), MaxNetworkRetries: &retries})
	return &Connect{Client: stripe.NewClient(apiKey, stripe.WithBackends(&stripe.Backends{API: b, Connect: b, Uploads: b, MeterEvents: b}))}
}

// Pay creates a transfer of the leg's amount to the partner's connected
// account. The leg's deduplication id is the idempotency key, so a retry
// after a lost response cannot transfer twice.
func (c *Connect) Pay(ctx context.Context, m payout.Message) (string, error) {
	params := &stripe.TransferCreateParams{
		Amount:        stripe.Int64(m.Amount),
		Currency:      stripe.String(strings.ToLower(string(m.Currency))),
		TransferGroup: stripe.String(m.BatchID),
		Metadata:      map[string]string{"partner_id": m.PartnerID, "item_id": m.ItemID},
	}
	if m.Destination != "" {
		params.Destination = stripe.String(m.Destination)
	}
	params.SetIdempotencyKey(m.DeduplicationID())
	tr, err := c.Client.V1Transfers.Create(ctx, params)
	if err != nil {
		return "", classify(err)
	}
	return "stripe:" + tr.ID, nil
}

// classify marks errors a retry cannot fix as payout.ErrFinal: requests
// Stripe rejects as invalid, except rate limiting and conflicts on the
// idempotency key, which pass with time. Network trouble and Stripe's own
// failures are retried.
func classify(err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return err
	}
	switch {
	case se.HTTPStatusCode == 429, se.HTTPStatusCode == 409, se.HTTPStatusCode >= 500:
		return err
	case se.Type == stripe.ErrorTypeInvalidRequest, se.Type == stripe.ErrorTypeCard, se.HTTPStatusCode == 400, se.HTTPStatusCode == 403, se.HTTPStatusCode == 404:
		return fmt.Errorf("%w: stripe: %s", payout.ErrFinal, se.Msg)
	}
	return err
}
