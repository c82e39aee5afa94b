package dynamo

import (
	"context"
	"errors"
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
//	digest line    DIGEST#<partner>#<day>    LINE#<event>  (expires)
//	digest due     DIGEST#<partner>#<day>    DUE        gsi2 DIGESTS#<shard> / <day>#<partner>
type Mail struct{ *table }

const (
	digestsBase = "DIGESTS"
	// sentRetention outlives any redelivery: SQS keeps a message at most 14 days.
	sentRetention = 30 * 24 * time.Hour
	// digestRetention keeps a day's lines until its digest is long sent.
	digestRetention = 14 * 24 * time.Hour
	statusSending   = "sending"
	statusSent      = "sent"
)

func mailPrefsKey(partnerID string) key { return key{"MAILTO#" + partnerID, "PREFS"} }
func signedInKey(partnerID string) key  { return key{"MAILTO#" + partnerID, "SIGNEDIN"} }
func suppressionKey(address string) key {
	return key{"SUPPRESS#" + strings.ToLower(address), "SUPPRESSED"}
}
func sentMailKey(id string) key           { return key{"MAIL#" + id, "SENT"} }
func digestPK(ref mail.DigestRef) string  { return "DIGEST#" + ref.PartnerID + "#" + ref.Day }
func digestDueKey(ref mail.DigestRef) key { return key{digestPK(ref), "DUE"} }

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

type digestLineItem struct {
	key
	mail.DigestLine
	ExpiresAt int64 `dynamodbav:"expires_at"`
}

type digestDueItem struct {
	key
	PartnerID string `dynamodbav:"partner_id"`
	Day       string `dynamodbav:"day"`
	GSI2PK    string `dynamodbav:"gsi2pk"`
	GSI2SK    string `dynamodbav:"gsi2sk"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
}

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

// AddDigestLine writes the line under its event (a repeat overwrites it)
// and marks the digest due.
func (s *Mail) AddDigestLine(ctx context.Context, partnerID, day string, l mail.DigestLine) error {
	ref := mail.DigestRef{PartnerID: partnerID, Day: day}
	expires := l.At.Add(digestRetention).Unix()
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table,
		Item: mustMarshal(digestLineItem{key: key{digestPK(ref), "LINE#" + l.EventID}, DigestLine: l, ExpiresAt: expires})}); err != nil {
		return err
	}
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: mustMarshal(digestDueItem{key: digestDueKey(ref),
		PartnerID: partnerID, Day: day, GSI2PK: sharded(digestsBase, partnerID), GSI2SK: day + "#" + partnerID, ExpiresAt: expires})})
	return err
}

// DueDigests lists the due digests of days before beforeDay, from every shard.
func (s *Mail) DueDigests(ctx context.Context, beforeDay string) ([]mail.DigestRef, error) {
	return inShards(digestsBase, func(k string) ([]mail.DigestRef, error) {
		return queryAll(ctx, s.table, lookup{index: "gsi2", key: expression.Key("gsi2pk").Equal(expression.Value(k)).
			And(expression.Key("gsi2sk").LessThan(expression.Value(beforeDay)))},
			func(it digestDueItem) mail.DigestRef { return mail.DigestRef{PartnerID: it.PartnerID, Day: it.Day} })
	})
}

// DoneDigest removes a queued digest from the due list.
func (s *Mail) DoneDigest(ctx context.Context, ref mail.DigestRef) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.Table, Key: digestDueKey(ref).av()})
	return err
}

// DigestLines reads a digest's lines.
func (s *Mail) DigestLines(ctx context.Context, ref mail.DigestRef) ([]mail.DigestLine, error) {
	return queryAll(ctx, s.table, lookup{key: expression.Key("pk").Equal(expression.Value(digestPK(ref))).
		And(expression.Key("sk").BeginsWith("LINE#"))}, func(it digestLineItem) mail.DigestLine { return it.DigestLine })
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
