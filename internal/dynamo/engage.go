package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/engage"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/messages"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/payout"
)

// Engagement stores point lines, challenges and their completions and
// submissions, badges, leaderboards, rewards and redemptions.
type Engagement struct{ *table }

func pointLineKey(ref string) key { return key{"POINTLINE#" + ref, "LINE"} }
func challengeKey(id string) key  { return key{"CHALLENGE#" + id, "CHALLENGE"} }
func completionKey(challengeID, pid string) key {
	return key{"CHALLENGE#" + challengeID, "DONE#" + pid}
}
func submissionKey(challengeID, id string) key { return key{"CHALLENGE#" + challengeID, "SUB#" + id} }
func badgeKey(partnerID, badgeID string) key   { return key{"PARTNER#" + partnerID, "BADGE#" + badgeID} }
func boardKey(period, board string) key        { return key{"BOARD#" + period, board} }
func rankKey(partnerID, period string) key     { return key{"PARTNER#" + partnerID, "RANK#" + period} }
func rewardKey(id string) key                  { return key{"REWARD#" + id, "REWARD"} }
func redemptionKey(id string) key              { return key{"REDEMPTION#" + id, "REDEMPTION"} }

type pointLineItem struct {
	key
	engage.PointLine
	PartnerID string `dynamodbav:"partner_id"`
	GSI1PK    string `dynamodbav:"gsi1pk"`
	GSI1SK    string `dynamodbav:"gsi1sk"`
}

// creditItems are a credit's writes, in this order: the partner's points
// (under pointsCond, if set), its line (once per ref), the month's points
// counter (for leaderboards) when points are earned, and its events.
func (s *table) creditItems(c engage.Credit, pointsCond *expression.ConditionBuilder) []types.TransactWriteItem {
	l := c.Line
	it := pointLineItem{key: pointLineKey(l.Ref), PointLine: l, PartnerID: l.PartnerID,
		GSI1PK: "POINTS#" + l.PartnerID, GSI1SK: sortableTime(l.At) + "#" + l.Ref}
	items := []types.TransactWriteItem{
		s.pointsUpdate(l.PartnerID, c.Points, pointsCond),
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(it), ConditionExpression: aws.String(notExists)}},
	}
	if earned := c.Points.Earned - c.Points.Reversed; earned != 0 {
		items = append(items, s.salesUpdate(ledger.SalesDelta{PartnerID: l.PartnerID, Month: ledger.Month(l.At),
			Counters: map[string]int64{ledger.PointsCounter: earned}}))
	}
	return append(items, s.eventPuts(c.Events)...)
}

// transact runs a transaction and maps a failed condition of item i to
// errs[i] (when set); a lost race is errs[-1] if given, else returned as is.
func (s *table) transact(ctx context.Context, items []types.TransactWriteItem, errs map[int]error) error {
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := cancelledAt(err); ok {
		for _, i := range slices.Sorted(maps.Keys(failed)) {
			if e, ok := errs[i]; ok {
				return e
			}
		}
	}
	return err
}

// CreditPoints books a credit for an existing partner, once per line ref;
// one taking available points (a staff debit) takes them only if there.
func (s *Engagement) CreditPoints(ctx context.Context, c engage.Credit) error {
	exists := types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &s.Table,
		Key: partnerKey(c.Line.PartnerID).av(), ConditionExpression: aws.String("attribute_exists(pk)")}}
	var enough *expression.ConditionBuilder
	if take := -c.Points.Available; take > 0 {
		cond := expression.Name("available").GreaterThanEqual(expression.Value(take))
		enough = &cond
	}
	items := append([]types.TransactWriteItem{exists}, s.creditItems(c, enough)...)
	return s.transact(ctx, items, map[int]error{0: engage.ErrUnknownPartner, 1: engage.ErrInsufficientPoints, 2: engage.ErrDuplicate})
}

// PointLines lists a partner's latest stored point lines, newest first.
func (s *Engagement) PointLines(ctx context.Context, partnerID string, limit int32) ([]engage.PointLine, error) {
	lines, _, err := queryPage(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("POINTS#" + partnerID)),
		newestSort: true}, limit, "", func(it pointLineItem) engage.PointLine { it.PointLine.PartnerID = it.PartnerID; return it.PointLine })
	return lines, err
}

