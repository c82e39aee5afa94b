package payout

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/partner"
)

func fileMethod(m string) bool { return m == partner.MethodPayPal || m == partner.MethodWise }

// ErrNotApproved means the batch is not approved yet (or was cancelled).
var ErrNotApproved = errors.New("batch is not approved")

// ErrBadExport means the export was asked for an unknown format.
var ErrBadExport = errors.New("format must be paypal or wise, with a currency")

// Export returns the rows finance uploads to PayPal Payouts or Wise to pay
// the items of an approved batch that use that method and are still due, in
// one currency (both services take one currency per file).
func (s *Service) Export(ctx context.Context, batchID, format string, cur money.Currency) ([]string, [][]string, error) {
	if format != partner.MethodPayPal && format != partner.MethodWise || cur == "" {
		return nil, nil, ErrBadExport
	}
	b, err := s.Get(ctx, batchID)
	if err != nil {
		return nil, nil, err
	}
	if b.Status == BatchDraft || b.Status == BatchCancelled {
		return nil, nil, ErrNotApproved
	}
	var header []string
	if format == partner.MethodWise {
		header = []string{"name", "recipientEmail", "paymentReference", "receiverType", "amountCurrency", "amount", "sourceCurrency", "targetCurrency", "type"}
	}
	var rows [][]string
	for _, it := range b.Items {
		if it.Method != format || it.Currency != cur || it.PayoutStatus != LegDue || it.Status == ItemExcluded || it.Status == ItemCancelled {
			continue
		}
		amount := money.FormatDecimal(it.Amount, it.Currency)
		switch format {
		case partner.MethodPayPal:
			// Recipient, amount, currency, customer id (30 chars, no spaces), note, wallet.
			rows = append(rows, []string{it.Destination, amount, string(cur), payPalCustomerID(it.PartnerID), "Partner commission " + b.ID, "PAYPAL"})
		case partner.MethodWise:
			rows = append(rows, []string{it.Recipient, it.Destination, reference(b.ID), "BUSINESS", "target", amount, string(cur), string(cur), "EMAIL"})
		}
	}
	return header, rows, nil
}

func payPalCustomerID(partnerID string) string {
	return strings.ReplaceAll(partnerID, " ", "")[:min(30, len(partnerID))]
}

// reference is a short payment reference banks and Wise accept.
func reference(batchID string) string {
	return strings.ToUpper(strings.TrimPrefix(batchID, "pb_"))[:min(18, len(batchID)-3)]
}

// MarkPaid records that finance paid an item's payout outside Partnerloop
// (a PayPal or Wise file, a bank transfer) with the provider's reference.
func (s *Service) MarkPaid(ctx context.Context, batchID, itemID, by, ref string) (Batch, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" || len(ref) > 200 {
		return Batch{}, fmt.Errorf("%w: the bank or provider reference", ErrReasonRequired)
	}
	b, err := s.Store.GetBatch(ctx, batchID)
	if err != nil {
		return Batch{}, err
	}
	if b.Status != BatchApproved {
		return Batch{}, ErrNotApproved
	}
	for _, it := range b.Items {
		if it.ID != itemID {
			continue
		}
		if !fileMethod(it.Method) || it.PayoutStatus != LegDue {
			return Batch{}, fmt.Errorf("%w: only a due payout paid from a file can be marked paid", ErrNotDraft)
		}
		if err := s.settleLeg(ctx, it, LegPayout, ref, by, s.Now().UTC(), ""); err != nil && !errors.Is(err, ErrAlreadySettled) {
			return Batch{}, err
		}
		return s.Get(ctx, batchID)
	}
	return Batch{}, ErrItemNotFound
}
