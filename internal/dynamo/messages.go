package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/messages"
	"github.com/partnerloop/partnerloop/internal/page"
	"github.com/partnerloop/partnerloop/internal/partner"
)

// Messages stores broadcasts, their fan-out, inboxes and replies:
//
//	broadcast      MESSAGE#<id>         MESSAGE         gsi1 MESSAGES / <created at>#<id>
//	                                                    gsi2 MESSAGES#DUE / <send at>#<id>  until its first page is queued
//	fan-out page   MESSAGE#<id>         PAGE#<page>     (expires)
//	reply          MESSAGE#<id>         REPLY#<at>#<reply>
//	to all         BROADCASTS           <send at>#<id>
//	inbox entry    PARTNER#<partner>    INBOX#<send at>#<id>
//	inbox counts   PARTNER#<partner>    INBOX           (entries, reads)
//	read mark      PARTNER#<partner>    READ#<id>
//
// A broadcast to all partners is one BROADCASTS item that every inbox
// read merges with the partner's own entries, instead of a million
// entries: sending it writes nothing per partner but the page counts,
// and each inbox read costs one more query of a partition holding one
// small item per such broadcast (a few reads a second per thousand
// partners reading, far under a partition's 3,000). A targeted broadcast
// writes an entry and a count per recipient, in its page's transaction.
type Messages struct{ *table }

const (
	messagesListKey = "MESSAGES"
	messagesDueKey  = "MESSAGES#DUE"
	toAllKey        = "BROADCASTS"
	// pageRetention outlives any redelivery of a page (SQS keeps a
	// message at most 14 days).
	pageRetention = 30 * 24 * time.Hour
)

func messageKey(id string) key { return key{"MESSAGE#" + id, "MESSAGE"} }
func messageSortKey(at time.Time, id string) string {
	return sortableTime(at) + "#" + id
}
func inboxEntryKey(partnerID string, at time.Time, id string) key {
	return key{"PARTNER#" + partnerID, "INBOX#" + messageSortKey(at, id)}
}
func inboxCountsKey(partnerID string) key  { return key{"PARTNER#" + partnerID, "INBOX"} }
func readMarkKey(partnerID, id string) key { return key{"PARTNER#" + partnerID, "READ#" + id} }

type messageItem struct {
	key
	messages.Message
	GSI1PK string `dynamodbav:"gsi1pk"`
	GSI1SK string `dynamodbav:"gsi1sk"`
	GSI2PK string `dynamodbav:"gsi2pk,omitempty"`
	GSI2SK string `dynamodbav:"gsi2sk,omitempty"`
}

type inboxEntryItem struct {
	key
	MessageID string    `dynamodbav:"message_id"`
	At        time.Time `dynamodbav:"at"`
}

type inboxCountsItem struct {
	key
	Entries int64 `dynamodbav:"entries"`
	Reads   int64 `dynamodbav:"reads"`
}

type readMarkItem struct {
	key
	MessageID string    `dynamodbav:"message_id"`
	At        time.Time `dynamodbav:"at"`
}

type replyItem struct {
	key
	messages.Reply
}

// CreateMessage writes a new broadcast, due at its send time.
func (s *Messages) CreateMessage(ctx context.Context, m messages.Message) error {
	put := s.newMessage(m)
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression})
	return err
}

// newMessage puts a new broadcast, listed and due at its send time (a
// challenge's start notice is written in its challenge's transaction).
func (s *table) newMessage(m messages.Message) *types.Put {
	it := messageItem{key: messageKey(m.ID), Message: m, GSI1PK: messagesListKey, GSI1SK: messageSortKey(m.CreatedAt, m.ID),
		GSI2PK: messagesDueKey, GSI2SK: messageSortKey(m.SendAt, m.ID)}
	return &types.Put{TableName: &s.Table, Item: mustMarshal(it), ConditionExpression: aws.String(notExists)}
}

// GetMessage reads a broadcast.
func (s *Messages) GetMessage(ctx context.Context, id string) (messages.Message, error) {
	var it messageItem
	found, err := s.get(ctx, messageKey(id), &it)
	if err == nil && !found {
		err = messages.ErrNotFound
	}
	return it.Message, err
}

