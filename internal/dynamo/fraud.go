package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/fraud"
	"github.com/partnerloop/partnerloop/internal/outbox"
)

// Fraud stores fraud cases, their events and each partner's open case of
// a rule:
//
//	case        FRAUDCASE#<id>               CASE     gsi1 FRAUDCASES#<status> / <last event>#<id>
//	                                                  gsi2 FRAUDPARTNER#<partner> / <opened>#<id>
//	event       FRAUDCASE#<id>               EVENT#<event id>
//	open case   FRAUDOPEN#<partner>#<rule>   OPEN     (the case's id)
//	device      DEVICE#<partner>#<device>    WINDOW#<start>  (the customers it converted; expires)
//	customers   PAYINGCUSTOMERS#<partner>    SET      (distinct paying customers, up to first_payout_minimum's number)
//	payout      PAYOUTHASH#<hash>            PARTNER  (the partner that registered a payout method's hash first)
//
// Cases are rare next to orders, so the status key is not sharded; a
// device's key is its own partition already.
type Fraud struct{ *table }

func fraudCaseKey(id string) key { return key{"FRAUDCASE#" + id, "CASE"} }
func fraudEventKey(caseID, eventID string) key {
	return key{"FRAUDCASE#" + caseID, "EVENT#" + eventID}
}
func fraudOpenKey(partnerID, rule string) key {
	return key{"FRAUDOPEN#" + partnerID + "#" + rule, "OPEN"}
}

func deviceKey(v fraud.DeviceVisit) key {
	return key{"DEVICE#" + v.PartnerID + "#" + v.Device, "WINDOW#" + v.Window.UTC().Format(time.RFC3339)}
}

// deviceRetention is how long a device's customers are kept: as long as
// the click that names the device.
const deviceRetention = clickRetention

// customerSet marshals as a string set, which ADD merges.
type customerSet []string

func (c customerSet) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberSS{Value: c}, nil
}

// deviceVisit adds the customer to its device's set for the window, on
// condition that the customer is in it already or the set stays below the
// limit: the customer that would reach it fails the transaction
// (ErrDeviceLimit) instead of being read for.
func (s *table) deviceVisit(v fraud.DeviceVisit, at time.Time) types.TransactWriteItem {
	customers := expression.Name("customers")
	upd := expression.Add(customers, expression.Value(customerSet{v.Customer})).
		Set(expression.Name("expires_at"), expression.Value(at.Add(deviceRetention).Unix()))
	below := expression.AttributeNotExists(customers).Or(expression.Contains(customers, v.Customer),
		expression.Size(customers).LessThan(expression.Value(v.Limit-1)))
	return s.update(deviceKey(v), upd, &below)
}

func payingCustomersKey(partnerID string) key { return key{"PAYINGCUSTOMERS#" + partnerID, "SET"} }

// AddPayingCustomer adds the customer's hash to the partner's set while it
// holds fewer than upTo: one conditional write, no read. A failed
// condition means the partner has enough customers, and is no error.
func (s *Fraud) AddPayingCustomer(ctx context.Context, partnerID, customer string, upTo int) error {
	customers := expression.Name("customers")
	below := expression.AttributeNotExists(customers).Or(expression.Size(customers).LessThan(expression.Value(upTo)))
	item := s.update(payingCustomersKey(partnerID), expression.Add(customers, expression.Value(customerSet{customer})), &below).Update
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: item.TableName, Key: item.Key, UpdateExpression: item.UpdateExpression,
		ConditionExpression: item.ConditionExpression, ExpressionAttributeNames: item.ExpressionAttributeNames,
		ExpressionAttributeValues: item.ExpressionAttributeValues})
	var enough *types.ConditionalCheckFailedException
	if errors.As(err, &enough) {
		return nil
	}
	return err
}

// PayingCustomers counts the partner's paying customers in its set.
func (s *Fraud) PayingCustomers(ctx context.Context, partnerID string) (int, error) {
	var it struct {
		Customers []string `dynamodbav:"customers,stringset"`
	}
	_, err := s.get(ctx, payingCustomersKey(partnerID), &it)
	return len(it.Customers), err
}