type challengeItem struct {
	key
	engage.Challenge
	GSI1PK string `dynamodbav:"gsi1pk"`
	GSI1SK string `dynamodbav:"gsi1sk"`
}

// PutChallenge stores a new challenge with the broadcast of its start.
func (s *Engagement) PutChallenge(ctx context.Context, c engage.Challenge, notice messages.Message) error {
	it := challengeItem{key: challengeKey(c.ID), Challenge: c, GSI1PK: "CHALLENGES", GSI1SK: sortableTime(c.StartsAt) + "#" + c.ID}
	return s.transact(ctx, []types.TransactWriteItem{{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(it),
		ConditionExpression: aws.String(notExists)}}, {Put: s.newMessage(notice)}}, map[int]error{0: engage.ErrChallengeExists})
}

// GetChallenge reads a challenge.
func (s *Engagement) GetChallenge(ctx context.Context, id string) (engage.Challenge, error) {
	var it challengeItem
	err := s.getExisting(ctx, challengeKey(id), &it, engage.ErrChallengeNotFound)
	return it.Challenge, err
}

// ListChallenges reads every challenge.
func (s *Engagement) ListChallenges(ctx context.Context) ([]engage.Challenge, error) {
	return queryAll(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("CHALLENGES"))},
		func(it challengeItem) engage.Challenge { return it.Challenge })
}

// updateItem applies upd to the item at k if cond holds (notMet
// otherwise) and reads the item as it is after into out.
func (s *table) updateItem(ctx context.Context, k key, upd expression.UpdateBuilder, cond expression.ConditionBuilder, notMet error, out any) error {
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("dynamo: update expression: %w", err)
	}
	res, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: k.av(),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(), ReturnValues: types.ReturnValueAllNew,
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	if ccf := (*types.ConditionalCheckFailedException)(nil); errors.As(err, &ccf) {
		return notMet
	}
	if err != nil {
		return err
	}
	return unmarshal(res.Attributes, out)
}

// UpdateChallenge stores what an edit changes (name, description, end,
// who and when) if the end is still was, and rewrites its start notice
// while that is scheduled; the counts move on their own.
func (s *Engagement) UpdateChallenge(ctx context.Context, c engage.Challenge, was time.Time, notice messages.Message) error {
	rewrite := expression.Set(expression.Name("subject"), expression.Value(notice.Subject)).
		Set(expression.Name("body"), expression.Value(notice.Body)).
		Set(expression.Name("challenge"), expression.Value(notice.Challenge))
	return s.changeChallenge(ctx, c, was, s.update(messageKey(notice.ID), rewrite, &noticeScheduled))
}

// CancelChallenge stores a challenge ended before its start if its end is
// still was, and deletes its start notice while that is scheduled: it has
// reached no inbox yet.
func (s *Engagement) CancelChallenge(ctx context.Context, c engage.Challenge, was time.Time) error {
	expr, err := expression.NewBuilder().WithCondition(noticeScheduled).Build()
	if err != nil {
		return fmt.Errorf("dynamo: condition expression: %w", err)
	}
	withdraw := types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: messageKey(messages.ChallengeNoticeID(c.ID)).av(),
		ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}}
	return s.changeChallenge(ctx, c, was, withdraw)
}

var noticeScheduled = expression.Name("status").Equal(expression.Value(messages.StatusScheduled))

