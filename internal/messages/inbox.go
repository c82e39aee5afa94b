package messages

import (
	"context"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/partner"
)

// inInbox reports whether a broadcast is in a partner's inbox: a broadcast
// to all partners once it started, if the partner had joined by then; a
// targeted one if its page gave the partner an entry.
func (s *Service) inInbox(ctx context.Context, partnerID string, joined time.Time, m Message) (bool, error) {
	switch {
	case m.Status == StatusScheduled:
		return false, nil
	case m.Audience.All:
		return !m.SendAt.Before(joined), nil
	}
	return s.Store.HasInboxEntry(ctx, partnerID, m)
}

// Inbox reads a page of a partner's inbox, newest first, and its unread count.
func (s *Service) Inbox(ctx context.Context, partnerID string, limit int32, cursor string) (Inbox, error) {
	p, err := s.Store.GetPartner(ctx, partnerID)
	if err != nil {
		return Inbox{}, err
	}
	entries, next, err := s.Store.InboxPage(ctx, partnerID, p.CreatedAt, limit, cursor)
	if err != nil {
		return Inbox{}, err
	}
	ids := make([]string, 0, len(entries))
	for _, e := range entries {
		ids = append(ids, e.MessageID)
	}
	msgs, err := s.Store.GetMessages(ctx, ids)
	if err != nil {
		return Inbox{}, err
	}
	reads, err := s.Store.ReadMarks(ctx, partnerID, ids)
	if err != nil {
		return Inbox{}, err
	}
	unread, err := s.Store.Unread(ctx, partnerID, p.CreatedAt)
	if err != nil {
		return Inbox{}, err
	}
	box := Inbox{Messages: []InboxItem{}, Unread: max(unread, 0), NextCursor: next}
	for _, e := range entries {
		if m, ok := msgs[e.MessageID]; ok {
			box.Messages = append(box.Messages, inboxItem(m, e.At, reads))
		}
	}
	return box, nil
}

func inboxItem(m Message, at time.Time, reads map[string]time.Time) InboxItem {
	it := InboxItem{ID: m.ID, Subject: m.Subject, Body: m.Body, HTML: m.Body.Render().HTML, At: at}
	if r, ok := reads[m.ID]; ok {
		it.ReadAt = &r
	}
	return it
}

// MarkRead marks a broadcast in the partner's inbox read (the first time
// counts) and returns it.
func (s *Service) MarkRead(ctx context.Context, partnerID, messageID string) (InboxItem, error) {
	_, m, err := s.inboxMessage(ctx, partnerID, messageID)
	if err != nil {
		return InboxItem{}, err
	}
	at, err := s.Store.MarkRead(ctx, partnerID, m.ID, s.Now().UTC())
	if err != nil {
		return InboxItem{}, err
	}
	return inboxItem(m, m.SendAt, map[string]time.Time{m.ID: at}), nil
}

// inboxMessage reads a broadcast the partner has in its inbox; any other
// is ErrNotFound, so a partner learns nothing of others' broadcasts.
func (s *Service) inboxMessage(ctx context.Context, partnerID, messageID string) (partner.Partner, Message, error) {
	p, err := s.Store.GetPartner(ctx, partnerID)
	if err != nil {
		return p, Message{}, err
	}
	m, err := s.Store.GetMessage(ctx, messageID)
	if err != nil {
		return p, Message{}, err
	}
	in, err := s.inInbox(ctx, partnerID, p.CreatedAt, m)
	if err != nil {
		return p, Message{}, err
	}
	if !in {
		return p, Message{}, ErrNotFound
	}
	return p, m, nil
}

// Reply records a partner's answer to a broadcast in its inbox.
func (s *Service) Reply(ctx context.Context, partnerID, messageID, body string) (Reply, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return Reply{}, invalid("body", "must not be empty")
	}
	if err := ReplyLimit.Check("body", body); err != nil {
		return Reply{}, invalidBounds(err)
	}
	p, m, err := s.inboxMessage(ctx, partnerID, messageID)
	if err != nil {
		return Reply{}, err
	}
	r := Reply{ID: "rp_" + randomHex(8), MessageID: m.ID, PartnerID: partnerID, PartnerName: p.Name, Body: body, At: s.Now().UTC()}
	return r, s.Store.AddReply(ctx, r)
}

// Replies pages through a broadcast's replies, oldest first.
func (s *Service) Replies(ctx context.Context, messageID string, limit int32, cursor string) ([]Reply, string, error) {
	if _, err := s.Store.GetMessage(ctx, messageID); err != nil {
		return nil, "", err
	}
	return s.Store.RepliesPage(ctx, messageID, limit, cursor)
}
