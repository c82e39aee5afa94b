package dynamo

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/audit"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/payout"
)

func batchKey(id string) key             { return key{"BATCH#" + id, "BATCH"} }
func itemKey(batchID, itemID string) key { return key{"BATCH#" + batchID, "ITEM#" + itemID} }
func outboxKey(batchID string) key       { return key{"BATCH#" + batchID, "OUTBOX"} }

// buildLockKey is the one lock every batch build takes.
var buildLockKey = key{"BATCHBUILD", "LOCK"}

type buildLockItem struct {
	key
	Owner string `dynamodbav:"owner"`
	// ExpiresAt ends the lease (Unix seconds); it is also the table's TTL
	// attribute, which removes a lapsed lock some time later.
	ExpiresAt int64 `dynamodbav:"expires_at"`
}

type batchItem struct {
	key
	ID         string        `json:"id" dynamodbav:"id"`
	Status     string        `json:"status" dynamodbav:"status"`
	CreatedBy  string        `json:"created_by" dynamodbav:"created_by"`
	ApprovedBy string        `json:"approved_by,omitempty" dynamodbav:"approved_by,omitempty"`
	CreatedAt  time.Time     `json:"created_at" dynamodbav:"created_at"`
	ApprovedAt *time.Time    `json:"approved_at,omitempty" dynamodbav:"approved_at,omitempty"`
	Skipped    []payout.Skip `json:"skipped,omitempty" dynamodbav:"skipped,omitempty"`
	GSI1PK     string        `json:"gsi1pk,omitempty" dynamodbav:"gsi1pk,omitempty"` // BATCHES: the list of batches, newest first
	GSI1SK     string        `json:"gsi1sk,omitempty" dynamodbav:"gsi1sk,omitempty"`
}

type payoutItem struct {
	key
	ID             string         `json:"id" dynamodbav:"id"`
	BatchID        string         `json:"batch_id" dynamodbav:"batch_id"`
	PartnerID      string         `json:"partner_id" dynamodbav:"partner_id"`
	Currency       money.Currency `json:"currency" dynamodbav:"currency"`
	Amount         int64          `json:"amount" dynamodbav:"amount"`
	Donation       int64          `json:"donation" dynamodbav:"donation"`
	CharityID      string         `json:"charity_id,omitempty" dynamodbav:"charity_id,omitempty"`
	Status         string         `json:"status" dynamodbav:"status"`
	Reason         string         `json:"reason,omitempty" dynamodbav:"reason,omitempty"`
	QueuedAt       *time.Time     `json:"queued_at,omitempty" dynamodbav:"queued_at,omitempty"`
	Method         string         `json:"method,omitempty" dynamodbav:"method,omitempty"`
	Destination    string         `json:"destination,omitempty" dynamodbav:"destination,omitempty"`
	Recipient      string         `json:"recipient,omitempty" dynamodbav:"recipient,omitempty"`
	PayoutStatus   string         `json:"payout_status" dynamodbav:"payout_status"`
	DonationStatus string         `json:"donation_status" dynamodbav:"donation_status"`
}

type outboxItem struct {
	key
	BatchID string `json:"batch_id" dynamodbav:"batch_id"`
	GSI2PK  string `json:"gsi2pk" dynamodbav:"gsi2pk"`
	GSI2SK  string `json:"gsi2sk" dynamodbav:"gsi2sk"`
}

// PayableBalances lists the balances in cur whose payable amount reaches
// minimum, in partner order. It reads the partner list and each partner's
// balance, never the accruals.
func (s *Ledger) PayableBalances(ctx context.Context, cur money.Currency, minimum int64) ([]payout.PayableBalance, error) {
	items, err := s.balancesIn(ctx, cur)
	var out []payout.PayableBalance
	for _, b := range items {
		if b.Payable >= minimum {
			out = append(out, payout.PayableBalance{PartnerID: b.PartnerID, Payable: b.Payable})
		}
	}
	slices.SortFunc(out, func(a, b payout.PayableBalance) int { return strings.Compare(a.PartnerID, b.PartnerID) })
	return out, err
}