// changeChallenge writes a challenge's edit together with what it does to
// the start notice; a notice no longer scheduled (sending or sent) stays
// as it is, and the edit is written alone.
func (s *Engagement) changeChallenge(ctx context.Context, c engage.Challenge, was time.Time, notice types.TransactWriteItem) error {
	upd := expression.Set(expression.Name("name"), expression.Value(c.Name)).
		Set(expression.Name("description"), expression.Value(c.Description)).
		Set(expression.Name("ends_at"), expression.Value(c.EndsAt)).
		Set(expression.Name("updated_at"), expression.Value(c.UpdatedAt)).
		Set(expression.Name("updated_by"), expression.Value(c.UpdatedBy))
	sameEnd := expression.Name("ends_at").Equal(expression.Value(was))
	edit := s.update(challengeKey(c.ID), upd, &sameEnd)
	errNoticeGone := errors.New("start notice no longer scheduled")
	err := s.transact(ctx, []types.TransactWriteItem{edit, notice}, map[int]error{0: engage.ErrChallengeChanged, 1: errNoticeGone})
	if errors.Is(err, errNoticeGone) {
		err = s.transact(ctx, []types.TransactWriteItem{edit}, map[int]error{0: engage.ErrChallengeChanged})
	}
	return err
}

type completionItem struct {
	key
	ChallengeID string    `dynamodbav:"challenge_id"`
	PartnerID   string    `dynamodbav:"partner_id"`
	At          time.Time `dynamodbav:"at"`
	GSI1PK      string    `dynamodbav:"gsi1pk"`
	GSI1SK      string    `dynamodbav:"gsi1sk"`
}

// Completions maps the challenges a partner completed to when.
func (s *Engagement) Completions(ctx context.Context, partnerID string) (map[string]time.Time, error) {
	list, err := queryAll(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("DONE#" + partnerID))},
		func(it completionItem) completionItem { return it })
	out := map[string]time.Time{}
	for _, c := range list {
		out[c.ChallengeID] = c.At
	}
	return out, err
}

// Complete records a completion with its points, counter and events, and
// the approved submission if any, in one transaction.
func (s *Engagement) Complete(ctx context.Context, c engage.Completion) error {
	done := completionItem{key: completionKey(c.Challenge.ID, c.PartnerID), ChallengeID: c.Challenge.ID, PartnerID: c.PartnerID, At: c.At,
		GSI1PK: "DONE#" + c.PartnerID, GSI1SK: sortableTime(c.At) + "#" + c.Challenge.ID}
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(done), ConditionExpression: aws.String(notExists)}},
		s.counterAdd(challengeKey(c.Challenge.ID), "completions", 1),
	}
	errs := map[int]error{0: engage.ErrAlreadyCompleted, 1: engage.ErrChallengeNotFound}
	if c.Submission != nil {
		errs[len(items)] = engage.ErrAlreadyDecided
		items = append(items, s.putSubmission(*c.Submission, true))
	}
	if c.Credit != nil {
		items = append(items, s.creditItems(*c.Credit, nil)...)
	}
	items = append(items, s.eventPuts(c.Events)...)
	return s.transact(ctx, items, errs)
}

// counterAdd adds n to a numeric attribute of an existing item.
func (s *table) counterAdd(k key, attr string, n int64) types.TransactWriteItem {
	exists := expression.AttributeExists(expression.Name("pk"))
	return s.update(k, expression.Add(expression.Name(attr), expression.Value(n)), &exists)
}

type submissionItem struct {
	key
	engage.Submission
}

// putSubmission writes a submission; decided, it must still be pending.
func (s *table) putSubmission(sub engage.Submission, decided bool) types.TransactWriteItem {
	put := &types.Put{TableName: &s.Table, Item: mustMarshal(submissionItem{submissionKey(sub.ChallengeID, sub.ID), sub}),
		ConditionExpression: aws.String(notExists)}
	if decided {
		put.ConditionExpression = aws.String("#st = :pending")
		put.ExpressionAttributeNames = map[string]string{"#st": "status"}
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":pending": &types.AttributeValueMemberS{Value: engage.SubmissionPending}}
	}
	return types.TransactWriteItem{Put: put}
}

// PutSubmission stores a new submission and counts it on its challenge.
func (s *Engagement) PutSubmission(ctx context.Context, sub engage.Submission) error {
	return s.transact(ctx, []types.TransactWriteItem{s.putSubmission(sub, false), s.counterAdd(challengeKey(sub.ChallengeID), "submissions", 1)},
		map[int]error{1: engage.ErrChallengeNotFound})
}

