package dynamo

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/mail"
	"github.com/partnerloop/partnerloop/internal/outbox"
)

// Mail stores what e-mail needs (keys in the package comment's terms):
//
//	preferences    MAILTO#<partner>          PREFS
//	first sign-in  MAILTO#<partner>          SIGNEDIN
//	suppression    SUPPRESS#<address>        SUPPRESSED
//	sent e-mail    MAIL#<id>                 SENT       (expires)
//	queued day     DIGESTDAY#<day>           QUEUED     (expires)
//
// A day's digest lines are the accruals whose commission last moved that
// day: the ledger keeps them in gsi3 (keys only) under
// DIGEST#<day>#<shard of the partner> / <partner>#<source>#<order>.
type Mail struct{ *table }

const (
	// sentRetention outlives any redelivery: SQS keeps a message at most 14 days.
	sentRetention = 30 * 24 * time.Hour
	// queuedDayRetention outlives the days a digest run looks back on.
	queuedDayRetention = 30 * 24 * time.Hour
	statusSending      = "sending"
	statusSent         = "sent"
)

func mailPrefsKey(partnerID string) key { return key{"MAILTO#" + partnerID, "PREFS"} }
func signedInKey(partnerID string) key  { return key{"MAILTO#" + partnerID, "SIGNEDIN"} }
func suppressionKey(address string) key {
	return key{"SUPPRESS#" + strings.ToLower(address), "SUPPRESSED"}
}
func sentMailKey(id string) key       { return key{"MAIL#" + id, "SENT"} }
func queuedDayKey(day string) key     { return key{"DIGESTDAY#" + day, "QUEUED"} }
func digestDayBase(day string) string { return "DIGEST#" + day }

// digestDayKey is the gsi3 partition of a partner's accruals whose
// commission last moved on day.
func digestDayKey(day, partnerID string) string { return sharded(digestDayBase(day), partnerID) }

type mailPrefsItem struct {
	key
	mail.Preferences
}

type suppressionItem struct {
	key
	Address string    `dynamodbav:"address"`
	Reason  string    `dynamodbav:"reason"`
	At      time.Time `dynamodbav:"at"`
}

type sentMailItem struct {
	key
	Status     string `dynamodbav:"status"`
	LeaseUntil int64  `dynamodbav:"lease_until"`
	MessageID  string `dynamodbav:"message_id,omitempty"`
	ExpiresAt  int64  `dynamodbav:"expires_at"`
}

type queuedDayItem struct {
	key
	ExpiresAt int64 `dynamodbav:"expires_at"`
}

// digestEntry is a gsi3 entry: the keys of an accrual and of its day.
type digestEntry struct {
	key
	GSI3SK string `dynamodbav:"gsi3sk"`
}

// partnerID is the partner the entry's sort key begins with.
func (e digestEntry) partnerID() string { id, _, _ := strings.Cut(e.GSI3SK, "#"); return id }

// Preferences reads a partner's preferences; none saved is the zero value
// (every category on).
func (s *Mail) Preferences(ctx context.Context, partnerID string) (mail.Preferences, error) {
	var it mailPrefsItem
	_, err := s.get(ctx, mailPrefsKey(partnerID), &it)
	return it.Preferences, err
}

// SavePreferences replaces a partner's preferences.
func (s *Mail) SavePreferences(ctx context.Context, partnerID string, p mail.Preferences) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: mustMarshal(mailPrefsItem{mailPrefsKey(partnerID), p})})
	return err
}

// Enrol writes a new partner's preferences and its invitation event together.
func (s *Mail) Enrol(ctx context.Context, partnerID string, p mail.Preferences, events []outbox.Event) error {
	items := append([]types.TransactWriteItem{{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(mailPrefsItem{mailPrefsKey(partnerID), p})}}},
		s.eventPuts(events)...)
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	return err
}

// Suppressed reports whether an address is on the suppression list.
func (s *Mail) Suppressed(ctx context.Context, address string) (bool, error) {
	var it suppressionItem
	return s.get(ctx, suppressionKey(address), &it)
}

// Suppress puts an address on the suppression list.
func (s *Mail) Suppress(ctx context.Context, address, reason string, at time.Time) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table,
		Item: mustMarshal(suppressionItem{key: suppressionKey(address), Address: strings.ToLower(address), Reason: reason, At: at})})
	return err
}

