package program

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Versioned is one saved version of the program. Version 0 is the built-in
// (or deployment-configured) program before anyone saved one.
type Versioned struct {
	Version   int64     `json:"version"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	Program   Program   `json:"program"`
}

// Provider returns the program in force.
type Provider interface {
	Current(ctx context.Context) (Versioned, error)
}

// Static is a Provider of a fixed program (tests, local runs without storage).
type Static Versioned

// Current returns the fixed program.
func (s Static) Current(context.Context) (Versioned, error) { return Versioned(s), nil }

// ErrVersionConflict means another change was saved first.
var ErrVersionConflict = errors.New("program changed concurrently; reload and retry")

// Store keeps every version; PutVersion adds v only if the current version
// is still v.Version−1, and makes it current.
type Store interface {
	CurrentProgram(ctx context.Context) (Versioned, bool, error)
	PutVersion(ctx context.Context, v Versioned) error
	// ProgramVersions pages through the history, newest first.
	ProgramVersions(ctx context.Context, limit int32, cursor string) ([]Versioned, string, error)
}

// Registry is the Provider backed by storage. A process keeps the program
// for CacheFor, so a change reaches every function within that time without
// a read on every webhook.
type Registry struct {
	Store    Store
	Default  Program
	CacheFor time.Duration
	Now      func() time.Time

	mu      sync.Mutex
	cached  Versioned
	fetched time.Time
}

// Current returns the saved program, or the default as version 0.
func (r *Registry) Current(ctx context.Context) (Versioned, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.Now()
	if !r.fetched.IsZero() && now.Sub(r.fetched) < r.CacheFor {
		return r.cached, nil
	}
	v, found, err := r.Store.CurrentProgram(ctx)
	if err != nil {
		return Versioned{}, fmt.Errorf("read program: %w", err)
	}
	if !found {
		v = Versioned{Program: r.Default}
	}
	r.cached, r.fetched = v, now
	return v, nil
}

// Expected names the versions a save may replace: the current version must
// be one of Versions. With none, no version is (an editor's If-Match of
// weak tags only).
type Expected struct{ Versions []int64 }

// Update validates p and saves it as the next version, recording who and
// when. With expected (the version the editor started from) a save by
// someone else in between is ErrVersionConflict; without it the newest
// version is replaced.
func (r *Registry) Update(ctx context.Context, p Program, by string, expected *Expected) (Versioned, error) {
	if err := p.Validate(); err != nil {
		return Versioned{}, err
	}
	r.mu.Lock()
	r.fetched = time.Time{} // read through the cache: the version must be current
	r.mu.Unlock()
	cur, err := r.Current(ctx)
	if err != nil {
		return Versioned{}, err
	}
	if expected != nil && !slices.Contains(expected.Versions, cur.Version) {
		return Versioned{}, fmt.Errorf("%w: version %d is current, not one the edit started from", ErrVersionConflict, cur.Version)
	}
	next := Versioned{Version: cur.Version + 1, UpdatedBy: by, UpdatedAt: r.Now().UTC(), Program: p}
	if err := r.Store.PutVersion(ctx, next); err != nil {
		return Versioned{}, err
	}
	r.mu.Lock()
	r.cached, r.fetched = next, r.Now()
	r.mu.Unlock()
	return next, nil
}

// History pages through the saved versions, newest first.
func (r *Registry) History(ctx context.Context, limit int32, cursor string) ([]Versioned, string, error) {
	return r.Store.ProgramVersions(ctx, limit, cursor)
}
