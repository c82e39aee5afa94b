// Package dynamo stores Partnerloop's data in one DynamoDB table. Key design
// (pk / sk, and the sparse indexes gsi1, gsi2 and gsi3):
//
//	partner        PARTNER#<id>         PROFILE
//	balance        PARTNER#<id>         BALANCE#<cur>   (no index: batches find it by the partner list)
//	referral code  CODE#<code>          CODE            (with its partner's tier, status, e-mail, flag)
//	order/accrual  ORDER#<src>#<id>     ORDER           gsi1 ACCRUALS#<partner> / <paid at>
//	                                                    gsi2 DUE#<shard> / <payable at>  while pending
//	held accrual   (order)                              gsi2 HELD#<shard> / <paid at>
//	digest day     (order)                              gsi3 DIGEST#<day>#<shard> / <partner>#<src>#<id>  (keys only)
//	sales counters PARTNER#<id>         SALES#<month>
//	tier change    PARTNER#<id>         TIER#<at>
//	donation       PARTNER#<id>         DONATION#<at>#<item>
//	partner list   (partner)                            gsi1 PARTNERS#<shard> / <id>
//	evidence       TOUCH#EMAIL#<hash>   EVIDENCE        touches t:<ref>, the day's fingerprints (expires)
//	               TOUCH#CUSTOMER#<id>  EVIDENCE        touches t:<ref> (expires)
//	click counter  CLICKS#<partner>#<source>  <hour>  (expires)
//	program        PROGRAM              CURRENT, V#<version>
//	group          GROUP#<id>           CURRENT         gsi1 GROUPS / <id>
//	               GROUP#<id>           V#<version>
//	group slug     SLUG#<slug>          SLUG
//	applications   APP#, APPHOLD#, APPEMAIL#, RATE#, FUNNEL#  (see applications.go)
//	batch          BATCH#<id>           BATCH
//	batch item     BATCH#<id>           ITEM#<item>
//	batch pledge   BATCH#<id>           PLEDGE#<ref>
//	audit entry    AUDIT#<target>       <at>#<id>       gsi1 AUDITDAY#<day> / <at>#<id>
//	                                                    gsi2 AUDITBY#<actor> / <at>#<id>  (expires)
//	team member    TEAM#<id>            MEMBER          gsi1 TEAM / <email>
//	member e-mail  TEAMEMAIL#<email>    EMAIL           (keeps e-mails unique)
//	outbox row     BATCH#<id>           OUTBOX          gsi2 OUTBOX / <approved at>
//	charity        CHARITY#<id>         CHARITY         gsi1 CHARITIES / <id>
//	receipt        CHARITY#<id>         RECEIPT#<batch>#<cur>
//	pledge         PLEDGE#<ref>         PLEDGE          gsi2 PLEDGES#OPEN#<shard> / <at> while open
//	settled leg    PAYMENTS#<month>     <at>#<item>:<leg>
//	points         PARTNER#<id>         POINTS
//	point line     POINTLINE#<ref>      LINE            gsi1 POINTS#<partner> / <at>#<ref>
//	challenge      CHALLENGE#<id>       CHALLENGE       gsi1 CHALLENGES / <starts at>#<id>
//	completion     CHALLENGE#<id>       DONE#<partner>  gsi1 DONE#<partner> / <at>#<id>
//	submission     CHALLENGE#<id>       SUB#<sid>       gsi2 SUBS#<challenge> / <at>#<sid>
//	leaderboard    BOARD#<period>       <measure>#<cur>#<tier>
//	rank           PARTNER#<id>         RANK#<period>
//	reward         REWARD#<id>          REWARD          gsi1 REWARDS / <id>
//	redemption     REDEMPTION#<id>      REDEMPTION      gsi1 REDEMPTIONS#<status> / <at>#<id>
//	endpoint       WEBHOOK#<id>         ENDPOINT        gsi1 WEBHOOKS / <id>
//	delivery       WEBHOOK#<id>         DELIVERY#<at>#<event>#<attempt>  (expires)
//	outbox event   NOTIFY#<id>          OUTBOX          gsi2 NOTIFY#<shard> / <at>#<id>
//	fraud case     FRAUDCASE#<id>       CASE            gsi1 FRAUDCASES#<status> / <last event>#<id>
//	                                                    gsi2 FRAUDPARTNER#<partner> / <opened>#<id>
//	fraud event    FRAUDCASE#<id>       EVENT#<event>
//	open case      FRAUDOPEN#<partner>#<rule>  OPEN     (the case's id)
//
// <shard> is 00 to 15 (appspec IndexShards) by a hash of the partner or the
// order, so the index keys every order writes spread over 16 partitions;
// readers also read the unsharded key, which items written before carry
// until their next write.
package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/page"
)

// table is the handle every adapter shares: the client and the table's name.
// The adapters are named for the aggregates they store; a transaction that
// spans two (a payout step moves a balance, say) builds the other's items
// with the helpers on table.
type table struct {
	DB    *dynamodb.Client
	Table string
	// auditRetention is how long audit entries are kept (zero: always).
	auditRetention time.Duration
}

