package app_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The development sign-in hands out tokens to anyone: it must never be in
// a deployed function.
func TestNoFunctionContainsTheDevelopmentSignIn(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../functions/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasSuffix(pkg, "/internal/devenv") || strings.Contains(pkg, "/internal/devenv/") {
			t.Errorf("a function links %s", pkg)
		}
	}
}