// GetMessages reads broadcasts by id; unknown ids are left out.
func (s *Messages) GetMessages(ctx context.Context, ids []string) (map[string]messages.Message, error) {
	keys := make([]key, 0, len(ids))
	for _, id := range ids {
		if k := messageKey(id); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	out := map[string]messages.Message{}
	err := s.batchRead(ctx, keys, false, func(item map[string]types.AttributeValue) error {
		var it messageItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		out[it.ID] = it.Message
		return nil
	})
	return out, err
}

// MessagesPage lists broadcasts, newest first.
func (s *Messages) MessagesPage(ctx context.Context, limit int32, cursor string) ([]messages.Message, string, error) {
	return queryPage(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value(messagesListKey)), newestSort: true},
		limit, cursor, func(it messageItem) messages.Message { return it.Message })
}

// MissingPartners returns the ids that name no partner, in their order.
func (s *Messages) MissingPartners(ctx context.Context, ids []string) ([]string, error) {
	keys := make([]key, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, partnerKey(id))
	}
	found := map[string]bool{}
	err := s.batchRead(ctx, keys, false, func(item map[string]types.AttributeValue) error {
		var it key
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		found[strings.TrimPrefix(it.PK, "PARTNER#")] = true
		return nil
	})
	var missing []string
	for _, id := range ids {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	return missing, err
}

// DueMessages lists the broadcasts due by now whose first page waits.
func (s *Messages) DueMessages(ctx context.Context, now time.Time) ([]messages.Message, error) {
	return queryAll(ctx, s.table, lookup{index: "gsi2", key: expression.Key("gsi2pk").Equal(expression.Value(messagesDueKey)).
		And(expression.Key("gsi2sk").LessThanEqual(expression.Value(messageSortKey(now, "~"))))},
		func(it messageItem) messages.Message { return it.Message })
}

// StartMessage moves a scheduled broadcast to sending and, if it goes to
// all partners, puts it in every inbox by its one BROADCASTS item. A
// broadcast started before is left as it is.
func (s *Messages) StartMessage(ctx context.Context, m messages.Message) error {
	scheduled := expression.Name("status").Equal(expression.Value(messages.StatusScheduled))
	items := []types.TransactWriteItem{s.update(messageKey(m.ID), expression.Set(expression.Name("status"), expression.Value(messages.StatusSending)), &scheduled)}
	if m.Audience.All {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table,
			Item: mustMarshal(inboxEntryItem{key: key{toAllKey, messageSortKey(m.SendAt, m.ID)}, MessageID: m.ID, At: m.SendAt})}})
	}
	errStarted := errors.New("started before")
	if err := s.transact(ctx, items, map[int]error{0: errStarted}); !errors.Is(err, errStarted) {
		return err
	}
	return nil
}

// Queued takes a broadcast off the due list.
func (s *Messages) Queued(ctx context.Context, id string) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: messageKey(id).av(),
		UpdateExpression: aws.String("REMOVE gsi2pk, gsi2sk")})
	return err
}

// Shards counts the keys the partner list is read under: the unsharded
// one and every shard.
func (s *Messages) Shards() int { return len(shardKeys(partnersBase)) }

// PartnersPage reads a page of one key of the partner list, in id order.
func (s *Messages) PartnersPage(ctx context.Context, shard int, after string, limit int32) ([]partner.Partner, bool, error) {
	cond := expression.Key("gsi1pk").Equal(expression.Value(shardKeys(partnersBase)[shard]))
	if after != "" {
		cond = cond.And(expression.Key("gsi1sk").GreaterThan(expression.Value(after)))
	}
	expr, err := expression.NewBuilder().WithKeyCondition(cond).Build()
	if err != nil {
		return nil, false, err
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: &s.Table, IndexName: aws.String("gsi1"), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), Limit: aws.Int32(limit)})
	if err != nil {
		return nil, false, err
	}
	ps := make([]partner.Partner, 0, len(out.Items))
	for _, item := range out.Items {
		var it partnerItem
		if err := unmarshal(item, &it); err != nil {
			return nil, false, err
		}
		ps = append(ps, it.Partner)
	}
	return ps, len(out.LastEvaluatedKey) > 0 && len(ps) > 0, nil
}

