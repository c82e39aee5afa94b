package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/partnerloop/partnerloop/internal/webhook"
)

// capacityMeter asks DynamoDB for the capacity every call consumes and adds
// it up, the way a cost review reads ReturnConsumedCapacity.
type capacityMeter struct {
	mu          sync.Mutex
	read, write float64
	calls       int
}

func (m *capacityMeter) add(write bool, cc ...types.ConsumedCapacity) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	for _, c := range cc {
		if c.CapacityUnits == nil {
			continue
		}
		if write {
			m.write += *c.CapacityUnits
		} else {
			m.read += *c.CapacityUnits
		}
	}
}

func (m *capacityMeter) reset() { m.mu.Lock(); m.read, m.write, m.calls = 0, 0, 0; m.mu.Unlock() }

func (m *capacityMeter) option(o *dynamodb.Options) {
	total := types.ReturnConsumedCapacityTotal
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("meterCapacity",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				switch p := in.Parameters.(type) {
				case *dynamodb.GetItemInput:
					p.ReturnConsumedCapacity = total
				case *dynamodb.QueryInput:
					p.ReturnConsumedCapacity = total
				case *dynamodb.PutItemInput:
					p.ReturnConsumedCapacity = total
				case *dynamodb.UpdateItemInput:
					p.ReturnConsumedCapacity = total
				case *dynamodb.TransactWriteItemsInput:
					p.ReturnConsumedCapacity = total
				}
				out, md, err := next.HandleInitialize(ctx, in)
				switch r := out.Result.(type) {
				case *dynamodb.GetItemOutput:
					m.add(false, deref(r.ConsumedCapacity)...)
				case *dynamodb.QueryOutput:
					m.add(false, deref(r.ConsumedCapacity)...)
				case *dynamodb.PutItemOutput:
					m.add(true, deref(r.ConsumedCapacity)...)
				case *dynamodb.UpdateItemOutput:
					m.add(true, deref(r.ConsumedCapacity)...)
				case *dynamodb.TransactWriteItemsOutput:
					m.add(true, r.ConsumedCapacity...)
				}
				return out, md, err
			}), middleware.After)
	})
}

func deref(c *types.ConsumedCapacity) []types.ConsumedCapacity {
	if c == nil {
		return nil
	}
	return []types.ConsumedCapacity{*c}
}

// TestRequestUnitsOfATypicalAttributedOrder measures what one attributed
// order costs in DynamoDB request units and keeps it from creeping up.
func TestRequestUnitsOfATypicalAttributedOrder(t *testing.T) {
	h := newHarness(t)
	meter := &capacityMeter{}
	h.useDynamoDBOptions(meter.option)
	code := h.createPartner(`{"name":"A","email":"a@a.example","tier":"gold"}`)["referral_code"].(string)
	body := []byte(`{"id":"evt_cu","type":"order.paid","order":{"id":"ord_cu","currency":"EUR","referral_code":"` + code + `",
		"customer":{"id":"c1","email":"buyer@b.example"},"lines":[{"sku":"SKU-1","category":"tools","quantity":2,"amount":10000},
		{"sku":"SKU-2","category":"accessories","quantity":1,"amount":2500}],"tax":2200,"shipping":500}}`)
	meter.reset()
	res := h.do("POST", "/webhooks/orders", "", body, map[string]string{"Partnerloop-Signature": webhook.SignTimestamped(body, []byte(secrets.Generic), time.Now())})
	if res.Status != 200 || res.Body["status"] != "applied" {
		t.Fatalf("%d %s", res.Status, res.Raw)
	}
	t.Logf("attributed order: %d calls, %.1f read units, %.1f write units", meter.calls, meter.read, meter.write)
	if meter.read == 0 || meter.write == 0 {
		t.Fatal("no consumed capacity reported")
	}
	if meter.read > 8 || meter.write > 16 {
		t.Fatalf("an attributed order costs %.1f RRU and %.1f WRU; budget is 8 and 16", meter.read, meter.write)
	}
}