// Claim takes an e-mail id: it succeeds if nobody did, or if the last
// claim's lease ran out before the e-mail was marked sent.
func (s *Mail) Claim(ctx context.Context, id string, now, leaseUntil time.Time) error {
	it := sentMailItem{key: sentMailKey(id), Status: statusSending, LeaseUntil: leaseUntil.Unix(), ExpiresAt: now.Add(sentRetention).Unix()}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: mustMarshal(it),
		ConditionExpression:      aws.String("attribute_not_exists(pk) OR (#status = :sending AND lease_until < :now)"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sending": &types.AttributeValueMemberS{Value: statusSending},
			":now":     &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)}}})
	var failed *types.ConditionalCheckFailedException
	if !errors.As(err, &failed) {
		return err
	}
	var cur sentMailItem
	if _, err := s.get(ctx, sentMailKey(id), &cur); err != nil {
		return err
	}
	if cur.Status == statusSent {
		return mail.ErrSent
	}
	return mail.ErrClaimed
}

// MarkSent records that the claimed e-mail went out.
func (s *Mail) MarkSent(ctx context.Context, id, messageID string, _ time.Time) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: sentMailKey(id).av(),
		UpdateExpression:         aws.String("SET #status = :sent, message_id = :mid"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sent": &types.AttributeValueMemberS{Value: statusSent}, ":mid": &types.AttributeValueMemberS{Value: messageID}}})
	return err
}

// Release drops a claim whose send failed, so the retry may claim it.
func (s *Mail) Release(ctx context.Context, id string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.Table, Key: sentMailKey(id).av(),
		ConditionExpression:       aws.String("#status = :sending"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":sending": &types.AttributeValueMemberS{Value: statusSending}}})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil // marked sent meanwhile: keep it
	}
	return err
}

// DigestPartners lists the partners whose commission moved on day, from
// every shard of the day.
func (s *Mail) DigestPartners(ctx context.Context, day string) ([]string, error) {
	entries, err := inShards(digestDayBase(day), func(k string) ([]digestEntry, error) {
		return queryAll(ctx, s.table, lookup{index: "gsi3", key: expression.Key("gsi3pk").Equal(expression.Value(k))},
			func(e digestEntry) digestEntry { return e })
	})
	var partners []string
	for _, e := range entries {
		if id := e.partnerID(); !slices.Contains(partners, id) {
			partners = append(partners, id)
		}
	}
	return partners, err
}

// DigestLines reads the accruals whose commission moved on the digest's
// day and makes a line of what each booked and one of what each took back
// that day.
func (s *Mail) DigestLines(ctx context.Context, ref mail.DigestRef) ([]mail.DigestLine, error) {
	entries, err := queryAll(ctx, s.table, lookup{index: "gsi3", key: expression.Key("gsi3pk").Equal(expression.Value(digestDayKey(ref.Day, ref.PartnerID))).
		And(expression.Key("gsi3sk").BeginsWith(ref.PartnerID + "#"))}, func(e digestEntry) key { return e.key })
	if err != nil {
		return nil, err
	}
	var lines []mail.DigestLine
	err = s.batchRead(ctx, entries, false, func(item map[string]types.AttributeValue) error {
		var it orderItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		if it.DigestDay != ref.Day { // moved to a later day since the index was read
			return nil
		}
		line := mail.DigestLine{OrderID: it.OrderID, Currency: string(it.Currency)}
		if it.DayBooked > 0 {
			line.Amount, line.At = it.DayBooked, it.UpdatedAt
			if it.PaidAt != nil {
				line.At = *it.PaidAt
			}
			lines = append(lines, line)
		}
		if it.DayReversed > 0 {
			line.Amount, line.Reversal, line.At = it.DayReversed, true, it.UpdatedAt
			lines = append(lines, line)
		}
		return nil
	})
	return lines, err
}

// DigestsQueued reports whether the digests of a day were all queued.
func (s *Mail) DigestsQueued(ctx context.Context, day string) (bool, error) {
	var it queuedDayItem
	return s.get(ctx, queuedDayKey(day), &it)
}

// MarkDigestsQueued records that the digests of a day were all queued.
func (s *Mail) MarkDigestsQueued(ctx context.Context, day string, now time.Time) error {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table,
		Item: mustMarshal(queuedDayItem{key: queuedDayKey(day), ExpiresAt: now.Add(queuedDayRetention).Unix()})})
	return err
}

// SignedInBefore reports whether the partner's first sign-in is recorded.
func (s *Mail) SignedInBefore(ctx context.Context, partnerID string) (bool, error) {
	var it struct{ key }
	return s.read(ctx, signedInKey(partnerID), false, &it)
}

// FirstSignIn records the first sign-in with its event; a second record
// (two tabs at once) writes nothing.
func (s *Mail) FirstSignIn(ctx context.Context, partnerID string, evt outbox.Event) error {
	items := append([]types.TransactWriteItem{{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(signedInKey(partnerID)),
		ConditionExpression: aws.String(notExists)}}}, s.eventPuts([]outbox.Event{evt})...)
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := cancelledAt(err); ok && failed[0] {
		return nil
	}
	return err
}

var _ mail.Store = (*Mail)(nil)
