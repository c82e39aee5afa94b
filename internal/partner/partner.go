// Package partner manages the people and companies that refer customers.
package partner

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/fraud"
	"github.com/partnerloop/partnerloop/internal/program"
)

// Status of a partner; only active partners earn commission.
type Status string

const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
)

// CharityShare routes part of every payout to a charity.
type CharityShare struct {
	CharityID string `json:"charity_id" dynamodbav:"charity_id"`
	ShareBps  int64  `json:"share_bps" dynamodbav:"share_bps"`
}

// Payout methods a partner can be paid by.
const (
	MethodManual = "manual" // recorded in the ledger; finance pays by bank transfer
	MethodStripe = "stripe" // a Stripe Connect transfer to the partner's account
	MethodPayPal = "paypal" // a line of the batch's PayPal Payouts file
	MethodWise   = "wise"   // a line of the batch's Wise batch file
)

// PayoutDetails say how a partner is paid; nil means manual.
type PayoutDetails struct {
	Method        string `json:"method" dynamodbav:"method"`
	StripeAccount string `json:"stripe_account,omitempty" dynamodbav:"stripe_account,omitempty"`
	// Email receives PayPal and Wise payouts; the partner's e-mail if empty.
	Email string `json:"email,omitempty" dynamodbav:"email,omitempty"`
}