// LockBuild takes the build lock unless another owner's lease runs past now.
func (s *Payouts) LockBuild(ctx context.Context, owner string, now, until time.Time) error {
	free := expression.AttributeNotExists(expression.Name("pk")).Or(expression.Name("expires_at").LessThanEqual(expression.Value(now.Unix())))
	expr, err := expression.NewBuilder().WithCondition(free).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: mustMarshal(buildLockItem{buildLockKey, owner, until.Unix()}),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return payout.ErrBuildInProgress
	}
	return err
}

// UnlockBuild deletes the lock if owner holds it; a lock another build took
// after this one's lease lapsed stays.
func (s *Payouts) UnlockBuild(ctx context.Context, owner string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.Table, Key: buildLockKey.av(),
		ConditionExpression: aws.String("#o = :o"), ExpressionAttributeNames: map[string]string{"#o": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":o": &types.AttributeValueMemberS{Value: owner}}})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	return err
}

// PutBatch writes a new batch header with its events. Its "created" audit
// entry follows once the build kept the batch (AppendAudit): audit entries
// are never deleted, and a build with nothing to pay discards its header.
func (s *Payouts) PutBatch(ctx context.Context, b payout.Batch, events ...outbox.Event) error {
	header := batchItem{key: batchKey(b.ID), ID: b.ID, Status: string(b.Status), CreatedBy: b.CreatedBy, CreatedAt: b.CreatedAt, Skipped: b.Skipped,
		GSI1PK: "BATCHES", GSI1SK: sortableTime(b.CreatedAt) + "#" + b.ID}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append([]types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.Table, ConditionExpression: aws.String(notExists), Item: mustMarshal(header)}},
	}, s.eventPuts(events)...)})
	return err
}

// SetSkipped replaces the header's list of partners the batch left out.
func (s *Payouts) SetSkipped(ctx context.Context, batchID string, skipped []payout.Skip) error {
	_, err := s.conditionalUpdate(ctx, batchKey(batchID), expression.Set(expression.Name("skipped"), expression.Value(skipped)),
		expression.AttributeExists(expression.Name("pk")))
	return err
}

// DiscardBatch deletes a draft header PutBatch wrote.
func (s *Payouts) DiscardBatch(ctx context.Context, b payout.Batch) error {
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &s.Table, Key: batchKey(b.ID).av(), ConditionExpression: aws.String("#s = :draft"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":draft": &types.AttributeValueMemberS{Value: string(payout.BatchDraft)}}}},
	}})
	if _, ok := cancelledAt(err); ok || isTransactionConflict(err) {
		return payout.ErrNotDraft
	}
	return err
}

// batchEntry is a step of a batch as an entry of the audit trail.
func batchEntry(ctx context.Context, batchID string, e payout.AuditEntry) audit.Entry {
	return audit.Stamp(ctx, audit.Entry{At: e.At, Action: "batch." + e.Action, Target: "batch:" + batchID, Item: e.ItemID, Reason: e.Reason}, e.By)
}

// putAudit appends a step of a batch to the audit trail, in the
// transaction of the step.
func (s *Payouts) putAudit(ctx context.Context, batchID string, e payout.AuditEntry) types.TransactWriteItem {
	return s.putAuditEntry(batchEntry(ctx, batchID, e))
}

// AppendAudit appends a step of a batch that no transaction carries.
func (s *Payouts) AppendAudit(ctx context.Context, batchID string, e payout.AuditEntry) error {
	return (&Audit{s.table}).Append(ctx, batchEntry(ctx, batchID, e))
}

// earlierAuditItem is a batch's audit entry as releases before the one
// audit trail kept it, under the batch (BATCH#<id> / AUDIT#<at>#...).
type earlierAuditItem struct {
	key
	payout.AuditEntry
}

