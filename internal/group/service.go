package group

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/partnerloop/partnerloop/internal/program"
)

// Versioned is one saved version of a group, as the API answers it; its
// version is also the ETag an editor sends back in If-Match. Version 0 is
// the built-in default group before anyone saved it.
type Versioned struct {
	Group
	Version   int64     `json:"version"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Default is the default group until someone saves it: the program's
// terms and no join page.
func Default() Group {
	return Group{ID: program.DefaultGroup, Name: "Default", Slug: program.DefaultGroup, Form: []Field{}}
}

// Store keeps every version of every group. PutVersion adds v only if the
// group's current version is still v.Version−1 (none for version 1), else
// ErrVersionConflict, and makes it current; it moves the slug from
// previousSlug to v's in the same write, ErrSlugTaken if another group
// holds it.
type Store interface {
	// Group reads a group's current version; consistent asks for a
	// strongly consistent read.
	Group(ctx context.Context, id string, consistent bool) (Versioned, bool, error)
	// Groups pages through the groups by id.
	Groups(ctx context.Context, limit int32, cursor string) ([]Versioned, string, error)
	PutVersion(ctx context.Context, v Versioned, previousSlug string) error
}

// Service creates, edits and reads groups. The order path reads a group's
// terms through a cache: a process keeps each group it read for CacheFor,
// as it keeps the program, so a group's terms cost no read per order.
type Service struct {
	Store    Store
	CacheFor time.Duration
	Now      func() time.Time

	mu     sync.Mutex
	cached map[string]cachedGroup
}

type cachedGroup struct {
	group Group
	at    time.Time
}

// maxCached bounds the cache; a full cache starts afresh.
const maxCached = 10_000

// Create validates g and saves it as version 1.
func (s *Service) Create(ctx context.Context, g Group, by string) (Versioned, error) {
	if err := g.Validate(); err != nil {
		return Versioned{}, err
	}
	if g.ID == program.DefaultGroup {
		return Versioned{}, ErrExists // it always exists; PATCH edits it
	}
	if g.Slug == Default().Slug {
		return Versioned{}, ErrSlugTaken // the default group's until it takes another
	}
	v, err := s.save(ctx, Versioned{Group: g, Version: 1}, "", by)
	if errors.Is(err, ErrVersionConflict) {
		return Versioned{}, ErrExists
	}
	return v, err
}

// Get reads a group as it is now (the built-in default as version 0).
func (s *Service) Get(ctx context.Context, id string) (Versioned, error) {
	v, found, err := s.Store.Group(ctx, id, true)
	switch {
	case err != nil:
		return Versioned{}, err
	case found:
		return v, nil
	case id == program.DefaultGroup:
		return Versioned{Group: Default()}, nil
	}
	return Versioned{}, ErrNotFound
}

// List pages through the groups by id; the first page starts with the
// built-in default group while it was never saved.
func (s *Service) List(ctx context.Context, limit int32, cursor string) ([]Versioned, string, error) {
	list, next, err := s.Store.Groups(ctx, limit, cursor)
	if err != nil || cursor != "" {
		return list, next, err
	}
	if _, saved, err := s.Store.Group(ctx, program.DefaultGroup, false); err != nil || saved {
		return list, next, err
	}
	return append([]Versioned{{Group: Default()}}, list...), next, nil
}

// Update applies a JSON merge patch to the group and saves the result as
// its next version. With expected (the versions the editor started from,
// as program.Expected) a save by someone else in between is
// ErrVersionConflict; without it the newest version is patched.
func (s *Service) Update(ctx context.Context, id string, patch []byte, by string, expected *program.Expected) (Versioned, error) {
	cur, err := s.Get(ctx, id)
	if err != nil {
		return Versioned{}, err
	}
	if expected != nil && !slices.Contains(expected.Versions, cur.Version) {
		return Versioned{}, fmt.Errorf("%w: version %d is current, not one the edit started from", ErrVersionConflict, cur.Version)
	}
	next, err := Patched(cur.Group, patch)
	if err != nil {
		return Versioned{}, err
	}
	previousSlug := cur.Slug
	if cur.Version == 0 {
		previousSlug = "" // the built-in default holds no slug item yet
	}
	return s.save(ctx, Versioned{Group: next, Version: cur.Version + 1}, previousSlug, by)
}

func (s *Service) save(ctx context.Context, v Versioned, previousSlug, by string) (Versioned, error) {
	v.UpdatedBy, v.UpdatedAt = by, s.Now().UTC()
	if err := s.Store.PutVersion(ctx, v, previousSlug); err != nil {
		return Versioned{}, err
	}
	s.keep(v.Group, s.Now())
	return v, nil
}

// GroupTerms is what the group changes of the program's terms, from the
// cache. A group that is not stored (the default, never saved) keeps the
// program's terms.
func (s *Service) GroupTerms(ctx context.Context, id string) (program.GroupTerms, error) {
	g, err := s.current(ctx, id)
	if err != nil {
		return program.GroupTerms{}, err
	}
	return g.Terms(), nil
}

// DefaultTier is the tier the group gives a new partner, and whether the
// group exists.
func (s *Service) DefaultTier(ctx context.Context, id string) (program.Tier, bool, error) {
	v, err := s.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return "", false, nil
	}
	return v.DefaultTier, err == nil, err
}

// Summary is what a partner is shown of its group: its name and the terms
// its orders earn by.
type Summary struct {
	ID    string        `json:"id"`
	Name  string        `json:"name"`
	Terms program.Terms `json:"terms"`
}

// SummaryFor is the group summary of a partner at tier in the group.
func (s *Service) SummaryFor(ctx context.Context, prog program.Program, groupID string, tier program.Tier) (Summary, error) {
	g, err := s.current(ctx, groupID)
	if err != nil {
		return Summary{}, err
	}
	return Summary{ID: g.ID, Name: g.Name, Terms: prog.TermsFor(g.Terms(), tier)}, nil
}

// current is the group from the cache, read (eventually consistent) when
// missing or older than CacheFor.
func (s *Service) current(ctx context.Context, id string) (Group, error) {
	now := s.Now()
	s.mu.Lock()
	hit, ok := s.cached[id]
	s.mu.Unlock()
	if ok && now.Sub(hit.at) < s.CacheFor {
		return hit.group, nil
	}
	v, found, err := s.Store.Group(ctx, id, false)
	if err != nil {
		return Group{}, fmt.Errorf("read group %s: %w", id, err)
	}
	g := v.Group
	if !found {
		g = Default()
		g.ID = id
	}
	s.keep(g, now)
	return g, nil
}

func (s *Service) keep(g Group, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached == nil || len(s.cached) >= maxCached {
		s.cached = map[string]cachedGroup{}
	}
	s.cached[g.ID] = cachedGroup{g, at}
}