func (d *PayoutDetails) validate() error {
	if d == nil {
		return nil
	}
	switch d.Method {
	case MethodManual:
	case MethodPayPal, MethodWise:
		if d.Email == "" {
			break
		}
		if err := bounds.Address("payout.email", d.Email); err != nil {
			return refused(err)
		}
	case MethodStripe:
		if err := bounds.ID.Check("payout.stripe_account", d.StripeAccount); err != nil {
			return refused(err)
		}
		if !strings.HasPrefix(d.StripeAccount, "acct_") {
			return fmt.Errorf("%w: payout.stripe_account must be a connected account id (acct_...)", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: payout.method must be manual, stripe, paypal or wise", ErrInvalid)
	}
	return nil
}

// Partner is a member of the program.
type Partner struct {
	ID           string       `json:"id" dynamodbav:"id"`
	Name         string       `json:"name" dynamodbav:"name"`
	Email        string       `json:"email" dynamodbav:"email"`
	Tier         program.Tier `json:"tier" dynamodbav:"tier"`
	Status       Status       `json:"status" dynamodbav:"status"`
	ReferralCode string       `json:"referral_code" dynamodbav:"referral_code"`
	// GroupID is the group whose terms the partner earns by; empty (a
	// partner stored before groups) is the default group: see Group.
	GroupID string `json:"group_id" dynamodbav:"group_id,omitempty"`
	// Coupons are the partner's own coupon codes (normalised like referral
	// codes), unique across all partners' codes and coupons.
	Coupons   []string       `json:"coupons" dynamodbav:"coupons"`
	Charity   *CharityShare  `json:"charity,omitempty" dynamodbav:"charity,omitempty"`
	Payout    *PayoutDetails `json:"payout,omitempty" dynamodbav:"payout,omitempty"`
	CreatedAt time.Time      `json:"created_at" dynamodbav:"created_at"`
	// FlaggedUntil is set when the partner's link was flooded with clicks;
	// orders credited by its referral code until then are held.
	FlaggedUntil *time.Time `json:"flagged_until,omitempty" dynamodbav:"flagged_until,omitempty"`
	// SettingsChangedBy and SettingsChangedAt record the last change of the
	// partner's own settings (charity, payout e-mail).
	SettingsChangedBy string     `json:"settings_changed_by,omitempty" dynamodbav:"settings_changed_by,omitempty"`
	SettingsChangedAt *time.Time `json:"settings_changed_at,omitempty" dynamodbav:"settings_changed_at,omitempty"`
	// ShowOnLeaderboard is the partner's choice to appear by name on
	// leaderboards; otherwise it is "Partner #<rank>".
	ShowOnLeaderboard bool `json:"show_on_leaderboard" dynamodbav:"show_on_leaderboard,omitempty"`
	// PayoutHashes are the keyed hashes of the methods the partner is paid
	// by (PayoutMethods) that the store registered as the partner's: a
	// hash another partner registered first is left out.
	PayoutHashes []string `json:"-" dynamodbav:"payout_hashes,omitempty"`
}

// PayoutMethods name what pays the partner, for the shared_payout_method
// fraud rule: the address PayPal or Wise pays, normalised as the rules
// compare addresses, and the Stripe account. A manual payout names none.
func (p Partner) PayoutMethods() []string {
	if p.Payout == nil {
		return nil
	}
	switch p.Payout.Method {
	case MethodPayPal, MethodWise:
		return []string{fraud.NormalizeEmail(cmp.Or(p.Payout.Email, p.Email))}
	case MethodStripe:
		return []string{"stripe:" + p.Payout.StripeAccount}
	}
	return nil
}

// Referrer is what crediting an order to a partner needs to know of it.
// The store keeps it with each of the partner's codes (and with each touch
// a code made), so the order path resolves a code in the same read as the
// rest of its evidence.
type Referrer struct {
	ID           string       `json:"partner_id" dynamodbav:"partner_id"`
	ReferralCode string       `json:"referral_code" dynamodbav:"referral_code"`
	Tier         program.Tier `json:"tier" dynamodbav:"tier"`
	Status       Status       `json:"status" dynamodbav:"status"`
	Email        string       `json:"email" dynamodbav:"email"`
	FlaggedUntil *time.Time   `json:"flagged_until,omitempty" dynamodbav:"flagged_until,omitempty"`
	GroupID      string       `json:"group_id,omitempty" dynamodbav:"group_id,omitempty"`
	// PayoutEmail is the address PayPal or Wise pays, when it is not
	// Email: the customer_is_partner fraud rule compares both.
	PayoutEmail string `json:"-" dynamodbav:"payout_email,omitempty"`
}

// Referrer is the partner as attribution sees it.
func (p Partner) Referrer() Referrer {
	r := Referrer{ID: p.ID, ReferralCode: p.ReferralCode, Tier: p.Tier, Status: p.Status, Email: p.Email, FlaggedUntil: p.FlaggedUntil, GroupID: p.GroupID}
	if p.Payout != nil {
		r.PayoutEmail = p.Payout.Email
	}
	return r
}

// Group is the partner's group: a partner stored before groups existed,
// which has none, is in the default group. Reading it so is the whole
// migration: nothing needs rewriting, and a move stores the group.
func (p Partner) Group() string { return cmp.Or(p.GroupID, program.DefaultGroup) }

// Group is the referring partner's group (see Partner.Group).
func (r Referrer) Group() string { return cmp.Or(r.GroupID, program.DefaultGroup) }

var (
	// ErrNotFound is returned for unknown partners and codes.
	ErrNotFound = errors.New("partner not found")
	// ErrCodeTaken means a generated referral code already exists.
	ErrCodeTaken = errors.New("referral code taken")
	// ErrCouponTaken means a coupon is already another partner's code or coupon.
	ErrCouponTaken = errors.New("coupon code already belongs to a partner")
	// ErrConcurrentChange means the partner changed between read and write.
	ErrConcurrentChange = errors.New("partner changed concurrently")
	// ErrInvalid wraps validation failures of a new partner.
	ErrInvalid = errors.New("invalid partner")
)

// Store persists partners. CreatePartner must reserve the referral code, the
// coupons and write the partner atomically, failing with ErrCodeTaken if the
// referral code exists and ErrCouponTaken if a coupon does. UpdatePartner
// applies u only if the partner's coupons are still u.OldCoupons
// (ErrConcurrentChange otherwise), reserving and releasing coupon codes in the
// same transaction.
type Store interface {
	CreatePartner(ctx context.Context, p Partner) error
	UpdatePartner(ctx context.Context, id string, u Update) (Partner, error)
	PartnersPage(ctx context.Context, limit int32, cursor string) ([]Partner, string, error)
	// SearchPartners pages through partners whose SearchFold-ed name or
	// e-mail starts with the folded prefix.
	SearchPartners(ctx context.Context, prefix string, limit int32, cursor string) ([]Partner, string, error)
	GetPartner(ctx context.Context, id string) (Partner, error)
}

// NewPartner is the input to Create.
type NewPartner struct {
	Name    string         `json:"name"`
	Email   string         `json:"email"`
	Tier    string         `json:"tier"`
	Charity *CharityShare  `json:"charity"`
	Payout  *PayoutDetails `json:"payout"`
	Coupons []string       `json:"coupons"`
	// GroupID places the partner in a group; empty is the default group.
	// Without Tier the partner starts at the group's default tier.
	GroupID string `json:"group_id"`
}

// MaxCoupons bounds a partner's coupon codes (each is one item written with
// the partner in a single transaction).
const MaxCoupons = 20

// normalizeCoupons validates and upper-cases coupon codes, so matching is
// case-insensitive whatever case a shop sends.
func normalizeCoupons(in []string) ([]string, error) {
	if len(in) > MaxCoupons {
		return nil, fmt.Errorf("%w: at most %d coupons", ErrInvalid, MaxCoupons)
	}
	out := make([]string, 0, len(in))
	for i, c := range in {
		code, ok := NormalizeCode(c)
		if !ok {
			return nil, fmt.Errorf("%w: coupons[%d] must be 3 to 32 letters, digits, - or _", ErrInvalid, i)
		}
		if slices.Contains(out, code) {
			return nil, fmt.Errorf("%w: coupons[%d] repeats %s", ErrInvalid, i, code)
		}
		out = append(out, code)
	}
	return out, nil
}

func (n NewPartner) validate() (program.Tier, error) {
	name := strings.TrimSpace(n.Name)
	if name == "" {
		return "", refused(&bounds.Error{Field: "name", Reason: "is required"})
	}
	// The name and e-mail reach PayPal and Wise files as they are.
	if err := bounds.PersonName("name", name); err != nil {
		return "", refused(err)
	}
	if err := bounds.Address("email", n.Email); err != nil {
		return "", refused(err)
	}
	tier, err := program.ParseTier(n.Tier)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := bounds.ID.Check("group_id", n.GroupID); err != nil {
		return "", refused(err)
	}
	if err := n.Payout.validate(); err != nil {
		return "", err
	}
	if err := n.Charity.validate(); err != nil {
		return "", err
	}
	return tier, nil
}

// refused is a bounds failure as ErrInvalid; the error keeps the field it names.
func refused(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalid, err)
}

func (c *CharityShare) validate() error {
	if c == nil {
		return nil
	}
	if strings.TrimSpace(c.CharityID) == "" {
		return fmt.Errorf("%w: charity.charity_id is required", ErrInvalid)
	}
	if err := bounds.ID.Check("charity.charity_id", c.CharityID); err != nil {
		return refused(err)
	}
	if c.ShareBps <= 0 || c.ShareBps > 10_000 {
		return fmt.Errorf("%w: charity.share_bps must be between 1 and 10000", ErrInvalid)
	}
	return nil
}

// offered checks a chosen charity is in the catalog and, when the program
// names its charities, one of them.
func (s *Service) offered(ctx context.Context, c *CharityShare) error {
	if c == nil {
		return nil
	}
	listed, err := s.Charities.CharityListed(ctx, c.CharityID)
	if err != nil {
		return err
	}
	if !listed {
		return fmt.Errorf("%w: charity.charity_id is not in the charity catalog", ErrInvalid)
	}
	prog, err := s.Programs.Current(ctx)
	if err != nil {
		return err
	}
	if opts := prog.Program.CharityOptions; len(opts) > 0 && !slices.Contains(opts, c.CharityID) {
		return fmt.Errorf("%w: charity.charity_id must be one of the program's charity_options", ErrInvalid)
	}
	return nil
}

// Service creates and reads partners.
// Charities is the charity catalog a partner chooses from.
type Charities interface {
	// CharityListed reports whether the charity is in the catalog.
	CharityListed(ctx context.Context, id string) (bool, error)
}

type Service struct {
	Store     Store
	Charities Charities
	Programs  program.Provider
	// Groups are the groups partners may be placed in; nil knows only
	// the default group, with the entry tier.
	Groups Groups
	// Joined, if set, is told of a partner created in a group or moved to
	// one, once stored, and answers the partner as it is after (its
	// group's discount code is issued there). It does not fail the change.
	Joined func(ctx context.Context, p Partner) Partner
	// PayoutHash is the keyed hash payout methods are registered by; nil
	// registers none.
	PayoutHash func(method string) string
	// PayoutShared, if set, is told of the hashes of a partner's payout
	// methods once a creation or settings change that sets them is stored;
	// it files the partner's sharing of any with others as fraud.
	PayoutShared func(ctx context.Context, partnerID, groupID string, hashes []string) error
	Now          func() time.Time
}

// payoutHashes are the keyed hashes of p's payout methods.
func (s *Service) payoutHashes(p Partner) []string {
	if s.PayoutHash == nil {
		return nil
	}
	var hashes []string
	for _, m := range p.PayoutMethods() {
		hashes = append(hashes, s.PayoutHash(m))
	}
	return hashes
}

// payoutSet tells PayoutShared of p's payout methods, stored with hashes.
func (s *Service) payoutSet(ctx context.Context, p Partner, hashes []string) error {
	if s.PayoutShared == nil || len(hashes) == 0 {
		return nil
	}
	if err := s.PayoutShared(ctx, p.ID, p.Group(), hashes); err != nil {
		return fmt.Errorf("compare payout methods: %w", err)
	}
	return nil
}

// Groups are the groups partners are placed in.
type Groups interface {
	// DefaultTier is the tier the group gives a partner created without
	// one (empty: the entry tier), and whether the group exists.
	DefaultTier(ctx context.Context, groupID string) (program.Tier, bool, error)
}

// inGroup checks the group a partner is placed in exists and returns its
// default tier; field names the request's field.
func (s *Service) inGroup(ctx context.Context, field, groupID string) (program.Tier, error) {
	tier, found, err := program.Tier(""), groupID == program.DefaultGroup, error(nil)
	if s.Groups != nil {
		tier, found, err = s.Groups.DefaultTier(ctx, groupID)
	}
	if err != nil {
		return "", err
	}
	if !found {
		return "", refused(&bounds.Error{Field: field, Reason: "must name an existing group"})
	}
	return tier, nil
}

// Create registers a partner with a fresh, unguessable referral code.
func (s *Service) Create(ctx context.Context, in NewPartner) (Partner, error) {
	return s.CreateWith(ctx, in, func(p Partner) error { return s.Store.CreatePartner(ctx, p) })
}

// CreateWith checks a new partner and saves it with save, which stores it
// as Store.CreatePartner does, alone or within a larger change (an
// approved application's); a referral code save finds taken
// (ErrCodeTaken) is drawn again.
func (s *Service) CreateWith(ctx context.Context, in NewPartner, save func(Partner) error) (Partner, error) {
	tier, err := in.validate()
	if err != nil {
		return Partner{}, err
	}
	if err := s.offered(ctx, in.Charity); err != nil {
		return Partner{}, err
	}
	coupons, err := normalizeCoupons(in.Coupons)
	if err != nil {
		return Partner{}, err
	}
	group := cmp.Or(in.GroupID, program.DefaultGroup)
	groupTier, err := s.inGroup(ctx, "group_id", group)
	if err != nil {
		return Partner{}, err
	}
	if in.Tier == "" && groupTier != "" {
		tier = groupTier
	}
	p := Partner{
		ID: "pt_" + randomString(16), Name: strings.TrimSpace(in.Name), Email: in.Email, Tier: tier, Status: StatusActive,
		GroupID: group, Coupons: coupons, Charity: in.Charity, Payout: in.Payout, CreatedAt: s.Now().UTC(),
	}
	p.PayoutHashes = s.payoutHashes(p)
	for range 5 {
		p.ReferralCode = randomString(8)
		err = save(p)
		if !errors.Is(err, ErrCodeTaken) {
			break
		}
	}
	if err != nil {
		return Partner{}, err
	}
	if err := s.payoutSet(ctx, p, p.PayoutHashes); err != nil {
		return Partner{}, err
	}
	return s.joined(ctx, p), nil
}

// joined tells Joined of a partner that joined a group.
func (s *Service) joined(ctx context.Context, p Partner) Partner {
	if s.Joined == nil {
		return p
	}
	return s.Joined(ctx, p)
}

// List returns a page of partners and the cursor of the next page: all of
// them, or those whose name or e-mail starts with search.
func (s *Service) List(ctx context.Context, search string, limit int32, cursor string) ([]Partner, string, error) {
	if search = SearchFold(search); search != "" {
		if len(search) > maxSearch {
			return []Partner{}, "", nil // longer than any name or e-mail, and than the index's key
		}
		return s.Store.SearchPartners(ctx, search, limit, cursor)
	}
	return s.Store.PartnersPage(ctx, limit, cursor)
}

// maxSearch is the longest name in bytes (four per character at most).
var maxSearch = 4 * bounds.Name.Max

// SearchFold is how names and e-mails are compared in a search: trimmed
// and case-folded, so "anna", "Anna " and "ANNA" find the same partners.
func SearchFold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Get returns one partner.
func (s *Service) Get(ctx context.Context, id string) (Partner, error) {
	return s.Store.GetPartner(ctx, id)
}

// codeAlphabet avoids characters people confuse when reading a code aloud.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

func randomString(n int) string {
	b := make([]byte, n)
	limit := big.NewInt(int64(len(codeAlphabet)))
	for i := range b {
		k, err := rand.Int(rand.Reader, limit)
		if err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		b[i] = codeAlphabet[k.Int64()]
	}
	return string(b)
}

// NormalizeCode upper-cases a referral code and rejects anything that cannot
// be one, so lookups and redirects only ever see well-formed codes.
func NormalizeCode(code string) (string, bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) < 3 || len(code) > 32 {
		return "", false
	}
	for _, r := range code {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "", false
		}
	}
	return code, true
}

