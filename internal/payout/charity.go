package payout

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/money"
)

// Charity is an organisation partners can give to. Donations to it are
// paid by the manual method: finance transfers them with the batch.
type Charity struct {
	ID                 string    `json:"id" dynamodbav:"id"`
	Name               string    `json:"name" dynamodbav:"name"`
	RegistrationNumber string    `json:"registration_number" dynamodbav:"registration_number"`
	Country            string    `json:"country" dynamodbav:"country"` // ISO 3166-1 alpha-2
	IBAN               string    `json:"iban,omitempty" dynamodbav:"iban,omitempty"`
	CreatedAt          time.Time `json:"created_at" dynamodbav:"created_at"`
}

var (
	// ErrInvalidCharity wraps validation failures of a new charity.
	ErrInvalidCharity = errors.New("invalid charity")
	// ErrCharityExists means the id is taken.
	ErrCharityExists = errors.New("charity already exists")
	// ErrCharityNotFound means no charity has the id.
	ErrCharityNotFound = errors.New("charity not found")
)

var charityID = regexp.MustCompile(`^ch_[a-z0-9_]{2,40}$`)
var country = regexp.MustCompile(`^[A-Z]{2}$`)

// Validate names the first unusable field.
func (c Charity) Validate() error {
	switch {
	case !charityID.MatchString(c.ID):
		return fmt.Errorf("%w: id must look like ch_name (lower case, digits, _)", ErrInvalidCharity)
	case strings.TrimSpace(c.Name) == "":
		return fmt.Errorf("%w: name is required", ErrInvalidCharity)
	case strings.TrimSpace(c.RegistrationNumber) == "":
		return fmt.Errorf("%w: registration_number is required", ErrInvalidCharity)
	case !country.MatchString(c.Country):
		return fmt.Errorf("%w: country must be an ISO 3166-1 alpha-2 code", ErrInvalidCharity)
	}
	// The name is the account holder finance's bank transfer names as it is.
	if err := bounds.First(bounds.Name.Check("name", c.Name), bounds.Verbatim("name", strings.TrimSpace(c.Name)),
		bounds.ID.Check("registration_number", c.RegistrationNumber), bounds.ID.Check("iban", c.IBAN)); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCharity, err)
	}
	return nil
}

// Receipt records one donation to a charity from one batch and the
// partners on whose behalf it was given.
type Receipt struct {
	BatchID   string         `json:"batch_id" dynamodbav:"batch_id"`
	CharityID string         `json:"charity_id" dynamodbav:"charity_id"`
	Currency  money.Currency `json:"currency" dynamodbav:"currency"`
	Amount    int64          `json:"amount" dynamodbav:"amount"`
	Partners  []Share        `json:"partners" dynamodbav:"partners"`
	Reference string         `json:"reference" dynamodbav:"reference"`
	At        time.Time      `json:"at" dynamodbav:"at"`
}

// Share is one partner's part of a donation: from its commission, or given
// by the program on its behalf.
type Share struct {
	PartnerID string `json:"partner_id" dynamodbav:"partner_id"`
	Amount    int64  `json:"amount" dynamodbav:"amount"`
	From      string `json:"from" dynamodbav:"from"` // commission or program
}

// Donation is a gift made on a partner's behalf, shown in its statement.
type Donation struct {
	At        time.Time      `json:"at" dynamodbav:"at"`
	BatchID   string         `json:"batch_id" dynamodbav:"batch_id"`
	CharityID string         `json:"charity_id" dynamodbav:"charity_id"`
	Currency  money.Currency `json:"currency" dynamodbav:"currency"`
	Amount    int64          `json:"amount" dynamodbav:"amount"`
}

// CharityStore keeps the catalog and the receipts. PutReceipt keeps the
// first receipt for a batch, charity and currency.
type CharityStore interface {
	PutCharity(ctx context.Context, c Charity) error
	GetCharity(ctx context.Context, id string) (Charity, error)
	ListCharities(ctx context.Context) ([]Charity, error)
	PutReceipt(ctx context.Context, r Receipt) error
	Receipts(ctx context.Context, charityID string) ([]Receipt, error)
	PartnerDonations(ctx context.Context, partnerID string) ([]Donation, error)
}

// ListCharities is the catalog partners choose from; never nil.
func (s *Service) ListCharities(ctx context.Context) ([]Charity, error) {
	list, err := s.Charities.ListCharities(ctx)
	if list == nil {
		list = []Charity{}
	}
	return list, err
}

// Receipts lists a charity's donation receipts; an unknown charity is
// ErrCharityNotFound.
func (s *Service) Receipts(ctx context.Context, charityID string) ([]Receipt, error) {
	if _, err := s.Charities.GetCharity(ctx, charityID); err != nil {
		return nil, err
	}
	list, err := s.Charities.Receipts(ctx, charityID)
	if list == nil {
		list = []Receipt{}
	}
	return list, err
}