// GetPartner reads a partner.
func (s *Messages) GetPartner(ctx context.Context, id string) (partner.Partner, error) {
	return (&Partners{s.table}).GetPartner(ctx, id)
}

func pageKey(messageID, page string) key { return key{"MESSAGE#" + messageID, "PAGE#" + page} }

// PageDone reports whether a page was committed.
func (s *Messages) PageDone(ctx context.Context, messageID, page string) (bool, error) {
	var it key
	return s.get(ctx, pageKey(messageID, page), &it)
}

// CommitPage records a page once: its marker, the broadcast's counts (and
// its end, on the last page), and an inbox entry and count per recipient.
func (s *Messages) CommitPage(ctx context.Context, m messages.Message, page string, c messages.PageCommit) error {
	marker := map[string]any{"pk": "MESSAGE#" + m.ID, "sk": "PAGE#" + page, "expires_at": c.At.Add(pageRetention).Unix()}
	upd := expression.Add(expression.Name("recipients"), expression.Value(c.Recipients)).
		Add(expression.Name("sent"), expression.Value(c.Sent)).
		Add(expression.Name("suppressed"), expression.Value(c.Suppressed)).
		Add(expression.Name("failed"), expression.Value(c.Failed))
	if c.Last {
		upd = upd.Set(expression.Name("status"), expression.Value(messages.StatusSent)).Set(expression.Name("finished_at"), expression.Value(c.At))
	}
	exists := expression.AttributeExists(expression.Name("pk"))
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(marker), ConditionExpression: aws.String(notExists)}},
		s.update(messageKey(m.ID), upd, &exists),
	}
	for _, id := range c.Inboxes {
		items = append(items,
			types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(inboxEntryItem{key: inboxEntryKey(id, m.SendAt, m.ID), MessageID: m.ID, At: m.SendAt})}},
			s.update(inboxCountsKey(id), expression.Add(expression.Name("entries"), expression.Value(1)), nil))
	}
	return s.transact(ctx, items, map[int]error{0: messages.ErrPageDone})
}

// InboxPage merges a partner's entries with the broadcasts to all since
// it joined, newest first; the cursor is the last sort key shown.
func (s *Messages) InboxPage(ctx context.Context, partnerID string, joined time.Time, limit int32, cursor string) ([]messages.InboxEntry, string, error) {
	before := "~" // after every sort key
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		var c shardCursor
		if err != nil || json.Unmarshal(raw, &c) != nil || c.After == "" {
			return nil, "", page.ErrBadCursor
		}
		before = c.After
	}
	own := expression.Key("pk").Equal(expression.Value("PARTNER#" + partnerID)).
		And(expression.Key("sk").Between(expression.Value("INBOX#"), expression.Value("INBOX#"+before)))
	toAll := expression.Key("pk").Equal(expression.Value(toAllKey)).
		And(expression.Key("sk").Between(expression.Value(sortableTime(joined)), expression.Value(before)))
	type found struct {
		sortKey string
		entry   messages.InboxEntry
	}
	var all []found
	more := false
	for _, l := range []lookup{{key: own, newestSort: true}, {key: toAll, newestSort: true}} {
		items, next, err := queryPage(ctx, s.table, l, limit+1, "", func(it inboxEntryItem) found {
			return found{strings.TrimPrefix(it.SK, "INBOX#"), messages.InboxEntry{MessageID: it.MessageID, At: it.At}}
		})
		if err != nil {
			return nil, "", err
		}
		all = append(all, items...)
		more = more || next != ""
	}
	slices.SortFunc(all, func(a, b found) int { return strings.Compare(b.sortKey, a.sortKey) })
	// The upper bound of Between is inclusive: the last one shown is left out.
	all = slices.DeleteFunc(all, func(f found) bool { return f.sortKey == before })
	if len(all) > int(limit) {
		all, more = all[:limit], true
	}
	out := make([]messages.InboxEntry, 0, len(all))
	for _, f := range all {
		out = append(out, f.entry)
	}
	if !more || len(all) == 0 {
		return out, "", nil
	}
	raw, _ := json.Marshal(shardCursor{After: all[len(all)-1].sortKey}) // a string always marshals
	return out, base64.RawURLEncoding.EncodeToString(raw), nil
}

