package main

import (
	"cmp"
	"encoding/json"
	"maps"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// StackProps are the deployment's choices.
type StackProps struct {
	awscdk.StackProps
	// AssetDir holds one folder per function with its `bootstrap` binary
	// (`make build` writes them to build/).
	AssetDir string
	// JWTIssuer and JWTAudience configure the API Gateway JWT authorizer
	// for an external OIDC provider, and OIDC its client for the pages.
	// Without JWTIssuer the stack creates a Cognito user pool instead.
	JWTIssuer   string
	JWTAudience []string
	OIDC        ExternalOIDC
	// Program is the program definition as JSON; empty uses the default.
	Program string
	// PublicBaseURL is where referral links point (a custom domain mapped to
	// the API); empty uses the API's own endpoint.
	PublicBaseURL string
	// Stage is dev or prod: it sets names, log retention, removal policies
	// and alarm thresholds.
	Stage Stage
	// AlarmEmail, if set, subscribes to the alarm topic.
	AlarmEmail string
	// ThrottleRate (requests/s) and ThrottleBurst bound the API stage.
	ThrottleRate, ThrottleBurst float64
	// ContributorInsights turns on DynamoDB Contributor Insights (hot keys).
	ContributorInsights bool
	// MailFrom is the address e-mail is sent from, of the verified SES
	// identity MailIdentity (default: MailFrom's domain); FinanceEmails
	// (comma-separated) hear of batches waiting for approval and failed payouts.
	MailFrom, MailIdentity, FinanceEmails string
	// MailSendRate is how many e-mails a second a broadcast sends at most:
	// below the account's SES sending quota, leaving room for other e-mail.
	MailSendRate float64
}

// Stage is a deployment environment.
type Stage string

const (
	Dev  Stage = "dev"
	Prod Stage = "prod"
)

// auditRetentionDays is how long audit entries are kept: three months in
// dev, seven years in prod (what bookkeeping rules commonly ask of
// records of payments).
func (s Stage) auditRetentionDays() int {
	if s == Prod {
		return 7 * 366
	}
	return 90
}

// logRetention keeps logs a week in dev, three months in prod.
func (s Stage) logRetention() awslogs.RetentionDays {
	if s == Prod {
		return awslogs.RetentionDays_THREE_MONTHS
	}
	return awslogs.RetentionDays_ONE_WEEK
}

// removal keeps what prod stores when the stack goes; dev cleans up.
func (s Stage) removal() awscdk.RemovalPolicy {
	if s == Prod {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

// NewPartnerloopStack builds every resource from appspec, so the stack, the
// local runner and template.yaml describe the same application.
func NewPartnerloopStack(scope constructs.Construct, id string, props StackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	stage := cmp.Or(props.Stage, Dev)
	awscdk.Tags_Of(stack).Add(jsii.String("app"), jsii.String("partnerloop"), nil)
	awscdk.Tags_Of(stack).Add(jsii.String("stage"), jsii.String(string(stage)), nil)

	table := newTable(stack, stage, props.ContributorInsights)
	queues, dlqs := map[string]awssqs.Queue{}, map[string]awssqs.Queue{}
	for _, q := range appspec.Queues {
		queues[q.Name], dlqs[q.Name] = newQueue(stack, q)
	}
	// Secrets outlive the stack: shops keep signing with them, and stored
	// e-mail hashes depend on the hash key, which therefore lives apart and
	// is never rotated.
	secret := awssecretsmanager.NewSecret(stack, jsii.String("WebhookSecrets"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Webhook signing secrets: {\"generic\", \"shopify\", \"stripe\", \"woocommerce\"}; read again within 5 minutes of a change"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String(`{"generic":"","shopify":"","stripe":"","woocommerce":""}`),
			GenerateStringKey:    jsii.String("unused"),
		},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	suppress(secret, "AwsSolutions-SMG4", "Shared with the shops and payment providers that sign webhooks: they rotate it in their "+
		"dashboards and ops put the new value here (two v1 signatures bridge the change); functions re-read it every 5 minutes.")
	hashKey := awssecretsmanager.NewSecret(stack, jsii.String("EmailHashKey"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Key of the customer e-mail hashes stored in the table; never rotate it"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String(`{}`), GenerateStringKey: jsii.String("email_hash_key"),
			PasswordLength: jsii.Number(48), ExcludePunctuation: jsii.Bool(true),
		},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	suppress(hashKey, "AwsSolutions-SMG4", "Must never rotate: the customer e-mail hashes stored in the table (attribution evidence) were made with it.")
	mail := newMailing(stack, props)
	providerSecret := awssecretsmanager.NewSecret(stack, jsii.String("ProviderSecrets"), &awssecretsmanager.SecretProps{
		Description:          jsii.String("Payout provider API keys: {\"stripe_api_key\": \"rk_live_...\"}; empty disables Stripe Connect payouts"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{SecretStringTemplate: jsii.String(`{"stripe_api_key":""}`), GenerateStringKey: jsii.String("unused")},
		RemovalPolicy:        awscdk.RemovalPolicy_RETAIN,
	})
	suppress(providerSecret, "AwsSolutions-SMG4", "Payout providers' API keys are issued and rotated in the providers' dashboards; ops put the new key here and the worker re-reads it within 5 minutes.")
	api := awsapigatewayv2.NewHttpApi(stack, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String("partnerloop-" + string(stage)),
		CreateDefaultStage: jsii.Bool(false),
	})
	newStage(stack, api, stage, props)
	functions := map[string]awslambda.Function{}
	baseURL := api.ApiEndpoint()
	if props.PublicBaseURL != "" {
		baseURL = jsii.String(props.PublicBaseURL)
	}
	signIn := newSignIn(stack, props, baseURL)
	authorizer := awsapigatewayv2authorizers.NewHttpJwtAuthorizer(jsii.String("JwtAuthorizer"), signIn.issuer,
		&awsapigatewayv2authorizers.HttpJwtAuthorizerProps{JwtAudience: &signIn.audience})
	for _, spec := range appspec.Functions {
		env := map[string]*string{
			appspec.EnvTable:              table.TableName(),
			appspec.EnvPublicBaseURL:      baseURL,
			appspec.EnvAuditRetentionDays: jsii.String(strconv.Itoa(stage.auditRetentionDays())),
		}
		if props.Program != "" {
			env[appspec.EnvProgram] = jsii.String(props.Program)
		}
		for _, name := range spec.Access.SendTo {
			env[queueSpec(name).URLEnv] = queues[name].QueueUrl()
		}
		if spec.Access.DelaysRetries {
			env[queueSpec(spec.Access.ConsumeFrom).URLEnv] = queues[spec.Access.ConsumeFrom].QueueUrl()
		}
		if spec.Access.WebhookSecrets {
			env[appspec.EnvSecretARN] = secret.SecretArn()
		}
		if spec.Access.HashKey {
			env[appspec.EnvHashKeyARN] = hashKey.SecretArn()
		}
		if spec.Access.ProviderSecrets {
			env[appspec.EnvProviderSecretARN] = providerSecret.SecretArn()
		}
		mail.env(spec, env)
		if spec.ServesPages() {
			maps.Copy(env, signIn.clientEnv)
		}
		if spec.Access.ManagesTeam && signIn.pool != nil {
			env[appspec.EnvUserPoolID] = signIn.pool.UserPoolId()
		}
		if spec.Access.RedriveDLQs {
			env[appspec.EnvPayoutsDLQ] = dlqs[appspec.PayoutsQueue.Name].QueueUrl()
			env[appspec.EnvDonationsDLQ] = dlqs[appspec.DonationsQueue.Name].QueueUrl()
		}
		fn := awslambda.NewFunction(stack, jsii.String(spec.Name), &awslambda.FunctionProps{
			Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
			Architecture: awslambda.Architecture_ARM_64(),
			Handler:      jsii.String("bootstrap"),
			Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(props.AssetDir, spec.Dir)), nil),
			MemorySize:   jsii.Number(float64(spec.MemoryMB())),
			Timeout:      awscdk.Duration_Seconds(jsii.Number(float64(spec.Timeout))),
			Environment:  &env,
			Tracing:      awslambda.Tracing_ACTIVE,
			LogGroup: awslogs.NewLogGroup(stack, jsii.String(spec.Name+"Logs"), &awslogs.LogGroupProps{
				Retention: stage.logRetention(), RemovalPolicy: stage.removal(),
			}),
		})
		functions[spec.Name] = fn
		suppressFunctionFindings(fn)
		grant(spec.Access, fn, table, queues, dlqs, secret)
		denyAuditChanges(fn, table)
		if spec.Access.ManagesTeam && signIn.pool != nil {
			fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions: jsii.Strings(teamActions...), Resources: jsii.Strings(*signIn.pool.UserPoolArn()),
			}))
		}
		if spec.Access.HashKey {
			hashKey.GrantRead(fn, nil)
		}
		if spec.Access.ProviderSecrets {
			providerSecret.GrantRead(fn, nil)
		}
		mail.grant(stack, spec, fn)
		if len(spec.Routes) > 0 {
			integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(spec.Name+"Integration"), fn, nil)
			for _, r := range spec.Routes {
				opts := &awsapigatewayv2.AddRoutesOptions{Path: jsii.String(r.Path), Integration: integration,
					Methods: &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.Method)}}
				if r.Auth {
					opts.Authorizer = authorizer
				}
				for _, route := range *api.AddRoutes(opts) {
					if !r.Auth {
						suppress(route, "AwsSolutions-APIG4", reasonPublicRoute)
					}
				}
			}
		}
		if spec.Schedule != "" {
			// A tick that cannot invoke the function is retried, then kept.
			awsevents.NewRule(stack, jsii.String(spec.Name+"Schedule"), &awsevents.RuleProps{
				Schedule: awsevents.Schedule_Expression(jsii.String(spec.Schedule)),
				Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
					DeadLetterQueue: scheduleDLQ(stack), RetryAttempts: jsii.Number(3), MaxEventAge: awscdk.Duration_Hours(jsii.Number(2)),
				})},
			})
		}
		if name := spec.Access.ConsumeFrom; name != "" {
			q := queueSpec(name)
			fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(queues[name], &awslambdaeventsources.SqsEventSourceProps{
				BatchSize: jsii.Number(10), ReportBatchItemFailures: jsii.Bool(true), MaxConcurrency: jsii.Number(float64(q.MaxConcurrency)),
			}))
		}
	}
	newMonitoring(stack, stage, props.AlarmEmail, api, functions, queues, dlqs, scheduleDLQ(stack))
	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{Value: api.ApiEndpoint()})
	awscdk.NewCfnOutput(stack, jsii.String("WebhookSecretArn"), &awscdk.CfnOutputProps{Value: secret.SecretArn()})
	awscdk.NewCfnOutput(stack, jsii.String("TableName"), &awscdk.CfnOutputProps{Value: table.TableName()})
	return stack
}

