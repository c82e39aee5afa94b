package apispec

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// The description and the deployed routes cannot drift: every route of
// every function is described, and nothing else is.
func TestDescriptionCoversExactlyTheRoutes(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if !c.Doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi %q, want 3.1", c.Doc.OpenAPI)
	}
	var described []string
	for path, item := range c.Doc.Paths.Map() {
		for method := range item.Operations() {
			described = append(described, method+" "+path)
		}
	}
	var deployed []string
	for _, r := range appspec.AllRoutes() {
		deployed = append(deployed, r.Method+" "+r.Path)
	}
	sort.Strings(described)
	sort.Strings(deployed)
	for _, r := range deployed {
		if !slices.Contains(described, r) {
			t.Errorf("route %s is not in openapi.yaml", r)
		}
	}
	for _, r := range described {
		if !slices.Contains(deployed, r) {
			t.Errorf("openapi.yaml describes %s, which no function serves", r)
		}
	}
	// Authenticated routes say so; public ones (webhooks, links) opt out.
	for _, r := range appspec.AllRoutes() {
		op := c.Doc.Paths.Value(r.Path).GetOperation(r.Method)
		if op == nil {
			continue
		}
		public := op.Security != nil && !slices.ContainsFunc(*op.Security, func(req openapi3.SecurityRequirement) bool { _, ok := req["bearer"]; return ok })
		if r.Auth == public {
			t.Errorf("%s %s: JWT required %v, description says public %v", r.Method, r.Path, r.Auth, public)
		}
		if strings.HasPrefix(r.Path, "/webhooks/") && (op.Security == nil || len(*op.Security) == 0) {
			t.Errorf("%s %s: no signature scheme described", r.Method, r.Path)
		}
	}
}
