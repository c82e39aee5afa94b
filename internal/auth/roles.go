package auth

import (
	"strings"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// Roles is a set of roles: what a route admits, or what a caller holds.
type Roles uint8

// The staff roles are sign-in groups; Partner is a caller signed in as a
// partner, whom the routes open to it scope to its own data.
const (
	Admin Roles = 1 << iota
	Finance
	Manager
	Viewer
	Support
	Partner

	// Staff is every staff role.
	Staff = Admin | Finance | Manager | Viewer | Support
)

// roleNames are the roles in order of reach, each with its group's name.
var roleNames = []struct {
	role Roles
	name string
}{
	{Admin, appspec.GroupAdmin}, {Finance, appspec.GroupFinance}, {Manager, appspec.GroupManager},
	{Viewer, appspec.GroupViewer}, {Support, appspec.GroupSupport}, {Partner, "partner"},
}

// ParseRole reads one staff role by its group name.
func ParseRole(name string) (Roles, bool) {
	for _, r := range roleNames {
		if r.name == name && r.role&Staff != 0 {
			return r.role, true
		}
	}
	return 0, false
}

// Any reports whether the two sets share a role.
func (r Roles) Any(other Roles) bool { return r&other != 0 }

// Names lists the set's roles by name, widest reach first.
func (r Roles) Names() []string {
	out := []string{}
	for _, n := range roleNames {
		if r&n.role != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// Widest names the role of the set with the widest reach ("" for none).
func (r Roles) Widest() string {
	if names := r.Names(); len(names) > 0 {
		return names[0]
	}
	return ""
}

func (r Roles) String() string { return strings.Join(r.Names(), ",") }

// Roles are the caller's roles: its staff groups (other groups grant
// nothing), or Partner for a partner's token.
func (p Principal) Roles() Roles {
	var out Roles
	for _, g := range p.Groups {
		if r, ok := ParseRole(g); ok {
			out |= r
		}
	}
	if p.PartnerID != "" {
		out |= Partner
	}
	return out
}

// IsStaff reports whether the caller holds any staff role.
func (p Principal) IsStaff() bool { return p.Roles().Any(Staff) }

// IsFinance reports whether the caller may work with money: finance or admin.
func (p Principal) IsFinance() bool { return p.Roles().Any(Admin | Finance) }

// IsAdmin reports whether the caller holds the admin role.
func (p Principal) IsAdmin() bool { return p.Roles().Any(Admin) }

// CanSeePartner reports whether the caller may read a partner's data:
// staff see everyone (the route decides which staff), a partner only itself.
func (p Principal) CanSeePartner(partnerID string) bool {
	return p.IsStaff() || (p.PartnerID != "" && p.PartnerID == partnerID)
}

// StaffRoleNames are the staff roles' names, widest reach first.
func StaffRoleNames() []string { return Staff.Names() }