// Audit lists a batch's steps, oldest first: its entries of the audit
// trail, after those kept under the batch before the trail existed.
func (s *Payouts) Audit(ctx context.Context, batchID string) ([]payout.AuditEntry, error) {
	earlier, err := queryAll(ctx, s.table, lookup{key: expression.Key("pk").Equal(expression.Value("BATCH#" + batchID)).
		And(expression.Key("sk").BeginsWith("AUDIT#"))}, func(it earlierAuditItem) payout.AuditEntry { return it.AuditEntry })
	if err != nil {
		return nil, err
	}
	trail, err := queryAll(ctx, s.table, lookup{key: expression.Key("pk").Equal(expression.Value(auditPrefix + "batch:" + batchID))},
		func(it auditItem) payout.AuditEntry {
			return payout.AuditEntry{At: it.At, By: it.Actor, Action: strings.TrimPrefix(it.Action, "batch."), ItemID: it.Item, Reason: it.Reason}
		})
	return append(earlier, trail...), err
}

// draftCheck makes a transaction depend on the batch still being a draft.
func (s *Payouts) draftCheck(batchID string) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &s.Table, Key: batchKey(batchID).av(),
		ConditionExpression: aws.String("#s = :draft"), ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":draft": &types.AttributeValueMemberS{Value: string(payout.BatchDraft)}}}}
}

// CancelBatch marks a draft batch cancelled with its audit entry.
func (s *Payouts) CancelBatch(ctx context.Context, id string, e payout.AuditEntry) error {
	expr, err := expression.NewBuilder().WithUpdate(expression.Set(expression.Name("status"), expression.Value(payout.BatchCancelled))).
		WithCondition(expression.Name("status").Equal(expression.Value(payout.BatchDraft))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.Table, Key: batchKey(id).av(), UpdateExpression: expr.Update(),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}},
		s.putAudit(ctx, id, e),
	}})
	if _, ok := cancelledAt(err); ok || isTransactionConflict(err) {
		return payout.ErrNotDraft
	}
	return err
}

func toPayoutItem(it payout.Item) payoutItem {
	return payoutItem{key: itemKey(it.BatchID, it.ID), ID: it.ID, BatchID: it.BatchID, PartnerID: it.PartnerID,
		Currency: it.Currency, Amount: it.Amount, Donation: it.Donation, CharityID: it.CharityID, Status: string(it.Status),
		Method: it.Method, Destination: it.Destination, Recipient: it.Recipient,
		PayoutStatus: string(it.PayoutStatus), DonationStatus: string(it.DonationStatus)}
}

// GetBatch reads a batch header and its items with one query.
func (s *Payouts) GetBatch(ctx context.Context, id string) (payout.Batch, error) {
	var b payout.Batch
	found := false
	err := s.query(ctx, lookup{key: expression.Key("pk").Equal(expression.Value("BATCH#" + id))},
		func(item map[string]types.AttributeValue) error {
			sk := item["sk"].(*types.AttributeValueMemberS).Value
			switch {
			case sk == "BATCH":
				var h batchItem
				if err := unmarshal(item, &h); err != nil {
					return err
				}
				found = true
				b.ID, b.Status, b.CreatedBy, b.ApprovedBy, b.CreatedAt, b.ApprovedAt, b.Skipped =
					h.ID, payout.BatchStatus(h.Status), h.CreatedBy, h.ApprovedBy, h.CreatedAt, h.ApprovedAt, h.Skipped
			case strings.HasPrefix(sk, "PLEDGE#"):
				var p pledgeItem
				if err := unmarshal(item, &p); err != nil {
					return err
				}
				b.Pledges = append(b.Pledges, p.Pledge)
			case strings.HasPrefix(sk, "ITEM#"):
				var p payoutItem
				if err := unmarshal(item, &p); err != nil {
					return err
				}
				b.Items = append(b.Items, p.item())
			}
			return nil
		})
	if err != nil {
		return payout.Batch{}, err
	}
	if !found {
		return payout.Batch{}, payout.ErrNotFound
	}
	return b, nil
}

