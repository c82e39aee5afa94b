package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/webhook"
)

// postOrder posts a signed generic order webhook straight to the server
// (not through the contract checker, which costs more CPU than the handler).
func (h *harness) postOrder(body []byte) error {
	req, _ := http.NewRequest("POST", h.srv.URL+"/webhooks/orders", bytes.NewReader(body))
	req.Header.Set("Partnerloop-Signature", webhook.SignTimestamped(body, []byte(secrets.Generic), time.Now()))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil || res.StatusCode != 200 {
		return fmt.Errorf("status %d %v", res.StatusCode, err)
	}
	return nil
}

// cpuTime is the CPU this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// floor remembers the raw transaction rate per concurrency, so the webhook
// run beside it can report its ratio to the store's floor.
var floor = map[int]float64{}

// BenchmarkOrderPathAgainstTheStoreFloor runs, against the same DynamoDB
// Local, raw 3-item TransactWriteItems and signed order webhooks through the
// HTTP handler, at concurrency 4 and 16, and reports each one's rate, p50
// and p99, and the webhooks' ratio to the raw rate.
func BenchmarkOrderPathAgainstTheStoreFloor(b *testing.B) {
	h := newHarness(b)
	// Orders spread over partners, as real traffic is: one partner's balance
	// item takes every order's transaction in turn.
	var codes []string
	for i := range 64 {
		codes = append(codes, h.createPartner(fmt.Sprintf(`{"name":"Bench","email":"bench%d@b.example","tier":"gold"}`, i))["referral_code"].(string))
	}
	var seq atomic.Int64
	for _, concurrency := range []int{4, 16} {
		b.Run(fmt.Sprintf("raw-transaction/c%d", concurrency), func(b *testing.B) {
			floor[concurrency] = measureConcurrently(b, concurrency, func() error {
				n := seq.Add(1)
				put := func(sk string) types.TransactWriteItem {
					return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(h.env.Table), Item: map[string]types.AttributeValue{
						"pk": &types.AttributeValueMemberS{Value: fmt.Sprint("BENCH#", n)}, "sk": &types.AttributeValueMemberS{Value: sk},
						"v": &types.AttributeValueMemberN{Value: "1"}}}}
				}
				_, err := h.env.DB.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{
					TransactItems: []types.TransactWriteItem{put("A"), put("B"), put("C")}})
				return err
			})
		})
		b.Run(fmt.Sprintf("signed-webhook/c%d", concurrency), func(b *testing.B) {
			rate := measureConcurrently(b, concurrency, func() error {
				n := seq.Add(1)
				// a new customer per order: a new order's common case
				body := bytes.Replace(genericOrder(fmt.Sprint("evt_b", n), fmt.Sprint("ord_b", n), codes[n%int64(len(codes))], "EUR", 10000),
					[]byte(`"id":"c1","email":"a@b.example"`), fmt.Appendf(nil, `"id":"c%d","email":"c%d@b.example"`, n, n), 1)
				return h.postOrder(body)
			})
			if raw := floor[concurrency]; raw > 0 {
				b.ReportMetric(rate/raw, "ratio")
			}
		})
	}
}

// measureConcurrently runs op b.N times on concurrency goroutines and
// reports operations per second and the p50 and p99 latency.
func measureConcurrently(b *testing.B, concurrency int, op func() error) float64 {
	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				t0 := time.Now()
				if err := op(); err != nil {
					failed.Store(err)
					return
				}
				latencies[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	slices.Sort(latencies)
	rate := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "ops/s")
	b.ReportMetric(float64(latencies[b.N/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[b.N*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
	return rate
}

// BenchmarkColdStart measures what a function does before its first
// request: configuration, clients, services and the first program read,
// against the emulators (in AWS, Lambda's own init comes on top).
func BenchmarkColdStart(b *testing.B) {
	h := newHarness(b)
	b.Setenv(appspec.EnvTable, h.env.Table)
	b.Setenv(appspec.EnvPayoutsQueue, h.env.PayoutsURL())
	b.Setenv(appspec.EnvDonationsQueue, h.env.DonationsURL())
	ctx := context.Background()
	for b.Loop() {
		a, err := app.FromLambdaEnv(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Ledger.Programs.Current(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
