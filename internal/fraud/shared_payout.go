package fraud

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/program"
)

// PayoutShared judges shared_payout_method for a partner whose payout
// methods were just stored as hashes, when the terms of its group turn the
// rule on: a hash another partner registered first is shared, and each of
// the two gets an event in its case naming the other. A retried change
// files nothing twice: an event its partner's open case has, or that
// opened a case (decided since, or not), is left out.
func (s *Service) PayoutShared(ctx context.Context, partnerID, groupID string, hashes []string) error {
	prog, err := s.Programs.Current(ctx)
	if err != nil {
		return err
	}
	terms, err := s.Groups.GroupTerms(ctx, groupID)
	if err != nil {
		return fmt.Errorf("read the partner's group: %w", err)
	}
	cfg := prog.Program.FraudFor(terms.Fraud)
	if _, on := cfg.Rule(program.FraudSharedPayoutMethod); !on {
		return nil
	}
	holders, err := s.Store.PayoutHolders(ctx, hashes)
	if err != nil {
		return fmt.Errorf("read the payout methods' holders: %w", err)
	}
	owners := map[string][]string{}
	for h, p := range holders {
		owners[h] = []string{p}
	}
	ev, fires := SharedPayoutMethod(partnerID, hashes, owners)
	if !fires {
		return nil
	}
	now := s.Now().UTC()
	events := []Event{NewEvent(program.FraudSharedPayoutMethod, partnerID, ev, nil, now)}
	for other := range strings.SplitSeq(ev["shared_with"], ",") {
		events = append(events, NewEvent(program.FraudSharedPayoutMethod, other, Evidence{"shared_with": partnerID}, nil, now))
	}
	for _, e := range events {
		if err := s.file(ctx, e, cfg); err != nil {
			return fmt.Errorf("file %s for %s: %w", e.Rule, e.PartnerID, err)
		}
	}
	return nil
}

// file files one event, outside an order, in its partner's case of the
// rule, unless it is filed already.
func (s *Service) file(ctx context.Context, e Event, cfg program.Fraud) error {
	switch _, err := s.Store.Case(ctx, caseOpenedBy(e.ID)); {
	case err == nil:
		return nil
	case !errors.Is(err, ErrNotFound):
		return err
	}
	for range 3 {
		open, err := s.Store.OpenCase(ctx, e.PartnerID, e.Rule)
		if err != nil {
			return err
		}
		var filed []Event
		if open.ID != "" {
			if filed, err = s.Store.CaseEvents(ctx, open.ID); err != nil {
				return err
			}
		}
		known := func(id string) bool { return slices.ContainsFunc(filed, func(f Event) bool { return f.ID == id }) }
		f, ok := File(open, []Event{e}, known, cfg, s.Now().UTC())
		if !ok {
			return nil
		}
		var out []outbox.Event
		if f.Opened {
			out = outbox.Emit(ctx, s.Events, outbox.FraudCaseOpened, f.Case.ID, f.Case.OpenedAt, f.Case)
		}
		if err := s.Store.FileCase(ctx, f, out); !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return ErrConflict
}