// GetSubmission reads a submission.
func (s *Engagement) GetSubmission(ctx context.Context, challengeID, id string) (engage.Submission, error) {
	var it submissionItem
	err := s.getExisting(ctx, submissionKey(challengeID, id), &it, engage.ErrSubmissionNotFound)
	return it.Submission, err
}

// Submissions lists a challenge's submissions, oldest first.
func (s *Engagement) Submissions(ctx context.Context, challengeID string) ([]engage.Submission, error) {
	list, err := queryAll(ctx, s.table, lookup{key: expression.Key("pk").Equal(expression.Value("CHALLENGE#" + challengeID)).
		And(expression.Key("sk").BeginsWith("SUB#"))}, func(it submissionItem) engage.Submission { return it.Submission })
	slices.SortFunc(list, func(a, b engage.Submission) int { return a.SubmittedAt.Compare(b.SubmittedAt) })
	return list, err
}

// Reject stores a rejected submission that was pending.
func (s *Engagement) Reject(ctx context.Context, sub engage.Submission, events []outbox.Event) error {
	items := append([]types.TransactWriteItem{s.putSubmission(sub, true)}, s.eventPuts(events)...)
	return s.transact(ctx, items, map[int]error{0: engage.ErrAlreadyDecided})
}

type badgeItem struct {
	key
	engage.Award
}

// AwardBadge gives a badge once, with its events.
func (s *Engagement) AwardBadge(ctx context.Context, partnerID string, b engage.Award, events []outbox.Event) (bool, error) {
	items := append([]types.TransactWriteItem{{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(badgeItem{badgeKey(partnerID, b.ID), b}),
		ConditionExpression: aws.String(notExists)}}}, s.eventPuts(events)...)
	err := s.transact(ctx, items, map[int]error{0: engage.ErrDuplicate})
	if err == engage.ErrDuplicate {
		return false, nil
	}
	return err == nil, err
}

// Badges lists a partner's badges.
func (s *Engagement) Badges(ctx context.Context, partnerID string) ([]engage.Award, error) {
	list, err := queryAll(ctx, s.table, lookup{key: expression.Key("pk").Equal(expression.Value("PARTNER#" + partnerID)).
		And(expression.Key("sk").BeginsWith("BADGE#"))}, func(it badgeItem) engage.Award { return it.Award })
	if list == nil {
		list = []engage.Award{}
	}
	return list, err
}

// LifetimeSales sums every month's sales counters of a partner.
func (s *Engagement) LifetimeSales(ctx context.Context, partnerID string) (map[string]int64, error) {
	total := map[string]int64{}
	err := s.query(ctx, lookup{key: expression.Key("pk").Equal(expression.Value("PARTNER#" + partnerID)).And(expression.Key("sk").BeginsWith("SALES#"))},
		func(item map[string]types.AttributeValue) error {
			counters, err := countersOf(item)
			for k, v := range counters {
				total[k] += v
			}
			return err
		})
	return total, err
}

type boardItem struct {
	key
	engage.Board
}

// PutBoards stores a period's boards.
func (s *Engagement) PutBoards(ctx context.Context, period string, boards []engage.Board, at time.Time) error {
	for _, b := range boards {
		b.AsOf = at
		if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: mustMarshal(boardItem{boardKey(period, b.Key), b})}); err != nil {
			return err
		}
	}
	return nil
}

// GetBoard reads one board; an unknown one is empty.
func (s *Engagement) GetBoard(ctx context.Context, period, board string) (engage.Board, bool, error) {
	var it boardItem
	found, err := s.get(ctx, boardKey(period, board), &it)
	return it.Board, found, err
}

type rankItem struct {
	key
	Ranks map[string]engage.Rank `dynamodbav:"ranks"`
	AsOf  time.Time              `dynamodbav:"as_of"`
}

// rankWriters bounds the concurrent writes of a ranking.
const rankWriters = 16

