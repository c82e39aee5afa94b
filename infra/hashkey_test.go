package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// The redirect hashes a click's device with the e-mail hash key: it is
// given that key, and only that of the secrets.
func TestTheRedirectReadsTheHashKeyAndNoOtherSecret(t *testing.T) {
	_, doc := synthesized(t)
	var role string
	for id, fn := range resources(doc, "AWS::Lambda::Function") {
		if !strings.HasPrefix(id, "Redirect") {
			continue
		}
		role = fn["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		env, _ := json.Marshal(fn["Environment"])
		if !strings.Contains(string(env), `"`+appspec.EnvHashKeyARN+`":{"Ref":"EmailHashKey`) {
			t.Errorf("the redirect's environment does not name the hash key: %s", env)
		}
	}
	if role == "" {
		t.Fatal("no redirect function")
	}
	var readable []string
	for _, p := range resources(doc, "AWS::IAM::Policy") {
		roles, _ := json.Marshal(p["Roles"])
		if !strings.Contains(string(roles), `"`+role+`"`) {
			continue
		}
		var policy struct {
			Statement []struct {
				Action   any
				Resource any
			}
		}
		raw, _ := json.Marshal(p["PolicyDocument"])
		_ = json.Unmarshal(raw, &policy)
		for _, st := range policy.Statement {
			actions, _ := json.Marshal(st.Action)
			if strings.Contains(string(actions), "secretsmanager:GetSecretValue") {
				resource, _ := json.Marshal(st.Resource)
				readable = append(readable, string(resource))
			}
		}
	}
	if len(readable) != 1 || !strings.Contains(readable[0], `{"Ref":"EmailHashKey`) {
		t.Errorf("the redirect reads the secrets %v, want the hash key alone", readable)
	}
}

// The API hashes applicants' e-mails, rate-limit keys and payout methods
// with the same key: without it those hashes would be unkeyed.
func TestTheAPIReadsTheHashKey(t *testing.T) {
	_, doc := synthesized(t)
	found := false
	for id, fn := range resources(doc, "AWS::Lambda::Function") {
		if !strings.HasPrefix(id, "Api") {
			continue
		}
		found = true
		env, _ := json.Marshal(fn["Environment"])
		if !strings.Contains(string(env), `"`+appspec.EnvHashKeyARN+`":{"Ref":"EmailHashKey`) {
			t.Errorf("the API's environment does not name the hash key: %s", env)
		}
	}
	if !found {
		t.Fatal("no API function")
	}
}