// Change is the input to Update; nil fields stay as they are.
type Change struct {
	Tier    *string   `json:"tier"`
	Status  *string   `json:"status"`
	Coupons *[]string `json:"coupons"`
	// GroupID moves the partner to another group: orders from then on earn
	// by its terms, earlier accruals keep theirs.
	GroupID *string `json:"group_id"`
}

// Update is a validated Change as the store applies it: empty Tier and
// Status stay, nil Coupons stay; OldCoupons are the coupons it replaces.
type Update struct {
	Tier       program.Tier
	Status     Status
	GroupID    string // empty: unchanged
	Coupons    []string
	OldCoupons []string
	// Settings, when set, replaces the partner's own settings.
	Settings *SettingsUpdate
}

// SettingsUpdate is a validated Settings change as the store applies it.
type SettingsUpdate struct {
	Charity      *CharityShare // the new choice, or nil
	ClearCharity bool          // stop giving
	PayoutEmail  string        // empty: unchanged
	// ShowOnLeaderboard, if set, is the new choice.
	ShowOnLeaderboard *bool
	// PayoutHashes, with a new PayoutEmail, are the hashes of the
	// partner's payout methods after the change: the store registers
	// those it can as the partner's and releases the ones it leaves.
	PayoutHashes []string
	By           string
	At           time.Time
}