// PutRanks stores each ranked partner's ranks, several writes at a time.
func (s *Engagement) PutRanks(ctx context.Context, period string, ranks map[string]map[string]engage.Rank, at time.Time) error {
	ids := slices.Sorted(maps.Keys(ranks))
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	next := make(chan string)
	for range rankWriters {
		wg.Go(func() {
			for id := range next {
				_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table,
					Item: mustMarshal(rankItem{key: rankKey(id, period), Ranks: ranks[id], AsOf: at})})
				if err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
	return first
}

// GetRanks reads a partner's ranks of a period and when they were ranked.
func (s *Engagement) GetRanks(ctx context.Context, partnerID, period string) (map[string]engage.Rank, time.Time, error) {
	var it rankItem
	_, err := s.get(ctx, rankKey(partnerID, period), &it)
	return it.Ranks, it.AsOf, err
}

type rewardItem struct {
	key
	engage.Reward
	GSI1PK string `dynamodbav:"gsi1pk"`
	GSI1SK string `dynamodbav:"gsi1sk"`
}

// PutReward adds a reward to the catalog.
func (s *Engagement) PutReward(ctx context.Context, r engage.Reward) error {
	it := rewardItem{key: rewardKey(r.ID), Reward: r, GSI1PK: "REWARDS", GSI1SK: r.ID}
	return s.transact(ctx, []types.TransactWriteItem{{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(it),
		ConditionExpression: aws.String(notExists)}}}, map[int]error{0: engage.ErrRewardExists})
}

// GetReward reads a reward with its current stock.
func (s *Engagement) GetReward(ctx context.Context, id string) (engage.Reward, error) {
	var it rewardItem
	err := s.getExisting(ctx, rewardKey(id), &it, engage.ErrRewardNotFound)
	return it.Reward, err
}

// ListRewards reads the catalog.
func (s *Engagement) ListRewards(ctx context.Context) ([]engage.Reward, error) {
	return queryAll(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("REWARDS"))},
		func(it rewardItem) engage.Reward { return it.Reward })
}

// UpdateReward stores an edited reward; the stock only when setStock, as
// redemptions move it meanwhile.
func (s *Engagement) UpdateReward(ctx context.Context, r engage.Reward, setStock bool) (engage.Reward, error) {
	upd := expression.Set(expression.Name("name"), expression.Value(r.Name)).
		Set(expression.Name("description"), expression.Value(r.Description)).
		Set(expression.Name("points_cost"), expression.Value(r.PointsCost))
	if r.RetiredAt != nil {
		upd = upd.Set(expression.Name("retired_at"), expression.Value(*r.RetiredAt))
	} else {
		upd = upd.Remove(expression.Name("retired_at"))
	}
	switch {
	case setStock && r.Stock != nil:
		upd = upd.Set(expression.Name("stock"), expression.Value(*r.Stock))
	case setStock:
		upd = upd.Remove(expression.Name("stock"))
	}
	var it rewardItem
	err := s.updateItem(ctx, rewardKey(r.ID), upd, expression.AttributeExists(expression.Name("pk")), engage.ErrRewardNotFound, &it)
	return it.Reward, err
}

type redemptionItem struct {
	key
	engage.Redemption
	GSI1PK string `dynamodbav:"gsi1pk"`
	GSI1SK string `dynamodbav:"gsi1sk"`
	GSI2PK string `dynamodbav:"gsi2pk"`
	GSI2SK string `dynamodbav:"gsi2sk"`
}

// putRedemption writes a redemption, listed by status and all together;
// an existing one must still be requested.
func (s *table) putRedemption(r engage.Redemption, existing bool) types.TransactWriteItem {
	sk := sortableTime(r.CreatedAt) + "#" + r.ID
	it := redemptionItem{key: redemptionKey(r.ID), Redemption: r, GSI1PK: "REDEMPTIONS#" + r.Status, GSI1SK: sk, GSI2PK: "REDEMPTIONS", GSI2SK: sk}
	put := &types.Put{TableName: &s.Table, Item: mustMarshal(it), ConditionExpression: aws.String(notExists)}
	if existing {
		put.ConditionExpression = aws.String("#st = :requested")
		put.ExpressionAttributeNames = map[string]string{"#st": "status"}
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":requested": &types.AttributeValueMemberS{Value: engage.RedemptionRequested}}
	}
	return types.TransactWriteItem{Put: put}
}

