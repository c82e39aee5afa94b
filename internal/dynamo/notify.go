package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/notify"
	"github.com/partnerloop/partnerloop/internal/outbox"
)

// Notifications stores webhook endpoints, the event outbox and delivery
// attempts.
type Notifications struct{ *table }

const (
	outboxBase = "NOTIFY"
	// deliveryRetention is how long delivery attempts are listed.
	deliveryRetention = 30 * 24 * time.Hour
)

func endpointKey(id string) key    { return key{"WEBHOOK#" + id, "ENDPOINT"} }
func eventOutboxKey(id string) key { return key{"NOTIFY#" + id, "OUTBOX"} }

type endpointItem struct {
	key
	notify.Endpoint
	GSI1PK string `dynamodbav:"gsi1pk"`
	GSI1SK string `dynamodbav:"gsi1sk"`
}

type eventOutboxItem struct {
	key
	ID        string    `dynamodbav:"id"`
	Type      string    `dynamodbav:"type"`
	CreatedAt time.Time `dynamodbav:"created_at"`
	Data      string    `dynamodbav:"data"`
	GSI2PK    string    `dynamodbav:"gsi2pk"`
	GSI2SK    string    `dynamodbav:"gsi2sk"`
}

type deliveryItem struct {
	key
	notify.Delivery
	ExpiresAt int64 `dynamodbav:"expires_at"`
}

// eventPuts are the outbox rows of a change's events, for its transaction:
// the events exist if and only if the change committed.
func (s *table) eventPuts(events []outbox.Event) []types.TransactWriteItem {
	items := make([]types.TransactWriteItem, 0, len(events))
	for _, e := range events {
		it := eventOutboxItem{key: eventOutboxKey(e.ID), ID: e.ID, Type: e.Type, CreatedAt: e.CreatedAt, Data: string(e.Data),
			GSI2PK: sharded(outboxBase, e.ID), GSI2SK: sortableTime(e.CreatedAt) + "#" + e.ID}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(it)}})
	}
	return items
}

// PutEndpoint stores a new endpoint with its secret.
func (s *Notifications) PutEndpoint(ctx context.Context, e notify.Endpoint) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, ConditionExpression: aws.String(notExists),
		Item: mustMarshal(endpointItem{key: endpointKey(e.ID), Endpoint: e, GSI1PK: "WEBHOOKS", GSI1SK: e.ID})})
	return err
}

// GetEndpoint reads an endpoint, secret included.
func (s *Notifications) GetEndpoint(ctx context.Context, id string) (notify.Endpoint, error) {
	var it endpointItem
	found, err := s.get(ctx, endpointKey(id), &it)
	if err == nil && !found {
		err = notify.ErrNotFound
	}
	return it.Endpoint, err
}

// ListEndpoints reads every endpoint.
func (s *Notifications) ListEndpoints(ctx context.Context) ([]notify.Endpoint, error) {
	return queryAll(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("WEBHOOKS"))},
		func(it endpointItem) notify.Endpoint { return it.Endpoint })
}

// DeleteEndpoint removes an endpoint; its delivery log expires by itself.
func (s *Notifications) DeleteEndpoint(ctx context.Context, id string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.Table, Key: endpointKey(id).av()})
	return err
}

// PendingEvents reads up to limit outbox events from every shard, oldest first.
func (s *Notifications) PendingEvents(ctx context.Context, limit int32) ([]outbox.Event, error) {
	rows, err := inShards(outboxBase, func(k string) ([]eventOutboxItem, error) {
		page, _, err := queryPage(ctx, s.table, lookup{index: "gsi2", key: expression.Key("gsi2pk").Equal(expression.Value(k))},
			limit, "", func(it eventOutboxItem) eventOutboxItem { return it })
		return page, err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rows, func(a, b eventOutboxItem) int { return strings.Compare(a.GSI2SK, b.GSI2SK) })
	out := make([]outbox.Event, 0, min(len(rows), int(limit)))
	for _, r := range rows[:min(len(rows), int(limit))] {
		out = append(out, outbox.Event{ID: r.ID, Type: r.Type, CreatedAt: r.CreatedAt, Data: json.RawMessage(r.Data)})
	}
	return out, nil
}

// DoneEvent removes a queued event from the outbox.
func (s *Notifications) DoneEvent(ctx context.Context, id string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.Table, Key: eventOutboxKey(id).av()})
	return err
}

// RecordDelivery logs one attempt under its endpoint.
func (s *Notifications) RecordDelivery(ctx context.Context, endpointID string, d notify.Delivery) error {
	k := key{"WEBHOOK#" + endpointID, fmt.Sprintf("DELIVERY#%s#%s#%03d", sortableTime(d.At), d.EventID, d.Attempt)}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table,
		Item: mustMarshal(deliveryItem{key: k, Delivery: d, ExpiresAt: d.At.Add(deliveryRetention).Unix()})})
	return err
}

// Deliveries lists an endpoint's latest attempts, newest first.
func (s *Notifications) Deliveries(ctx context.Context, endpointID string, limit int32) ([]notify.Delivery, error) {
	list, _, err := queryPage(ctx, s.table, lookup{key: expression.Key("pk").Equal(expression.Value("WEBHOOK#" + endpointID)).
		And(expression.Key("sk").BeginsWith("DELIVERY#")), newestSort: true}, limit, "", func(it deliveryItem) notify.Delivery { return it.Delivery })
	if list == nil && err == nil {
		list = []notify.Delivery{}
	}
	return list, err
}

var _ notify.Store = (*Notifications)(nil)
