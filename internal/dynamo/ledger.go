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

	"github.com/partnerloop/partnerloop/internal/commission"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/program"
)

func orderKey(source, orderID string) key { return key{"ORDER#" + source + "#" + orderID, "ORDER"} }
func balanceKey(partnerID string, cur money.Currency) key {
	return key{"PARTNER#" + partnerID, "BALANCE#" + string(cur)}
}

type orderItem struct {
	key
	Source      string                  `json:"source" dynamodbav:"source"`
	OrderID     string                  `json:"order_id" dynamodbav:"order_id"`
	Currency    money.Currency          `json:"currency,omitempty" dynamodbav:"currency,omitempty"`
	Paid        bool                    `json:"paid" dynamodbav:"paid"`
	Cancelled   bool                    `json:"cancelled" dynamodbav:"cancelled"`
	Net         int64                   `json:"net" dynamodbav:"net"`
	Gross       int64                   `json:"gross" dynamodbav:"gross"`
	Refunds     []refundItem            `json:"refunds,omitempty" dynamodbav:"refunds,omitempty"`
	Sales       ledger.Sales            `json:"sales" dynamodbav:"sales"`
	PartnerID   string                  `json:"partner_id,omitempty" dynamodbav:"partner_id,omitempty"`
	Via         string                  `json:"via,omitempty" dynamodbav:"via,omitempty"`
	Tier        string                  `json:"tier,omitempty" dynamodbav:"tier,omitempty"`
	RateBps     int64                   `json:"rate_bps" dynamodbav:"rate_bps"`
	ProgramVer  int64                   `json:"program_version" dynamodbav:"program_version"`
	Lines       []commission.LineResult `json:"commission_lines,omitempty" dynamodbav:"commission_lines,omitempty"`
	Commission  int64                   `json:"commission" dynamodbav:"commission"`
	Reversed    int64                   `json:"reversed" dynamodbav:"reversed"`
	Points      int64                   `json:"points,omitempty" dynamodbav:"points,omitempty"`
	PointsRev   int64                   `json:"points_reversed,omitempty" dynamodbav:"points_reversed,omitempty"`
	Status      string                  `json:"accrual_status,omitempty" dynamodbav:"accrual_status,omitempty"`
	HoldReason  string                  `json:"hold_reason,omitempty" dynamodbav:"hold_reason,omitempty"`
	PaidAt      *time.Time              `json:"paid_at,omitempty" dynamodbav:"paid_at,omitempty"`
	PayableAt   *time.Time              `json:"payable_at,omitempty" dynamodbav:"payable_at,omitempty"`
	UpdatedAt   time.Time               `json:"updated_at" dynamodbav:"updated_at"`
	Version     int64                   `json:"version" dynamodbav:"version"`
	GSI1PK      string                  `json:"gsi1pk,omitempty" dynamodbav:"gsi1pk,omitempty"`
	GSI1SK      string                  `json:"gsi1sk,omitempty" dynamodbav:"gsi1sk,omitempty"`
	GSI2PK      string                  `json:"gsi2pk,omitempty" dynamodbav:"gsi2pk,omitempty"`
	GSI2SK      string                  `json:"gsi2sk,omitempty" dynamodbav:"gsi2sk,omitempty"`
	DigestDay   string                  `json:"digest_day,omitempty" dynamodbav:"digest_day,omitempty"`
	DayBooked   int64                   `json:"day_booked,omitempty" dynamodbav:"day_booked,omitempty"`
	DayReversed int64                   `json:"day_reversed,omitempty" dynamodbav:"day_reversed,omitempty"`
	GSI3PK      string                  `json:"gsi3pk,omitempty" dynamodbav:"gsi3pk,omitempty"`
	GSI3SK      string                  `json:"gsi3sk,omitempty" dynamodbav:"gsi3sk,omitempty"`

	// What a referred order shows of its customer's discount and name.
	DiscountCode   string `json:"discount_code,omitempty" dynamodbav:"discount_code,omitempty"`
	BuyerFirstName string `json:"buyer_first_name,omitempty" dynamodbav:"buyer_first_name,omitempty"`
	CustomerReward string `json:"customer_reward,omitempty" dynamodbav:"customer_reward,omitempty"`
	Clicked        bool   `json:"clicked,omitempty" dynamodbav:"clicked,omitempty"`
}

