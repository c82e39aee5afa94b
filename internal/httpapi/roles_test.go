package httpapi

import (
	"strings"
	"testing"

	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/auth"
)

// TestREADMERolesTableIsTheRoleMap keeps the README's roles table and the
// map the routes admit callers by equal.
func TestREADMERolesTableIsTheRoleMap(t *testing.T) {
	doc := readme(t)
	start, end := "<!-- roles:start -->\n", "<!-- roles:end -->"
	i, j := strings.Index(doc, start), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("README has no %q … %q block", start, end)
	}
	if got := doc[i+len(start) : j]; got != RoleTable() {
		t.Errorf("README roles table differs from httpapi.routeRoles; replace it with:\n%s", RoleTable())
	}
}

// Every signed-in route of appspec has a role set, and the map names no
// route that no function serves.
func TestEverySignedInRouteHasRoles(t *testing.T) {
	served := map[string]bool{}
	for _, r := range appspec.AllRoutes() {
		pattern := r.Method + " " + r.Path
		served[pattern] = true
		if _, ok := routeRoles[pattern]; r.Auth && !ok {
			t.Errorf("%s needs a token but routeRoles does not say who may call it", pattern)
		}
	}
	for pattern, roles := range routeRoles {
		if !served[pattern] {
			t.Errorf("routeRoles names %s, which no function serves", pattern)
		}
		if roles == 0 {
			t.Errorf("%s admits nobody", pattern)
		}
	}
}

// What the issue fixes: team and webhook endpoints are admin's, and no
// route that changes something admits a viewer.
func TestRolesKeepTheirLimits(t *testing.T) {
	for pattern, roles := range routeRoles {
		method, path, _ := strings.Cut(pattern, " ")
		if method != "GET" && roles.Any(auth.Viewer) {
			t.Errorf("%s lets a viewer change something", pattern)
		}
		if strings.HasPrefix(path, "/v1/payout-batches") && roles.Any(auth.Manager|auth.Support) {
			t.Errorf("%s is open to a manager or support", pattern)
		}
		if (strings.HasPrefix(path, "/v1/team") || strings.HasPrefix(path, "/v1/webhook-endpoints")) && method != "GET" && roles != auth.Admin {
			t.Errorf("%s is not admin's alone", pattern)
		}
	}
	if routeRoles["PUT /v1/program"].Any(auth.Manager) {
		t.Error("a manager may change the program's money rules")
	}
}
