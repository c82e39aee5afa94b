// Package team is the program's staff: who they are and which roles they
// hold. The sign-in directory (Cognito in AWS, the local development users
// otherwise) keeps the identity; the store keeps the team as the API shows it.
package team

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/bounds"
)

// Member is one person of the team. ID is the subject of their tokens, so
// the audit trail's actor names them.
type Member struct {
	ID        string    `json:"id" dynamodbav:"id"`
	Email     string    `json:"email" dynamodbav:"email"`
	Name      string    `json:"name" dynamodbav:"name"`
	Roles     []string  `json:"roles" dynamodbav:"roles"`
	CreatedBy string    `json:"created_by" dynamodbav:"created_by"`
	CreatedAt time.Time `json:"created_at" dynamodbav:"created_at"`
	UpdatedAt time.Time `json:"updated_at" dynamodbav:"updated_at"`
}

// NewMember is what POST /v1/team takes.
type NewMember struct {
	Email string   `json:"email"`
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

// Change is what PATCH /v1/team/{id} takes; nil fields stay.
type Change struct {
	Name  *string   `json:"name"`
	Roles *[]string `json:"roles"`
}

var (
	// ErrInvalid is a field out of its rules; the error names the field.
	ErrInvalid = errors.New("invalid team member")
	// ErrNotFound is an unknown member.
	ErrNotFound = errors.New("team member not found")
	// ErrExists is an e-mail address a member already has.
	ErrExists = errors.New("a team member has this e-mail address")
	// ErrSelf is an admin taking their own admin role away or removing
	// themselves: the team would risk having no admin left to undo it.
	ErrSelf = errors.New("an admin cannot remove themselves or their own admin role")
	// ErrConcurrentChange is a member changed by someone else meanwhile.
	ErrConcurrentChange = errors.New("the team member changed while this request ran; retry")
)

// Directory is the sign-in side of the team: it creates the person's
// sign-in (e-mailing a temporary password) and keeps their groups.
type Directory interface {
	// Invite creates the sign-in and answers the subject its tokens carry.
	Invite(ctx context.Context, m Member) (subject string, err error)
	// Update sets the member's name and groups to m's.
	Update(ctx context.Context, was, m Member) error
	Remove(ctx context.Context, m Member) error
}

// Store keeps the team; Put fails with ErrExists for a taken e-mail.
type Store interface {
	Put(ctx context.Context, m Member) error
	Get(ctx context.Context, id string) (Member, error)
	List(ctx context.Context) ([]Member, error)
	Replace(ctx context.Context, was, m Member) error
	Delete(ctx context.Context, m Member) error
}

// Service runs the team's changes.
type Service struct {
	Store     Store
	Directory Directory
	Now       func() time.Time
}

// checkRoles refuses an empty list, an unknown role or one named twice.
func checkRoles(roles []string) error {
	if len(roles) == 0 {
		return fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: "roles", Reason: "must name at least one role"})
	}
	for i, r := range roles {
		if _, ok := auth.ParseRole(r); !ok || slices.Index(roles, r) != i {
			return fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: fmt.Sprintf("roles[%d]", i),
				Reason: "must be one of " + strings.Join(auth.StaffRoleNames(), ", ") + ", each once"})
		}
	}
	return nil
}

func checkName(name string) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("%w: %w", ErrInvalid, &bounds.Error{Field: "name", Reason: "is required"})
	}
	if err := bounds.PersonName("name", name); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

func checkEmail(email string) error {
	if err := bounds.Address("email", email); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// Add invites a new member; nothing is stored when the invitation fails.
func (s *Service) Add(ctx context.Context, in NewMember, by string) (Member, error) {
	in.Email, in.Name = strings.ToLower(strings.TrimSpace(in.Email)), strings.TrimSpace(in.Name)
	if err := bounds.First(checkEmail(in.Email), checkName(in.Name), checkRoles(in.Roles)); err != nil {
		return Member{}, err
	}
	now := s.Now().UTC()
	m := Member{Email: in.Email, Name: in.Name, Roles: in.Roles, CreatedBy: by, CreatedAt: now, UpdatedAt: now}
	subject, err := s.Directory.Invite(ctx, m)
	if err != nil {
		return Member{}, err
	}
	m.ID = subject
	if err := s.Store.Put(ctx, m); err != nil {
		return Member{}, err
	}
	return m, nil
}

// List is the whole team, by e-mail.
func (s *Service) List(ctx context.Context) ([]Member, error) { return s.Store.List(ctx) }

// Get is one member.
func (s *Service) Get(ctx context.Context, id string) (Member, error) { return s.Store.Get(ctx, id) }

// Update changes a member's name or roles, in the directory first so the
// stored team never shows roles the sign-in does not grant.
func (s *Service) Update(ctx context.Context, id string, c Change, by string) (Member, error) {
	was, err := s.Store.Get(ctx, id)
	if err != nil {
		return Member{}, err
	}
	m := was
	if c.Name != nil {
		m.Name = strings.TrimSpace(*c.Name)
		if err := checkName(m.Name); err != nil {
			return Member{}, err
		}
	}
	if c.Roles != nil {
		if err := checkRoles(*c.Roles); err != nil {
			return Member{}, err
		}
		if id == by && slices.Contains(was.Roles, auth.GroupAdmin) && !slices.Contains(*c.Roles, auth.GroupAdmin) {
			return Member{}, ErrSelf
		}
		m.Roles = *c.Roles
	}
	m.UpdatedAt = s.Now().UTC()
	if err := s.Directory.Update(ctx, was, m); err != nil {
		return Member{}, err
	}
	return m, s.Store.Replace(ctx, was, m)
}

// Remove deletes a member's sign-in and their place in the team.
func (s *Service) Remove(ctx context.Context, id, by string) (Member, error) {
	if id == by {
		return Member{}, ErrSelf
	}
	m, err := s.Store.Get(ctx, id)
	if err != nil {
		return Member{}, err
	}
	if err := s.Directory.Remove(ctx, m); err != nil {
		return Member{}, err
	}
	return m, s.Store.Delete(ctx, m)
}

// LocalDirectory is the team's sign-in where there is no Cognito: the
// stored team is the directory, which the development sign-in lists, so
// inviting only gives the member a subject.
type LocalDirectory struct{}

func (LocalDirectory) Invite(context.Context, Member) (string, error) {
	return "usr_" + rand.Text()[:16], nil
}
func (LocalDirectory) Update(context.Context, Member, Member) error { return nil }
func (LocalDirectory) Remove(context.Context, Member) error         { return nil }