// HasInboxEntry reports whether a targeted broadcast reached the partner.
func (s *Messages) HasInboxEntry(ctx context.Context, partnerID string, m messages.Message) (bool, error) {
	var it inboxEntryItem
	return s.get(ctx, inboxEntryKey(partnerID, m.SendAt, m.ID), &it)
}

// Unread counts the partner's entries and the broadcasts to all since it
// joined, less what it read.
func (s *Messages) Unread(ctx context.Context, partnerID string, joined time.Time) (int64, error) {
	var counts inboxCountsItem
	if _, err := s.get(ctx, inboxCountsKey(partnerID), &counts); err != nil {
		return 0, err
	}
	expr, err := expression.NewBuilder().WithKeyCondition(expression.Key("pk").Equal(expression.Value(toAllKey)).
		And(expression.Key("sk").GreaterThanEqual(expression.Value(sortableTime(joined))))).Build()
	if err != nil {
		return 0, err
	}
	toAll := int64(0)
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: &s.Table, KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), Select: types.SelectCount})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		toAll += int64(out.Count)
	}
	return counts.Entries + toAll - counts.Reads, nil
}

// ReadMarks returns when the partner read each of the broadcasts it read.
func (s *Messages) ReadMarks(ctx context.Context, partnerID string, ids []string) (map[string]time.Time, error) {
	keys := make([]key, 0, len(ids))
	for _, id := range ids {
		if k := readMarkKey(partnerID, id); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	out := map[string]time.Time{}
	err := s.batchGet(ctx, keys, func(item map[string]types.AttributeValue) error {
		var it readMarkItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		out[it.MessageID] = it.At
		return nil
	})
	return out, err
}

// MarkRead writes the read mark and counts the read, once; a second read
// returns the first one's time.
func (s *Messages) MarkRead(ctx context.Context, partnerID, messageID string, at time.Time) (time.Time, error) {
	errRead := errors.New("read before")
	err := s.transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(readMarkItem{key: readMarkKey(partnerID, messageID), MessageID: messageID, At: at}),
			ConditionExpression: aws.String(notExists)}},
		s.update(inboxCountsKey(partnerID), expression.Add(expression.Name("reads"), expression.Value(1)), nil),
	}, map[int]error{0: errRead})
	if !errors.Is(err, errRead) {
		return at, err
	}
	var it readMarkItem
	_, err = s.get(ctx, readMarkKey(partnerID, messageID), &it)
	return it.At, err
}

// AddReply writes a reply and counts it on its broadcast.
func (s *Messages) AddReply(ctx context.Context, r messages.Reply) error {
	exists := expression.AttributeExists(expression.Name("pk"))
	return s.transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(replyItem{key: key{"MESSAGE#" + r.MessageID, "REPLY#" + sortableTime(r.At) + "#" + r.ID}, Reply: r})}},
		s.update(messageKey(r.MessageID), expression.Add(expression.Name("replies"), expression.Value(1)), &exists),
	}, nil)
}

// RepliesPage lists a broadcast's replies, oldest first.
func (s *Messages) RepliesPage(ctx context.Context, messageID string, limit int32, cursor string) ([]messages.Reply, string, error) {
	return queryPage(ctx, s.table, lookup{key: expression.Key("pk").Equal(expression.Value("MESSAGE#" + messageID)).
		And(expression.Key("sk").BeginsWith("REPLY#"))}, limit, cursor, func(it replyItem) messages.Reply { return it.Reply })
}

var _ messages.Store = (*Messages)(nil)
