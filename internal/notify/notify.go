// Package notify tells the program owner's other systems what happened:
// endpoints subscribe to event types, every change that emits an event
// writes it to the outbox in its own transaction, the dispatcher queues one
// delivery per subscribed endpoint, and the notifier posts it, signed, until
// the endpoint answers 2xx or a day has passed.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/outbox"
)

// Endpoint is a URL that receives the events it subscribed to, signed with
// its secret.
type Endpoint struct {
	ID        string    `json:"id" dynamodbav:"id"`
	URL       string    `json:"url" dynamodbav:"url"`
	Events    []string  `json:"events" dynamodbav:"events"`
	Secret    string    `json:"secret,omitempty" dynamodbav:"secret,omitempty"` // only in the answer that creates or rotates it
	CreatedAt time.Time `json:"created_at" dynamodbav:"created_at"`
	CreatedBy string    `json:"created_by" dynamodbav:"created_by"`
	// PreviousSecret still signs deliveries, beside Secret, until
	// PreviousSecretExpiresAt: the overlap of a rotation, while the
	// receiver moves to the new secret.
	PreviousSecret          string     `json:"-" dynamodbav:"previous_secret,omitempty"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty" dynamodbav:"previous_secret_expires_at,omitempty"`
}

// signingSecrets are the secrets a delivery at now is signed with: the
// current one, and the previous one during a rotation's overlap.
func (e Endpoint) signingSecrets(now time.Time) [][]byte {
	out := [][]byte{[]byte(e.Secret)}
	if e.PreviousSecret != "" && e.PreviousSecretExpiresAt != nil && now.Before(*e.PreviousSecretExpiresAt) {
		out = append(out, []byte(e.PreviousSecret))
	}
	return out
}

// Delivery is one attempt to post an event to an endpoint.
type Delivery struct {
	EventID    string    `json:"event_id" dynamodbav:"event_id"`
	Type       string    `json:"type" dynamodbav:"type"`
	Attempt    int       `json:"attempt" dynamodbav:"attempt"`
	Status     string    `json:"status" dynamodbav:"status"` // succeeded or failed
	StatusCode int       `json:"response_code,omitempty" dynamodbav:"response_code,omitempty"`
	Error      string    `json:"error,omitempty" dynamodbav:"error,omitempty"` // a failure's category (failureCategory)
	At         time.Time `json:"at" dynamodbav:"at"`
}

