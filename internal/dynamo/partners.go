package dynamo

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/fraud"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/performance"
	"github.com/partnerloop/partnerloop/internal/program"
)

func partnerKey(id string) key { return key{"PARTNER#" + id, "PROFILE"} }
func codeKey(code string) key  { return key{"CODE#" + code, "CODE"} }

type partnerItem struct {
	key
	partner.Partner
	// Every partner is listed under one index key for the performance job.
	GSI1PK string `json:"gsi1pk,omitempty" dynamodbav:"gsi1pk,omitempty"`
	GSI1SK string `json:"gsi1sk,omitempty" dynamodbav:"gsi1sk,omitempty"`
}

// searchItem lists a partner under its folded name or e-mail, so finance
// finds partners by a prefix of either without reading them all.
type searchItem struct {
	key
	PartnerID string `dynamodbav:"partner_id"`
	GSI2PK    string `dynamodbav:"gsi2pk"`
	GSI2SK    string `dynamodbav:"gsi2sk"`
}

const partnerSearchKey = "PARTNER_SEARCH"

func searchItems(p partner.Partner) []searchItem {
	return []searchItem{
		{key{"PARTNER#" + p.ID, "SEARCH#NAME"}, p.ID, partnerSearchKey, partner.SearchFold(p.Name) + "#" + p.ID},
		{key{"PARTNER#" + p.ID, "SEARCH#EMAIL"}, p.ID, partnerSearchKey, partner.SearchFold(p.Email) + "#" + p.ID},
	}
}

const notExists = "attribute_not_exists(pk)"

// reserveCode claims a referral code or coupon for a partner; codes and
// coupons share one namespace, so no code can name two partners.
func (s *table) reserveCode(code string, r partner.Referrer) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(codeItem{codeKey(code), r}),
		ConditionExpression: aws.String(notExists)}}
}

// referrerUpdates set what changed of a partner's referrer on each of its
// codes (the referral code and the coupons listed), in the transaction
// that changes the partner.
func (s *Partners) referrerUpdates(codes []string, partnerID string, upd expression.UpdateBuilder) []types.TransactWriteItem {
	owned := expression.Name("partner_id").Equal(expression.Value(partnerID))
	items := make([]types.TransactWriteItem, 0, len(codes))
	for _, c := range codes {
		items = append(items, s.update(codeKey(c), upd, &owned))
	}
	return items
}

// CreatePartner reserves the referral code and the coupons, registers the
// payout methods' hashes and writes the partner in one transaction. A hash
// another partner registered first is left to it: the partner is written
// again without it, since sharing a payout method refuses nothing.
func (s *Partners) CreatePartner(ctx context.Context, p partner.Partner) error {
	for {
		items := s.newPartnerWrites(p)
		_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		failed, ok := cancelledAt(err)
		if held := heldByOthers(failed, p.PayoutHashes, len(items)-len(p.PayoutHashes)); len(held) > 0 {
			p.PayoutHashes = slices.DeleteFunc(slices.Clone(p.PayoutHashes), func(h string) bool { return slices.Contains(held, h) })
			continue
		}
		switch {
		case ok && failed[0]:
			return partner.ErrCodeTaken
		case ok && !failed[1]:
			return partner.ErrCouponTaken
		}
		return err
	}
}

// newPartnerWrites are a new partner's items for the transaction that
// creates it: its referral code first, then the partner, its coupons, its
// search entries and, last, the registrations of its payout hashes.
func (s *table) newPartnerWrites(p partner.Partner) []types.TransactWriteItem {
	items := []types.TransactWriteItem{
		s.reserveCode(p.ReferralCode, p.Referrer()),
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(partnerItem{key: partnerKey(p.ID), Partner: p, GSI1PK: sharded(partnersBase, p.ID), GSI1SK: p.ID}), ConditionExpression: aws.String(notExists)}},
	}
	for _, c := range p.Coupons {
		items = append(items, s.reserveCode(c, p.Referrer()))
	}
	for _, it := range searchItems(p) {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(it)}})
	}
	return append(items, s.payoutRegistry(p.ID, nil, p.PayoutHashes)...)
}