// Update changes a partner's tier, status or coupons. A tier change applies
// to orders that arrive after it; suspending holds the partner's new
// accruals; a coupon code taken by any partner is refused with
// ErrCouponTaken and changes nothing.
func (s *Service) Update(ctx context.Context, id string, c Change) (Partner, error) {
	p, err := s.update(ctx, id, c)
	if err == nil && c.GroupID != nil {
		p = s.joined(ctx, p)
	}
	return p, err
}

func (s *Service) update(ctx context.Context, id string, c Change) (Partner, error) {
	var tier program.Tier
	var status Status
	if c.Tier != nil {
		t, err := program.ParseTier(*c.Tier)
		if err != nil || *c.Tier == "" {
			return Partner{}, fmt.Errorf("%w: tier must be one of authorized, silver, gold", ErrInvalid)
		}
		tier = t
	}
	if c.Status != nil {
		status = Status(*c.Status)
		if status != StatusActive && status != StatusSuspended {
			return Partner{}, fmt.Errorf("%w: status must be active or suspended", ErrInvalid)
		}
	}
	if tier == "" && status == "" && c.Coupons == nil && c.GroupID == nil {
		return Partner{}, fmt.Errorf("%w: nothing to change (tier, status, coupons, group_id)", ErrInvalid)
	}
	u := Update{Tier: tier, Status: status}
	if c.GroupID != nil {
		if err := bounds.ID.Check("group_id", *c.GroupID); err != nil {
			return Partner{}, refused(err)
		}
		if _, err := s.inGroup(ctx, "group_id", *c.GroupID); err != nil {
			return Partner{}, err
		}
		u.GroupID = *c.GroupID
	}
	if c.Coupons == nil {
		return s.Store.UpdatePartner(ctx, id, u)
	}
	coupons, err := normalizeCoupons(*c.Coupons)
	if err != nil {
		return Partner{}, err
	}
	u.Coupons = coupons
	// The store releases the coupons it replaces, so it must know them; a
	// concurrent change in between is retried on a fresh read.
	for range 3 {
		cur, err := s.Store.GetPartner(ctx, id)
		if err != nil {
			return Partner{}, err
		}
		u.OldCoupons = cur.Coupons
		p, err := s.Store.UpdatePartner(ctx, id, u)
		if !errors.Is(err, ErrConcurrentChange) {
			return p, err
		}
	}
	return Partner{}, ErrConcurrentChange
}