// Delivery statuses.
const (
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// Message is one event for one endpoint on the notifier queue.
type Message struct {
	EndpointID string       `json:"endpoint_id" dynamodbav:"endpoint_id"`
	Event      outbox.Event `json:"event" dynamodbav:"event"`
	// Resend tells an admin's resend apart from the event's first
	// delivery, which the queue would otherwise drop as a repeat.
	Resend string `json:"resend,omitempty" dynamodbav:"resend,omitempty"`
}

// Errors of the endpoint routes.
var (
	ErrInvalid  = errors.New("invalid webhook endpoint")
	ErrNotFound = errors.New("webhook endpoint not found")
	// ErrNotDelivered is a resend of an event the endpoint was not sent
	// in the days its deliveries are listed.
	ErrNotDelivered = errors.New("no delivery of this event to this endpoint is listed")
	// ErrRotated is a rotation that lost a race with another one.
	ErrRotated = errors.New("the endpoint's secret changed while the request ran; retry")
)

// Rotation overlaps: how long the previous secret keeps signing.
const (
	DefaultOverlap = 24 * time.Hour
	MaxOverlap     = 7 * 24 * time.Hour
)

// Store keeps endpoints, the outbox and delivery attempts.
type Store interface {
	PutEndpoint(ctx context.Context, e Endpoint) error
	GetEndpoint(ctx context.Context, id string) (Endpoint, error) // ErrNotFound
	ListEndpoints(ctx context.Context) ([]Endpoint, error)
	DeleteEndpoint(ctx context.Context, id string) error
	// PendingEvents lists up to limit outbox events, oldest first.
	PendingEvents(ctx context.Context, limit int32) ([]outbox.Event, error)
	// DoneEvent removes an event from the outbox once it is queued.
	DoneEvent(ctx context.Context, id string) error
	// RecordDelivery logs an attempt; the first attempt also keeps the
	// event, for resending while its deliveries are listed.
	RecordDelivery(ctx context.Context, endpointID string, d Delivery, evt outbox.Event) error
	Deliveries(ctx context.Context, endpointID string, limit int32) ([]Delivery, error)
	// SentEvent is an event kept for resending (ErrNotDelivered).
	SentEvent(ctx context.Context, endpointID, eventID string) (outbox.Event, error)
	// RotateSecret stores e's secrets if its secret is still was (ErrRotated).
	RotateSecret(ctx context.Context, e Endpoint, was string) error
}

// Forwarder takes an outbox event somewhere besides the endpoints; a
// repeat of the same event must change nothing more.
type Forwarder interface {
	Forward(ctx context.Context, evt outbox.Event) error
}

// Queue carries deliveries to the notifier.
type Queue interface {
	SendDeliveries(ctx context.Context, ms []Message) error
}

// Service manages endpoints and moves events from the outbox to them.
type Service struct {
	Store  Store
	Queue  Queue
	Poster *Poster
	Now    func() time.Time
	Log    *slog.Logger
	// AllowInsecure admits http:// endpoints and non-public addresses
	// (local runs and tests only).
	AllowInsecure bool
	// CacheFor is how long Wants trusts the endpoints it read.
	CacheFor time.Duration
	// Also receives every outbox event before it leaves the outbox (the
	// e-mail pipeline); nil for none.
	Also Forwarder

	mu       sync.Mutex
	wanted   map[string]bool
	readAt   time.Time
	hasCache bool
}

// NewEndpoint is what an admin registers.
type NewEndpoint struct {
	URL    string   `json:"url" dynamodbav:"url"`
	Events []string `json:"events" dynamodbav:"events"`
}

// Create registers an endpoint; the answer carries its secret, which is
// never shown again.
func (s *Service) Create(ctx context.Context, in NewEndpoint, by string) (Endpoint, error) {
	if err := s.checkURL(in.URL); err != nil {
		return Endpoint{}, err
	}
	if len(in.Events) == 0 {
		return Endpoint{}, fmt.Errorf("%w: events must name at least one of %s", ErrInvalid, strings.Join(outbox.Types(), ", "))
	}
	for _, t := range in.Events {
		if !slices.Contains(outbox.Types(), t) {
			return Endpoint{}, fmt.Errorf("%w: unknown event %q (events are %s)", ErrInvalid, t, strings.Join(outbox.Types(), ", "))
		}
	}
	e := Endpoint{ID: "we_" + randomHex(8), URL: in.URL, Events: slices.Compact(slices.Sorted(slices.Values(in.Events))),
		Secret: "whsec_" + randomHex(24), CreatedAt: s.Now().UTC(), CreatedBy: by}
	if err := s.Store.PutEndpoint(ctx, e); err != nil {
		return Endpoint{}, err
	}
	s.forget()
	return e, nil
}

func (s *Service) checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || len(raw) > 2000 {
		return fmt.Errorf("%w: url must be an absolute URL without credentials", ErrInvalid)
	}
	if u.Scheme != "https" && !(s.AllowInsecure && u.Scheme == "http") {
		return fmt.Errorf("%w: url must be https", ErrInvalid)
	}
	// The notifier refuses these when it dials; saying so now spares an
	// admin a day of failed deliveries.
	if !s.AllowInsecure && nonPublicHost(u.Hostname()) {
		return fmt.Errorf("%w: url host must be a public address", ErrInvalid)
	}
	return nil
}

// Get returns an endpoint without its secret.
func (s *Service) Get(ctx context.Context, id string) (Endpoint, error) {
	e, err := s.Store.GetEndpoint(ctx, id)
	e.Secret = ""
	return e, err
}

// List returns every endpoint without secrets.
func (s *Service) List(ctx context.Context) ([]Endpoint, error) {
	list, err := s.Store.ListEndpoints(ctx)
	for i := range list {
		list[i].Secret = ""
	}
	return list, err
}

// Delete removes an endpoint; deliveries already queued for it are dropped.
func (s *Service) Delete(ctx context.Context, id string) error {
	if _, err := s.Store.GetEndpoint(ctx, id); err != nil {
		return err
	}
	s.forget()
	return s.Store.DeleteEndpoint(ctx, id)
}

// Deliveries lists an endpoint's recent attempts, newest first.
func (s *Service) Deliveries(ctx context.Context, id string, limit int32) ([]Delivery, error) {
	if _, err := s.Store.GetEndpoint(ctx, id); err != nil {
		return nil, err
	}
	return s.Store.Deliveries(ctx, id, limit)
}

// RotateSecret gives an endpoint a new secret, answered once. For overlap
// (0 to MaxOverlap) the previous secret signs deliveries beside it, so the
// receiver can switch without refusing a delivery.
func (s *Service) RotateSecret(ctx context.Context, id string, overlap time.Duration) (Endpoint, error) {
	if overlap < 0 || overlap > MaxOverlap {
		return Endpoint{}, fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: "overlap_seconds",
			Reason: fmt.Sprintf("must be between 0 and %d", int(MaxOverlap.Seconds()))})
	}
	e, err := s.Store.GetEndpoint(ctx, id)
	if err != nil {
		return Endpoint{}, err
	}
	was := e.Secret
	e.Secret, e.PreviousSecret, e.PreviousSecretExpiresAt = "whsec_"+randomHex(24), "", nil
	if overlap > 0 {
		until := s.Now().UTC().Add(overlap)
		e.PreviousSecret, e.PreviousSecretExpiresAt = was, &until
	}
	if err := s.Store.RotateSecret(ctx, e, was); err != nil {
		return Endpoint{}, err
	}
	e.PreviousSecret = ""
	return e, nil
}

