package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/apply"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/partner"
)

// Applications stores applications to join groups:
//
//	application      APP#<id>                   APP   gsi1 APPS#<status> / <submitted at>#<id>
//	                                                  gsi2 APPS#<status>#<group> / <submitted at>#<id>
//	                                                  (indexed once its e-mail is confirmed; expires until then)
//	e-mail hold      APPHOLD#<group>#<e-mail hash>  HOLD   the application holding the e-mail in the group, until
//	confirmed e-mail APPEMAIL#<e-mail hash>     CONFIRMED (expires)
//	rate counter     RATE#<limit key>           <window start>  n (expires)
//	funnel counter   FUNNEL#<month>#<shard>     <group>#<day>#<step>  n
//
// Applications are few (a person writes each), so their index keys are
// not sharded; the funnel's page views are many, so its counters are.
type Applications struct{ *table }

var _ apply.Store = (*Applications)(nil)

func applicationKey(id string) key { return key{"APP#" + id, "APP"} }
func holdKey(a apply.Application) key {
	return key{"APPHOLD#" + a.GroupID + "#" + a.EmailHash, "HOLD"}
}
func confirmedEmailKey(emailHash string) key { return key{"APPEMAIL#" + emailHash, "CONFIRMED"} }

const (
	funnelBase = "FUNNEL"
	// confirmedEmailKeptFor is how long an e-mail stays known as
	// confirmed: its next application within it needs no new link.
	confirmedEmailKeptFor = 365 * 24 * time.Hour
)

type applicationItem struct {
	key
	apply.Application
	GSI1PK    string `dynamodbav:"gsi1pk,omitempty"`
	GSI1SK    string `dynamodbav:"gsi1sk,omitempty"`
	GSI2PK    string `dynamodbav:"gsi2pk,omitempty"`
	GSI2SK    string `dynamodbav:"gsi2sk,omitempty"`
	ExpiresAt int64  `dynamodbav:"expires_at,omitempty"`
}

// item lists a confirmed application under its status; an unconfirmed
// one is in no index and expires with its link.
func (s *Applications) item(a apply.Application) applicationItem {
	it := applicationItem{key: applicationKey(a.ID), Application: a}
	if a.EmailConfirmedAt == nil {
		it.ExpiresAt = a.SubmittedAt.Add(apply.ConfirmWithin).Unix()
		return it
	}
	at := sortableTime(a.SubmittedAt) + "#" + a.ID
	it.GSI1PK, it.GSI1SK = "APPS#"+string(a.Status), at
	it.GSI2PK, it.GSI2SK = "APPS#"+string(a.Status)+"#"+a.GroupID, at
	return it
}

// GroupBySlug reads the slug item the groups keep unique.
func (s *Applications) GroupBySlug(ctx context.Context, slug string) (string, bool, error) {
	var it slugItem
	found, err := s.read(ctx, slugKey(slug), false, &it)
	return it.GroupID, found, err
}

// EmailConfirmed reports whether the e-mail confirmed an application
// within about a year (the item's expiry).
func (s *Applications) EmailConfirmed(ctx context.Context, emailHash string) (bool, error) {
	var it struct{}
	return s.read(ctx, confirmedEmailKey(emailHash), false, &it)
}

// holdWrite takes or moves the e-mail's hold in the group for a, until
// the given time (nil: until it is released by a later write).
func (s *Applications) holdWrite(a apply.Application, until *time.Time, cond expression.ConditionBuilder) types.TransactWriteItem {
	upd := expression.Set(expression.Name("application_id"), expression.Value(a.ID))
	if until != nil {
		upd = upd.Set(expression.Name("until"), expression.Value(until.Unix()))
	} else {
		upd = upd.Remove(expression.Name("until"))
	}
	return s.update(holdKey(a), upd, &cond)
}

// funnelCount adds one to a step of the group's day, on the shard ref
// hashes to.
func (s *table) funnelCount(groupID string, step apply.Step, at time.Time, ref string) types.TransactWriteItem {
	k := key{sharded(funnelBase+"#"+at.UTC().Format("2006-01"), ref), groupID + "#" + at.UTC().Format(time.DateOnly) + "#" + string(step)}
	return s.update(k, expression.Add(expression.Name("n"), expression.Value(1)), nil)
}

// Submit writes a new application with its rate counts, hold, funnel
// steps and events in one transaction.
func (s *Applications) Submit(ctx context.Context, a apply.Application, holdUntil *time.Time, limits []apply.Counted, steps []apply.Step, events []outbox.Event) error {
	var items []types.TransactWriteItem
	errs := map[int]error{}
	for i, l := range limits {
		below := expression.Or(expression.AttributeNotExists(expression.Name("n")), expression.Name("n").LessThan(expression.Value(l.Max)))
		upd := expression.Add(expression.Name("n"), expression.Value(1)).Set(expression.Name("expires_at"), expression.Value(l.Ends.Add(time.Hour).Unix()))
		items = append(items, s.update(key{"RATE#" + l.Key, sortableTime(l.Window)}, upd, &below))
		errs[i] = &apply.RateLimited{RetryAfter: max(l.Ends.Sub(a.SubmittedAt), time.Second)}
	}
	free := expression.Or(expression.AttributeNotExists(expression.Name("pk")), expression.Name("until").LessThanEqual(expression.Value(a.SubmittedAt.Unix())))
	errs[len(items)] = apply.ErrExists
	items = append(items, s.holdWrite(a, holdUntil, free),
		types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(s.item(a)), ConditionExpression: aws.String(notExists)}})
	for _, step := range steps {
		items = append(items, s.funnelCount(a.GroupID, step, a.SubmittedAt, a.ID))
	}
	return s.transact(ctx, append(items, s.eventPuts(events)...), errs)
}