type fraudCaseItem struct {
	key
	fraud.Case
	GSI1PK string `dynamodbav:"gsi1pk"`
	GSI1SK string `dynamodbav:"gsi1sk"`
	GSI2PK string `dynamodbav:"gsi2pk"`
	GSI2SK string `dynamodbav:"gsi2sk"`
}

func toCaseItem(c fraud.Case) fraudCaseItem {
	return fraudCaseItem{key: fraudCaseKey(c.ID), Case: c,
		GSI1PK: "FRAUDCASES#" + string(c.Status), GSI1SK: sortableTime(c.LastEventAt) + "#" + c.ID,
		GSI2PK: "FRAUDPARTNER#" + c.PartnerID, GSI2SK: sortableTime(c.OpenedAt) + "#" + c.ID}
}

func (it fraudCaseItem) fraudCase() fraud.Case { return it.Case }

type fraudEventItem struct {
	key
	fraud.Event
}

type fraudOpenItem struct {
	key
	CaseID string `dynamodbav:"case_id"`
}

// OpenCase reads the partner's open case of rule: the zero case if none.
func (s *Fraud) OpenCase(ctx context.Context, partnerID, rule string) (fraud.Case, error) {
	var open fraudOpenItem
	found, err := s.get(ctx, fraudOpenKey(partnerID, rule), &open)
	if err != nil || !found {
		return fraud.Case{}, err
	}
	c, err := s.Case(ctx, open.CaseID)
	if errors.Is(err, fraud.ErrNotFound) {
		return fraud.Case{}, nil
	}
	return c, err
}

// fraudWrites are the transaction items that file events in their cases:
// each case's next version (conditional on the one read), its new events
// and, for a new case, the partner's open-case pointer (conditional on
// still naming the case it replaces).
func (s *table) fraudWrites(filed []fraud.Filed) []types.TransactWriteItem {
	var items []types.TransactWriteItem
	for _, f := range filed {
		put := &types.Put{TableName: &s.Table, Item: mustMarshal(toCaseItem(f.Case))}
		if f.PrevVersion == 0 {
			put.ConditionExpression = aws.String(notExists)
		} else {
			put.ConditionExpression = aws.String("version = :v")
			put.ExpressionAttributeValues = map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(f.PrevVersion)}}
		}
		items = append(items, types.TransactWriteItem{Put: put})
		for _, e := range f.Events {
			items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table,
				Item: mustMarshal(fraudEventItem{key: fraudEventKey(f.Case.ID, e.ID), Event: e})}})
		}
		if f.Opened {
			ptr := &types.Put{TableName: &s.Table, Item: mustMarshal(fraudOpenItem{key: fraudOpenKey(f.Case.PartnerID, f.Case.Rule), CaseID: f.Case.ID})}
			if f.Replaced == "" {
				ptr.ConditionExpression = aws.String(notExists)
			} else {
				ptr.ConditionExpression = aws.String("case_id = :old")
				ptr.ExpressionAttributeValues = map[string]types.AttributeValue{":old": &types.AttributeValueMemberS{Value: f.Replaced}}
			}
			items = append(items, types.TransactWriteItem{Put: ptr})
		}
	}
	return items
}

// FileCase files events in a case outside an order's transaction, with
// the outbound events of its opening: ErrConflict when the case or the
// partner's open-case pointer changed since read.
func (s *Fraud) FileCase(ctx context.Context, f fraud.Filed, events []outbox.Event) error {
	items := append(s.fraudWrites([]fraud.Filed{f}), s.eventPuts(events)...)
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if _, ok := cancelledAt(err); ok || isTransactionConflict(err) {
		return fraud.ErrConflict
	}
	return err
}