func payoutHashKey(hash string) key { return key{"PAYOUTHASH#" + hash, "PARTNER"} }

// payoutHashItem names the partner that registered a payout method's hash
// first, for the shared_payout_method fraud rule.
type payoutHashItem struct {
	key
	PartnerID string `dynamodbav:"partner_id"`
}

// payoutRegistry moves a partner's payout hashes from old to next: it
// releases the hashes the partner leaves (its own only), then registers
// each new one as the partner's unless another partner holds it (its
// condition then fails: see heldByOthers).
func (s *table) payoutRegistry(partnerID string, old, next []string) []types.TransactWriteItem {
	own := map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: partnerID}}
	var releases, registrations []types.TransactWriteItem
	for _, h := range old {
		if !slices.Contains(next, h) {
			releases = append(releases, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: payoutHashKey(h).av(),
				ConditionExpression: aws.String("partner_id = :p"), ExpressionAttributeValues: own}})
		}
	}
	for _, h := range next {
		if !slices.Contains(old, h) {
			registrations = append(registrations, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table,
				Item: mustMarshal(payoutHashItem{payoutHashKey(h), partnerID}), ConditionExpression: aws.String(notExists + " OR partner_id = :p"),
				ExpressionAttributeValues: own}})
		}
	}
	return append(releases, registrations...)
}

// heldByOthers are the hashes whose registrations, the transaction's items
// from first on in the order of the new hashes, failed their condition.
func heldByOthers(failed map[int]bool, newHashes []string, first int) []string {
	var held []string
	for i, h := range newHashes {
		if failed[first+i] {
			held = append(held, h)
		}
	}
	return held
}

// GetPartner reads one partner.
func (s *Partners) GetPartner(ctx context.Context, id string) (partner.Partner, error) {
	var it partnerItem
	found, err := s.get(ctx, partnerKey(id), &it)
	if err != nil {
		return partner.Partner{}, err
	}
	if !found {
		return partner.Partner{}, partner.ErrNotFound
	}
	return it.Partner, nil
}

// clickCounterKey is the counter of one source's clicks on a partner's
// link in an hour.
func clickCounterKey(partnerID, source string, at time.Time) key {
	return key{"CLICKS#" + partnerID + "#" + source, at.UTC().Format("2006-01-02T15")}
}

// clickRetention keeps per-source click counters past their hour, with
// what the fraud rules read of the click, for the orders that name it: 30
// days, as long as the device hash may be kept.
const clickRetention = 30 * 24 * time.Hour

// AddClick counts the click in the partner's counter for the source and
// the hour and returns it; the counter keeps the latest click's fraud
// facts (c) in the same write. Each source counts under a partition of its
// own, and nothing else is written per click, so a viral link's clicks
// from many visitors spread over as many partitions instead of making one
// partner's item hot.
func (s *Partners) AddClick(ctx context.Context, partnerID, source string, at time.Time, c fraud.Click) (int64, error) {
	counter := clickCounterKey(partnerID, source, at)
	upd := expression.Add(expression.Name("n"), expression.Value(1)).
		Set(expression.Name("expires_at"), expression.Value(at.Add(clickRetention).Unix()))
	for _, f := range []struct {
		name string
		v    any
		kept bool
	}{{"ad_params", c.AdParams, len(c.AdParams) > 0}, {"campaign", c.Campaign, c.Campaign != ""},
		{"referer_host", c.RefererHost, c.RefererHost != ""}, {"device", c.Device, c.Device != ""}} {
		if f.kept {
			upd = upd.Set(expression.Name(f.name), expression.Value(f.v))
		} else { // the latest click's facts, not an earlier one's
			upd = upd.Remove(expression.Name(f.name))
		}
	}
	cexpr, err := expression.NewBuilder().WithUpdate(upd).Build()
	if err != nil {
		return 0, err
	}
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: counter.av(),
		UpdateExpression: cexpr.Update(), ExpressionAttributeNames: cexpr.Names(), ExpressionAttributeValues: cexpr.Values(),
		ReturnValues: types.ReturnValueUpdatedNew})
	if err != nil {
		return 0, err
	}
	var counted struct {
		N int64 `dynamodbav:"n"`
	}
	if err := unmarshal(out.Attributes, &counted); err != nil {
		return 0, err
	}
	return counted.N, nil
}