func (p payoutItem) item() payout.Item {
	return payout.Item{ID: p.ID, BatchID: p.BatchID, PartnerID: p.PartnerID, Currency: p.Currency,
		Amount: p.Amount, Donation: p.Donation, CharityID: p.CharityID, Status: payout.ItemStatus(p.Status), Reason: p.Reason, QueuedAt: p.QueuedAt, Method: p.Method, Destination: p.Destination, Recipient: p.Recipient,
		PayoutStatus: payout.LegStatus(p.PayoutStatus), DonationStatus: payout.LegStatus(p.DonationStatus)}
}

// ApproveBatch marks the batch approved and writes its outbox row in one
// transaction, so an approved batch is always dispatched and a draft never is.
func (s *Payouts) ApproveBatch(ctx context.Context, id, approver string, at time.Time) error {
	upd := expression.Set(expression.Name("status"), expression.Value(payout.BatchApproved)).
		Set(expression.Name("approved_by"), expression.Value(approver)).
		Set(expression.Name("approved_at"), expression.Value(at))
	cond := expression.Name("status").Equal(expression.Value(payout.BatchDraft)).
		And(expression.Name("created_by").NotEqual(expression.Value(approver)))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.Table, Key: batchKey(id).av(), UpdateExpression: expr.Update(),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}},
		{Put: &types.Put{TableName: &s.Table, ConditionExpression: aws.String(notExists),
			Item: mustMarshal(outboxItem{key: outboxKey(id), BatchID: id, GSI2PK: "OUTBOX", GSI2SK: sortableTime(at) + "#" + id})}},
		s.putAudit(ctx, id, payout.AuditEntry{At: at, By: approver, Action: "approved"}),
	}})
	if _, ok := cancelledAt(err); ok || isTransactionConflict(err) {
		return payout.ErrNotDraft
	}
	return err
}

// PendingDispatches lists batches whose outbox row is still open, oldest first.
func (s *Payouts) PendingDispatches(ctx context.Context) ([]payout.OpenOutbox, error) {
	return queryAll(ctx, s.table, lookup{index: "gsi2", key: expression.Key("gsi2pk").Equal(expression.Value("OUTBOX"))},
		func(o outboxItem) payout.OpenOutbox {
			at, _ := time.Parse("2006-01-02T15:04:05.000000000Z", strings.SplitN(o.GSI2SK, "#", 2)[0])
			return payout.OpenOutbox{BatchID: o.BatchID, ApprovedAt: at}
		})
}

// conditionalUpdate runs an update whose failed condition means "already done".
func (s *Payouts) conditionalUpdate(ctx context.Context, k key, upd expression.UpdateBuilder, cond expression.ConditionBuilder) (bool, error) {
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return false, err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: k.av(), UpdateExpression: expr.Update(),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	return err == nil, err
}

// MarkQueued records when an item's messages were (re)sent; an item a
// worker already settled keeps its status.
func (s *Payouts) MarkQueued(ctx context.Context, it payout.Item, at time.Time) error {
	_, err := s.conditionalUpdate(ctx, itemKey(it.BatchID, it.ID),
		expression.Set(expression.Name("status"), expression.Value(payout.ItemQueued)).Set(expression.Name("queued_at"), expression.Value(at)),
		expression.Name("status").In(expression.Value(payout.ItemDraft), expression.Value(payout.ItemQueued)))
	return err
}

// ClearDispatch closes the batch's outbox row once every item is queued.
func (s *Payouts) ClearDispatch(ctx context.Context, batchID string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.Table, Key: outboxKey(batchID).av()})
	return err
}

func legAttr(l payout.Leg) string { return string(l) + "_status" }

// GetItem reads one item of a batch.
func (s *Payouts) GetItem(ctx context.Context, batchID, itemID string) (payout.Item, error) {
	var it payoutItem
	if err := s.getExisting(ctx, itemKey(batchID, itemID), &it, payout.ErrItemNotFound); err != nil {
		return payout.Item{}, err
	}
	return it.item(), nil
}