type refundItem struct {
	ID         string              `json:"id" dynamodbav:"id"`
	Amount     int64               `json:"amount" dynamodbav:"amount"`
	Basis      string              `json:"basis" dynamodbav:"basis"`
	Cumulative bool                `json:"cumulative,omitempty" dynamodbav:"cumulative,omitempty"`
	Lines      []ledger.RefundLine `json:"lines,omitempty" dynamodbav:"lines,omitempty"`
}

// sortableTime keeps index sort keys in time order.
func sortableTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toOrderItem(r ledger.OrderRecord) orderItem {
	it := orderItem{key: orderKey(r.Source, r.OrderID), Source: r.Source, OrderID: r.OrderID, Currency: r.Currency,
		Paid: r.Paid, Cancelled: r.Cancelled, Net: r.Net, Gross: r.Gross, Sales: r.Sales, PartnerID: r.PartnerID, Via: r.Via,
		Tier: string(r.Tier), RateBps: r.RateBps, ProgramVer: r.ProgramVersion, Lines: r.Lines, Commission: r.Commission, Reversed: r.Reversed, Points: r.Points, PointsRev: r.PointsReversed, Status: string(r.Status), HoldReason: r.HoldReason,
		PaidAt: timePtr(r.PaidAt), PayableAt: timePtr(r.PayableAt), UpdatedAt: r.UpdatedAt, Version: r.Version,
		DigestDay: r.Day.Day, DayBooked: r.Day.Booked, DayReversed: r.Day.Reversed, DiscountCode: r.DiscountCode, BuyerFirstName: r.BuyerFirstName,
		CustomerReward: r.CustomerReward, Clicked: r.Clicked}
	for _, rf := range r.Refunds {
		it.Refunds = append(it.Refunds, refundItem{rf.ID, rf.Amount, string(rf.Basis), rf.Cumulative, rf.Lines})
	}
	if r.PartnerID != "" {
		it.GSI1PK, it.GSI1SK = "ACCRUALS#"+r.PartnerID, sortableTime(r.PaidAt)+"#"+r.Source+"#"+r.OrderID
		if r.Day.Day != "" {
			it.GSI3PK, it.GSI3SK = digestDayKey(r.Day.Day, r.PartnerID), r.PartnerID+"#"+r.Source+"#"+r.OrderID
		}
	}
	switch r.Status {
	case ledger.AccrualPending:
		it.GSI2PK, it.GSI2SK = dueKey(r.Source, r.OrderID), sortableTime(r.PayableAt)+"#"+r.Source+"#"+r.OrderID
	case ledger.AccrualHeld:
		it.GSI2PK, it.GSI2SK = sharded(heldBase, r.Source+"#"+r.OrderID), sortableTime(r.PaidAt)+"#"+r.Source+"#"+r.OrderID
	}
	return it
}