// newStage is the API's $default stage: throttled, with JSON access logs.
func newStage(stack awscdk.Stack, api awsapigatewayv2.HttpApi, stage Stage, props StackProps) {
	logs := awslogs.NewLogGroup(stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention: stage.logRetention(), RemovalPolicy: stage.removal(),
	})
	format, _ := json.Marshal(map[string]string{
		"requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "requestTime": "$context.requestTime",
		"method": "$context.httpMethod", "routeKey": "$context.routeKey", "status": "$context.status",
		"responseLength": "$context.responseLength", "latency": "$context.responseLatency",
		"integrationLatency": "$context.integrationLatency", "integrationError": "$context.integrationErrorMessage",
		"authorizerError": "$context.authorizer.error",
	})
	awsapigatewayv2.NewCfnStage(stack, jsii.String("DefaultStage"), &awsapigatewayv2.CfnStageProps{
		ApiId: api.ApiId(), StageName: jsii.String("$default"), AutoDeploy: jsii.Bool(true),
		DefaultRouteSettings: &awsapigatewayv2.CfnStage_RouteSettingsProperty{
			ThrottlingRateLimit: jsii.Number(cmp.Or(props.ThrottleRate, 500)), ThrottlingBurstLimit: jsii.Number(cmp.Or(props.ThrottleBurst, 1000)),
			DetailedMetricsEnabled: jsii.Bool(false),
		},
		RouteSettings:     routeThrottles(),
		AccessLogSettings: &awsapigatewayv2.CfnStage_AccessLogSettingsProperty{DestinationArn: logs.LogGroupArn(), Format: jsii.String(string(format))},
	})
}

