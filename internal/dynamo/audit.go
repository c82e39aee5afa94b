package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/audit"
	"github.com/partnerloop/partnerloop/internal/page"
)

// Audit stores the audit trail. An entry is one item under its target,
// AUDIT#<target> / <at>#<id>, so a target's history (a batch's, shown as
// its audit) is one strongly consistent query. Two sparse index entries
// find the rest: gsi1 AUDITDAY#<day> lists a day's entries (the trail is
// read day by day, newest first), gsi2 AUDITBY#<actor> one person's. No
// function may update or delete an AUDIT# item (the stack denies it);
// entries leave only by the stage's retention (expires_at).
type Audit struct{ *table }

// auditPrefix begins every audit item's partition key; the stack's deny
// statements name it.
const auditPrefix = "AUDIT#"

type auditItem struct {
	key
	audit.Entry
	GSI1PK    string `dynamodbav:"gsi1pk"`
	GSI1SK    string `dynamodbav:"gsi1sk"`
	GSI2PK    string `dynamodbav:"gsi2pk"`
	GSI2SK    string `dynamodbav:"gsi2sk"`
	ExpiresAt int64  `dynamodbav:"expires_at,omitempty"`
}

// KeepAuditFor sets how long audit entries are kept; zero keeps them.
func (a Adapters) KeepAuditFor(d time.Duration) { a.Audit.auditRetention = d }

func (s *table) auditItem(e audit.Entry) auditItem {
	at := sortableTime(e.At) + "#" + e.ID
	it := auditItem{key: key{auditPrefix + e.Target, at}, Entry: e,
		GSI1PK: "AUDITDAY#" + e.At.UTC().Format(time.DateOnly), GSI1SK: at, GSI2PK: "AUDITBY#" + e.Actor, GSI2SK: at}
	if s.auditRetention > 0 {
		it.ExpiresAt = e.At.Add(s.auditRetention).Unix()
	}
	return it
}

// putAuditEntry is the entry as part of the transaction of its change.
func (s *table) putAuditEntry(e audit.Entry) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(s.auditItem(e)), ConditionExpression: aws.String(notExists)}}
}

// Append writes an entry; one already written (the same change recorded
// again) is left as it is.
func (s *Audit) Append(ctx context.Context, e audit.Entry) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: mustMarshal(s.auditItem(e)), ConditionExpression: aws.String(notExists)})
	if ccf := (*types.ConditionalCheckFailedException)(nil); errors.As(err, &ccf) {
		return nil
	}
	return err
}

// auditCursor is where the next page starts: after the last entry shown
// (its keys), or at the start of a day.
type auditCursor struct {
	Day string            `json:"d,omitempty"`
	Key map[string]string `json:"k,omitempty"`
}

// Find reads up to q.Limit entries, newest first: a target's from the
// table, an actor's from gsi2, otherwise each day's from gsi1, from q.To's
// day back to q.From's.
func (s *Audit) Find(ctx context.Context, q audit.Query) ([]audit.Entry, string, error) {
	var cur auditCursor
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || json.Unmarshal(raw, &cur) != nil || (cur.Day == "" && len(cur.Key) == 0) {
			return nil, "", page.ErrBadCursor
		}
	}
	from, to := sortableTime(q.From), sortableTime(q.To)+"~"
	var filter *expression.ConditionBuilder
	narrow := func(name, v string) {
		if v == "" {
			return
		}
		c := expression.Name(name).Equal(expression.Value(v))
		if filter != nil {
			c = filter.And(c)
		}
		filter = &c
	}
	narrow("action", q.Action)
	switch {
	case q.Target != "":
		narrow("actor", q.Actor)
		return s.findIn(ctx, "", "pk", "sk", auditPrefix+q.Target, from, to, filter, q.Limit, cur.Key, "")
	case q.Actor != "":
		return s.findIn(ctx, "gsi2", "gsi2pk", "gsi2sk", "AUDITBY#"+q.Actor, from, to, filter, q.Limit, cur.Key, "")
	}
	var out []audit.Entry
	day := q.To.UTC().Truncate(24 * time.Hour)
	if cur.Day != "" {
		d, err := time.Parse(time.DateOnly, cur.Day)
		if err != nil {
			return nil, "", page.ErrBadCursor
		}
		day = d
	}
	start := cur.Key
	for ; !day.Before(q.From.UTC().Truncate(24 * time.Hour)); day = day.AddDate(0, 0, -1) {
		found, next, err := s.findIn(ctx, "gsi1", "gsi1pk", "gsi1sk", "AUDITDAY#"+day.Format(time.DateOnly), from, to, filter,
			q.Limit-int32(len(out)), start, day.Format(time.DateOnly))
		if err != nil {
			return nil, "", err
		}
		out, start = append(out, found...), nil
		if next != "" {
			return out, next, nil
		}
		if int32(len(out)) == q.Limit && !day.Equal(q.From.UTC().Truncate(24*time.Hour)) {
			return out, encodeAuditCursor(auditCursor{Day: day.AddDate(0, 0, -1).Format(time.DateOnly)}), nil
		}
	}
	return out, "", nil
}

// findIn queries one partition of the table or an index between two sort
// keys, newest first, until limit entries pass the filter; the cursor it
// answers resumes after the last one (in the same day, if day is set).
func (s *Audit) findIn(ctx context.Context, index, pkName, skName, pk, from, to string, filter *expression.ConditionBuilder,
	limit int32, start map[string]string, day string) ([]audit.Entry, string, error) {
	b := expression.NewBuilder().WithKeyCondition(expression.Key(pkName).Equal(expression.Value(pk)).And(expression.Key(skName).Between(expression.Value(from), expression.Value(to))))
	if filter != nil {
		b = b.WithFilter(*filter)
	}
	expr, err := b.Build()
	if err != nil {
		return nil, "", err
	}
	in := &dynamodb.QueryInput{TableName: &s.Table, KeyConditionExpression: expr.KeyCondition(), FilterExpression: expr.Filter(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(false), Limit: aws.Int32(limit)}
	if index != "" {
		in.IndexName = aws.String(index)
	} else {
		in.ConsistentRead = aws.Bool(true)
	}
	if len(start) > 0 {
		in.ExclusiveStartKey = map[string]types.AttributeValue{}
		for k, v := range start {
			in.ExclusiveStartKey[k] = &types.AttributeValueMemberS{Value: v}
		}
	}
	var out []audit.Entry
	for {
		res, err := s.DB.Query(ctx, in)
		if err != nil {
			return nil, "", err
		}
		for _, item := range res.Items {
			var it auditItem
			if err := unmarshal(item, &it); err != nil {
				return nil, "", err
			}
			out = append(out, it.Entry)
			if int32(len(out)) == limit {
				// Every index sorts by <at>#<id>, as the table does.
				last := map[string]string{"pk": it.PK, "sk": it.SK, pkName: pk, skName: it.SK}
				return out, encodeAuditCursor(auditCursor{Day: day, Key: last}), nil
			}
		}
		if len(res.LastEvaluatedKey) == 0 {
			return out, "", nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

func encodeAuditCursor(c auditCursor) string {
	raw, _ := json.Marshal(c) // strings only
	return base64.RawURLEncoding.EncodeToString(raw)
}