// FlagPartner marks a partner's link as flooded until the given time.
// The flag matters to orders credited by the referral code, so the code's
// item carries it too.
func (s *Partners) FlagPartner(ctx context.Context, r partner.Referrer, until time.Time) error {
	flag := expression.Set(expression.Name("flagged_until"), expression.Value(until))
	exists := expression.AttributeExists(expression.Name("pk"))
	items := append([]types.TransactWriteItem{s.update(partnerKey(r.ID), flag, &exists)}, s.referrerUpdates([]string{r.ReferralCode}, r.ID, flag)...)
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if _, ok := cancelledAt(err); ok {
		return partner.ErrNotFound
	}
	return err
}

// UpdatePartner sets the given tier, status and coupons of an existing
// partner. New coupon codes are reserved and dropped ones released in the
// same transaction, conditional on the coupons still being u.OldCoupons;
// every code the partner keeps gets the new tier and status with it. A new
// payout e-mail moves the partner's payout hashes with it; a hash another
// partner registered first is left to it, and the change applied without.
func (s *Partners) UpdatePartner(ctx context.Context, id string, u partner.Update) (partner.Partner, error) {
	for {
		p, held, err := s.updatePartner(ctx, id, u)
		if len(held) == 0 {
			return p, err
		}
		st := *u.Settings
		st.PayoutHashes = slices.DeleteFunc(slices.Clone(st.PayoutHashes), func(h string) bool { return slices.Contains(held, h) })
		u.Settings = &st
	}
}

