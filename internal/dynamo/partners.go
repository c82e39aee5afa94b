package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/performance"
	"github.com/partnerloop/partnerloop/internal/referral"
)

func partnerKey(id string) key { return key{"PARTNER#" + id, "PROFILE"} }
func codeKey(code string) key  { return key{"CODE#" + code, "CODE"} }
func touchKeys(emailHash, customerID, ref string) []key {
	var ks []key
	if emailHash != "" {
		ks = append(ks, key{"TOUCH#EMAIL#" + emailHash, ref})
	}
	if customerID != "" {
		ks = append(ks, key{"TOUCH#CUSTOMER#" + customerID, ref})
	}
	return ks
}

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

type codeItem struct {
	key
	PartnerID string `json:"partner_id" dynamodbav:"partner_id"`
}

type touchItem struct {
	key
	referral.Touch
	ExpiresAt int64 `json:"expires_at" dynamodbav:"expires_at"`
}

// touchRetention outlives the longest attribution window a program may set.
const touchRetention = 366 * 24 * time.Hour

const notExists = "attribute_not_exists(pk)"

// reserveCode claims a referral code or coupon for a partner; codes and
// coupons share one namespace, so no code can name two partners.
func (s *Partners) reserveCode(code, partnerID string) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(codeItem{codeKey(code), partnerID}),
		ConditionExpression: aws.String(notExists)}}
}

// CreatePartner reserves the referral code and the coupons and writes the
// partner in one transaction.
func (s *Partners) CreatePartner(ctx context.Context, p partner.Partner) error {
	items := []types.TransactWriteItem{
		s.reserveCode(p.ReferralCode, p.ID),
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(partnerItem{key: partnerKey(p.ID), Partner: p, GSI1PK: "PARTNERS", GSI1SK: p.ID}), ConditionExpression: aws.String(notExists)}},
	}
	for _, c := range p.Coupons {
		items = append(items, s.reserveCode(c, p.ID))
	}
	for _, it := range searchItems(p) {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(it)}})
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	failed, ok := cancelledAt(err)
	switch {
	case ok && failed[0]:
		return partner.ErrCodeTaken
	case ok && !failed[1]:
		return partner.ErrCouponTaken
	}
	return err
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

// PartnerByCode resolves a normalised referral code.
func (s *Partners) PartnerByCode(ctx context.Context, code string) (partner.Partner, error) {
	var c codeItem
	found, err := s.get(ctx, codeKey(code), &c)
	if err != nil {
		return partner.Partner{}, err
	}
	if !found {
		return partner.Partner{}, partner.ErrNotFound
	}
	return s.GetPartner(ctx, c.PartnerID)
}

// clickRetention keeps per-source click counters past their hour.
const clickRetention = 48 * time.Hour

// AddClick counts the click in the partner's counter for the source and
// the hour and returns it. Each source counts under a partition of its own,
// and nothing else is written per click, so a viral link's clicks from
// many visitors spread over as many partitions instead of making one
// partner's item hot.
func (s *Partners) AddClick(ctx context.Context, partnerID, source string, at time.Time) (int64, error) {
	counter := key{"CLICKS#" + partnerID + "#" + source, at.UTC().Format("2006-01-02T15")}
	cexpr, err := expression.NewBuilder().WithUpdate(expression.Add(expression.Name("n"), expression.Value(1)).
		Set(expression.Name("expires_at"), expression.Value(at.Add(clickRetention).Unix()))).Build()
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
func (s *Partners) FlagPartner(ctx context.Context, partnerID string, until time.Time) error {
	expr, err := expression.NewBuilder().WithUpdate(expression.Set(expression.Name("flagged_until"), expression.Value(until))).
		WithCondition(expression.AttributeExists(expression.Name("pk"))).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: partnerKey(partnerID).av(),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()})
	return err
}

// PutTouch stores the touch under each customer key it has; a touch with
// the same ref keeps its first time.
func (s *Partners) PutTouch(ctx context.Context, t referral.Touch) error {
	for _, k := range touchKeys(t.EmailHash, t.CustomerID, t.Ref) {
		_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, ConditionExpression: aws.String(notExists),
			Item: mustMarshal(touchItem{key: k, Touch: t, ExpiresAt: t.At.Add(touchRetention).Unix()})})
		var ccf *types.ConditionalCheckFailedException
		if err != nil && !errors.As(err, &ccf) {
			return err
		}
	}
	return nil
}

// RenewTouch stores or renews the touch with its ref under each customer
// key: the latest time as at, the first kept as first_at.
func (s *Partners) RenewTouch(ctx context.Context, t referral.Touch) error {
	upd := expression.Set(expression.Name("partner_id"), expression.Value(t.PartnerID)).
		Set(expression.Name("via"), expression.Value(t.Via)).
		Set(expression.Name("ref"), expression.Value(t.Ref)).
		Set(expression.Name("at"), expression.Value(t.At)).
		Set(expression.Name("first_at"), expression.IfNotExists(expression.Name("first_at"), expression.Value(t.At))).
		Set(expression.Name("expires_at"), expression.Value(t.At.Add(touchRetention).Unix()))
	if t.CustomerID != "" {
		upd = upd.Set(expression.Name("customer_id"), expression.Value(t.CustomerID))
	}
	if t.EmailHash != "" {
		upd = upd.Set(expression.Name("email_hash"), expression.Value(t.EmailHash))
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).Build()
	if err != nil {
		return err
	}
	for _, k := range touchKeys(t.EmailHash, t.CustomerID, t.Ref) {
		if _, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.Table, Key: k.av(), UpdateExpression: expr.Update(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}); err != nil {
			return err
		}
	}
	return nil
}

