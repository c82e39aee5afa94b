// Command infra is the CDK app that deploys Partnerloop: `cdk deploy` from the
// repository root runs it (see cdk.json).
package main

import (
	"encoding/json"
	"os"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	props := StackProps{
		AssetDir:    contextString(app, "assetDir", "build"),
		JWTIssuer:   contextString(app, "jwtIssuer", ""),
		JWTAudience: []string{contextString(app, "jwtAudience", "partnerloop")},
		OIDC: ExternalOIDC{ClientID: contextString(app, "oidcClientId", ""), AuthorizeURL: contextString(app, "oidcAuthorizeUrl", ""),
			TokenURL: contextString(app, "oidcTokenUrl", ""), LogoutURL: contextString(app, "oidcLogoutUrl", "")},
		Program:             contextString(app, "program", ""),
		PublicBaseURL:       contextString(app, "publicBaseUrl", ""),
		Stage:               Stage(contextString(app, "stage", string(Dev))),
		AlarmEmail:          contextString(app, "alarmEmail", ""),
		ThrottleRate:        contextNumber(app, "throttleRate", 500),
		ThrottleBurst:       contextNumber(app, "throttleBurst", 1000),
		ContributorInsights: contextString(app, "contributorInsights", "false") == "true",
		MailFrom:            contextString(app, "mailFrom", ""),
		MailIdentity:        contextString(app, "mailIdentity", ""),
		FinanceEmails:       contextString(app, "financeEmails", ""),
		MailSendRate:        contextNumber(app, "mailSendRate", 10),
	}
	if props.Stage != Dev && props.Stage != Prod {
		panic("context value stage must be dev or prod")
	}
	// Bind to the CLI's account and region when it knows them; otherwise
	// synthesize an environment-agnostic template.
	if account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"); account != "" && region != "" {
		props.Env = &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
	}
	if props.JWTIssuer != "" && (props.OIDC.ClientID == "" || props.OIDC.AuthorizeURL == "" || props.OIDC.TokenURL == "") {
		panic("with jwtIssuer, name the pages' public client: -c oidcClientId=... -c oidcAuthorizeUrl=https://... -c oidcTokenUrl=https://...")
	}
	if props.Program != "" && !json.Valid([]byte(props.Program)) {
		panic("context value program must be JSON")
	}
	checkWithNag(app)
	NewPartnerloopStack(app, "Partnerloop-"+string(props.Stage), props)
	app.Synth(nil)
}

func contextString(app awscdk.App, key, fallback string) string {
	if v, ok := app.Node().TryGetContext(jsii.String(key)).(string); ok && v != "" {
		return v
	}
	return fallback
}

// contextNumber reads a number given as -c key=42 (a string) or in cdk.json.
func contextNumber(app awscdk.App, key string, fallback float64) float64 {
	switch v := app.Node().TryGetContext(jsii.String(key)).(type) {
	case float64:
		return v
	case string:
		if n, err := strconv.ParseFloat(v, 64); err == nil && n > 0 {
			return n
		}
	}
	return fallback
}
