package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// ExternalOIDC is the public client the portal and console sign in with at
// an external issuer (JWTIssuer): authorization code with PKCE, no secret.
type ExternalOIDC struct {
	ClientID, AuthorizeURL, TokenURL, LogoutURL string
}

// webSignIn is what the API function and the JWT authorizer need to know
// of the sign-in.
type webSignIn struct {
	issuer    *string
	audience  []*string
	clientEnv map[string]*string
	// pool is the stack's user pool, whose users the team routes manage;
	// nil with an external issuer.
	pool awscognito.UserPool
}

// newSignIn uses the external issuer when one is given; otherwise it
// creates a Cognito user pool with the groups the API reads (one per
// staff role), a partner_id attribute only admins can set, its hosted sign-in
// pages and the pages' public client.
func newSignIn(scope constructs.Construct, props StackProps, baseURL *string) webSignIn {
	if props.JWTIssuer != "" {
		o := props.OIDC
		return webSignIn{issuer: jsii.String(props.JWTIssuer), audience: *jsii.Strings(props.JWTAudience...), clientEnv: map[string]*string{
			appspec.EnvOIDCClientID: jsii.String(o.ClientID), appspec.EnvOIDCAuthorizeURL: jsii.String(o.AuthorizeURL),
			appspec.EnvOIDCTokenURL: jsii.String(o.TokenURL), appspec.EnvOIDCLogoutURL: jsii.String(o.LogoutURL)}}
	}
	pool := awscognito.NewUserPool(scope, jsii.String("Users"), &awscognito.UserPoolProps{
		UserPoolName:      jsii.String("partnerloop-" + string(props.Stage)),
		SelfSignUpEnabled: jsii.Bool(false), // finance invites partners and staff
		SignInAliases:     &awscognito.SignInAliases{Email: jsii.Bool(true)},
		AutoVerify:        &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		CustomAttributes: &map[string]awscognito.ICustomAttribute{
			"partner_id": awscognito.NewStringAttribute(&awscognito.StringAttributeProps{Mutable: jsii.Bool(true), MaxLen: jsii.Number(64)}),
		},
		PasswordPolicy: &awscognito.PasswordPolicy{MinLength: jsii.Number(12), RequireLowercase: jsii.Bool(true), RequireUppercase: jsii.Bool(true),
			RequireDigits: jsii.Bool(true), RequireSymbols: jsii.Bool(true), TempPasswordValidity: awscdk.Duration_Days(jsii.Number(3))},
		Mfa:             awscognito.Mfa_OPTIONAL,
		MfaSecondFactor: &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		AccountRecovery: awscognito.AccountRecovery_EMAIL_ONLY,
		FeaturePlan:     awscognito.FeaturePlan_PLUS,
		// Compromised credentials and risky sign-ins are blocked, not only logged.
		StandardThreatProtectionMode: awscognito.StandardThreatProtectionMode_FULL_FUNCTION,
		DeletionProtection:           jsii.Bool(props.Stage == Prod),
		RemovalPolicy:                props.Stage.removal(),
	})
	suppress(pool, "AwsSolutions-COG2", "MFA is optional for every user and offered as TOTP; finance staff are asked to enrol in the README, partners choose.")
	for _, group := range appspec.StaffGroups {
		awscognito.NewCfnUserPoolGroup(scope, jsii.String("Group"+group), &awscognito.CfnUserPoolGroupProps{
			UserPoolId: pool.UserPoolId(), GroupName: jsii.String(group)})
	}
	domain := pool.AddDomain(jsii.String("HostedUI"), &awscognito.UserPoolDomainOptions{
		CognitoDomain: &awscognito.CognitoDomainOptions{DomainPrefix: jsii.String("partnerloop-" + string(props.Stage) + "-" + *awscdk.Aws_ACCOUNT_ID())},
	})
	pages := []*string{
		awscdk.Fn_Join(jsii.String(""), &[]*string{baseURL, jsii.String("/portal/")}),
		awscdk.Fn_Join(jsii.String(""), &[]*string{baseURL, jsii.String("/console/")}),
	}
	client := pool.AddClient(jsii.String("WebClient"), &awscognito.UserPoolClientOptions{
		GenerateSecret:             jsii.Bool(false), // a browser cannot keep one: PKCE instead
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
		IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(1)),
		AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(1)),
		SupportedIdentityProviders: &[]awscognito.UserPoolClientIdentityProvider{awscognito.UserPoolClientIdentityProvider_COGNITO()},
		OAuth: &awscognito.OAuthSettings{
			Flows:        &awscognito.OAuthFlows{AuthorizationCodeGrant: jsii.Bool(true)},
			Scopes:       &[]awscognito.OAuthScope{awscognito.OAuthScope_OPENID(), awscognito.OAuthScope_EMAIL(), awscognito.OAuthScope_PROFILE()},
			CallbackUrls: &pages,
			LogoutUrls:   &[]*string{pages[0]},
		},
		ReadAttributes: awscognito.NewClientAttributes().WithStandardAttributes(&awscognito.StandardAttributesMask{Email: jsii.Bool(true),
			EmailVerified: jsii.Bool(true), Fullname: jsii.Bool(true)}).WithCustomAttributes(jsii.String("partner_id")),
		// Users may not set their own partner id: only admins do, with the Cognito API.
		WriteAttributes: awscognito.NewClientAttributes().WithStandardAttributes(&awscognito.StandardAttributesMask{Fullname: jsii.Bool(true)}),
	})
	oauth := func(path string) *string {
		return awscdk.Fn_Join(jsii.String(""), &[]*string{domain.BaseUrl(nil), jsii.String(path)})
	}
	awscdk.NewCfnOutput(scope, jsii.String("UserPoolId"), &awscdk.CfnOutputProps{Value: pool.UserPoolId(),
		Description: jsii.String("Invite users with aws cognito-idp admin-create-user; see the README's Sign-in section.")})
	awscdk.NewCfnOutput(scope, jsii.String("SignInURL"), &awscdk.CfnOutputProps{Value: pages[1]})
	return webSignIn{pool: pool, issuer: pool.UserPoolProviderUrl(), audience: []*string{client.UserPoolClientId()}, clientEnv: map[string]*string{
		appspec.EnvOIDCClientID: client.UserPoolClientId(), appspec.EnvOIDCAuthorizeURL: oauth("/oauth2/authorize"),
		appspec.EnvOIDCTokenURL: oauth("/oauth2/token"), appspec.EnvOIDCLogoutURL: oauth("/logout")}}
}
