package dynamo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/devenv"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/sqsqueue"
)

// BenchmarkBatchBuildAndApprove builds and approves a payout batch over
// partners that each hold a payable balance and many accruals. Time and read
// units should follow the number of partners and not move with the number
// of accruals. PARTNERLOOP_BENCH_FULL=1 adds 10,000 partners with 1,000,000
// accruals (seeding takes minutes).
func BenchmarkBatchBuildAndApprove(b *testing.B) {
	scales := []struct{ partners, accrualsPer int }{{250, 0}, {250, 40}, {500, 0}}
	if os.Getenv("PARTNERLOOP_BENCH_FULL") != "" {
		scales = append(scales, struct{ partners, accrualsPer int }{10_000, 100})
	}
	emu, err := devenv.Start(context.Background(), io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	defer emu.Stop()
	db, q := emu.Clients()
	for n, sc := range scales {
		b.Run(fmt.Sprintf("partners=%d/accruals=%d", sc.partners, sc.partners*sc.accrualsPer), func(b *testing.B) {
			var read, write float64
			for i := range b.N {
				b.StopTimer()
				prefix := fmt.Sprintf("bench%d-%d-%d-", time.Now().UnixNano()%1e6, n, i)
				table := prefix + appspec.MainTable.Name
				if err := CreateTable(context.Background(), db, table); err != nil {
					b.Fatal(err)
				}
				urls, err := sqsqueue.CreateQueues(context.Background(), q, appspec.Queues, prefix)
				if err != nil {
					b.Fatal(err)
				}
				seed(b, db, table, sc.partners, sc.accrualsPer)
				meter := devenv.NewBillingRecorder(dynamodb.New(db.Options()), table)
				store := Open(dynamodb.New(db.Options(), meter.Option), table)
				prog := program.Default()
				svc := &payout.Service{Store: store.Payouts, Balances: store.Ledger, Partners: store.Partners, Charities: store.Charities, Pledges: store.Pledges, Programs: program.Static{Program: prog}, Now: time.Now,
					Queue:   &sqsqueue.Publisher{SQS: q, PayoutsURL: urls[appspec.PayoutsQueue.Name], DonationsURL: urls[appspec.DonationsQueue.Name]},
					Methods: map[string]payout.Method{payout.MethodManual: payout.Manual{}}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
				b.StartTimer()
				batch, err := svc.Create(context.Background(), "alice")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := svc.Approve(context.Background(), batch.ID, "bob"); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if len(batch.Items) != sc.partners {
					b.Fatalf("batch has %d items, want %d", len(batch.Items), sc.partners)
				}
				read, write = read+meter.Bill().ReadUnits, write+meter.Bill().WriteUnits
			}
			b.ReportMetric(read/float64(b.N), "RRU/op")
			b.ReportMetric(write/float64(b.N), "WRU/op")
			b.ReportMetric(read/float64(b.N)/float64(sc.partners), "RRU/partner")
		})
	}
}

// seed writes partners with a payable EUR balance of 100.00 and
// accrualsPer paid accruals each, straight into the table.
func seed(b *testing.B, db *dynamodb.Client, table string, partners, accrualsPer int) {
	b.Helper()
	now := time.Now().UTC()
	items := make(chan map[string]types.AttributeValue, 1000)
	var wg sync.WaitGroup
	var failed error
	var once sync.Once
	for range 4 {
		wg.Go(func() {
			batch := make([]types.WriteRequest, 0, 25)
			flush := func() {
				req := map[string][]types.WriteRequest{table: batch}
				for len(req) > 0 {
					out, err := db.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: req})
					if err != nil {
						once.Do(func() { failed = err })
						return
					}
					req = out.UnprocessedItems
				}
				batch = batch[:0]
			}
			for it := range items {
				batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
				if len(batch) == 25 {
					flush()
				}
			}
			if len(batch) > 0 {
				flush()
			}
		})
	}
	for p := range partners {
		id := fmt.Sprintf("pt_BENCH%07d", p)
		items <- mustMarshal(partnerItem{key: partnerKey(id), GSI1PK: sharded(partnersBase, id), GSI1SK: id,
			Partner: partner.Partner{ID: id, Name: id, Email: id + "@bench.example", Tier: program.TierAuthorized, Status: partner.StatusActive, ReferralCode: id}})
		items <- mustMarshal(balanceItem{key: balanceKey(id, "EUR"), PartnerID: id, Currency: "EUR", Accrued: 10000, Payable: 10000})
		for a := range accrualsPer {
			rec := ledger.OrderRecord{Source: "bench", OrderID: fmt.Sprintf("%s-%d", id, a), Currency: money.Currency("EUR"), Paid: true,
				Net: 2000, Gross: 2000, PartnerID: id, Commission: 100, Status: ledger.AccrualPayable, PaidAt: now, PayableAt: now, UpdatedAt: now, Version: 1}
			items <- mustMarshal(toOrderItem(rec))
		}
	}
	close(items)
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
}
