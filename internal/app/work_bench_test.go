package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/program"
)

// BenchmarkFunctionWork measures one unit of each function's work against
// the emulators: the CPU this process spends on it (at a full core of this
// machine; the emulators run in other processes) and the DynamoDB requests
// it makes, and reports the memory size appspec.MemoryFor picks from them.
// The Work figures in appspec come from here.
func BenchmarkFunctionWork(b *testing.B) {
	h := newHarness(b)
	var requests atomic.Int64
	h.useDynamoDBOptions(func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("countRequest",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					requests.Add(1)
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
	})
	h.putProgram(func(p *program.Program) { withPoints(p); p.HoldDays = program.Default().HoldDays })
	p := h.createPartner(`{"name":"Work","email":"work@w.example","tier":"gold"}`)
	code, partnerID := p["referral_code"].(string), p["id"].(string)
	// Clicks go to a partner of their own: so many from one visitor flag
	// the partner, and its orders would be held.
	clicked := h.createPartner(`{"name":"Clicked","email":"clicked@w.example"}`)["referral_code"].(string)
	for i := range 20 { // the performance job's partners
		h.createPartner(fmt.Sprintf(`{"name":"P%d","email":"p%d@w.example"}`, i, i))
	}
	maturity := h.fns["Maturity"].Ledger
	maturity.Now = func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path, token string, want int) error {
		req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := noRedirects.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if _, err := io.Copy(io.Discard, res.Body); err != nil || res.StatusCode != want {
			return fmt.Errorf("GET %s: %d %v", path, res.StatusCode, err)
		}
		return nil
	}
	token := h.partnerToken(partnerID)
	orders := 0
	// Each order a new customer, as most are (a customer's many orders in
	// a day would be held for review).
	order := func() error {
		orders++
		return h.postOrder(bytes.Replace(genericOrder(fmt.Sprint("evt_w", orders), fmt.Sprint("ord_w", orders), code, "EUR", 50000),
			[]byte(`"id":"c1","email":"a@b.example"`), fmt.Appendf(nil, `"id":"cw%d","email":"w%d@b.example"`, orders, orders), 1))
	}
	mature := func() (int, error) { return maturity.MatureDue(context.Background()) }
	const dueAccruals = 20
	accrue := func() error {
		for range dueAccruals {
			if err := order(); err != nil {
				return err
			}
		}
		return nil
	}
	// A batch over the partner's matured commission, approved: one payout
	// leg on the queue.
	approvedLeg := func() error {
		if err := order(); err != nil {
			return err
		}
		if _, err := mature(); err != nil {
			return err
		}
		created := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil)
		if created.Status != http.StatusCreated {
			return fmt.Errorf("batch: %d %s", created.Status, created.Raw)
		}
		if res := h.do("POST", "/v1/payout-batches/"+created.Body["id"].(string)+"/approve", h.tokens["bob"], nil, nil); res.Status != http.StatusOK {
			return fmt.Errorf("approve: %d %s", res.Status, res.Raw)
		}
		return nil
	}
	payLeg := func() (int, error) {
		n, err := sqsqueuePoll(h, h.env.PayoutsURL())
		if err == nil && n != 1 {
			err = fmt.Errorf("paid %d legs", n)
		}
		return n, err
	}
	for _, w := range []struct {
		function string
		prepare  func() error        // untimed, unmeasured
		op       func() (int, error) // the units of work done
	}{
		{"Webhooks", nil, one(order)},
		{"Redirect", nil, one(func() error { return get("/r/"+clicked, "", http.StatusFound) })},
		{"Api", nil, one(func() error { return get("/v1/partners/"+partnerID+"/statement", token, http.StatusOK) })},
		{"Maturity", accrue, mature},
		{"PayoutWorker", approvedLeg, payLeg},
		{"Performance", nil, func() (int, error) {
			rep, err := h.fns["Performance"].Performance.Run(context.Background())
			return rep.Partners, err
		}},
	} {
		b.Run(w.function, func(b *testing.B) {
			if w.prepare != nil {
				if err := w.prepare(); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := w.op(); err != nil { // warm: the program and caches read
				b.Fatal(err)
			}
			var cpu time.Duration
			var reqs int64
			n := 0
			for b.Loop() {
				if w.prepare != nil {
					b.StopTimer()
					if err := w.prepare(); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				cpu0, req0 := cpuTime(), requests.Load()
				units, err := w.op()
				if err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime() - cpu0
				reqs += requests.Load() - req0
				n += units
			}
			// What it waits on besides the store (a provider's answer) is
			// not here: it is the function's own, from appspec.
			work := appspec.Work{CPU: cpu / time.Duration(n), Requests: int(math.Round(float64(reqs) / float64(n))), Remote: spec(b, w.function).Work.Remote}
			b.ReportMetric(float64(work.CPU.Microseconds())/1000, "cpu-ms/unit")
			b.ReportMetric(float64(reqs)/float64(n), "requests/unit")
			b.ReportMetric(float64(appspec.MemoryFor(work)), "MB")
		})
	}
}

func spec(b *testing.B, name string) appspec.Function {
	for _, f := range appspec.Functions {
		if f.Name == name {
			return f
		}
	}
	b.Fatalf("no function %s", name)
	return appspec.Function{}
}

// one counts an operation as one unit of work.
func one(op func() error) func() (int, error) { return func() (int, error) { return 1, op() } }
