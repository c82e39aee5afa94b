// Package apikey holds the keys a shop's backend calls the API with
// ("Authorization: Bearer plk_..."). A key is shown once, when created;
// only its SHA-256 hash is kept, which is enough for a secret of 256
// random bits (nobody can try their way back to it), and a key grants
// nothing beyond its scopes.
package apikey

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/bearer"
	"github.com/partnerloop/partnerloop/internal/bounds"
)

// Scope is what a key may be used for.
type Scope string

// ScopeEmbed admits POST /v1/embed/tokens: signing a customer in to the
// embedded referral widget.
const ScopeEmbed Scope = "embed"

// scopes are the scopes a key may carry.
var scopes = []Scope{ScopeEmbed}

// Prefix starts every key, so a leaked one is recognisable (secret
// scanners, logs) and the API tells keys from sign-in tokens by it.
const Prefix = "plk_"

// secretBytes is the randomness of a key.
const secretBytes = 32

// Key is a key as listed: never its secret.
type Key struct {
	ID     string  `json:"id" dynamodbav:"id"`
	Name   string  `json:"name" dynamodbav:"name"`
	Scopes []Scope `json:"scopes" dynamodbav:"scopes"`
	// Hint is the key's first characters, so a person can tell keys apart.
	Hint      string     `json:"hint" dynamodbav:"hint"`
	CreatedBy string     `json:"created_by" dynamodbav:"created_by"`
	CreatedAt time.Time  `json:"created_at" dynamodbav:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty" dynamodbav:"revoked_at,omitempty"`
}

// Allows reports whether the key is in force and carries scope.
func (k Key) Allows(scope Scope) bool {
	return k.RevokedAt == nil && slices.Contains(k.Scopes, scope)
}

// Created is a new key with its secret, answered once.
type Created struct {
	Key
	Secret string `json:"key"`
}

var (
	// ErrInvalid is a key request out of its rules; it names the field.
	ErrInvalid = errors.New("invalid API key request")
	// ErrNotFound is an unknown key id.
	ErrNotFound = errors.New("API key not found")
	// ErrUnknownKey is a presented key that is not one in force.
	ErrUnknownKey = errors.New("unknown or revoked API key")
)

// Store keeps keys by the hash of their secret.
type Store interface {
	PutKey(ctx context.Context, k Key, hash string) error
	// KeyByHash reads the key whose secret hashes to hash, with the hash
	// as stored.
	KeyByHash(ctx context.Context, hash string) (Key, string, bool, error)
	Keys(ctx context.Context) ([]Key, error)
	// RevokeKey marks a key revoked at at (a revoked key stays revoked,
	// at its first time) and returns it; ErrNotFound if unknown.
	RevokeKey(ctx context.Context, id string, at time.Time) (Key, error)
}

// Service creates, lists, revokes and checks keys.
type Service struct {
	Store Store
	Now   func() time.Time
}

// NewKey is the body of POST /v1/api-keys.
type NewKey struct {
	Name   string  `json:"name"`
	Scopes []Scope `json:"scopes"`
}

func refused(field, reason string) error {
	return fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: field, Reason: reason})
}

func (n NewKey) validate() error {
	if err := bounds.Name.Check("name", n.Name); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if strings.TrimSpace(n.Name) == "" {
		return refused("name", "is required")
	}
	if len(n.Scopes) == 0 || len(n.Scopes) > len(scopes) {
		return refused("scopes", "must list the key's scopes (embed)")
	}
	for i, s := range n.Scopes {
		if !slices.Contains(scopes, s) || slices.Contains(n.Scopes[:i], s) {
			return refused(fmt.Sprintf("scopes[%d]", i), "must be embed, once")
		}
	}
	return nil
}

// Create makes a key and answers its secret, which is not kept.
func (s *Service) Create(ctx context.Context, n NewKey, by string) (Created, error) {
	if err := n.validate(); err != nil {
		return Created{}, err
	}
	secret := Prefix + bearer.Random(secretBytes)
	k := Key{ID: "key_" + bearer.Random(12), Name: strings.TrimSpace(n.Name), Scopes: n.Scopes, Hint: secret[:len(Prefix)+4],
		CreatedBy: by, CreatedAt: s.Now().UTC()}
	if err := s.Store.PutKey(ctx, k, bearer.Hash(secret)); err != nil {
		return Created{}, err
	}
	return Created{Key: k, Secret: secret}, nil
}

// List is every key, revoked ones included, without secrets.
func (s *Service) List(ctx context.Context) ([]Key, error) { return s.Store.Keys(ctx) }

// Revoke stops a key from working; revoking it again changes nothing.
func (s *Service) Revoke(ctx context.Context, id string) (Key, error) {
	return s.Store.RevokeKey(ctx, id, s.Now().UTC())
}

// Authenticate finds the key in force whose secret was presented.
func (s *Service) Authenticate(ctx context.Context, secret string) (Key, error) {
	if !IsKey(secret) || len(secret) > bounds.ID.Max {
		return Key{}, ErrUnknownKey
	}
	hash := bearer.Hash(secret)
	k, stored, found, err := s.Store.KeyByHash(ctx, hash)
	if err != nil {
		return Key{}, err
	}
	// The read found the item by the hash; comparing in constant time as
	// well keeps a store that matched loosely from admitting a near miss.
	if !found || subtle.ConstantTimeCompare([]byte(stored), []byte(hash)) != 1 || k.RevokedAt != nil {
		return Key{}, ErrUnknownKey
	}
	return k, nil
}

// IsKey reports whether a bearer credential is an API key rather than a
// sign-in token.
func IsKey(credential string) bool { return strings.HasPrefix(credential, Prefix) }
