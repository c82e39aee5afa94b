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
		if got := len(messages(it)); got != map[bool]int{true: 1, false: 2}[tc.donation == 0 || tc.amount == 0] {
			t.Errorf("total %d bps %d: %d messages", tc.total, tc.bps, got)
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