// Adapters are the storage adapters of the domain packages, one per
// aggregate, over one table.
type Adapters struct {
	Ledger    *Ledger        // orders and accruals, balances, sales counters, fingerprints
	Partners  *Partners      // partners, codes, clicks, touches, tier history
	Programs  *Programs      // the program's versions
	Groups    *Groups        // partner groups' versions and slugs
	Payouts   *Payouts       // batches, items, audit, outbox, settled legs
	Charities *Charities     // the charity catalog, receipts, donations on partners' behalf
	Pledges   *Pledges       // the program's donations on partners' behalf
	Notify    *Notifications // webhook endpoints, the event outbox, delivery attempts
	Engage    *Engagement    // points lines, challenges, badges, leaderboards, rewards
	Mail      *Mail          // e-mail preferences, suppressions, sent e-mails, digests
	Audit     *Audit         // the audit trail of staff writes
	Team      *Team          // the staff and their roles
	Messages  *Messages      // broadcasts, their fan-out, inboxes and replies
	Fraud     *Fraud         // fraud cases, their events, partners' open cases
	APIKeys   *APIKeys       // API keys by the hash of their secret
	Discounts *Discounts     // partners' discount codes, groups' code lists
	Embed     *Embed         // widget tokens, a shop's customers by external id
	// Applications: applications to groups, e-mail holds, rate and funnel counters.
	Applications *Applications
}

// Open returns the adapters on the named table.
func Open(db *dynamodb.Client, name string) Adapters {
	t := &table{DB: db, Table: name}
	return Adapters{Ledger: &Ledger{t}, Partners: &Partners{t}, Programs: &Programs{t}, Groups: &Groups{t}, Payouts: &Payouts{t},
		Charities: &Charities{t}, Pledges: &Pledges{t}, Notify: &Notifications{t}, Engage: &Engagement{t}, Mail: &Mail{t}, Messages: &Messages{t}, Audit: &Audit{t}, Team: &Team{t}, Fraud: &Fraud{t},
		APIKeys: &APIKeys{t}, Discounts: &Discounts{t}, Embed: &Embed{t}, Applications: &Applications{t}}
}

// Ledger stores orders with their accruals, partners' balances and monthly
// sales counters.
type Ledger struct{ *table }

// Partners stores partners with their codes, clicks, touches and tiers.
type Partners struct{ *table }

// Programs stores the program's versions.
type Programs struct{ *table }

// Payouts stores payout batches, their items, audit log and outbox, and
// the settled legs by month.
type Payouts struct{ *table }

// Charities stores the charity catalog, donation receipts and what was
// donated on each partner's behalf.
type Charities struct{ *table }

// Pledges stores the program's donations on partners' behalf until a batch
// pays them.
type Pledges struct{ *table }

type key struct {
	PK string `json:"pk" dynamodbav:"pk"`
	SK string `json:"sk" dynamodbav:"sk"`
}

func (k key) av() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: k.PK},
		"sk": &types.AttributeValueMemberS{Value: k.SK},
	}
}

func (s *table) get(ctx context.Context, k key, out any) (bool, error) {
	return s.read(ctx, k, true, out)
}

// getExisting reads one item into out; a missing item is the error missing.
func (s *table) getExisting(ctx context.Context, k key, out any, missing error) error {
	found, err := s.get(ctx, k, out)
	if err == nil && !found {
		return missing
	}
	return err
}

// read reads one item into out and reports whether it exists.
func (s *table) read(ctx context.Context, k key, consistent bool, out any) (bool, error) {
	res, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: k.av(), ConsistentRead: aws.Bool(consistent)})
	if err != nil {
		return false, err
	}
	if res.Item == nil {
		return false, nil
	}
	return true, unmarshal(res.Item, out)
}

func mustMarshal(v any) map[string]types.AttributeValue {
	m, err := attributevalue.MarshalMap(v)
	if err != nil {
		panic(fmt.Sprintf("dynamo: marshal %T: %v", v, err)) // only our own structs are marshalled
	}
	return m
}

func unmarshal(item map[string]types.AttributeValue, out any) error {
	return attributevalue.UnmarshalMap(item, out)
}

// cancelledAt reports which transaction items failed their condition.
func cancelledAt(err error) (map[int]bool, bool) {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil, false
	}
	failed := map[int]bool{}
	for i, r := range tce.CancellationReasons {
		if aws.ToString(r.Code) == "ConditionalCheckFailed" {
			failed[i] = true
		}
	}
	return failed, len(failed) > 0
}

// lookup is one query: a key condition, on the table or an index.
// batchGet reads the items at keys, strongly consistent, 100 per request
// (BatchGetItem's limit), retrying what DynamoDB left unprocessed; each
// sees every item found, in no particular order.
func (s *table) batchGet(ctx context.Context, keys []key, each func(map[string]types.AttributeValue) error) error {
	return s.batchRead(ctx, keys, true, each)
}

