package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/devenv"
	"github.com/partnerloop/partnerloop/internal/dynamo"
	"github.com/partnerloop/partnerloop/internal/httpapi"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/sqsqueue"
)

// faultRig runs the service on emulators of its own that the test stops
// and restarts: DynamoDB Local keeps its data on disk, the SQS emulator
// comes back empty (as if messages were lost).
type faultRig struct {
	t       *testing.T
	ddb     *devenv.Emulator
	sqs     *devenv.Emulator
	dataDir string
	app     *app.App
	urls    map[string]string
	clock   struct {
		sync.Mutex
		offset time.Duration
	}
}

func newFaultRig(t *testing.T) *faultRig {
	r := &faultRig{t: t, dataDir: t.TempDir()}
	ctx := context.Background()
	var err error
	if r.ddb, err = devenv.StartDynamoDB(ctx, io.Discard, 0, r.dataDir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.ddb.Stop() })
	if r.sqs, err = devenv.StartSQS(ctx, io.Discard, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.sqs.Stop() })
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(r.ddb.Endpoint) })
	q := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(r.sqs.Endpoint) })
	if err := dynamo.CreateTable(ctx, db, "faults"); err != nil {
		t.Fatal(err)
	}
	r.createQueues(q)
	prog := program.Default()
	prog.HoldDays = 0
	prog.MinimumPayout = map[money.Currency]int64{"EUR": 100}
	r.app = app.New(db, q, app.Config{Table: "faults", PayoutsURL: r.urls[appspec.PayoutsQueue.Name],
		DonationsURL: r.urls[appspec.DonationsQueue.Name], Program: prog, Secrets: secrets},
		httpapi.Authenticator(func(*http.Request) (auth.Principal, error) { return auth.Principal{}, auth.ErrUnauthenticated }),
		slog.New(slog.NewJSONHandler(io.Discard, nil)))
	r.app.Payouts.Now = func() time.Time { r.clock.Lock(); defer r.clock.Unlock(); return time.Now().Add(r.clock.offset) }
	r.app.Payouts.ResendAfter = time.Minute
	return r
}

// createQueues creates the queues with a one-second visibility timeout, so
// a message a failed worker left behind comes back quickly.
func (r *faultRig) createQueues(q *sqs.Client) {
	ctx := context.Background()
	urls, err := sqsqueue.CreateQueues(ctx, q, appspec.Queues, "")
	if err != nil {
		r.t.Fatal(err)
	}
	for _, qq := range appspec.Queues {
		if _, err := q.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(urls[qq.Name]),
			Attributes: map[string]string{string(types.QueueAttributeNameVisibilityTimeout): "1"}}); err != nil {
			r.t.Fatal(err)
		}
	}
	r.urls = urls
}

func (r *faultRig) restartSQS() {
	r.sqs.Stop()
	var err error
	if r.sqs, err = devenv.StartSQS(context.Background(), io.Discard, r.sqs.Port); err != nil {
		r.t.Fatal(err)
	}
	r.createQueues(r.app.SQS)
}

func (r *faultRig) restartDynamoDB() {
	var err error
	if r.ddb, err = devenv.StartDynamoDB(context.Background(), io.Discard, r.ddb.Port, r.dataDir); err != nil {
		r.t.Fatal(err)
	}
}

// poll runs both workers once; errors (a stopped emulator) are expected.
func (r *faultRig) poll() {
	for _, name := range []string{appspec.PayoutsQueue.Name, appspec.DonationsQueue.Name} {
		_, _ = sqsqueue.PollOnce(context.Background(), r.app.SQS, r.urls[name], r.app.Payouts, 0)
	}
}

func (r *faultRig) waitCompleted(batchID string) {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r.poll()
		b, err := r.app.Payouts.Get(context.Background(), batchID)
		if err == nil && b.Status == payout.BatchCompleted {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	r.t.Fatalf("batch %s did not complete", batchID)
}

func (r *faultRig) batch() payout.Batch {
	r.t.Helper()
	b, err := r.app.Payouts.Create(context.Background(), "alice")
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

// TestEveryItemIsPaidExactlyOnceThroughEmulatorFailures stops the queue
// while a batch is approved, stops DynamoDB while workers settle, and loses
// every queued message, and checks each partner is paid exactly what it
// earned.
func TestEveryItemIsPaidExactlyOnceThroughEmulatorFailures(t *testing.T) {
	r := newFaultRig(t)
	ctx := context.Background()
	var ids []string
	earn := func(round int) {
		for i, id := range ids {
			p, err := r.app.Server.Partners.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			evt := ledger.Event{Source: "generic", ID: fmt.Sprintf("e%d-%d", round, i), Kind: ledger.OrderPaid, OrderID: fmt.Sprintf("o%d-%d", round, i),
				Currency: "EUR", Order: &ledger.Order{ReferralCode: p.ReferralCode, Lines: []ledger.Line{{SKU: "S", Quantity: 1, Amount: 10000}}}}
			if _, err := r.app.Ledger.Record(ctx, evt); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := r.app.Payouts.AddCharity(ctx, payout.Charity{ID: "ch_water", Name: "Water", RegistrationNumber: "1", Country: "DE"}); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		in := partner.NewPartner{Name: fmt.Sprint("P", i), Email: fmt.Sprintf("p%d@p.example", i)}
		if i == 0 {
			in.Charity = &partner.CharityShare{CharityID: "ch_water", ShareBps: 2000}
		}
		p, err := r.app.Server.Partners.Create(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}

	// 1. The queue is down when the batch is approved: the approval stands,
	// the outbox keeps the messages, the sweep sends them after recovery.
	earn(1)
	b1 := r.batch()
	r.sqs.Stop()
	if _, err := r.app.Payouts.Approve(ctx, b1.ID, "bob"); err != nil {
		t.Fatalf("approval with the queue down: %v", err)
	}
	r.restartSQS()
	if _, err := r.app.Payouts.DispatchPending(ctx); err != nil {
		t.Fatal(err)
	}

	// 2. DynamoDB is down while workers take the messages: nothing settles,
	// the messages come back, and settle once DynamoDB is back.
	r.ddb.Stop()
	r.poll()
	r.restartDynamoDB()
	time.Sleep(1100 * time.Millisecond)
	r.waitCompleted(b1.ID)

	// 3. Every message of the next batch is lost (the queue restarts empty)
	// after dispatch: the sweep re-sends stragglers after ResendAfter.
	earn(2)
	b2 := r.batch()
	if _, err := r.app.Payouts.Approve(ctx, b2.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	r.restartSQS()
	r.clock.Lock()
	r.clock.offset = 2 * time.Minute
	r.clock.Unlock()
	if _, err := r.app.Payouts.DispatchPending(ctx); err != nil {
		t.Fatal(err)
	}
	r.waitCompleted(b2.ID)
	// And the sweep re-sending again later pays nothing twice.
	r.clock.Lock()
	r.clock.offset = 10 * time.Minute
	r.clock.Unlock()
	if _, err := r.app.Payouts.DispatchPending(ctx); err != nil {
		t.Fatal(err)
	}
	r.poll()

	for i, id := range ids {
		bal, err := r.app.Ledger.Balances(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		eur := bal["EUR"]
		want := ledger.Balance{Accrued: 1000, Paid: 1000}
		if i == 0 {
			want = ledger.Balance{Accrued: 1000, Paid: 800, Donated: 200}
		}
		if eur != want {
			t.Errorf("partner %d: %+v, want %+v", i, eur, want)
		}
	}
}
