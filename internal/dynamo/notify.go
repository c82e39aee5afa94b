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

// sentEventKey keeps an event an endpoint was sent, for resending.
func sentEventKey(endpointID, eventID string) key {
	return key{"WEBHOOK#" + endpointID, "SENT#" + eventID}
}

type sentEventItem struct {
	key
	ID        string    `dynamodbav:"id"`
	Type      string    `dynamodbav:"type"`
	CreatedAt time.Time `dynamodbav:"created_at"`
	Data      string    `dynamodbav:"data"`
	ExpiresAt int64     `dynamodbav:"expires_at"`
}

// RecordDelivery logs one attempt under its endpoint; the first attempt
// also keeps the event for as long as its attempts are listed.
func (s *Notifications) RecordDelivery(ctx context.Context, endpointID string, d notify.Delivery, evt outbox.Event) error {
	expires := d.At.Add(deliveryRetention).Unix()
	k := key{"WEBHOOK#" + endpointID, fmt.Sprintf("DELIVERY#%s#%s#%03d", sortableTime(d.At), d.EventID, d.Attempt)}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table,
		Item: mustMarshal(deliveryItem{key: k, Delivery: d, ExpiresAt: expires})})
	if err != nil || d.Attempt > 1 {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: mustMarshal(sentEventItem{key: sentEventKey(endpointID, evt.ID),
		ID: evt.ID, Type: evt.Type, CreatedAt: evt.CreatedAt, Data: string(evt.Data), ExpiresAt: expires})})
	return err
}

// SentEvent reads an event kept for resending; one past its retention
// (which DynamoDB deletes within days) is gone already.
func (s *Notifications) SentEvent(ctx context.Context, endpointID, eventID string) (outbox.Event, error) {
	var it sentEventItem
	found, err := s.get(ctx, sentEventKey(endpointID, eventID), &it)
	if err != nil {
		return outbox.Event{}, err
	}
	if !found || time.Unix(it.ExpiresAt, 0).Before(time.Now()) {
		return outbox.Event{}, notify.ErrNotDelivered
	}
	return outbox.Event{ID: it.ID, Type: it.Type, CreatedAt: it.CreatedAt, Data: json.RawMessage(it.Data)}, nil
}

// RotateSecret stores an endpoint's new secret and the overlap of its
// previous one, if nobody rotated it since it was read.
func (s *Notifications) RotateSecret(ctx context.Context, e notify.Endpoint, was string) error {
	upd := expression.Set(expression.Name("secret"), expression.Value(e.Secret))
	if e.PreviousSecretExpiresAt != nil {
		upd = upd.Set(expression.Name("previous_secret"), expression.Value(e.PreviousSecret)).
			Set(expression.Name("previous_secret_expires_at"), expression.Value(*e.PreviousSecretExpiresAt))
	} else {
		upd = upd.Remove(expression.Name("previous_secret")).Remove(expression.Name("previous_secret_expires_at"))
	}
	var it endpointItem
	return s.updateItem(ctx, endpointKey(e.ID), upd, expression.Name("secret").Equal(expression.Value(was)), notify.ErrRotated, &it)
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