// AddCharity validates and adds a charity to the catalog.
func (s *Service) AddCharity(ctx context.Context, c Charity) (Charity, error) {
	if err := c.Validate(); err != nil {
		return Charity{}, err
	}
	c.CreatedAt = s.Now().UTC()
	return c, s.Charities.PutCharity(ctx, c)
}

// donationID names the aggregated donation of a batch to one charity in one
// currency; it is the message's item id and the provider's idempotency key.
func donationID(batchID, charityID string, cur money.Currency) string {
	return batchID + ".donation." + charityID + "." + string(cur)
}

// donationMessages aggregates the donation legs of the items being sent and
// the batch's unpaid pledges: one message per charity and currency, for the
// total the batch gives it, so the charity is paid once per batch.
func donationMessages(b Batch, sending []Item) []Message {
	type key struct {
		charity string
		cur     money.Currency
	}
	groups := map[key]bool{}
	for _, it := range sending {
		if it.DonationStatus == LegDue {
			groups[key{it.CharityID, it.Currency}] = true
		}
	}
	for _, p := range b.Pledges {
		if p.Status == LegDue {
			groups[key{p.CharityID, p.Currency}] = true
		}
	}
	var out []Message
	for k := range groups {
		m := Message{BatchID: b.ID, ItemID: donationID(b.ID, k.charity, k.cur), Leg: LegDonation, CharityID: k.charity, Currency: k.cur}
		for _, it := range donorItems(b, k.charity, k.cur) {
			m.Amount += it.Donation
		}
		for _, p := range pledgesTo(b, k.charity, k.cur) {
			m.Amount += p.Amount
		}
		if m.Amount > 0 {
			out = append(out, m)
		}
	}
	return out
}

func pledgesTo(b Batch, charity string, cur money.Currency) []Pledge {
	var out []Pledge
	for _, p := range b.Pledges {
		if p.CharityID == charity && p.Currency == cur {
			out = append(out, p)
		}
	}
	return out
}

// donorItems are the batch's items giving to the charity in the currency.
func donorItems(b Batch, charity string, cur money.Currency) []Item {
	var out []Item
	for _, it := range b.Items {
		if it.CharityID == charity && it.Currency == cur && it.DonationStatus != LegNone &&
			it.Status != ItemExcluded && it.Status != ItemCancelled {
			out = append(out, it)
		}
	}
	return out
}

// settleDonation pays a batch's aggregated donation to a charity once, files
// the receipt, and settles each partner's donation leg. Every step is
// idempotent, so a redelivered message finishes what a crashed worker began.
func (s *Service) settleDonation(ctx context.Context, m Message) (Settlement, error) {
	b, err := s.Store.GetBatch(ctx, m.BatchID)
	if err != nil {
		return "", err
	}
	donors := donorItems(b, m.CharityID, m.Currency)
	pledges := pledgesTo(b, m.CharityID, m.Currency)
	r := Receipt{BatchID: b.ID, CharityID: m.CharityID, Currency: m.Currency, At: s.Now().UTC()}
	var due []Item
	var duePledges []Pledge
	for _, it := range donors {
		r.Amount += it.Donation
		r.Partners = append(r.Partners, Share{PartnerID: it.PartnerID, Amount: it.Donation, From: "commission"})
		if it.DonationStatus == LegDue {
			due = append(due, it)
		}
	}
	for _, p := range pledges {
		r.Amount += p.Amount
		r.Partners = append(r.Partners, Share{PartnerID: p.PartnerID, Amount: p.Amount, From: "program"})
		if p.Status == LegDue {
			duePledges = append(duePledges, p)
		}
	}
	if len(due) == 0 && len(duePledges) == 0 {
		return AlreadySettled, nil
	}
	pay := m
	pay.Amount = r.Amount
	r.Reference, err = s.Methods[MethodManual].Pay(ctx, pay)
	if err != nil {
		return "", fmt.Errorf("pay donation %s: %w", m.ItemID, err)
	}
	if err := s.Charities.PutReceipt(ctx, r); err != nil {
		return "", fmt.Errorf("file receipt: %w", err)
	}
	charity, err := s.Charities.GetCharity(ctx, m.CharityID)
	if err != nil {
		return "", fmt.Errorf("read charity %s: %w", m.CharityID, err)
	}
	for _, it := range due {
		if err := s.settleLeg(ctx, it, LegDonation, r.Reference, "worker", r.At, charity.Name); err != nil && !errors.Is(err, ErrAlreadySettled) {
			return "", err
		}
	}
	for _, p := range duePledges {
		if err := s.Pledges.SettlePledge(ctx, p, b.ID, p.payment(b.ID, r.Reference, r.At)); err != nil {
			return "", err
		}
	}
	return Paid, nil
}
