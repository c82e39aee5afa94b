package app

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A secret set after deployment is picked up within SecretsRefresh, and a
// failed re-read keeps the last good value instead of failing webhooks.
func TestSecretsAreReReadAndSurviveAFailedRead(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	stored, failing, reads := Secrets{}, false, 0
	r := &refreshing[Secrets]{ttl: SecretsRefresh, now: func() time.Time { return now },
		read: func(context.Context) (Secrets, error) {
			reads++
			if failing {
				return Secrets{}, errors.New("throttled")
			}
			return stored, nil
		}}
	source := webhookSecretSource(r)
	ctx := context.Background()
	if ws, err := source(ctx); err != nil || len(ws.Shopify) != 0 {
		t.Fatalf("initially: %v %v", ws, err)
	}
	stored.Shopify = "shpss_new"
	if ws, _ := source(ctx); len(ws.Shopify) != 0 {
		t.Fatal("re-read before the refresh interval")
	}
	now = now.Add(SecretsRefresh)
	if ws, _ := source(ctx); string(ws.Shopify) != "shpss_new" {
		t.Fatalf("not re-read after %v: %q", SecretsRefresh, ws.Shopify)
	}
	failing = true
	now = now.Add(SecretsRefresh)
	if ws, err := source(ctx); err != nil || string(ws.Shopify) != "shpss_new" {
		t.Fatalf("a failed re-read: %q %v", ws.Shopify, err)
	}
	if reads != 3 {
		t.Fatalf("%d reads, want 3", reads)
	}
}
