package devenv

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// CapacityMeter asks DynamoDB for the capacity every call consumes and adds
// it up, the way a cost review reads ReturnConsumedCapacity.
type CapacityMeter struct {
	mu          sync.Mutex
	Read, Write float64
	Calls       int
}

func (m *CapacityMeter) add(write bool, cc ...types.ConsumedCapacity) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Calls++
	for _, c := range cc {
		if c.CapacityUnits == nil {
			continue
		}
		if write {
			m.Write += *c.CapacityUnits
		} else {
			m.Read += *c.CapacityUnits
		}
	}
}

func (m *CapacityMeter) Reset() { m.mu.Lock(); m.Read, m.Write, m.Calls = 0, 0, 0; m.mu.Unlock() }

func (m *CapacityMeter) Option(o *dynamodb.Options) {
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
