package payout

import (
	"errors"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/ledger"
)

func twoLegItem() Item {
	return Item{ID: "b1.p1.EUR", BatchID: "b1", PartnerID: "p1", Currency: "EUR", Amount: 900, Donation: 100, CharityID: "ch",
		Status: ItemQueued, PayoutStatus: LegDue, DonationStatus: LegDue}
}

func TestReserveMovesTheTotalIntoPayoutOnTheBalanceItWasBuiltFrom(t *testing.T) {
	it := twoLegItem()
	it.Status = ItemDraft
	mv := Reserve(it, 1500)
	if mv.Was != nil || *mv.PayableWas != 1500 || mv.Balance != (ledger.Balance{Payable: -1000, InPayout: 1000}) {
		t.Errorf("reserve: %+v", mv)
	}
}

func TestReleaseReturnsTheTotalAndEndsBothLegs(t *testing.T) {
	it := twoLegItem()
	it.Status = ItemDraft
	entry := AuditEntry{Action: "excluded", Reason: "disputed"}
	mv, err := Release(it, ItemExcluded, entry)
	if err != nil {
		t.Fatal(err)
	}
	if mv.Item.Status != ItemExcluded || mv.Item.Reason != "disputed" || mv.Item.PayoutStatus != LegNone || mv.Item.DonationStatus != LegNone ||
		!mv.BatchDraft || mv.Balance != (ledger.Balance{Payable: 1000, InPayout: -1000}) || mv.Audit.Action != "excluded" || mv.Was.Status != ItemDraft {
		t.Errorf("release: %+v", mv)
	}
	if _, err := Release(twoLegItem(), ItemExcluded, entry); !errors.Is(err, ErrNotDraft) {
		t.Errorf("releasing a queued item: %v, want ErrNotDraft", err)
	}
}

func TestAnItemIsPaidOnceBothLegsAreSettled(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	first, err := SettleLeg(twoLegItem(), LegDonation, "don-1", "worker", at)
	if err != nil {
		t.Fatal(err)
	}
	if first.Item.Status != ItemQueued || first.Item.DonationStatus != LegPaid || first.Balance != (ledger.Balance{InPayout: -100, Donated: 100}) ||
		first.Settled.Amount != 100 || first.Settled.Leg != LegDonation || first.Settled.CharityID != "ch" || first.Audit.Action != "donation_settled" {
		t.Errorf("first leg: %+v", first)
	}
	second, err := SettleLeg(first.Item, LegPayout, "po-1", "alice", at)
	if err != nil {
		t.Fatal(err)
	}
	if second.Item.Status != ItemPaid || second.Balance != (ledger.Balance{InPayout: -900, Paid: 900}) || second.Audit.By != "alice" || second.Settled.Reference != "po-1" {
		t.Errorf("second leg: %+v", second)
	}
	if _, err := SettleLeg(second.Item, LegPayout, "po-2", "worker", at); !errors.Is(err, ErrAlreadySettled) {
		t.Errorf("settling a paid leg again: %v", err)
	}
	single := twoLegItem()
	single.Donation, single.DonationStatus = 0, LegNone
	if mv, _ := SettleLeg(single, LegPayout, "po", "worker", at); mv.Item.Status != ItemPaid {
		t.Errorf("an item without a donation is paid with its payout: %+v", mv.Item)
	}
}

func TestFailLegReturnsItsAmountToPayable(t *testing.T) {
	mv, err := FailLeg(twoLegItem(), LegPayout, "account closed", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if mv.Item.Status != ItemFailed || mv.Item.PayoutStatus != LegFailed || mv.Item.DonationStatus != LegDue || mv.Item.Reason != "account closed" ||
		mv.Balance != (ledger.Balance{InPayout: -900, Payable: 900}) {
		t.Errorf("fail: %+v", mv)
	}
	if _, err := FailLeg(mv.Item, LegPayout, "again", time.Now()); !errors.Is(err, ErrAlreadySettled) {
		t.Errorf("failing a failed leg: %v", err)
	}
}