// Resent is a resend queued.
type Resent struct {
	EndpointID string `json:"endpoint_id"`
	EventID    string `json:"event_id"`
	ResendID   string `json:"resend_id"`
}

// Resend queues one more delivery of an event the endpoint was sent (it
// keeps its id, so a receiver that handled it can tell), signed with the
// endpoint's secrets of now.
func (s *Service) Resend(ctx context.Context, endpointID, eventID string) (Resent, error) {
	if _, err := s.Store.GetEndpoint(ctx, endpointID); err != nil {
		return Resent{}, err
	}
	evt, err := s.Store.SentEvent(ctx, endpointID, eventID)
	if err != nil {
		return Resent{}, err
	}
	out := Resent{EndpointID: endpointID, EventID: eventID, ResendID: "rs_" + randomHex(8)}
	return out, s.Queue.SendDeliveries(ctx, []Message{{EndpointID: endpointID, Event: evt, Resend: out.ResendID}})
}

// Wants reports whether an endpoint subscribes to the type, from a list
// read at most CacheFor ago. When the list cannot be read it answers yes:
// an event nobody wants costs a row, a lost one cannot be recovered.
func (s *Service) Wants(ctx context.Context, eventType string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	if !s.hasCache || now.Sub(s.readAt) >= s.CacheFor {
		list, err := s.Store.ListEndpoints(ctx)
		if err != nil {
			s.Log.WarnContext(ctx, "webhook endpoints unreadable; recording the event", "error", err)
			return true
		}
		s.wanted, s.readAt, s.hasCache = map[string]bool{}, now, true
		for _, e := range list {
			for _, t := range e.Events {
				s.wanted[t] = true
			}
		}
	}
	return s.wanted[eventType]
}

// forget drops the cached subscriptions after this process changed them.
func (s *Service) forget() {
	s.mu.Lock()
	s.hasCache = false
	s.mu.Unlock()
}

// DispatchReport counts what one dispatch did.
type DispatchReport struct {
	Events     int
	Deliveries int
}

// Dispatch queues one delivery per subscribed endpoint for every outbox
// event, hands it to Also, then removes the event. A crash in between queues it again on the
// next run: endpoints receive an event at least once, always with its id.
func (s *Service) Dispatch(ctx context.Context) (DispatchReport, error) {
	var rep DispatchReport
	endpoints, err := s.Store.ListEndpoints(ctx)
	if err != nil {
		return rep, fmt.Errorf("list endpoints: %w", err)
	}
	for {
		pending, err := s.Store.PendingEvents(ctx, 100)
		if err != nil {
			return rep, fmt.Errorf("read outbox: %w", err)
		}
		for _, evt := range pending {
			var ms []Message
			for _, e := range endpoints {
				if slices.Contains(e.Events, evt.Type) {
					ms = append(ms, Message{EndpointID: e.ID, Event: evt})
				}
			}
			if err := s.Queue.SendDeliveries(ctx, ms); err != nil {
				return rep, fmt.Errorf("queue event %s: %w", evt.ID, err)
			}
			if s.Also != nil {
				if err := s.Also.Forward(ctx, evt); err != nil {
					return rep, fmt.Errorf("forward event %s: %w", evt.ID, err)
				}
			}
			if err := s.Store.DoneEvent(ctx, evt.ID); err != nil {
				return rep, fmt.Errorf("close event %s: %w", evt.ID, err)
			}
			rep.Events++
			rep.Deliveries += len(ms)
		}
		if len(pending) < 100 {
			return rep, nil
		}
	}
}

// ErrDeliveryFailed means the endpoint did not accept the event; the queue
// retries it later.
var ErrDeliveryFailed = errors.New("delivery failed")

// Deliver posts one queued event to its endpoint and records the attempt.
// A deleted endpoint drops the delivery.
func (s *Service) Deliver(ctx context.Context, m Message, attempt int) error {
	e, err := s.Store.GetEndpoint(ctx, m.EndpointID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	code, postErr := s.Poster.Post(ctx, e, m.Event)
	d := Delivery{EventID: m.Event.ID, Type: m.Event.Type, Attempt: attempt, Status: DeliverySucceeded, StatusCode: code, At: s.Now().UTC()}
	if postErr != nil {
		d.Status, d.Error = DeliveryFailed, failureCategory(code, postErr)
	}
	if err := s.Store.RecordDelivery(ctx, e.ID, d, m.Event); err != nil {
		s.Log.WarnContext(ctx, "delivery attempt not recorded", "endpoint_id", e.ID, "event_id", m.Event.ID, "error", err)
	}
	if postErr != nil {
		return fmt.Errorf("%w: %w", ErrDeliveryFailed, postErr)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}