func (it orderItem) record() ledger.OrderRecord {
	r := ledger.OrderRecord{Source: it.Source, OrderID: it.OrderID, Currency: it.Currency, Paid: it.Paid,
		Cancelled: it.Cancelled, Net: it.Net, Gross: it.Gross, Sales: it.Sales, PartnerID: it.PartnerID, Via: it.Via,
		RateBps: it.RateBps, ProgramVersion: it.ProgramVer, Lines: it.Lines, Commission: it.Commission, Reversed: it.Reversed, Points: it.Points, PointsReversed: it.PointsRev, Status: ledger.AccrualStatus(it.Status), HoldReason: it.HoldReason,
		UpdatedAt: it.UpdatedAt, Version: it.Version, Day: ledger.DayCommission{Day: it.DigestDay, Booked: it.DayBooked, Reversed: it.DayReversed},
		DiscountCode: it.DiscountCode, BuyerFirstName: it.BuyerFirstName, CustomerReward: it.CustomerReward, Clicked: it.Clicked}
	r.Tier = program.Tier(it.Tier)
	if it.PaidAt != nil {
		r.PaidAt = *it.PaidAt
	}
	if it.PayableAt != nil {
		r.PayableAt = *it.PayableAt
	}
	for _, rf := range it.Refunds {
		r.Refunds = append(r.Refunds, ledger.Refund{ID: rf.ID, Amount: rf.Amount, Basis: ledger.RefundBasis(rf.Basis), Cumulative: rf.Cumulative, Lines: rf.Lines})
	}
	return r
}

// GetOrder reads the order record; a missing one is the zero record (version 0).
func (s *Ledger) GetOrder(ctx context.Context, source, orderID string) (ledger.OrderRecord, error) {
	var it orderItem
	found, err := s.get(ctx, orderKey(source, orderID), &it)
	if err != nil || !found {
		return ledger.OrderRecord{}, err
	}
	return it.record(), nil
}

// putOrder writes a change's next version of an order, conditional on the
// previous, with what the change booked or took back that day.
func (s *Ledger) putOrder(change ledger.Change, prevVersion int64) types.TransactWriteItem {
	next := change.Next
	next.Version = prevVersion + 1
	next.Day = next.Day.With(next.UpdatedAt, change.Delta)
	put := &types.Put{TableName: &s.Table, Item: mustMarshal(toOrderItem(next))}
	if prevVersion == 0 {
		put.ConditionExpression = aws.String(notExists)
	} else {
		put.ConditionExpression = aws.String("version = :v")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(prevVersion)}}
	}
	return types.TransactWriteItem{Put: put}
}

// balanceUpdate adds delta to the partner's counters; counters are created
// on first use. A balance is in no index, so the orders that change it
// write no index entry: payout batches find balances through the partner
// list. Balances of earlier releases leave the index they were in.
func (s *table) balanceUpdate(partnerID string, cur money.Currency, d ledger.Balance, cond *expression.ConditionBuilder) types.TransactWriteItem {
	upd := expression.Set(expression.Name("partner_id"), expression.Value(partnerID)).
		Set(expression.Name("currency"), expression.Value(cur)).
		Remove(expression.Name("gsi1pk")).Remove(expression.Name("gsi1sk"))
	upd = addNonZero(upd, map[string]int64{"accrued": d.Accrued, "pending": d.Pending, "payable": d.Payable,
		"in_payout": d.InPayout, "paid": d.Paid, "reversed": d.Reversed, "donated": d.Donated})
	return s.update(balanceKey(partnerID, cur), upd, cond)
}

// addNonZero adds each non-zero counter to the update.
func addNonZero(upd expression.UpdateBuilder, counters map[string]int64) expression.UpdateBuilder {
	for name, v := range counters {
		if v != 0 {
			upd = upd.Add(expression.Name(name), expression.Value(v))
		}
	}
	return upd
}

// update is a transaction item applying upd to the item at k if cond
// (when set) holds.
func (s *table) update(k key, upd expression.UpdateBuilder, cond *expression.ConditionBuilder) types.TransactWriteItem {
	b := expression.NewBuilder().WithUpdate(upd)
	if cond != nil {
		b = b.WithCondition(*cond)
	}
	expr, err := b.Build()
	if err != nil {
		panic(fmt.Sprintf("dynamo: update expression: %v", err)) // built from constants and our own names only
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: &s.Table, Key: k.av(),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}}
}

