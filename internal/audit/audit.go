// Package audit is the one trail of staff writes: who changed what, when,
// in which role, and the fields that changed. Entries are only ever added;
// a change that is one storage transaction writes its entry in it, any
// other change records it right after, in the same request.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Entry is one recorded change. Before and After hold only the fields that
// changed (dotted paths into the target's JSON), never a secret.
type Entry struct {
	ID     string    `json:"id" dynamodbav:"id"`
	At     time.Time `json:"at" dynamodbav:"at"`
	Actor  string    `json:"actor" dynamodbav:"actor"`
	Role   string    `json:"role" dynamodbav:"role"`
	Action string    `json:"action" dynamodbav:"action"`
	// Target names what changed, "<kind>:<id>" (partner:pt_1, batch:pb_1,
	// program); Item a part of it (a batch's item).
	Target string `json:"target" dynamodbav:"target"`
	// TargetName is the target's name as the change left it (a partner's,
	// a group's), so the trail reads by names; a target without a name,
	// and entries written before names were kept, have none.
	TargetName string         `json:"target_name,omitempty" dynamodbav:"target_name,omitempty"`
	Item       string         `json:"item,omitempty" dynamodbav:"item,omitempty"`
	Reason     string         `json:"reason,omitempty" dynamodbav:"reason,omitempty"`
	Before     map[string]any `json:"before,omitempty" dynamodbav:"before,omitempty"`
	After      map[string]any `json:"after,omitempty" dynamodbav:"after,omitempty"`
	RequestID  string         `json:"request_id,omitempty" dynamodbav:"request_id,omitempty"`
	// IPHash is the caller's address under the service's keyed hash:
	// enough to tell one caller's requests apart, not to find the caller.
	IPHash string `json:"ip_hash,omitempty" dynamodbav:"ip_hash,omitempty"`
}

// System is the role of changes no person made (a payout worker's).
const System = "system"

// Actor is who makes the request's changes.
type Actor struct {
	Subject, Role, RequestID, IPHash string
}

type actorKey struct{}

// WithActor gives the request's changes their actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf is the request's actor, if a person makes it.
func ActorOf(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// Stamp fills in the entry's actor from the request (by stays the actor of
// a change no person made) and an id unique to the request, action, target
// and item, so recording the same change twice keeps one entry.
func Stamp(ctx context.Context, e Entry, by string) Entry {
	e.Actor, e.Role = by, System
	if a, ok := ActorOf(ctx); ok {
		e.Actor, e.Role, e.RequestID, e.IPHash = a.Subject, a.Role, a.RequestID, a.IPHash
	}
	if e.ID == "" {
		seed := e.RequestID
		if seed == "" {
			seed = e.At.UTC().Format(time.RFC3339Nano) + "#" + e.Actor
		}
		sum := sha256.Sum256([]byte(seed + "\x00" + e.Action + "\x00" + e.Target + "\x00" + e.Item))
		e.ID = "au_" + hex.EncodeToString(sum[:12])
	}
	return e
}

// sensitive fields are never recorded, whatever answer holds them: an
// endpoint's signing secret, an API key as it is shown once.
var sensitive = map[string]bool{"secret": true, "key": true, "password": true, "token": true}

// maxChange bounds the JSON of Before and After together: an entry is one
// stored item, and a wholesale change is recorded by the names of its fields.
const maxChange = 64 << 10

// Diff compares two JSON-shaped values (nil for none) and keeps, on each
// side, only what differs: objects are compared field by field, as dotted
// paths; lists and plain values whole.
func Diff(before, after any) (map[string]any, map[string]any, error) {
	b, err := flatten(before)
	if err != nil {
		return nil, nil, err
	}
	a, err := flatten(after)
	if err != nil {
		return nil, nil, err
	}
	was, now := map[string]any{}, map[string]any{}
	for k, v := range b {
		if w, ok := a[k]; !ok || !equalJSON(v, w) {
			was[k] = v
		}
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !equalJSON(v, w) {
			now[k] = v
		}
	}
	if size(was)+size(now) > maxChange {
		fields := make([]string, 0, len(was)+len(now))
		for k := range was {
			fields = append(fields, k)
		}
		for k := range now {
			if _, ok := was[k]; !ok {
				fields = append(fields, k)
			}
		}
		return nil, map[string]any{"changed_fields_too_large_to_record": fields}, nil
	}
	return emptyAsNil(was), emptyAsNil(now), nil
}

func emptyAsNil(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	return m
}

func size(m map[string]any) int {
	raw, _ := json.Marshal(m) // decoded JSON always encodes
	return len(raw)
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a) // decoded JSON always encodes, map keys sorted
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// flatten turns v's JSON into dotted paths to its non-object values.
func flatten(v any) (map[string]any, error) {
	out := map[string]any{}
	if v == nil {
		return out, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit: encode %T: %w", v, err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		obj, ok := v.(map[string]any)
		if !ok || (len(obj) == 0 && prefix != "") {
			out[prefix] = v
			return
		}
		for k, e := range obj {
			if sensitive[k] {
				continue
			}
			if prefix != "" {
				k = prefix + "." + k
			}
			walk(k, e)
		}
	}
	if _, ok := doc.(map[string]any); !ok {
		return map[string]any{"value": doc}, nil
	}
	walk("", doc)
	return out, nil
}

// Query selects entries, newest first: by target, by actor, or every
// entry of the days from From to To, each narrowed by Action.
type Query struct {
	Target, Actor, Action string
	From, To              time.Time
	Limit                 int32
	Cursor                string
}

// ErrBadQuery is a query out of its rules.
var ErrBadQuery = errors.New("bad audit query")

// MaxSpan is the longest period one query reads.
const MaxSpan = 366 * 24 * time.Hour

// Store keeps the trail. Append succeeds when an entry of the same id is
// already there (a retried request records its change once).
type Store interface {
	Append(ctx context.Context, e Entry) error
	Find(ctx context.Context, q Query) ([]Entry, string, error)
}

// Log records and reads the trail.
type Log struct {
	Store Store
	Now   func() time.Time
}

// Record appends the change of target that the request's actor made.
func (l *Log) Record(ctx context.Context, action, target string, before, after any) error {
	was, now, err := Diff(before, after)
	if err != nil {
		return err
	}
	e := Stamp(ctx, Entry{At: l.Now().UTC(), Action: action, Target: target, TargetName: nameOf(after, before), Before: was, After: now}, "")
	return l.Store.Append(ctx, e)
}

// nameOf is the first name field of the sides that carries one.
func nameOf(sides ...any) string {
	for _, side := range sides {
		if flat, err := flatten(side); err == nil {
			if name, ok := flat["name"].(string); ok && name != "" {
				return name
			}
		}
	}
	return ""
}

// Find reads a page of entries; the period defaults to the last 30 days.
func (l *Log) Find(ctx context.Context, q Query) ([]Entry, string, error) {
	if q.To.IsZero() {
		q.To = l.Now().UTC()
	}
	if q.From.IsZero() {
		q.From = q.To.Add(-30 * 24 * time.Hour)
	}
	if q.To.Before(q.From) || q.To.Sub(q.From) > MaxSpan {
		return nil, "", fmt.Errorf("%w: from must be before to, at most 366 days apart", ErrBadQuery)
	}
	return l.Store.Find(ctx, q)
}