// batchRead is batchGet, eventually consistent unless consistent is set.
func (s *table) batchRead(ctx context.Context, keys []key, consistent bool, each func(map[string]types.AttributeValue) error) error {
	for chunk := range slices.Chunk(keys, 100) {
		avs := make([]map[string]types.AttributeValue, 0, len(chunk))
		for _, k := range chunk {
			avs = append(avs, k.av())
		}
		req := map[string]types.KeysAndAttributes{s.Table: {Keys: avs, ConsistentRead: aws.Bool(consistent)}}
		for len(req) > 0 {
			res, err := s.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return err
			}
			for _, item := range res.Responses[s.Table] {
				if err := each(item); err != nil {
					return err
				}
			}
			req = res.UnprocessedKeys
		}
	}
	return nil
}

type lookup struct {
	key        expression.KeyConditionBuilder
	index      string // empty: the table
	filter     *expression.ConditionBuilder
	newestSort bool // descending sort key
}

// query runs a paginated query and calls each for every item. Table reads
// are strongly consistent; index reads cannot be.
func (s *table) query(ctx context.Context, l lookup, each func(map[string]types.AttributeValue) error) error {
	b := expression.NewBuilder().WithKeyCondition(l.key)
	if l.filter != nil {
		b = b.WithFilter(*l.filter)
	}
	expr, err := b.Build()
	if err != nil {
		return err
	}
	in := &dynamodb.QueryInput{TableName: &s.Table, KeyConditionExpression: expr.KeyCondition(), FilterExpression: expr.Filter(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(!l.newestSort)}
	if l.index != "" {
		in.IndexName = aws.String(l.index)
	} else {
		in.ConsistentRead = aws.Bool(true)
	}
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, item := range page.Items {
			if err := each(item); err != nil {
				return err
			}
		}
	}
	return nil
}

// queryPage reads one page of up to limit items, starting after cursor (an
// opaque token from the previous page, empty for the first); it returns the
// cursor of the next page, empty after the last.
func queryPage[I, T any](ctx context.Context, s *table, l lookup, limit int32, cursor string, convert func(I) T) ([]T, string, error) {
	b := expression.NewBuilder().WithKeyCondition(l.key)
	expr, err := b.Build()
	if err != nil {
		return nil, "", err
	}
	in := &dynamodb.QueryInput{TableName: &s.Table, KeyConditionExpression: expr.KeyCondition(), Limit: aws.Int32(limit),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(), ScanIndexForward: aws.Bool(!l.newestSort)}
	if l.index != "" {
		in.IndexName = aws.String(l.index)
	}
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		var start map[string]string
		if err != nil || json.Unmarshal(raw, &start) != nil || len(start) == 0 {
			return nil, "", page.ErrBadCursor
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{}
		for k, v := range start {
			in.ExclusiveStartKey[k] = &types.AttributeValueMemberS{Value: v}
		}
	}
	out, err := s.DB.Query(ctx, in)
	if err != nil {
		return nil, "", err
	}
	items := make([]T, 0, len(out.Items))
	for _, item := range out.Items {
		var it I
		if err := unmarshal(item, &it); err != nil {
			return nil, "", err
		}
		items = append(items, convert(it))
	}
	if len(out.LastEvaluatedKey) == 0 {
		return items, "", nil
	}
	last := map[string]string{}
	for k, v := range out.LastEvaluatedKey {
		if sv, ok := v.(*types.AttributeValueMemberS); ok {
			last[k] = sv.Value
		}
	}
	raw, _ := json.Marshal(last) // a map of strings always marshals
	return items, base64.RawURLEncoding.EncodeToString(raw), nil
}

// queryAll reads every item of a query as I and converts it to T.
func queryAll[I, T any](ctx context.Context, s *table, l lookup, convert func(I) T) ([]T, error) {
	var out []T
	err := s.query(ctx, l, func(item map[string]types.AttributeValue) error {
		var it I
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		out = append(out, convert(it))
		return nil
	})
	return out, err
}

// CreateTable creates the table from appspec and waits until it is active;
// used by the local runner and tests (the stack creates it in AWS).
func CreateTable(ctx context.Context, db *dynamodb.Client, name string) error {
	t := appspec.MainTable
	attrs := []types.AttributeDefinition{
		{AttributeName: aws.String(t.PartitionKey), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(t.SortKey), AttributeType: types.ScalarAttributeTypeS},
	}
	var gsis []types.GlobalSecondaryIndex
	for _, ix := range t.Indexes {
		attrs = append(attrs,
			types.AttributeDefinition{AttributeName: aws.String(ix.PartitionKey), AttributeType: types.ScalarAttributeTypeS},
			types.AttributeDefinition{AttributeName: aws.String(ix.SortKey), AttributeType: types.ScalarAttributeTypeS})
		gsis = append(gsis, types.GlobalSecondaryIndex{
			IndexName: aws.String(ix.Name),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(ix.PartitionKey), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(ix.SortKey), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionType(ix.Projection())},
		})
	}
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: attrs,
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(t.PartitionKey), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(t.SortKey), KeyType: types.KeyTypeRange},
		},
		GlobalSecondaryIndexes: gsis,
		BillingMode:            types.BillingModePayPerRequest,
	})
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		return nil
	}
	if err != nil {
		return err
	}
	return dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 60e9)
}
