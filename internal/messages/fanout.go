package messages

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/partnerloop/partnerloop/internal/partner"
)

// MaxPageSize is the most recipients a page holds: its commit writes two
// items per recipient of a targeted audience, plus its marker and the
// counts, within a transaction's 100.
const MaxPageSize = 40

// pageSeconds is how long a page's sends may take at the rate, well within
// the sending function's 30-second timeout.
const pageSeconds = 20

// Page is where a broadcast's fan-out stands: the audience's partner ids
// come first, then the partner list, part by part, in id order.
type Page struct {
	MessageID string `json:"message_id"`
	IDs       int    `json:"ids,omitempty"`   // partner ids done
	Shard     int    `json:"shard,omitempty"` // the part of the partner list being read
	After     string `json:"after,omitempty"` // the last partner id of the part done
}

// Key names the page among its broadcast's pages.
func (p Page) Key() string { return fmt.Sprintf("%d.%d.%s", p.IDs, p.Shard, p.After) }

// PageSize is how many recipients a page takes at the rate.
func (s *Service) PageSize() int {
	if s.Rate <= 0 {
		return MaxPageSize
	}
	return min(max(int(s.Rate*pageSeconds), 1), MaxPageSize)
}

// recipients reads a page's partners and where the next page starts;
// last is set on the broadcast's last page.
func (s *Service) recipients(ctx context.Context, m Message, p Page) (rs []partner.Partner, next Page, last bool, err error) {
	size := s.PageSize()
	a := m.Audience
	next = Page{MessageID: m.ID, IDs: p.IDs, Shard: p.Shard}
	if p.IDs < len(a.PartnerIDs) {
		for _, id := range a.PartnerIDs[p.IDs:min(p.IDs+size, len(a.PartnerIDs))] {
			r, err := s.Store.GetPartner(ctx, id)
			if errors.Is(err, partner.ErrNotFound) {
				continue // checked when written; nothing to reach now
			}
			if err != nil {
				return nil, next, false, err
			}
			rs = append(rs, r)
		}
		next.IDs = min(p.IDs+size, len(a.PartnerIDs))
		return rs, next, next.IDs == len(a.PartnerIDs) && !a.All && len(a.Tiers) == 0, nil
	}
	listed, more, err := s.Store.PartnersPage(ctx, p.Shard, p.After, int32(size))
	if err != nil {
		return nil, next, false, err
	}
	for _, r := range listed {
		// A partner named by id was reached on an earlier page.
		if a.inTiers(r) && !slices.Contains(a.PartnerIDs, r.ID) {
			rs = append(rs, r)
		}
	}
	switch {
	case more:
		next.After = listed[len(listed)-1].ID
	case p.Shard+1 < s.Store.Shards():
		next.Shard, next.After = p.Shard+1, ""
	default:
		last = true
	}
	return rs, next, last, nil
}

// RunPage sends one page of a broadcast at the rate, records what became
// of it and queues the next page. A page committed before only queues the
// next one again (its redelivery after a crash).
func (s *Service) RunPage(ctx context.Context, p Page) error {
	m, err := s.Store.GetMessage(ctx, p.MessageID)
	if errors.Is(err, ErrNotFound) {
		return nil // nothing left to send
	}
	if err != nil {
		return err
	}
	rs, next, last, err := s.recipients(ctx, m, p)
	if err != nil {
		return err
	}
	done, err := s.Store.PageDone(ctx, m.ID, p.Key())
	if err != nil {
		return err
	}
	if !done {
		c, err := s.send(ctx, m, rs)
		if err != nil {
			return err
		}
		c.Last = last
		if err := s.Store.CommitPage(ctx, m, p.Key(), c); err != nil && !errors.Is(err, ErrPageDone) {
			return err
		}
	}
	if last {
		return nil
	}
	return s.Pages.SendPage(ctx, next)
}

// send e-mails each recipient, spaced to keep to the rate. A recipient
// whose e-mail fails is counted failed and not retried: a refusal (an
// invalid address, say) would only repeat, and throttling is what the rate
// avoids. An e-mail another delivery holds fails the page, to be retried.
func (s *Service) send(ctx context.Context, m Message, rs []partner.Partner) (PageCommit, error) {
	c := PageCommit{At: s.Now().UTC()}
	start := time.Now()
	for i, r := range rs {
		if s.Rate > 0 {
			due := start.Add(time.Duration(float64(i) / s.Rate * float64(time.Second)))
			if err := s.Sleep(ctx, time.Until(due)); err != nil {
				return c, err
			}
		}
		switch outcome, err := s.Mailer.Announce(ctx, m, r.ID); {
		case errors.Is(err, ErrRetry):
			return c, err
		case err != nil:
			c.Failed++
		case outcome == Sent:
			c.Sent++
		default:
			c.Suppressed++
		}
		c.Recipients++
		if !m.Audience.All {
			c.Inboxes = append(c.Inboxes, r.ID)
		}
	}
	return c, nil
}

// SleepContext waits for d, or until ctx ends.
func SleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