// PayoutHolders reads which partner registered each of the payout hashes
// (those nobody registered are left out), strongly consistent.
func (s *Fraud) PayoutHolders(ctx context.Context, hashes []string) (map[string]string, error) {
	keys := make([]key, 0, len(hashes))
	for _, h := range hashes {
		keys = append(keys, payoutHashKey(h))
	}
	holders := map[string]string{}
	err := s.batchGet(ctx, keys, func(item map[string]types.AttributeValue) error {
		var it payoutHashItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		holders[strings.TrimPrefix(it.PK, "PAYOUTHASH#")] = it.PartnerID
		return nil
	})
	return holders, err
}

// Case reads a case, strongly consistent.
func (s *Fraud) Case(ctx context.Context, id string) (fraud.Case, error) {
	var it fraudCaseItem
	found, err := s.get(ctx, fraudCaseKey(id), &it)
	if err != nil {
		return fraud.Case{}, err
	}
	if !found {
		return fraud.Case{}, fraud.ErrNotFound
	}
	return it.fraudCase(), nil
}

// CaseEvents lists a case's events, oldest first.
func (s *Fraud) CaseEvents(ctx context.Context, id string) ([]fraud.Event, error) {
	events, err := queryAll(ctx, s.table, lookup{key: expression.Key("pk").Equal(expression.Value("FRAUDCASE#" + id)).
		And(expression.Key("sk").BeginsWith("EVENT#"))}, func(it fraudEventItem) fraud.Event { return it.Event })
	slices.SortStableFunc(events, func(a, b fraud.Event) int { return a.At.Compare(b.At) })
	return events, err
}

// Cases lists cases of a status, the latest events first: a page at a
// time, or, narrowed by rule or partner, every match at once (a partner's
// cases, or one rule's of a status, are few).
func (s *Fraud) Cases(ctx context.Context, q fraud.Query, limit int32, cursor string) ([]fraud.Case, string, error) {
	if q.PartnerID != "" {
		all, err := s.PartnerCases(ctx, q.PartnerID)
		return slices.DeleteFunc(all, func(c fraud.Case) bool { return c.Status != q.Status || q.Rule != "" && c.Rule != q.Rule }), "", err
	}
	status := lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("FRAUDCASES#" + string(q.Status))), newestSort: true}
	if q.Rule == "" {
		return queryPage(ctx, s.table, status, limit, cursor, fraudCaseItem.fraudCase)
	}
	rule := expression.Name("rule").Equal(expression.Value(q.Rule))
	status.filter = &rule
	cases, err := queryAll(ctx, s.table, status, fraudCaseItem.fraudCase)
	return cases, "", err
}

// PartnerCases lists every case of a partner, newest first.
func (s *Fraud) PartnerCases(ctx context.Context, partnerID string) ([]fraud.Case, error) {
	return queryAll(ctx, s.table, lookup{index: "gsi2", key: expression.Key("gsi2pk").Equal(expression.Value("FRAUDPARTNER#" + partnerID)),
		newestSort: true}, fraudCaseItem.fraudCase)
}

// SaveDecision writes a case's decision (or its pending approval) with its
// outbound events, if the case is still at prevVersion. A decided case is
// no longer its partner's open case: the pointer goes, unless a newer case
// took it already.
func (s *Fraud) SaveDecision(ctx context.Context, c fraud.Case, prevVersion int64, events []outbox.Event) error {
	c.Version = prevVersion + 1
	put := &types.Put{TableName: &s.Table, Item: mustMarshal(toCaseItem(c)), ConditionExpression: aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(prevVersion)}}}
	items := append([]types.TransactWriteItem{{Put: put}}, s.eventPuts(events)...)
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if _, ok := cancelledAt(err); ok || isTransactionConflict(err) {
		return fraud.ErrConflict
	}
	if err != nil || c.Decision == nil {
		return err
	}
	_, err = s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.Table, Key: fraudOpenKey(c.PartnerID, c.Rule).av(),
		ConditionExpression:       aws.String("case_id = :id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: c.ID}}})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil
	}
	return err
}
