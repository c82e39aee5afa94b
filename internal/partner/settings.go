package partner

import (
	"context"
	"fmt"

	"github.com/partnerloop/partnerloop/internal/bounds"
)

// Settings are the fields a partner may change of its own record: the
// charity that receives a share of its payouts, the address PayPal or
// Wise pays, and whether leaderboards show its name. Everything else (tier, status, coupons, payout method) is
// finance's. A change applies to the next batch built: an item copies
// these when its batch is built, so an approved batch never changes.
type Settings struct {
	Charity      *CharityShare // a new choice; nil leaves it
	ClearCharity bool          // stop giving to a charity
	PayoutEmail  *string       // nil leaves it
	// ShowOnLeaderboard shows the partner's name on leaderboards; nil leaves it.
	ShowOnLeaderboard *bool
}

// ChangeSettings applies a partner's own settings change, recording who
// made it and when.
func (s *Service) ChangeSettings(ctx context.Context, id string, in Settings, by string) (Partner, error) {
	if in.Charity == nil && !in.ClearCharity && in.PayoutEmail == nil && in.ShowOnLeaderboard == nil {
		return Partner{}, fmt.Errorf("%w: nothing to change (charity, payout_email, show_on_leaderboard)", ErrInvalid)
	}
	if in.Charity != nil && in.ClearCharity {
		return Partner{}, fmt.Errorf("%w: choose a charity or clear it, not both", ErrInvalid)
	}
	if err := in.Charity.validate(); err != nil {
		return Partner{}, err
	}
	if err := s.offered(ctx, in.Charity); err != nil {
		return Partner{}, err
	}
	u := SettingsUpdate{Charity: in.Charity, ClearCharity: in.ClearCharity, ShowOnLeaderboard: in.ShowOnLeaderboard, By: by, At: s.Now().UTC()}
	if in.PayoutEmail != nil {
		cur, err := s.Store.GetPartner(ctx, id)
		if err != nil {
			return Partner{}, err
		}
		if cur.Payout == nil || cur.Payout.Method != MethodPayPal && cur.Payout.Method != MethodWise {
			return Partner{}, fmt.Errorf("%w: payout_email applies to PayPal or Wise payouts; ask finance to change the method", ErrInvalid)
		}
		if err := bounds.Address("payout_email", *in.PayoutEmail); err != nil {
			return Partner{}, refused(err)
		}
		u.PayoutEmail = *in.PayoutEmail
		next := *cur.Payout
		next.Email = u.PayoutEmail
		cur.Payout = &next
		u.PayoutHashes = s.payoutHashes(cur)
	}
	p, err := s.Store.UpdatePartner(ctx, id, Update{Settings: &u})
	if err != nil {
		return Partner{}, err
	}
	// The change stands whatever the comparison finds: partners may share
	// a payout method (a family business); the rule's case decides.
	if err := s.payoutSet(ctx, p, u.PayoutHashes); err != nil {
		return Partner{}, err
	}
	return p, nil
}
