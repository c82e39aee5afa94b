package dynamo

import (
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/performance"
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/referral"
	"github.com/partnerloop/partnerloop/internal/reports"
)

// Each adapter serves the storage interfaces of the domain packages that
// read or write its aggregate.
var (
	_ ledger.Store      = (*Ledger)(nil)
	_ payout.Balances   = (*Ledger)(nil)
	_ performance.Sales = (*Ledger)(nil)
	_ reports.Ledger    = (*Ledger)(nil)

	_ partner.Store     = (*Partners)(nil)
	_ referral.Store    = (*Partners)(nil)
	_ performance.Store = (*Partners)(nil)
	_ payout.Partners   = (*Partners)(nil)
	_ reports.Partners  = (*Partners)(nil)

	_ program.Store = (*Programs)(nil)

	_ payout.Store = (*Payouts)(nil)
	_ reports.Paid = (*Payouts)(nil)

	_ payout.CharityStore = (*Charities)(nil)
	_ partner.Charities   = (*Charities)(nil)

	_ payout.PledgeStore = (*Pledges)(nil)
)
