package app_test

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/partnerloop/partnerloop/internal/auth"
)

// roleToken signs a token for a staff user holding one role.
func (h *harness) roleToken(role string) string {
	h.t.Helper()
	tok, err := auth.HS256{Secret: []byte("test-jwt")}.Issue(role+"-user", []string{role}, "", time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// documentedRoles reads the README's roles table: for each route, the
// roles it admits.
func documentedRoles(t *testing.T) (roles []string, admits map[string][]string) {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, "<!-- roles:start -->"), strings.Index(doc, "<!-- roles:end -->")
	if i < 0 || j < i {
		t.Fatal("README has no roles table")
	}
	admits = map[string][]string{}
	for n, line := range strings.Split(strings.TrimSpace(doc[i+len("<!-- roles:start -->"):j]), "\n") {
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for k := range cells {
			cells[k] = strings.TrimSpace(cells[k])
		}
		switch n {
		case 0:
			roles = cells[1:]
		case 1:
		default:
			route := strings.Trim(cells[0], "`")
			for k, mark := range cells[1:] {
				if mark == "✓" {
					admits[route] = append(admits[route], roles[k])
				}
			}
		}
	}
	return roles, admits
}

var pathParam = regexp.MustCompile(`\{[a-z_]+\}`)

// Every route the OpenAPI description says takes a token is called by a
// user of every role and by a partner: a role the README's table admits is
// never answered 403 forbidden, one it does not is answered 403 forbidden
// naming exactly the admitted roles.
func TestRoleMatrixFollowsTheDocumentedTable(t *testing.T) {
	h := newHarness(t)
	pt := h.createPartner(`{"name":"Matrix Partner","email":"matrix@partner.example"}`)
	roles, admits := documentedRoles(t)
	tokens := map[string]string{"partner": h.partnerToken(pt["id"].(string))}
	for _, r := range roles {
		if r != "partner" {
			tokens[r] = h.roleToken(r)
		}
	}
	var routes []string
	for path, item := range describedAPI(t).Doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security != nil && !slices.ContainsFunc(*op.Security, func(req openapi3.SecurityRequirement) bool { _, ok := req["bearer"]; return ok }) {
				continue // public or signed by a webhook secret
			}
			routes = append(routes, method+" "+path)
		}
	}
	sort.Strings(routes)
	if len(routes) < 40 {
		t.Fatalf("only %d signed-in routes described", len(routes))
	}
	for _, route := range routes {
		want, ok := admits[route]
		if !ok {
			t.Errorf("%s takes a token but the README's roles table has no row for it", route)
			continue
		}
		method, path, _ := strings.Cut(route, " ")
		// Unknown ids: an admitted caller gets 404 or a 4xx about the input.
		url := pathParam.ReplaceAllStringFunc(path, func(p string) string {
			if p == "{queue}" {
				return "nowhere"
			}
			return "matrix-unknown"
		})
		// A body no route takes: an admitted caller is refused for it (or
		// for the unknown id) after the role check, and nothing changes.
		var body []byte
		if method != "GET" && method != "DELETE" {
			body = []byte(`[]`)
		}
		for _, role := range roles {
			res := h.do(method, url, tokens[role], body, nil)
			refused := res.Status == 403 && res.errorCode() == "forbidden"
			if admitted := slices.Contains(want, role); admitted && refused {
				t.Errorf("%s as %s: refused, but the table admits %v: %s", route, role, want, res.Raw)
			} else if !admitted {
				e, _ := res.Body["error"].(map[string]any)
				if !refused || fmt.Sprint(e["needs"]) != fmt.Sprint(want) {
					t.Errorf("%s as %s: %d %s, want 403 forbidden needing %v", route, role, res.Status, res.Raw, want)
				}
			}
		}
	}
}
