package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// only returns the single resource of a type.
func only(t *testing.T, doc map[string]any, typ string) map[string]any {
	t.Helper()
	rs := resources(doc, typ)
	if len(rs) != 1 {
		t.Fatalf("%d %s, want 1", len(rs), typ)
	}
	for _, r := range rs {
		return r
	}
	return nil
}

func apiFunctionEnv(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	fn := byLogicalID(t, doc, "AWS::Lambda::Function", "Api")
	env, _ := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	return env
}

func TestWithoutAnIssuerTheStackCreatesTheUserPoolAndThePagesClient(t *testing.T) {
	_, doc := synthesizedStage(t, Prod)
	pool := only(t, doc, "AWS::Cognito::UserPool")
	if admin, _ := pool["AdminCreateUserConfig"].(map[string]any); admin["AllowAdminCreateUserOnly"] != true {
		t.Errorf("self sign-up allowed: %v", pool["AdminCreateUserConfig"])
	}
	schema, _ := json.Marshal(pool["Schema"])
	if !strings.Contains(string(schema), `"Name":"partner_id"`) {
		t.Errorf("no partner_id attribute: %s", schema)
	}
	var groups []string
	for _, g := range resources(doc, "AWS::Cognito::UserPoolGroup") {
		groups = append(groups, g["GroupName"].(string))
	}
	slices.Sort(groups)
	if want := slices.Sorted(slices.Values(appspec.StaffGroups)); !slices.Equal(groups, want) {
		t.Errorf("groups %v", groups)
	}
	only(t, doc, "AWS::Cognito::UserPoolDomain")
	client := only(t, doc, "AWS::Cognito::UserPoolClient")
	flows, _ := json.Marshal(client["AllowedOAuthFlows"])
	if client["GenerateSecret"] != false || string(flows) != `["code"]` || client["AllowedOAuthFlowsUserPoolClient"] != true {
		t.Errorf("the pages' client is not a public code+PKCE client: secret %v flows %s", client["GenerateSecret"], flows)
	}
	callbacks, _ := json.Marshal(client["CallbackURLs"])
	if !strings.Contains(string(callbacks), "/portal/") || !strings.Contains(string(callbacks), "/console/") {
		t.Errorf("callbacks %s", callbacks)
	}
	if writes, _ := json.Marshal(client["WriteAttributes"]); strings.Contains(string(writes), "partner_id") {
		t.Errorf("users may write their own partner id: %s", writes)
	}
	authz := only(t, doc, "AWS::ApiGatewayV2::Authorizer")
	jwt, _ := json.Marshal(authz["JwtConfiguration"])
	if !strings.Contains(string(jwt), "UsersWebClient") || !strings.Contains(string(jwt), "ProviderURL") {
		t.Errorf("the authorizer does not trust the user pool's tokens for the pages' client: %s", jwt)
	}
	env := apiFunctionEnv(t, doc)
	for _, name := range []string{appspec.EnvOIDCClientID, appspec.EnvOIDCAuthorizeURL, appspec.EnvOIDCTokenURL, appspec.EnvOIDCLogoutURL} {
		if env[name] == nil {
			t.Errorf("the api function lacks %s", name)
		}
	}
	for id, fn := range resources(doc, "AWS::Lambda::Function") {
		vars, _ := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		if _, ok := vars[appspec.EnvOIDCClientID]; ok && !strings.HasPrefix(id, "Api") {
			t.Errorf("%s gets the sign-in settings; only the api function serves pages", id)
		}
	}
}

func TestAnExternalIssuerReplacesTheUserPool(t *testing.T) {
	_, doc := synthesizedStage(t, Dev)
	if n := len(resources(doc, "AWS::Cognito::UserPool")); n != 0 {
		t.Errorf("%d user pools next to an external issuer", n)
	}
	jwt, _ := json.Marshal(only(t, doc, "AWS::ApiGatewayV2::Authorizer")["JwtConfiguration"])
	if string(jwt) != `{"Audience":["partnerloop"],"Issuer":"https://issuer.example/"}` {
		t.Errorf("authorizer %s", jwt)
	}
	if env := apiFunctionEnv(t, doc); env[appspec.EnvOIDCClientID] != "web-client" || env[appspec.EnvOIDCTokenURL] != "https://issuer.example/token" {
		t.Errorf("the pages' client settings: %v", env)
	}
}