// stockChange moves a stocked reward's stock by n; taking needs enough.
// An unlimited reward is only checked to exist.
func (s *table) stockChange(reward engage.Reward, n int64) types.TransactWriteItem {
	if reward.Stock == nil {
		return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &s.Table, Key: rewardKey(reward.ID).av(),
			ConditionExpression: aws.String("attribute_exists(pk)")}}
	}
	enough := expression.Name("stock").GreaterThanEqual(expression.Value(-n))
	return s.update(rewardKey(reward.ID), expression.Add(expression.Name("stock"), expression.Value(n)), &enough)
}

// Redeem takes points (if available) and stock (if left) and records the
// redemption, its line, a donation's pledge and its events, all at once.
func (s *Engagement) Redeem(ctx context.Context, r engage.Redemption, reward engage.Reward, c engage.Credit, pledge *payout.Pledge) error {
	enough := expression.Name("available").GreaterThanEqual(expression.Value(r.Points))
	items := s.creditItems(c, &enough) // the points update first
	stock := len(items)
	items = append(items, s.stockChange(reward, -r.Quantity), s.putRedemption(r, false))
	if pledge != nil {
		it := pledgeItem{key: pledgeKey(pledge.Ref), Pledge: *pledge}
		it.GSI2PK, it.GSI2SK = openPledgeIndex(*pledge)
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(it), ConditionExpression: aws.String(notExists)}})
	}
	return s.transact(ctx, items, map[int]error{0: engage.ErrInsufficientPoints, stock: engage.ErrOutOfStock})
}

// GetRedemption reads a redemption.
func (s *Engagement) GetRedemption(ctx context.Context, id string) (engage.Redemption, error) {
	var it redemptionItem
	err := s.getExisting(ctx, redemptionKey(id), &it, engage.ErrRedemptionNotFound)
	return it.Redemption, err
}

// ListRedemptions pages through redemptions of a status (all if empty), newest first.
func (s *Engagement) ListRedemptions(ctx context.Context, status string, limit int32, cursor string) ([]engage.Redemption, string, error) {
	l := lookup{index: "gsi2", key: expression.Key("gsi2pk").Equal(expression.Value("REDEMPTIONS")), newestSort: true}
	if status != "" {
		l = lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("REDEMPTIONS#" + status)), newestSort: true}
	}
	return queryPage(ctx, s.table, l, limit, cursor, func(it redemptionItem) engage.Redemption { return it.Redemption })
}

// Fulfil stores a fulfilled redemption that was requested.
func (s *Engagement) Fulfil(ctx context.Context, r engage.Redemption, events ...outbox.Event) error {
	return s.transact(ctx, append([]types.TransactWriteItem{s.putRedemption(r, true)}, s.eventPuts(events)...), map[int]error{0: engage.ErrNotOpen})
}

// CancelRedemption returns the points and stock of a requested redemption
// and withdraws its pledge, unless a batch took it.
func (s *Engagement) CancelRedemption(ctx context.Context, r engage.Redemption, reward engage.Reward, c engage.Credit) error {
	items := []types.TransactWriteItem{s.putRedemption(r, true), s.stockChange(reward, r.Quantity)}
	errs := map[int]error{0: engage.ErrNotOpen}
	if r.Kind == engage.RewardDonation {
		errs[len(items)] = engage.ErrDonationInBatch
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: pledgeKey("redemption:" + r.ID).av(),
			ConditionExpression: aws.String("attribute_exists(pk) AND attribute_not_exists(batch_id)")}})
	}
	items = append(items, s.creditItems(c, nil)...)
	return s.transact(ctx, items, errs)
}

// countersOf reads the numeric attributes of a sales item.
func countersOf(item map[string]types.AttributeValue) (map[string]int64, error) {
	counters := map[string]int64{}
	for name, v := range item {
		if n, ok := v.(*types.AttributeValueMemberN); ok {
			var x int64
			if _, err := fmt.Sscan(n.Value, &x); err != nil {
				return nil, fmt.Errorf("sales counter %s: %w", name, err)
			}
			counters[name] = x
		}
	}
	return counters, nil
}

var _ engage.Store = (*Engagement)(nil)