// Application reads one application.
func (s *Applications) Application(ctx context.Context, id string) (apply.Application, bool, error) {
	var it applicationItem
	found, err := s.get(ctx, applicationKey(id), &it)
	return it.Application, found, err
}

// whilePending is the condition of a change to an application: still
// pending, its e-mail confirmed or not as the change needs.
func whilePending(confirmed bool) expression.ConditionBuilder {
	email := expression.AttributeNotExists(expression.Name("email_confirmed_at"))
	if confirmed {
		email = expression.AttributeExists(expression.Name("email_confirmed_at"))
	}
	return expression.Name("status").Equal(expression.Value(apply.Pending)).And(email)
}

// putIf is a transaction item writing the application if cond holds.
func (s *Applications) putIf(a apply.Application, cond expression.ConditionBuilder) types.TransactWriteItem {
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		panic(fmt.Sprintf("dynamo: application condition: %v", err)) // built from constants and our own names only
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(s.item(a)), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}}
}

// ownHold is the condition that the hold is still the application's.
func ownHold(a apply.Application) expression.ConditionBuilder {
	return expression.Name("application_id").Equal(expression.Value(a.ID))
}

// Confirm saves the application confirmed, holds its e-mail until a
// decision and remembers the e-mail as confirmed.
func (s *Applications) Confirm(ctx context.Context, a apply.Application) error {
	at := *a.EmailConfirmedAt
	items := []types.TransactWriteItem{
		s.putIf(a, whilePending(false)),
		s.holdWrite(a, nil, ownHold(a)),
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(map[string]any{"pk": confirmedEmailKey(a.EmailHash).PK, "sk": confirmedEmailKey(a.EmailHash).SK,
			"expires_at": at.Add(confirmedEmailKeptFor).Unix()})}},
		s.funnelCount(a.GroupID, apply.StepConfirmed, at, a.ID),
	}
	return s.transact(ctx, items, map[int]error{0: apply.ErrDecided, 1: apply.ErrInvalidToken})
}

// Decide saves the decision with the partner an approval creates, its
// e-mail preferences and invitation, the hold's new end, the funnel step
// and the events, in one transaction.
func (s *Applications) Decide(ctx context.Context, a apply.Application, joined *apply.Joined, holdUntil *time.Time, events []outbox.Event) error {
	items := []types.TransactWriteItem{
		s.putIf(a, whilePending(true)),
		s.holdWrite(a, holdUntil, ownHold(a)),
		s.funnelCount(a.GroupID, apply.Step(a.Status), *a.DecidedAt, a.ID),
	}
	errs := map[int]error{0: apply.ErrDecided, 1: apply.ErrDecided}
	if joined != nil {
		errs[len(items)] = partner.ErrCodeTaken // the partner's writes begin with its referral code
		items = append(items, s.newPartnerWrites(joined.Partner)...)
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(mailPrefsItem{mailPrefsKey(joined.Partner.ID), joined.Preferences})}})
		events = append(events, joined.Invitation)
	}
	return s.transact(ctx, append(items, s.eventPuts(events)...), errs)
}

// Applications pages through the confirmed applications of a status (of
// a group, if named): pending ones oldest first, decided ones newest first.
func (s *Applications) Applications(ctx context.Context, q apply.Query, limit int32, cursor string) ([]apply.Application, string, error) {
	l := lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("APPS#" + string(q.Status))), newestSort: q.Status != apply.Pending}
	if q.Group != "" {
		l = lookup{index: "gsi2", key: expression.Key("gsi2pk").Equal(expression.Value("APPS#" + string(q.Status) + "#" + q.Group)), newestSort: q.Status != apply.Pending}
	}
	return queryPage(ctx, s.table, l, limit, cursor, func(it applicationItem) apply.Application { return it.Application })
}

// Count adds one to a page's funnel step on a random shard: page views
// have no id to spread them by.
func (s *Applications) Count(ctx context.Context, groupID string, step apply.Step, at time.Time) error {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	u := s.funnelCount(groupID, step, at, hex.EncodeToString(b)).Update
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
		ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues})
	return err
}

// Funnel sums the month's counters of every shard by group and step.
func (s *Applications) Funnel(ctx context.Context, month time.Time) (map[string]map[apply.Step]int64, error) {
	type counter struct {
		SK string `dynamodbav:"sk"`
		N  int64  `dynamodbav:"n"`
	}
	found, err := inShards(funnelBase+"#"+month.Format("2006-01"), func(pk string) ([]counter, error) {
		return queryAll(ctx, s.table, lookup{key: expression.Key("pk").Equal(expression.Value(pk))}, func(c counter) counter { return c })
	})
	if err != nil {
		return nil, err
	}
	out := map[string]map[apply.Step]int64{}
	for _, c := range found {
		parts := strings.Split(c.SK, "#")
		if len(parts) != 3 {
			return nil, errors.New("dynamo: funnel counter " + c.SK + " is not <group>#<day>#<step>")
		}
		if out[parts[0]] == nil {
			out[parts[0]] = map[apply.Step]int64{}
		}
		out[parts[0]][apply.Step(parts[2])] += c.N
	}
	return out, nil
}