// CommitOrder writes the order's next version (a new order only if none
// exists), its balance, points and sales deltas, its customer's evidence
// and its outbound events in one transaction; any failed condition is
// ledger.ErrConflict, for the caller to read again.
func (s *Ledger) CommitOrder(ctx context.Context, prevVersion int64, change ledger.Change) error {
	items := []types.TransactWriteItem{s.putOrder(change, prevVersion)}
	if !change.Delta.IsZero() {
		items = append(items, s.balanceUpdate(change.Next.PartnerID, change.Next.Currency, change.Delta, nil))
	}
	if !change.Points.IsZero() {
		items = append(items, s.pointsUpdate(change.Next.PartnerID, change.Points, nil))
	}
	if change.Sales != nil {
		items = append(items, s.salesUpdate(*change.Sales))
	}
	items = append(items, s.evidenceWrites(change.Evidence, change.Next.UpdatedAt)...)
	items = append(items, s.fraudWrites(change.Fraud)...)
	device := -1
	if change.Device != nil {
		device = len(items)
		items = append(items, s.deviceVisit(*change.Device, change.Next.UpdatedAt))
	}
	items = append(items, s.eventPuts(change.Events)...)
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := cancelledAt(err); ok && len(failed) == 1 && failed[device] {
		return ledger.ErrDeviceLimit
	} else if ok || isTransactionConflict(err) {
		return ledger.ErrConflict
	}
	return err
}

// isTransactionConflict recognises a transaction that lost a race with
// another transaction on the same item; re-reading and retrying is correct.
func isTransactionConflict(err error) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	for _, r := range tce.CancellationReasons {
		if aws.ToString(r.Code) == "TransactionConflict" {
			return true
		}
	}
	return false
}

// DuePending lists up to limit pending accruals whose return window ended
// by now, the longest due first, from every shard of the due index.
func (s *Ledger) DuePending(ctx context.Context, now time.Time, limit int32) ([]ledger.OrderRecord, error) {
	due, err := inShards(dueBase, func(key string) ([]orderItem, error) {
		kc := expression.Key("gsi2pk").Equal(expression.Value(key)).And(expression.Key("gsi2sk").LessThanEqual(expression.Value(sortableTime(now) + "~")))
		expr, err := expression.NewBuilder().WithKeyCondition(kc).Build()
		if err != nil {
			return nil, err
		}
		res, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: &s.Table, IndexName: aws.String("gsi2"), Limit: aws.Int32(limit),
			KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
		if err != nil {
			return nil, err
		}
		items := make([]orderItem, len(res.Items))
		for i, item := range res.Items {
			if err := unmarshal(item, &items[i]); err != nil {
				return nil, err
			}
		}
		return items, nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(due, func(a, b orderItem) int { return strings.Compare(a.GSI2SK, b.GSI2SK) })
	out := make([]ledger.OrderRecord, 0, min(len(due), int(limit)))
	for _, it := range due[:min(len(due), int(limit))] {
		out = append(out, it.record())
	}
	return out, nil
}

// CommitTransition writes an accrual's new state (matured, released) and
// moves its amount between balance buckets.
func (s *Ledger) CommitTransition(ctx context.Context, prevVersion int64, change ledger.Change) error {
	n := change.Next
	items := []types.TransactWriteItem{s.putOrder(change, prevVersion)}
	if !change.Delta.IsZero() {
		items = append(items, s.balanceUpdate(n.PartnerID, n.Currency, change.Delta, nil))
	}
	if !change.Points.IsZero() {
		items = append(items, s.pointsUpdate(n.PartnerID, change.Points, nil))
	}
	if change.Sales != nil {
		items = append(items, s.salesUpdate(*change.Sales))
	}
	items = append(items, s.eventPuts(change.Events)...)
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if _, ok := cancelledAt(err); ok || isTransactionConflict(err) {
		return ledger.ErrConflict
	}
	return err
}

type balanceItem struct {
	key
	PartnerID string         `json:"partner_id" dynamodbav:"partner_id"`
	Currency  money.Currency `json:"currency" dynamodbav:"currency"`
	Accrued   int64          `json:"accrued" dynamodbav:"accrued"`
	Pending   int64          `json:"pending" dynamodbav:"pending"`
	Payable   int64          `json:"payable" dynamodbav:"payable"`
	InPayout  int64          `json:"in_payout" dynamodbav:"in_payout"`
	Paid      int64          `json:"paid" dynamodbav:"paid"`
	Reversed  int64          `json:"reversed" dynamodbav:"reversed"`
	Donated   int64          `json:"donated" dynamodbav:"donated"`
}

func (b balanceItem) balance() ledger.Balance {
	return ledger.Balance{Accrued: b.Accrued, Pending: b.Pending, Payable: b.Payable, InPayout: b.InPayout,
		Paid: b.Paid, Reversed: b.Reversed, Donated: b.Donated}
}

// balancesIn reads every partner's balance in cur: each shard of the
// partner list in parallel, then its partners' balances by key (eventually
// consistent; a batch reserves each amount under a condition). A partner
// without a balance in cur costs half a read unit.
func (s *table) balancesIn(ctx context.Context, cur money.Currency) ([]balanceItem, error) {
	return inShards(partnersBase, func(k string) ([]balanceItem, error) {
		keys, err := queryAll(ctx, s, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value(k))},
			func(it partnerItem) key { return balanceKey(it.ID, cur) })
		if err != nil {
			return nil, err
		}
		var out []balanceItem
		err = s.batchRead(ctx, keys, false, func(item map[string]types.AttributeValue) error {
			var b balanceItem
			err := unmarshal(item, &b)
			out = append(out, b)
			return err
		})
		return out, err
	})
}

