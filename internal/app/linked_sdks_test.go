package app_test

import (
	"os/exec"
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
