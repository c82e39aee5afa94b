package app_test

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// The SDKs that weigh most in a bootstrap, and the functions that use
// each: the mains wire them (internal/app/with*), so no other function
// links them, and a function's cold start pays only for what it calls.
var heavySDKs = map[string][]string{
	"github.com/stripe/stripe-go/v85":                              {"api", "payoutworker"},
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider": {"api"},
	"github.com/aws/aws-sdk-go-v2/service/sesv2":                   {"mailer"},
}

func TestEachFunctionLinksOnlyTheSDKsItUses(t *testing.T) {
	for _, f := range appspec.Functions {
		cmd := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", "../../functions/"+f.Dir)
		cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", f.Dir, err, out)
		}
		deps := strings.Fields(string(out))
		for sdk, users := range heavySDKs {
			if linked, uses := slices.Contains(deps, sdk), slices.Contains(users, f.Dir); linked != uses {
				t.Errorf("function %s links %s: %v, want %v", f.Dir, sdk, linked, uses)
			}
		}
	}
}

// templateRunners are the functions that execute templates: the api (the
// unsubscribe page, message previews) and the mailer (e-mails). Once a
// binary can run one, reflection may call any method by name, so the
// linker keeps every exported method of each type held in an interface,
// the SDK clients' included: the other functions must not link the
// executor. Importing text/template alone (its parser, for package-level
// templates) keeps that pruning.
var templateRunners = []string{"api", "mailer"}

// templateExecutor is the function every template execution, text or
// HTML, passes through.
const templateExecutor = "text/template.(*state).walk"

func TestOnlyTheAPIAndTheMailerLinkTheTemplateExecutor(t *testing.T) {
	checked := []string{"api", "mailer", "redirect", "webhooks"}
	dir := t.TempDir()
	args := []string{"build", "-trimpath", "-tags", "lambda.norpc", "-o", dir + "/"}
	for _, f := range checked {
		args = append(args, "../../functions/"+f)
	}
	cmd := exec.Command("go", args...)
	cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, f := range checked {
		bin, err := elf.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		symbols, err := bin.Symbols()
		bin.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		linked := slices.ContainsFunc(symbols, func(s elf.Symbol) bool { return s.Name == templateExecutor })
		if want := slices.Contains(templateRunners, f); linked != want {
			t.Errorf("function %s links %s: %v, want %v", f, templateExecutor, linked, want)
		}
	}
}