// Balances reads every currency balance of a partner.
func (s *Ledger) Balances(ctx context.Context, partnerID string) (map[money.Currency]ledger.Balance, error) {
	items, err := queryAll(ctx, s.table, lookup{key: expression.Key("pk").Equal(expression.Value("PARTNER#" + partnerID)).
		And(expression.Key("sk").BeginsWith("BALANCE#"))}, func(b balanceItem) balanceItem { return b })
	out := map[money.Currency]ledger.Balance{}
	for _, b := range items {
		out[b.Currency] = b.balance()
	}
	return out, err
}

// Statement lists a page of the partner's accruals, newest first.
func (s *Ledger) Statement(ctx context.Context, partnerID string, limit int32, cursor string) ([]ledger.OrderRecord, string, error) {
	return queryPage(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("ACCRUALS#" + partnerID)),
		newestSort: true}, limit, cursor, orderItem.record)
}

// HeldAccruals lists accruals held for finance, oldest first.
func (s *Ledger) HeldAccruals(ctx context.Context) ([]ledger.OrderRecord, error) {
	held, err := inShards(heldBase, func(k string) ([]orderItem, error) {
		return queryAll(ctx, s.table, lookup{index: "gsi2", key: expression.Key("gsi2pk").Equal(expression.Value(k))}, func(it orderItem) orderItem { return it })
	})
	slices.SortFunc(held, func(a, b orderItem) int { return strings.Compare(a.GSI2SK, b.GSI2SK) })
	recs := make([]ledger.OrderRecord, 0, len(held))
	for _, it := range held {
		recs = append(recs, it.record())
	}
	return recs, err
}

// AccrualsBetween lists a partner's order records paid within [from, to).
func (s *Ledger) AccrualsBetween(ctx context.Context, partnerID string, from, to time.Time) ([]ledger.OrderRecord, error) {
	recs, err := queryAll(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("ACCRUALS#" + partnerID)).
		And(expression.Key("gsi1sk").Between(expression.Value(sortableTime(from)), expression.Value(sortableTime(to))))}, orderItem.record)
	return slices.DeleteFunc(recs, func(r ledger.OrderRecord) bool { return !r.PaidAt.Before(to) }), err
}
