package mail

import (
	"context"
	"time"

	"github.com/partnerloop/partnerloop/internal/partner"
)

// ChallengeStart is a challenge that started, as its e-mail names it.
type ChallengeStart struct {
	Name   string
	EndsAt time.Time
}

// ChallengeStarted e-mails a partner that a challenge open to it started,
// under the e-mail id (once, however often it is asked), unless the
// partner switched engagement e-mail off or its address is suppressed.
func (s *Service) ChallengeStarted(ctx context.Context, id, partnerID string, c ChallengeStart) (Outcome, error) {
	return s.SendToPartner(ctx, id, partnerID, KindChallengeStarted.Category(), func(p partner.Partner, loc Locale) (Content, error) {
		// ends_at is the first moment after the challenge: the e-mail
		// names the last day it runs.
		last := c.EndsAt.Add(-time.Second)
		return Content{Kind: KindChallengeStarted, Facts: Facts{Name: p.Name, Challenge: c.Name, Day: loc.Date(last)}, Page: s.portal("rewards")}, nil
	})
}
