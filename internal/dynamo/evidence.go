package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/evidence"
	"github.com/partnerloop/partnerloop/internal/fraud"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/partner"
)

// A customer's evidence is one item per customer key (e-mail hash, customer
// id): each touch is an attribute "t:<ref>", and the purchase fingerprints
// claimed under the e-mail on one day are a map "fps" with that day in
// "fp_day". So an order reads its customer's evidence with a GetItem per
// key, in the same BatchGetItem as its codes and its own record.
const (
	evidenceSortKey = "EVIDENCE"
	touchPrefix     = "t:"
	fingerprints    = "fps"
	fingerprintOn   = "fp_day"
)

func evidenceKeys(emailHash, customerID string) []key {
	var ks []key
	if emailHash != "" {
		ks = append(ks, key{"TOUCH#EMAIL#" + emailHash, evidenceSortKey})
	}
	if customerID != "" {
		ks = append(ks, key{"TOUCH#CUSTOMER#" + customerID, evidenceSortKey})
	}
	return ks
}

// codeItem resolves a referral code or coupon to its partner, as
// attribution needs it.
type codeItem struct {
	key
	partner.Referrer
}

// ReferrerByCode resolves a normalised referral code or coupon.
func (s *Partners) ReferrerByCode(ctx context.Context, code string) (partner.Referrer, error) {
	var c codeItem
	if err := s.getExisting(ctx, codeKey(code), &c, partner.ErrNotFound); err != nil {
		return partner.Referrer{}, err
	}
	return s.complete(ctx, c.Referrer)
}

// complete reads the partner of a code item written before code items
// carried it.
func (s *table) complete(ctx context.Context, r partner.Referrer) (partner.Referrer, error) {
	if r.Status != "" {
		return r, nil
	}
	var it partnerItem
	if err := s.getExisting(ctx, partnerKey(r.ID), &it, partner.ErrNotFound); err != nil {
		return partner.Referrer{}, err
	}
	return it.Partner.Referrer(), nil
}

// PutTouch adds the touch under each customer key it has; a touch with the
// same ref keeps its first time.
func (s *Partners) PutTouch(ctx context.Context, t evidence.Touch) error {
	upd := addTouch(t).Set(expression.Name("expires_at"), expression.Value(t.At.Add(evidence.Retention).Unix()))
	expr, err := expression.NewBuilder().WithUpdate(upd).Build()
	if err != nil {
		return err
	}
	for _, k := range evidenceKeys(t.EmailHash, t.CustomerID) {
		if _, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: k.av(), UpdateExpression: expr.Update(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}); err != nil {
			return err
		}
	}
	return nil
}

// addTouch adds the touch to an evidence item that does not hold its ref.
func addTouch(t evidence.Touch) expression.UpdateBuilder {
	name := expression.Name(touchPrefix + t.Ref)
	return expression.Set(name, expression.IfNotExists(name, expression.Value(t)))
}

// MigrateTouches moves the touches earlier releases kept one item per touch
// (TOUCH#<customer key> / <ref>) into their customer key's evidence item,
// which is all the order path reads. It scans the table once; each touch
// moves in one transaction (added unless the item holds its ref, the old
// item deleted), so a run that stops can run again. It returns how many
// touches moved.
func (s *Partners) MigrateTouches(ctx context.Context) (int, error) {
	filter := expression.Name("pk").BeginsWith("TOUCH#").And(expression.Name("sk").NotEqual(expression.Value(evidenceSortKey)))
	expr, err := expression.NewBuilder().WithFilter(filter).Build()
	if err != nil {
		return 0, err
	}
	moved := 0
	pages := dynamodb.NewScanPaginator(s.DB, &dynamodb.ScanInput{TableName: &s.Table, FilterExpression: expr.Filter(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return moved, err
		}
		for _, item := range page.Items {
			var old struct {
				key
				evidence.Touch
				ExpiresAt int64 `dynamodbav:"expires_at"`
			}
			if err := unmarshal(item, &old); err != nil {
				return moved, fmt.Errorf("touch %s/%s: %w", old.PK, old.SK, err)
			}
			// The evidence item keeps its own expiry: it was renewed later.
			upd := addTouch(old.Touch).Set(expression.Name("expires_at"), expression.IfNotExists(expression.Name("expires_at"), expression.Value(old.ExpiresAt)))
			if _, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				s.update(key{old.PK, evidenceSortKey}, upd, nil),
				{Delete: &types.Delete{TableName: &s.Table, Key: old.key.av()}},
			}}); err != nil {
				return moved, fmt.Errorf("move touch %s/%s: %w", old.PK, old.SK, err)
			}
			moved++
		}
	}
	return moved, nil
}

// Evidence reads what is kept for q (the order path reads it with the
// order, in ReadOrder).
func (s *Partners) Evidence(ctx context.Context, q evidence.Query) (evidence.Found, error) {
	return s.readEvidence(ctx, q, true, nil, nil)
}

// ReadOrder reads the order record and, when q is set, its evidence in one
// BatchGetItem.
func (s *Ledger) ReadOrder(ctx context.Context, source, orderID string, q *evidence.Query, consistent bool) (ledger.OrderRecord, evidence.Found, error) {
	if q == nil {
		var it orderItem
		_, err := s.read(ctx, orderKey(source, orderID), consistent, &it)
		return it.record(), evidence.Found{}, err
	}
	var rec ledger.OrderRecord
	ok := orderKey(source, orderID)
	found, err := s.readEvidence(ctx, *q, consistent, []key{ok}, func(item map[string]types.AttributeValue) error {
		var it orderItem
		err := unmarshal(item, &it)
		rec = it.record()
		return err
	})
	return rec, found, err
}

