package app_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// simulatedIAM lets each function's DynamoDB client make only the calls its
// grant allows, the way IAM evaluates them: a transaction needs the action
// of every part. Calls outside the grant are refused and remembered, so a
// test run shows every missing action at once.
type simulatedIAM struct {
	mu     sync.Mutex
	denied map[string]bool
}

// allow returns a client option that enforces the function's grant.
func (s *simulatedIAM) allow(function string, actions []string) func(*dynamodb.Options) {
	check := middleware.InitializeMiddlewareFunc("SimulatedIAM", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		for _, action := range actionsOf(awsmiddleware.GetOperationName(ctx), in.Parameters) {
			if !slices.Contains(actions, action) {
				s.deny(function + " " + action)
				return middleware.InitializeOutput{}, middleware.Metadata{}, fmt.Errorf("AccessDenied: %s may not call %s", function, action)
			}
		}
		if action, ok := changesAuditEntry(in.Parameters); ok {
			s.deny(function + " " + action + " on an audit entry")
			return middleware.InitializeOutput{}, middleware.Metadata{}, fmt.Errorf("AccessDenied: %s may not call %s on an audit entry", function, action)
		}
		return next.HandleInitialize(ctx, in)
	})
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(check, middleware.After)
		})
	}
}

// actionsOf names the IAM actions one DynamoDB call needs.
func actionsOf(operation string, params any) []string {
	switch in := params.(type) {
	case *dynamodb.TransactWriteItemsInput:
		var needed []string
		for _, item := range in.TransactItems {
			switch {
			case item.Put != nil:
				needed = append(needed, appspec.PutItem)
			case item.Update != nil:
				needed = append(needed, appspec.UpdateItem)
			case item.Delete != nil:
				needed = append(needed, appspec.DeleteItem)
			case item.ConditionCheck != nil:
				needed = append(needed, appspec.ConditionCheckItem)
			}
		}
		return needed
	case *dynamodb.TransactGetItemsInput:
		return []string{appspec.GetItem}
	}
	return []string{"dynamodb:" + operation}
}

func (s *simulatedIAM) deny(call string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.denied == nil {
		s.denied = map[string]bool{}
	}
	s.denied[call] = true
}

// deniedCalls lists "<function> <action>" for every refused call.
func (s *simulatedIAM) deniedCalls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var calls []string
	for c := range s.denied {
		calls = append(calls, c)
	}
	sort.Strings(calls)
	return calls
}

// changesAuditEntry reports an update or delete of an item under the audit
// prefix, which the stack denies every function (dynamodb:LeadingKeys).
func changesAuditEntry(params any) (string, bool) {
	isAudit := func(k map[string]types.AttributeValue) bool {
		pk, _ := k["pk"].(*types.AttributeValueMemberS)
		return pk != nil && strings.HasPrefix(pk.Value, appspec.AuditKeyPrefix)
	}
	switch in := params.(type) {
	case *dynamodb.UpdateItemInput:
		return appspec.UpdateItem, isAudit(in.Key)
	case *dynamodb.DeleteItemInput:
		return appspec.DeleteItem, isAudit(in.Key)
	case *dynamodb.TransactWriteItemsInput:
		for _, item := range in.TransactItems {
			if item.Update != nil && isAudit(item.Update.Key) {
				return appspec.UpdateItem, true
			}
			if item.Delete != nil && isAudit(item.Delete.Key) {
				return appspec.DeleteItem, true
			}
		}
	}
	return "", false
}
