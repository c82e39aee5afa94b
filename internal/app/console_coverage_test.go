package app_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/httpapi"
)

// consoleExceptions are the staff routes no console screen calls, each
// with the reason. Nothing else may be missing from the console.
var consoleExceptions = map[string]string{
	"POST /v1/queues/{queue}/redrive": "operations: the runbook's dead-letter alarms lead an admin to it, with the queue's cause fixed first",
	"GET /v1/leaderboard":             "the partners' view: the portal's Rewards screen ranks them, the console reads the same boards nowhere else",
	"GET /v1/partners/{id}/qr.svg":    "the partner's printable QR code: the portal offers it to the partner",
}

// TestEveryStaffRouteIsOnAConsoleScreen compares the staff routes of the
// OpenAPI description with the calls the console's modules make.
func TestEveryStaffRouteIsOnAConsoleScreen(t *testing.T) {
	called := consoleCalls(t)
	if len(called) < 40 {
		t.Fatalf("read only %d calls from the console's modules: %v", len(called), called)
	}
	var staff []string
	for path, item := range describedAPI(t).Doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security != nil && !slices.ContainsFunc(*op.Security, func(req openapi3.SecurityRequirement) bool { _, ok := req["bearer"]; return ok }) {
				continue
			}
			if route := method + " " + path; httpapi.RouteRoles()[route].Any(auth.Staff) {
				staff = append(staff, route)
			}
		}
	}
	sort.Strings(staff)
	for _, route := range staff {
		used := slices.ContainsFunc(called, func(c string) bool { return callMatches(c, route) })
		reason, excepted := consoleExceptions[route]
		switch {
		case !used && !excepted:
			t.Errorf("%s: no console screen calls it (add it to a screen, or to consoleExceptions with the reason)", route)
		case used && excepted:
			t.Errorf("%s is on a screen now; drop its exception (%s)", route, reason)
		}
	}
	for route := range consoleExceptions {
		if !slices.Contains(staff, route) {
			t.Errorf("consoleExceptions names %s, which is no staff route", route)
		}
	}
}

// callMatches reports whether a console call ("POST /v1/x/{}/y") reaches
// the route: a segment the call builds ({}) or the route's parameter
// matches any, the rest must be equal.
func callMatches(call, route string) bool {
	cm, cp, _ := strings.Cut(call, " ")
	rm, rp, _ := strings.Cut(route, " ")
	cs, rs := strings.Split(cp, "/"), strings.Split(rp, "/")
	if cm != rm || len(cs) != len(rs) {
		return false
	}
	for i := range cs {
		if !strings.Contains(cs[i], "{}") && !strings.HasPrefix(rs[i], "{") && cs[i] != rs[i] {
			return false
		}
	}
	return true
}

var (
	staticDir    = "../web/static"
	moduleImport = regexp.MustCompile(`from '\./([a-z0-9_-]+\.js)'`)
	apiCall      = regexp.MustCompile(`\bapi\(`)
	methodOption = regexp.MustCompile(`method:\s*'([A-Z]+)'`)
)

// consoleCalls reads every api(...) call of console.js and the modules it
// imports, as "METHOD /path" with the segments it builds as {}.
func consoleCalls(t *testing.T) []string {
	t.Helper()
	var calls []string
	seen := map[string]bool{}
	queue := []string{"console.js"}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		raw, err := os.ReadFile(filepath.Join(staticDir, name))
		if err != nil {
			t.Fatal(err)
		}
		src := string(raw)
		for _, m := range moduleImport.FindAllStringSubmatch(src, -1) {
			queue = append(queue, m[1])
		}
		for _, loc := range apiCall.FindAllStringIndex(src, -1) {
			if strings.HasSuffix(src[:loc[0]], "function ") {
				continue // the definition, in session.js
			}
			args := splitTopLevel(src[loc[1]:], ')')
			if len(args) == 0 {
				continue
			}
			path, ok := resolvePath(src, loc[0], args[0])
			if !ok {
				continue // built from a value this reading cannot follow
			}
			method := "GET"
			if len(args) > 1 {
				if m := methodOption.FindStringSubmatch(args[1]); m != nil {
					method = m[1]
				}
			}
			path, _, _ = strings.Cut(path, "?")
			calls = append(calls, method+" "+path)
		}
	}
	return calls
}

// resolvePath evaluates a path expression of string and template
// literals, constants defined above it and + into a string, with {} for
// what it computes; a path that does not start as an API path is not
// followed (one built from a function's parameter, say).
func resolvePath(src string, at int, expr string) (string, bool) {
	out := evaluate(src, at, expr)
	return out, strings.HasPrefix(out, "/v1/")
}

func evaluate(src string, at int, expr string) string {
	var b strings.Builder
	for _, part := range splitPlus(expr) {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
		case part[0] == '\'' || part[0] == '"':
			b.WriteString(part[1 : len(part)-1])
		case part[0] == '`':
			body := part[1 : len(part)-1]
			for body != "" {
				i := strings.Index(body, "${")
				if i < 0 {
					b.WriteString(body)
					break
				}
				b.WriteString(body[:i])
				end := skip(body, i+1) // past the matching }
				inner := strings.TrimSpace(body[i+2 : end-1])
				b.WriteString(evaluate(src, at, inner))
				body = body[end:]
			}
		case identifier.MatchString(part):
			b.WriteString(resolveConst(src, at, part))
		default:
			b.WriteString("{}")
		}
	}
	return b.String()
}

var identifier = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// resolveConst evaluates the nearest "const name = ..." before at; any
// other name is a value computed there, {}.
func resolveConst(src string, at int, name string) string {
	def := regexp.MustCompile(`\bconst ` + regexp.QuoteMeta(name) + `\s*=\s*`)
	locs := def.FindAllStringIndex(src[:at], -1)
	if len(locs) == 0 {
		return "{}"
	}
	start := locs[len(locs)-1][1]
	init := splitTopLevel(src[start:], ';')
	if len(init) == 0 {
		return "{}"
	}
	return evaluate(src, start, init[0])
}

// splitTopLevel splits src at its top-level commas up to the closing
// delimiter (or the first top-level close when it is ';').
func splitTopLevel(src string, close byte) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			i = skip(src, i)
			continue
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			if depth == 0 {
				return append(parts, src[start:i])
			}
			depth--
		case depth == 0 && c == close:
			return append(parts, src[start:i])
		case depth == 0 && c == ',' && close == ')':
			parts = append(parts, src[start:i])
			start = i + 1
		}
		i++
	}
	return parts
}

// splitPlus splits an expression at its top-level +.
func splitPlus(expr string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(expr); {
		switch c := expr[i]; {
		case c == '\'' || c == '"' || c == '`':
			i = skip(expr, i)
			continue
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case c == '+' && depth == 0:
			parts = append(parts, expr[start:i])
			start = i + 1
		}
		i++
	}
	return append(parts, expr[start:])
}

// skip returns the index just past the literal (or, for a '{' of a
// template's ${, the expression) starting at src[i].
func skip(src string, i int) int {
	open := src[i]
	if open == '{' {
		depth := 0
		for j := i; j < len(src); {
			switch src[j] {
			case '\'', '"', '`':
				j = skip(src, j)
				continue
			case '{':
				depth++
			case '}':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
			j++
		}
		return len(src)
	}
	for j := i + 1; j < len(src); j++ {
		switch {
		case src[j] == '\\':
			j++
		case open == '`' && src[j] == '$' && j+1 < len(src) && src[j+1] == '{':
			j = skip(src, j+1) - 1
		case src[j] == open:
			return j + 1
		}
	}
	return len(src)
}