// updatePartner is one attempt of UpdatePartner; held are the new payout
// hashes it found registered by other partners, having written nothing.
func (s *Partners) updatePartner(ctx context.Context, id string, u partner.Update) (partner.Partner, []string, error) {
	var upd, referrer expression.UpdateBuilder
	var referrerChanged bool
	if u.Tier != "" {
		upd = upd.Set(expression.Name("tier"), expression.Value(u.Tier))
		referrer, referrerChanged = referrer.Set(expression.Name("tier"), expression.Value(u.Tier)), true
	}
	if u.Status != "" {
		upd = upd.Set(expression.Name("status"), expression.Value(u.Status))
		referrer, referrerChanged = referrer.Set(expression.Name("status"), expression.Value(u.Status)), true
	}
	if u.GroupID != "" {
		upd = upd.Set(expression.Name("group_id"), expression.Value(u.GroupID))
		referrer, referrerChanged = referrer.Set(expression.Name("group_id"), expression.Value(u.GroupID)), true
	}
	cond := expression.AttributeExists(expression.Name("pk"))
	if st := u.Settings; st != nil {
		upd = upd.Set(expression.Name("settings_changed_by"), expression.Value(st.By)).
			Set(expression.Name("settings_changed_at"), expression.Value(st.At))
		switch {
		case st.ClearCharity:
			upd = upd.Remove(expression.Name("charity"))
		case st.Charity != nil:
			upd = upd.Set(expression.Name("charity"), expression.Value(st.Charity))
		}
		if st.ShowOnLeaderboard != nil {
			upd = upd.Set(expression.Name("show_on_leaderboard"), expression.Value(*st.ShowOnLeaderboard))
		}
		if st.PayoutEmail != "" {
			upd = upd.Set(expression.Name("payout.email"), expression.Value(st.PayoutEmail))
			cond = cond.And(expression.AttributeExists(expression.Name("payout")))
			// The codes carry it for the customer_is_partner rule.
			referrer, referrerChanged = referrer.Set(expression.Name("payout_email"), expression.Value(st.PayoutEmail)), true
		}
	}
	if !referrerChanged && u.Coupons == nil {
		expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
		if err != nil {
			return partner.Partner{}, nil, err
		}
		p, err := s.updatePartnerItem(ctx, id, expr, u.Settings != nil && u.Settings.PayoutEmail != "")
		return p, nil, err
	}
	// The codes carry the partner's tier and status: read which codes it
	// has, and write them only if the partner is still as read.
	cur, err := s.GetPartner(ctx, id)
	if err != nil {
		return partner.Partner{}, nil, err
	}
	next := cur
	next.Tier, next.Status, next.GroupID = cmp.Or(u.Tier, cur.Tier), cmp.Or(u.Status, cur.Status), cmp.Or(u.GroupID, cur.GroupID)
	cond = cond.And(expression.Name("tier").Equal(expression.Value(cur.Tier)), expression.Name("status").Equal(expression.Value(cur.Status)),
		inGroup(cur.Referrer()))
	kept := []string{cur.ReferralCode}
	var codes []types.TransactWriteItem
	if u.Coupons != nil {
		upd = upd.Set(expression.Name("coupons"), expression.Value(u.Coupons))
		cond = cond.And(listIs("coupons", u.OldCoupons))
		for _, c := range u.Coupons {
			if !slices.Contains(u.OldCoupons, c) {
				codes = append(codes, s.reserveCode(c, next.Referrer()))
			}
		}
		for _, c := range u.OldCoupons {
			if !slices.Contains(u.Coupons, c) {
				codes = append(codes, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: codeKey(c).av(),
					ConditionExpression:       aws.String("partner_id = :p"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: id}}}})
			} else {
				kept = append(kept, c)
			}
		}
	} else {
		kept = append(kept, cur.Coupons...)
	}
	if referrerChanged {
		codes = append(codes, s.referrerUpdates(kept, id, referrer)...)
	}
	var added []string
	if st := u.Settings; st != nil && st.PayoutEmail != "" {
		if len(st.PayoutHashes) == 0 {
			upd = upd.Remove(expression.Name("payout_hashes"))
		} else {
			upd = upd.Set(expression.Name("payout_hashes"), expression.Value(st.PayoutHashes))
		}
		cond = cond.And(listIs("payout_hashes", cur.PayoutHashes))
		added = slices.DeleteFunc(slices.Clone(st.PayoutHashes), func(h string) bool { return slices.Contains(cur.PayoutHashes, h) })
		codes = append(codes, s.payoutRegistry(id, cur.PayoutHashes, st.PayoutHashes)...)
	}
	items := append([]types.TransactWriteItem{s.update(partnerKey(id), upd, &cond)}, codes...)
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := cancelledAt(err); ok {
		if held := heldByOthers(failed, added, len(items)-len(added)); len(held) > 0 {
			return partner.Partner{}, held, nil
		}
		if failed[0] {
			return partner.Partner{}, nil, s.missingOrChanged(ctx, id)
		}
		return partner.Partner{}, nil, partner.ErrCouponTaken
	}
	if isTransactionConflict(err) {
		return partner.Partner{}, nil, partner.ErrConcurrentChange
	}
	if err != nil {
		return partner.Partner{}, nil, err
	}
	p, err := s.GetPartner(ctx, id)
	return p, nil, err
}

// listIs holds while the item's list attribute is list (missing, null or
// empty for an empty one).
func listIs(name string, list []string) expression.ConditionBuilder {
	if len(list) == 0 {
		return expression.Or(expression.AttributeNotExists(expression.Name(name)),
			expression.AttributeType(expression.Name(name), expression.Null), expression.Name(name).Size().Equal(expression.Value(0)))
	}
	return expression.Name(name).Equal(expression.Value(list))
}

// inGroup holds while a partner or code item is still in r's group; an
// item stored before groups, without one, is in the default group.
func inGroup(r partner.Referrer) expression.ConditionBuilder {
	cond := expression.Name("group_id").Equal(expression.Value(r.Group()))
	if r.Group() == program.DefaultGroup {
		cond = expression.Or(expression.AttributeNotExists(expression.Name("group_id")), cond)
	}
	return cond
}

// updatePartnerItem applies an update to the partner item alone.
func (s *Partners) updatePartnerItem(ctx context.Context, id string, expr expression.Expression, stateChecked bool) (partner.Partner, error) {
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: partnerKey(id).av(),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(), ReturnValues: types.ReturnValueAllNew,
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if stateChecked {
			return partner.Partner{}, s.missingOrChanged(ctx, id)
		}
		return partner.Partner{}, partner.ErrNotFound
	}
	if err != nil {
		return partner.Partner{}, err
	}
	var it partnerItem
	if err := unmarshal(out.Attributes, &it); err != nil {
		return partner.Partner{}, err
	}
	return it.Partner, nil
}

