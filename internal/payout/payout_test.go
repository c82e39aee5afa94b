package payout

import (
	"testing"

	"github.com/partnerloop/partnerloop/internal/partner"
)

func TestNewItemSplitsDonationWithoutLosingAUnit(t *testing.T) {
	for _, tc := range []struct {
		total, bps, amount, donation int64
		payout, donationLeg          LegStatus
	}{
		{1000, 0, 1000, 0, LegDue, LegNone},
		{1001, 2500, 751, 250, LegDue, LegDue}, // the partner keeps the rounding unit
		{999, 10000, 0, 999, LegNone, LegDue},
		{7, 1, 7, 0, LegDue, LegNone},
	} {
		p := partner.Partner{ID: "pt_1"}
		if tc.bps > 0 {
			p.Charity = &partner.CharityShare{CharityID: "ch", ShareBps: tc.bps}
		}
		it := newItem("pb_1", p, "EUR", tc.total)
		if it.Amount != tc.amount || it.Donation != tc.donation || it.Amount+it.Donation != tc.total ||
			it.PayoutStatus != tc.payout || it.DonationStatus != tc.donationLeg {
			t.Errorf("total %d bps %d: %+v", tc.total, tc.bps, it)
		}
		b := Batch{ID: "pb_1", Items: []Item{it}}
		if got := len(donationMessages(b, b.Items)); got != map[bool]int{true: 1, false: 0}[tc.donation > 0] {
			t.Errorf("total %d bps %d: %d donation messages", tc.total, tc.bps, got)
		}
	}
}

func TestDerivedStatus(t *testing.T) {
	items := func(s ...ItemStatus) []Item {
		var out []Item
		for _, st := range s {
			out = append(out, Item{Status: st})
		}
		return out
	}
	for _, tc := range []struct {
		b    Batch
		want BatchStatus
	}{
		{Batch{Status: BatchDraft, Items: items(ItemDraft)}, BatchDraft},
		{Batch{Status: BatchApproved, Items: items(ItemDraft, ItemDraft)}, BatchApproved},
		{Batch{Status: BatchApproved, Items: items(ItemQueued, ItemDraft)}, BatchProcessing},
		{Batch{Status: BatchApproved, Items: items(ItemPaid, ItemQueued)}, BatchProcessing},
		{Batch{Status: BatchApproved, Items: items(ItemPaid, ItemPaid)}, BatchCompleted},
	} {
		if got := derivedStatus(tc.b); got != tc.want {
			t.Errorf("%v → %s, want %s", tc.b.Items, got, tc.want)
		}
	}
}

func TestDonationsAreAggregatedPerCharityAndCurrency(t *testing.T) {
	b := Batch{ID: "pb_1", Items: []Item{
		{ID: "a", PartnerID: "p1", Currency: "EUR", CharityID: "ch_w", Donation: 100, DonationStatus: LegDue, Status: ItemDraft},
		{ID: "b", PartnerID: "p2", Currency: "EUR", CharityID: "ch_w", Donation: 250, DonationStatus: LegDue, Status: ItemDraft},
		{ID: "c", PartnerID: "p3", Currency: "USD", CharityID: "ch_w", Donation: 70, DonationStatus: LegDue, Status: ItemDraft},
		{ID: "d", PartnerID: "p4", Currency: "EUR", CharityID: "ch_t", Donation: 5, DonationStatus: LegDue, Status: ItemExcluded},
		{ID: "e", PartnerID: "p5", Currency: "EUR", Amount: 900, DonationStatus: LegNone, Status: ItemDraft},
	}}
	var sending []Item
	for _, it := range b.Items {
		if it.Status == ItemDraft {
			sending = append(sending, it)
		}
	}
	got := map[string]int64{}
	for _, m := range donationMessages(b, sending) {
		got[m.ItemID] = m.Amount
		if m.PartnerID != "" || m.Leg != LegDonation {
			t.Errorf("donation message %+v", m)
		}
	}
	if len(got) != 2 || got["pb_1.donation.ch_w.EUR"] != 350 || got["pb_1.donation.ch_w.USD"] != 70 {
		t.Fatalf("got %v: one message per charity and currency, excluded items give nothing", got)
	}
}