// readEvidence reads q's codes and evidence items, and extra keys (handed
// to onExtra), in one BatchGetItem.
func (s *table) readEvidence(ctx context.Context, q evidence.Query, consistent bool, extra []key, onExtra func(map[string]types.AttributeValue) error) (evidence.Found, error) {
	found := evidence.Found{Referrers: map[string]partner.Referrer{}}
	keys := append([]key{}, extra...)
	for _, c := range q.Codes {
		keys = append(keys, codeKey(c))
	}
	keys = append(keys, evidenceKeys(q.EmailHash, q.CustomerID)...)
	if c := q.Click; c != nil {
		keys = append(keys, clickCounterKey(c.PartnerID, c.Source, c.Hour))
	}
	seen := map[string]bool{}
	err := s.batchRead(ctx, keys, consistent, func(item map[string]types.AttributeValue) error {
		pk := item["pk"].(*types.AttributeValueMemberS).Value
		switch {
		case strings.HasPrefix(pk, "CODE#"):
			var c codeItem
			if err := unmarshal(item, &c); err != nil {
				return err
			}
			r, err := s.complete(ctx, c.Referrer)
			if errors.Is(err, partner.ErrNotFound) {
				return nil
			}
			found.Referrers[strings.TrimPrefix(pk, "CODE#")] = r
			return err
		case strings.HasPrefix(pk, "TOUCH#"):
			return addEvidence(&found, item, seen)
		case strings.HasPrefix(pk, "CLICKS#"):
			var c fraud.Click
			if err := unmarshal(item, &c); err != nil {
				return err
			}
			c.PartnerID = q.Click.PartnerID
			found.Click = &c
			return nil
		}
		return onExtra(item)
	})
	return found, err
}

// addEvidence adds an evidence item's touches (once per ref) and
// fingerprints to found.
func addEvidence(found *evidence.Found, item map[string]types.AttributeValue, seen map[string]bool) error {
	for name, v := range item {
		if !strings.HasPrefix(name, touchPrefix) || seen[name] {
			continue
		}
		seen[name] = true
		var t evidence.Touch
		if err := unmarshalValue(v, &t); err != nil {
			return fmt.Errorf("touch %s: %w", name, err)
		}
		found.Touches = append(found.Touches, t)
	}
	if day, ok := item[fingerprintOn].(*types.AttributeValueMemberS); ok {
		found.PurchaseDay = day.Value
		return unmarshalValue(item[fingerprints], &found.Purchases)
	}
	return nil
}

// evidenceWrites are the transaction items of an order's evidence write:
// an update per customer key, and a check that a touch's partner snapshot
// is still its code's.
func (s *table) evidenceWrites(w evidence.Write, now time.Time) []types.TransactWriteItem {
	var items []types.TransactWriteItem
	for i, k := range evidenceKeys(w.EmailHash, w.CustomerID) {
		byEmail := i == 0 && w.EmailHash != ""
		if w.Touch == nil && (!byEmail || w.Claim == nil) {
			continue
		}
		upd := expression.Set(expression.Name("expires_at"), expression.Value(now.Add(evidence.Retention).Unix()))
		if w.Touch != nil {
			upd = upd.Set(expression.Name(touchPrefix+w.Touch.Ref), expression.Value(*w.Touch))
		}
		for _, ref := range w.Expired {
			upd = upd.Remove(expression.Name(touchPrefix + ref))
		}
		var cond *expression.ConditionBuilder
		if byEmail && w.Claim != nil {
			upd, cond = claimFingerprint(upd, *w.Claim)
		}
		items = append(items, s.update(k, upd, cond))
	}
	if r := w.Referrer; r != nil {
		cond := expression.Name("partner_id").Equal(expression.Value(r.ID)).
			And(expression.Name("tier").Equal(expression.Value(r.Tier))).
			And(expression.Name("status").Equal(expression.Value(r.Status))).
			And(inGroup(*r))
		expr, err := expression.NewBuilder().WithCondition(cond).Build()
		if err != nil {
			panic(fmt.Sprintf("dynamo: condition: %v", err)) // built from our own names only
		}
		items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &s.Table, Key: codeKey(r.ReferralCode).av(),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}})
	}
	return items
}

// claimFingerprint takes the fingerprint for the claim's order unless
// another order holds it: on a new day the day's map replaces the last
// one's, else the fingerprint joins the day's map.
func claimFingerprint(upd expression.UpdateBuilder, c evidence.Claim) (expression.UpdateBuilder, *expression.ConditionBuilder) {
	day := expression.Name(fingerprintOn)
	if c.NewDay {
		cond := expression.Or(expression.AttributeNotExists(day), expression.Name(fingerprintOn).NotEqual(expression.Value(c.Day)))
		return upd.Set(day, expression.Value(c.Day)).
			Set(expression.Name(fingerprints), expression.Value(map[string]evidence.Purchase{c.Fingerprint: c.Purchase})), &cond
	}
	fp := expression.Name(fingerprints + "." + c.Fingerprint)
	cond := expression.Name(fingerprintOn).Equal(expression.Value(c.Day)).And(expression.Or(expression.AttributeNotExists(fp),
		expression.Name(fingerprints+"."+c.Fingerprint+".source").Equal(expression.Value(c.Purchase.Source)).
			And(expression.Name(fingerprints+"."+c.Fingerprint+".order_id").Equal(expression.Value(c.Purchase.OrderID)))))
	return upd.Set(fp, expression.Value(c.Purchase)), &cond
}

func unmarshalValue(v types.AttributeValue, out any) error { return attributevalue.Unmarshal(v, out) }
