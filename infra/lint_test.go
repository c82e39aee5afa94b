package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// keptLintWarnings are the cfn-lint warnings the templates keep on purpose,
// by rule and resource type; the README's deploy section says why.
var keptLintWarnings = map[string]string{
	"W3005 AWS::Lambda::Function": "CDK makes each function depend on its role and the role's policy; " +
		"the DependsOn repeats the role's GetAtt, and the policy dependency is needed",
}

// TestTemplatesPassCfnLint lints template.yaml and each stage's synthesized
// template as a deploy pipeline would: any error fails, and so does any
// warning that keptLintWarnings does not name.
func TestTemplatesPassCfnLint(t *testing.T) {
	if _, err := exec.LookPath("cfn-lint"); err != nil {
		t.Fatal("cfn-lint is not installed: `make test` installs it (see the README's Deploy section)")
	}
	dir := t.TempDir()
	templates := []string{"../template.yaml"}
	for _, stage := range []Stage{Dev, Prod} {
		_, doc := synthesizedStage(t, stage)
		raw, err := json.MarshalIndent(doc, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "Partnerloop-"+string(stage)+".template.json")
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		templates = append(templates, path)
	}
	for _, path := range templates {
		name := filepath.Base(path)
		types := resourceTypes(t, path)
		findings, err := cfnLint(path)
		if err != nil {
			t.Fatalf("cfn-lint %s: %v", name, err)
		}
		for _, f := range findings {
			kept := f.Rule.ID + " " + types[f.resource()]
			switch {
			case strings.HasPrefix(f.Rule.ID, "E"):
				t.Errorf("%s: %s", name, f)
			case strings.HasPrefix(f.Rule.ID, "W") && keptLintWarnings[kept] == "":
				t.Errorf("%s: %s\n(fix it, or keep %q in keptLintWarnings and say why in the README)", name, f, kept)
			default:
				t.Logf("%s: %s", name, f)
			}
		}
	}
}

// lintFinding is one entry of cfn-lint's JSON output.
type lintFinding struct {
	Rule struct {
		ID string `json:"Id"`
	} `json:"Rule"`
	Message  string `json:"Message"`
	Location struct {
		Path  []any `json:"Path"`
		Start struct {
			LineNumber int `json:"LineNumber"`
		} `json:"Start"`
	} `json:"Location"`
}

// resource is the logical id the finding is about, or "" for the template.
func (f lintFinding) resource() string {
	if p := f.Location.Path; len(p) > 1 && p[0] == "Resources" {
		id, _ := p[1].(string)
		return id
	}
	return ""
}

func (f lintFinding) String() string {
	return fmt.Sprintf("%s %s (line %d): %s", f.Rule.ID, f.resource(), f.Location.Start.LineNumber, f.Message)
}

// cfnLint runs cfn-lint on one template. Its exit status is a bit set of
// the classes found (2 error, 4 warning, 8 informational); any other status
// means it could not lint.
func cfnLint(path string) ([]lintFinding, error) {
	out, err := exec.Command("cfn-lint", "--format", "json", "--", path).Output()
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		if code := exit.ExitCode(); code&^(2|4|8) != 0 {
			return nil, fmt.Errorf("%w: %s", err, exit.Stderr)
		}
	} else if err != nil {
		return nil, err
	}
	var findings []lintFinding
	if err := json.Unmarshal(out, &findings); err != nil {
		return nil, fmt.Errorf("unreadable output %q: %w", out, err)
	}
	return findings, nil
}

// resourceTypes maps a template's logical ids to their types (JSON is YAML).
func resourceTypes(t *testing.T, path string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]struct {
			Type string `yaml:"Type"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for id, r := range doc.Resources {
		types[id] = r.Type
	}
	return types
}
