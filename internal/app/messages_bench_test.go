package app_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/smithy-go/middleware"

	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
	"github.com/partnerloop/partnerloop/internal/messages"
	"github.com/partnerloop/partnerloop/internal/partner"
)

// counted adds a middleware counting every request a client makes.
func counted(n *atomic.Int64) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("count", func(ctx context.Context, in middleware.InitializeInput,
			next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			n.Add(1)
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
	}
}

// BenchmarkBroadcastFanOut sends a broadcast to all of 10,000 partners
// through the dispatcher and the mailer against the emulators, with no
// sending rate, and reports the recipients a second and the DynamoDB and
// SES requests per recipient.
func BenchmarkBroadcastFanOut(b *testing.B) {
	const partners = 10000
	h := newHarness(b)
	var dbRequests, sesRequests atomic.Int64
	h.cfg.SES = sesv2.New(devtest.SES().Options(), func(o *sesv2.Options) { o.APIOptions = append(o.APIOptions, counted(&sesRequests)) })
	h.useDynamoDBOptions(func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, counted(&dbRequests)) })
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < partners; i += 16 {
				if _, err := h.app.Server.Partners.Create(ctx, partner.NewPartner{Name: fmt.Sprint("Partner ", i), Email: fmt.Sprintf("fanout-%d@bench.example", i)}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ResetTimer()
	var elapsed time.Duration
	var reached, db, ses int64
	for range b.N {
		m, err := h.app.Messages.Create(ctx, messages.Draft{Subject: "Spring offer", Body: "Hello **partners**.", Audience: messages.Audience{All: true}}, "bench")
		if err != nil {
			b.Fatal(err)
		}
		dbRequests.Store(0)
		sesRequests.Store(0)
		start := time.Now()
		h.runBroadcasts(false)
		elapsed += time.Since(start)
		got, err := h.app.Messages.Get(ctx, m.ID)
		if err != nil || got.Recipients != partners || got.Sent != partners || got.Status != messages.StatusSent {
			b.Fatalf("after the fan-out: %+v %v", got.Counts, err)
		}
		reached += got.Recipients
		db += dbRequests.Load()
		ses += sesRequests.Load()
	}
	b.ReportMetric(float64(reached)/elapsed.Seconds(), "recipients/s")
	b.ReportMetric(float64(db)/float64(reached), "dynamodb-req/recipient")
	b.ReportMetric(float64(ses)/float64(reached), "ses-req/recipient")
	b.ReportMetric(0, "ns/op")
}
