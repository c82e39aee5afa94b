package team

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/bounds"
)

type mapStore map[string]Member

func (s mapStore) Put(_ context.Context, m Member) error { s[m.ID] = m; return nil }
func (s mapStore) Get(_ context.Context, id string) (Member, error) {
	if m, ok := s[id]; ok {
		return m, nil
	}
	return Member{}, ErrNotFound
}
func (s mapStore) List(context.Context) ([]Member, error)              { return nil, nil }
func (s mapStore) Replace(_ context.Context, _ Member, m Member) error { s[m.ID] = m; return nil }
func (s mapStore) Delete(_ context.Context, m Member) error            { delete(s, m.ID); return nil }

func service() (*Service, mapStore) {
	st := mapStore{}
	return &Service{Store: st, Directory: LocalDirectory{}, Now: time.Now}, st
}

// Each refused field is named, and nothing is stored.
func TestAddRefusesFieldsOutOfTheirRules(t *testing.T) {
	s, st := service()
	for _, tc := range []struct {
		in    NewMember
		field string
	}{
		{NewMember{Email: "not an address", Name: "Ann", Roles: []string{"viewer"}}, "email"},
		{NewMember{Email: strings.Repeat("a", 250) + "@x.example", Name: "Ann", Roles: []string{"viewer"}}, "email"},
		{NewMember{Email: "ann@x.example", Name: "", Roles: []string{"viewer"}}, "name"},
		{NewMember{Email: "ann@x.example", Name: strings.Repeat("n", 201), Roles: []string{"viewer"}}, "name"},
		{NewMember{Email: "ann@x.example", Name: "=HYPERLINK()", Roles: []string{"viewer"}}, "name"},
		{NewMember{Email: "ann@x.example", Name: "Ann", Roles: nil}, "roles"},
		{NewMember{Email: "ann@x.example", Name: "Ann", Roles: []string{"viewer", "owner"}}, "roles[1]"},
		{NewMember{Email: "ann@x.example", Name: "Ann", Roles: []string{"partner"}}, "roles[0]"},
		{NewMember{Email: "ann@x.example", Name: "Ann", Roles: []string{"viewer", "viewer"}}, "roles[1]"},
	} {
		_, err := s.Add(context.Background(), tc.in, "admin-1")
		var be *bounds.Error
		if !errors.Is(err, ErrInvalid) || !errors.As(err, &be) || be.Field != tc.field {
			t.Errorf("%+v: %v, want %s named", tc.in, err, tc.field)
		}
	}
	if len(st) != 0 {
		t.Fatalf("refused members stored: %v", st)
	}
	m, err := s.Add(context.Background(), NewMember{Email: " Ann@X.example ", Name: "Ann", Roles: []string{"manager", "viewer"}}, "admin-1")
	if err != nil || m.Email != "ann@x.example" || !strings.HasPrefix(m.ID, "usr_") || st[m.ID].CreatedBy != "admin-1" {
		t.Fatalf("%+v %v", m, err)
	}
}

// An admin cannot lock themselves out; another admin can change them.
func TestAnAdminKeepsTheirOwnAdminRole(t *testing.T) {
	s, st := service()
	st["adm"] = Member{ID: "adm", Email: "a@x.example", Name: "A", Roles: []string{"admin"}}
	viewer := []string{"viewer"}
	if _, err := s.Update(context.Background(), "adm", Change{Roles: &viewer}, "adm"); !errors.Is(err, ErrSelf) {
		t.Fatalf("own admin role dropped: %v", err)
	}
	if _, err := s.Remove(context.Background(), "adm", "adm"); !errors.Is(err, ErrSelf) {
		t.Fatalf("removed themselves: %v", err)
	}
	if m, err := s.Update(context.Background(), "adm", Change{Roles: &viewer}, "other-admin"); err != nil || m.Roles[0] != "viewer" {
		t.Fatalf("another admin: %+v %v", m, err)
	}
}