// CommitMove writes one step of a batch in one transaction: the item, the
// partner's balance, the audit entry and a settled leg's payment records.
// A failed condition (the item, the balance or the batch changed since the
// move was computed) is payout.ErrConflict.
func (s *Payouts) CommitMove(ctx context.Context, mv payout.Move) error {
	it := mv.Item
	var items []types.TransactWriteItem
	if mv.Was == nil {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(toPayoutItem(it)), ConditionExpression: aws.String(notExists)}})
	} else {
		upd := expression.Set(expression.Name("status"), expression.Value(it.Status)).
			Set(expression.Name(legAttr(payout.LegPayout)), expression.Value(it.PayoutStatus)).
			Set(expression.Name(legAttr(payout.LegDonation)), expression.Value(it.DonationStatus))
		if it.Reason != "" {
			upd = upd.Set(expression.Name("reason"), expression.Value(it.Reason))
		}
		if p := mv.Settled; p != nil {
			upd = upd.Set(expression.Name(string(p.Leg)+"_reference"), expression.Value(p.Reference)).
				Set(expression.Name(string(p.Leg)+"_paid_at"), expression.Value(p.At))
		}
		was := mv.Was
		unchanged := expression.Name("status").Equal(expression.Value(was.Status)).
			And(expression.Name(legAttr(payout.LegPayout)).Equal(expression.Value(was.PayoutStatus))).
			And(expression.Name(legAttr(payout.LegDonation)).Equal(expression.Value(was.DonationStatus))).
			And(expression.Name("partner_id").Equal(expression.Value(was.PartnerID)))
		expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(unchanged).Build()
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: &s.Table, Key: itemKey(it.BatchID, it.ID).av(), UpdateExpression: expr.Update(),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}})
	}
	var payableWas *expression.ConditionBuilder
	if mv.PayableWas != nil {
		c := expression.Name("payable").Equal(expression.Value(*mv.PayableWas))
		payableWas = &c
	}
	items = append(items, s.balanceUpdate(it.PartnerID, it.Currency, mv.Balance, payableWas))
	if mv.BatchDraft {
		items = append(items, s.draftCheck(it.BatchID))
	}
	if mv.Settled != nil {
		items = append(items, s.filePayment(*mv.Settled)...)
	}
	if mv.Audit != nil {
		items = append(items, s.putAudit(ctx, it.BatchID, *mv.Audit))
	}
	items = append(items, s.eventPuts(mv.Events)...)
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if _, ok := cancelledAt(err); ok || isTransactionConflict(err) {
		return payout.ErrConflict
	}
	return err
}

// Settled legs are also filed by month (PAYMENTS#<month>), so reports of
// what was paid in a period read that period only.
type paymentItem struct {
	key
	payout.Payment
}

// filePayment files a settled leg by month, and a donation also under its
// partner, for the statement.
func (s *table) filePayment(p payout.Payment) []types.TransactWriteItem {
	filed := paymentItem{key: key{"PAYMENTS#" + p.At.UTC().Format("2006-01"), sortableTime(p.At) + "#" + p.ItemID + ":" + string(p.Leg)}, Payment: p}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(filed)}}}
	if p.Leg == payout.LegDonation {
		items = append(items, s.partnerDonation(p))
	}
	return items
}

// Payments lists the legs settled in the given months.
func (s *Payouts) Payments(ctx context.Context, months []string) ([]payout.Payment, error) {
	var out []payout.Payment
	for _, m := range months {
		page, err := queryAll(ctx, s.table, lookup{key: expression.Key("pk").Equal(expression.Value("PAYMENTS#" + m))},
			func(it paymentItem) payout.Payment { return it.Payment })
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
	}
	return out, nil
}

// CurrencyBalances lists every partner's balance in a currency.
func (s *Ledger) CurrencyBalances(ctx context.Context, cur money.Currency) (map[string]ledger.Balance, error) {
	items, err := s.balancesIn(ctx, cur)
	out := make(map[string]ledger.Balance, len(items))
	for _, b := range items {
		out[b.PartnerID] = b.balance()
	}
	return out, err
}

// BatchIDs lists a page of batch ids, newest first.
func (s *Payouts) BatchIDs(ctx context.Context, limit int32, cursor string) ([]string, string, error) {
	return queryPage(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("BATCHES")), newestSort: true},
		limit, cursor, func(h batchItem) string { return h.ID })
}