// Touches lists every touch of a customer by e-mail hash or customer id.
func (s *Partners) Touches(ctx context.Context, emailHash, customerID string) ([]referral.Touch, error) {
	var pks []string // by e-mail and by customer id, at once
	for _, k := range touchKeys(emailHash, customerID, "") {
		pks = append(pks, k.PK)
	}
	touches, err := inParallel(pks, func(pk string) ([]referral.Touch, error) {
		return queryAll(ctx, s.table, lookup{key: expression.Key("pk").Equal(expression.Value(pk))},
			func(it touchItem) referral.Touch { return it.Touch })
	})
	if err != nil {
		return nil, fmt.Errorf("read touches: %w", err)
	}
	seen := map[string]bool{}
	var out []referral.Touch
	for _, t := range touches {
		if !seen[t.Ref] {
			seen[t.Ref] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// UpdatePartner sets the given tier, status and coupons of an existing
// partner. New coupon codes are reserved and dropped ones released in the
// same transaction, conditional on the coupons still being u.OldCoupons.
func (s *Partners) UpdatePartner(ctx context.Context, id string, u partner.Update) (partner.Partner, error) {
	var upd expression.UpdateBuilder
	if u.Tier != "" {
		upd = upd.Set(expression.Name("tier"), expression.Value(u.Tier))
	}
	if u.Status != "" {
		upd = upd.Set(expression.Name("status"), expression.Value(u.Status))
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
		}
	}
	var codes []types.TransactWriteItem
	if u.Coupons != nil {
		upd = upd.Set(expression.Name("coupons"), expression.Value(u.Coupons))
		if len(u.OldCoupons) == 0 {
			cond = cond.And(expression.Or(expression.AttributeNotExists(expression.Name("coupons")),
				expression.AttributeType(expression.Name("coupons"), expression.Null),
				expression.Name("coupons").Size().Equal(expression.Value(0))))
		} else {
			cond = cond.And(expression.Name("coupons").Equal(expression.Value(u.OldCoupons)))
		}
		for _, c := range u.Coupons {
			if !slices.Contains(u.OldCoupons, c) {
				codes = append(codes, s.reserveCode(c, id))
			}
		}
		for _, c := range u.OldCoupons {
			if !slices.Contains(u.Coupons, c) {
				codes = append(codes, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.Table, Key: codeKey(c).av(),
					ConditionExpression:       aws.String("partner_id = :p"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: id}}}})
			}
		}
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return partner.Partner{}, err
	}
	if len(codes) == 0 {
		return s.updatePartnerItem(ctx, id, expr, u.Coupons != nil || u.Settings != nil && u.Settings.PayoutEmail != "")
	}
	items := append([]types.TransactWriteItem{{Update: &types.Update{TableName: &s.Table, Key: partnerKey(id).av(),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}}}, codes...)
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := cancelledAt(err); ok {
		if failed[0] {
			return partner.Partner{}, s.missingOrChanged(ctx, id)
		}
		return partner.Partner{}, partner.ErrCouponTaken
	}
	if isTransactionConflict(err) {
		return partner.Partner{}, partner.ErrConcurrentChange
	}
	if err != nil {
		return partner.Partner{}, err
	}
	return s.GetPartner(ctx, id)
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
	return queryPage(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("PARTNERS"))}, limit, cursor,
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
	return queryAll(ctx, s.table, lookup{index: "gsi1", key: expression.Key("gsi1pk").Equal(expression.Value("PARTNERS"))},
		func(it partnerItem) partner.Partner { return it.Partner })
}

type tierItem struct {
	key
	performance.TierChange
}

// ChangeTier moves the partner to change.To if it is still at change.From
// and appends the change to its history, in one transaction.
func (s *Partners) ChangeTier(ctx context.Context, partnerID string, change performance.TierChange, events []outbox.Event) error {
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name("tier"), expression.Value(change.To))).
		WithCondition(expression.Name("tier").Equal(expression.Value(change.From))).Build()
	if err != nil {
		return err
	}
	hist := tierItem{key: key{"PARTNER#" + partnerID, "TIER#" + sortableTime(change.At)}, TierChange: change}
	items := append([]types.TransactWriteItem{
		{Update: &types.Update{TableName: &s.Table, Key: partnerKey(partnerID).av(), UpdateExpression: expr.Update(),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values()}},
		{Put: &types.Put{TableName: &s.Table, Item: mustMarshal(hist), ConditionExpression: aws.String(notExists)}},
	}, s.eventPuts(events)...)
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