// missingOrChanged tells why a partner's conditional update failed.
func (s *Partners) missingOrChanged(ctx context.Context, id string) error {
	if _, err := s.GetPartner(ctx, id); err != nil {
		return err
	}
	return partner.ErrConcurrentChange
}

// PartnersPage lists a page of partners in id order.
func (s *Partners) PartnersPage(ctx context.Context, limit int32, cursor string) ([]partner.Partner, string, error) {
	return shardedPage(ctx, s.table, "gsi1", partnersBase, limit, cursor, func(it partnerItem) string { return it.ID },
		func(it partnerItem) partner.Partner { return it.Partner })
}

// SearchPartners pages through the partners whose folded name or e-mail
// starts with prefix, in that order; a partner matching by both shows once
// per page.
func (s *Partners) SearchPartners(ctx context.Context, prefix string, limit int32, cursor string) ([]partner.Partner, string, error) {
	hits, next, err := queryPage(ctx, s.table, lookup{index: "gsi2", key: expression.Key("gsi2pk").Equal(expression.Value(partnerSearchKey)).
		And(expression.Key("gsi2sk").BeginsWith(partner.SearchFold(prefix)))}, limit, cursor,
		func(it searchItem) string { return it.PartnerID })
	if err != nil {
		return nil, "", err
	}
	ids := make([]string, 0, len(hits))
	for _, id := range hits {
		if !slices.Contains(ids, id) { // BatchGetItem refuses a key twice
			ids = append(ids, id)
		}
	}
	keys := make([]key, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, partnerKey(id))
	}
	found := map[string]partner.Partner{}
	err = s.batchGet(ctx, keys, func(item map[string]types.AttributeValue) error {
		var it partnerItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		found[it.ID] = it.Partner
		return nil
	})
	out := make([]partner.Partner, 0, len(ids))
	for _, id := range ids {
		if p, ok := found[id]; ok {
			out = append(out, p)
		}
	}
	return out, next, err
}

// ListPartners returns every partner.
func (s *Partners) ListPartners(ctx context.Context) ([]partner.Partner, error) {
	all, err := inShards(partnersBase, func(k string) ([]partner.Partner, error) {
		return queryAll(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value(k))},
			func(it partnerItem) partner.Partner { return it.Partner })
	})
	slices.SortFunc(all, func(a, b partner.Partner) int { return strings.Compare(a.ID, b.ID) })
	return all, err
}

type tierItem struct {
	key
	performance.TierChange
}

// ChangeTier moves the partner to change.To if it is still at change.From
// and appends the change to its history, in one transaction.
// The partner's codes get the new tier with it.
func (s *Partners) ChangeTier(ctx context.Context, partnerID string, change performance.TierChange, events []outbox.Event) error {
	p, err := s.GetPartner(ctx, partnerID)
	if err != nil {
		return err
	}
	tier := expression.Set(expression.Name("tier"), expression.Value(change.To))
	from := expression.Name("tier").Equal(expression.Value(change.From))
	hist := tierItem{key: key{"PARTNER#" + partnerID, "TIER#" + sortableTime(change.At)}, TierChange: change}
	items := append([]types.TransactWriteItem{
		s.update(partnerKey(partnerID), tier, &from),
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(hist), ConditionExpression: aws.String(notExists)}},
	}, s.eventPuts(events)...)
	items = append(items, s.referrerUpdates(append([]string{p.ReferralCode}, p.Coupons...), partnerID, tier)...)
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if _, ok := cancelledAt(err); ok || isTransactionConflict(err) {
		return performance.ErrTierChanged
	}
	return err
}

// TierHistory lists a partner's tier changes, oldest first.
func (s *Partners) TierHistory(ctx context.Context, partnerID string) ([]performance.TierChange, error) {
	return queryAll(ctx, s.table, lookup{key: expression.Key("pk").Equal(expression.Value("PARTNER#" + partnerID)).
		And(expression.Key("sk").BeginsWith("TIER#"))}, func(it tierItem) performance.TierChange { return it.TierChange })
}