// routeThrottles are the stage's settings of the routes appspec throttles
// below the stage's own limits, by route key.
func routeThrottles() map[string]any {
	out := map[string]any{}
	for route, t := range appspec.RouteThrottles {
		out[route] = map[string]any{"ThrottlingRateLimit": t.Rate, "ThrottlingBurstLimit": t.Burst}
	}
	return out
}

// scheduleDLQ keeps schedule ticks that could not be delivered (one queue
// for every schedule).
func scheduleDLQ(stack awscdk.Stack) awssqs.Queue {
	if q, ok := stack.Node().TryFindChild(jsii.String("ScheduleDlq")).(awssqs.Queue); ok {
		return q
	}
	q := awssqs.NewQueue(stack, jsii.String("ScheduleDlq"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(queueRetentionDays)), Encryption: awssqs.QueueEncryption_SQS_MANAGED, EnforceSSL: jsii.Bool(true),
	})
	suppress(q, "AwsSolutions-SQS3", "It is itself a dead-letter queue: EventBridge puts schedule ticks it could not deliver here.")
	return q
}

func queueSpec(name string) appspec.Queue {
	for _, q := range appspec.Queues {
		if q.Name == name {
			return q
		}
	}
	panic("infra: unknown queue " + name)
}

func newTable(stack awscdk.Stack, stage Stage, contributorInsights bool) awsdynamodb.Table {
	t := appspec.MainTable
	str := awsdynamodb.AttributeType_STRING
	table := awsdynamodb.NewTable(stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String(t.PartitionKey), Type: str},
		SortKey:      &awsdynamodb.Attribute{Name: jsii.String(t.SortKey), Type: str},
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		TimeToLiveAttribute: jsii.String(t.TTLAttribute),
		// The ledger is the system of record: keep it if the stack is
		// deleted, and in prod refuse to delete it at all.
		RemovalPolicy:                    awscdk.RemovalPolicy_RETAIN,
		DeletionProtection:               jsii.Bool(stage == Prod),
		ContributorInsightsSpecification: &awsdynamodb.ContributorInsightsSpecification{Enabled: jsii.Bool(contributorInsights)},
	})
	for _, ix := range t.Indexes {
		table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String(ix.PartitionKey), Type: str},
			SortKey:        &awsdynamodb.Attribute{Name: jsii.String(ix.SortKey), Type: str},
			ProjectionType: awsdynamodb.ProjectionType(ix.Projection()),
		})
	}
	return table
}

// queueRetentionDays is how long every queue keeps a message: SQS's most.
// An expired message is dropped, not dead-lettered, so a payout leg that
// waits out a provider's or a worker's outage must outlast it; the
// oldest-message alarms page long before. A FIFO message moved to its
// dead-letter queue starts its 14 days again there.
const queueRetentionDays = 14

// newQueue creates a FIFO queue and its dead-letter queue: encrypted, TLS
// only, names generated (two stages fit in one account and region).
func newQueue(stack awscdk.Stack, q appspec.Queue) (awssqs.Queue, awssqs.Queue) {
	id := queueID(q.Name)
	retention := awscdk.Duration_Days(jsii.Number(queueRetentionDays))
	dlq := awssqs.NewQueue(stack, jsii.String(id+"Dlq"), &awssqs.QueueProps{
		Fifo: jsii.Bool(true), RetentionPeriod: retention,
		Encryption: awssqs.QueueEncryption_SQS_MANAGED, EnforceSSL: jsii.Bool(true),
	})
	main := awssqs.NewQueue(stack, jsii.String(id), &awssqs.QueueProps{
		Fifo: jsii.Bool(true), ContentBasedDeduplication: jsii.Bool(false), RetentionPeriod: retention,
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(float64(q.VisibilitySeconds))),
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED, EnforceSSL: jsii.Bool(true),
		DeadLetterQueue: &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(float64(q.MaxReceiveCount))},
	})
	return main, dlq
}

// grant gives a function exactly the access its spec lists.
func grant(a appspec.Access, fn awslambda.Function, table awsdynamodb.Table, queues, dlqs map[string]awssqs.Queue, secret awssecretsmanager.Secret) {
	if len(a.Table) > 0 {
		table.Grant(fn, *jsii.Strings(a.Table...)...)
	}
	for _, name := range a.SendTo {
		queues[name].GrantSendMessages(fn)
	}
	if a.WebhookSecrets {
		secret.GrantRead(fn, nil)
	}
	if a.RedriveDLQs {
		for name, dlq := range dlqs {
			if queueSpec(name).Redrive {
				dlq.GrantConsumeMessages(fn)
			}
		}
	}
}

// teamActions are the user pool calls the team routes make.
var teamActions = []string{"cognito-idp:AdminCreateUser", "cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminRemoveUserFromGroup",
	"cognito-idp:AdminUpdateUserAttributes", "cognito-idp:AdminDeleteUser"}

// denyAuditChanges keeps audit entries append-only: whatever the
// function's table grant, it may not update or delete an item whose
// partition key begins with the audit prefix. (Entries leave by TTL,
// which DynamoDB itself deletes.)
func denyAuditChanges(fn awslambda.Function, table awsdynamodb.Table) {
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect: awsiam.Effect_DENY, Actions: jsii.Strings(appspec.AuditDenied...), Resources: jsii.Strings(*table.TableArn()),
		Conditions: &map[string]any{"ForAnyValue:StringLike": map[string]any{"dynamodb:LeadingKeys": []string{appspec.AuditKeyPrefix + "*"}}},
	}))
}

// queueID turns "partnerloop-payouts" into the construct id "PayoutsQueue".
func queueID(name string) string {
	s := strings.TrimPrefix(name, "partnerloop-")
	return strings.ToUpper(s[:1]) + s[1:] + "Queue"
}
