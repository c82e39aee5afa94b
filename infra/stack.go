package main

import (
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
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
	// (for example a Cognito user pool or any OIDC provider).
	JWTIssuer   string
	JWTAudience []string
	// Program is the program definition as JSON; empty uses the default.
	Program string
	// PublicBaseURL is where referral links point (a custom domain mapped to
	// the API); empty uses the API's own endpoint.
	PublicBaseURL string
}

// NewPartnerloopStack builds every resource from appspec, so the stack, the
// local runner and template.yaml describe the same application.
func NewPartnerloopStack(scope constructs.Construct, id string, props StackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)

	table := newTable(stack)
	queues, dlqs := map[string]awssqs.Queue{}, map[string]awssqs.Queue{}
	for _, q := range appspec.Queues {
		queues[q.Name], dlqs[q.Name] = newQueue(stack, q)
	}
	secret := awssecretsmanager.NewSecret(stack, jsii.String("WebhookSecrets"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Webhook signing secrets (generic, shopify, stripe, woocommerce) and the customer e-mail hash key"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String(`{"generic":"","shopify":"","stripe":"","woocommerce":""}`),
			GenerateStringKey:    jsii.String("email_hash_key"),
			PasswordLength:       jsii.Number(48),
			ExcludePunctuation:   jsii.Bool(true),
		},
	})
	providerSecret := awssecretsmanager.NewSecret(stack, jsii.String("ProviderSecrets"), &awssecretsmanager.SecretProps{
		Description:          jsii.String("Payout provider API keys: {\"stripe_api_key\": \"rk_live_...\"}; empty disables Stripe Connect payouts"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{SecretStringTemplate: jsii.String(`{"stripe_api_key":""}`), GenerateStringKey: jsii.String("unused")},
	})
	api := awsapigatewayv2.NewHttpApi(stack, jsii.String("HttpApi"), &awsapigatewayv2.HttpApiProps{
		ApiName: jsii.String("partnerloop"),
	})
	authorizer := awsapigatewayv2authorizers.NewHttpJwtAuthorizer(jsii.String("JwtAuthorizer"), jsii.String(props.JWTIssuer),
		&awsapigatewayv2authorizers.HttpJwtAuthorizerProps{JwtAudience: jsii.Strings(props.JWTAudience...)})

	baseURL := api.ApiEndpoint()
	if props.PublicBaseURL != "" {
		baseURL = jsii.String(props.PublicBaseURL)
	}
	for _, spec := range appspec.Functions {
		env := map[string]*string{
			appspec.EnvTable:         table.TableName(),
			appspec.EnvPublicBaseURL: baseURL,
		}
		if props.Program != "" {
			env[appspec.EnvProgram] = jsii.String(props.Program)
		}
		for _, name := range spec.Access.SendTo {
			env[queueEnv(name)] = queues[name].QueueUrl()
		}
		if spec.Access.WebhookSecrets {
			env[appspec.EnvSecretARN] = secret.SecretArn()
		}
		if spec.Access.ProviderSecrets {
			env[appspec.EnvProviderSecretARN] = providerSecret.SecretArn()
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
			MemorySize:   jsii.Number(256),
			Timeout:      awscdk.Duration_Seconds(jsii.Number(float64(spec.Timeout))),
			Environment:  &env,
			LogGroup: awslogs.NewLogGroup(stack, jsii.String(spec.Name+"Logs"), &awslogs.LogGroupProps{
				Retention: awslogs.RetentionDays_ONE_MONTH, RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
			}),
		})
		grant(spec.Access, fn, table, queues, dlqs, secret)
		if spec.Access.ProviderSecrets {
			providerSecret.GrantRead(fn, nil)
		}
		if len(spec.Routes) > 0 {
			integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(spec.Name+"Integration"), fn, nil)
			for _, r := range spec.Routes {
				opts := &awsapigatewayv2.AddRoutesOptions{Path: jsii.String(r.Path), Integration: integration,
					Methods: &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.Method)}}
				if r.Auth {
					opts.Authorizer = authorizer
				}
				api.AddRoutes(opts)
			}
		}
		if spec.Schedule != "" {
			awsevents.NewRule(stack, jsii.String(spec.Name+"Schedule"), &awsevents.RuleProps{
				Schedule: awsevents.Schedule_Expression(jsii.String(spec.Schedule)),
				Targets:  &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, nil)},
			})
		}
		if spec.Access.ConsumeFrom != "" {
			fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(queues[spec.Access.ConsumeFrom], &awslambdaeventsources.SqsEventSourceProps{
				BatchSize: jsii.Number(10), ReportBatchItemFailures: jsii.Bool(true),
			}))
		}
	}
	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{Value: api.ApiEndpoint()})
	awscdk.NewCfnOutput(stack, jsii.String("WebhookSecretArn"), &awscdk.CfnOutputProps{Value: secret.SecretArn()})
	return stack
}

func newTable(stack awscdk.Stack) awsdynamodb.Table {
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
		// The ledger is the system of record: keep it if the stack is deleted.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	for _, ix := range t.Indexes {
		table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(ix.Name),
			PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String(ix.PartitionKey), Type: str},
			SortKey:        &awsdynamodb.Attribute{Name: jsii.String(ix.SortKey), Type: str},
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
	return table
}

// newQueue creates a FIFO queue and its dead-letter queue.
func newQueue(stack awscdk.Stack, q appspec.Queue) (awssqs.Queue, awssqs.Queue) {
	id := queueID(q.Name)
	dlq := awssqs.NewQueue(stack, jsii.String(id+"Dlq"), &awssqs.QueueProps{
		QueueName: jsii.String(q.DLQName()), Fifo: jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)), Encryption: awssqs.QueueEncryption_SQS_MANAGED,
	})
	main := awssqs.NewQueue(stack, jsii.String(id), &awssqs.QueueProps{
		QueueName: jsii.String(q.FIFOName()), Fifo: jsii.Bool(true), ContentBasedDeduplication: jsii.Bool(false),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(float64(q.VisibilitySeconds))),
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: dlq, MaxReceiveCount: jsii.Number(float64(q.MaxReceiveCount))},
	})
	return main, dlq
}

// grant gives a function exactly the access its spec lists.
func grant(a appspec.Access, fn awslambda.Function, table awsdynamodb.Table, queues, dlqs map[string]awssqs.Queue, secret awssecretsmanager.Secret) {
	switch {
	case a.TableRead && a.TableWrite:
		table.GrantReadWriteData(fn)
	case a.TableRead:
		table.GrantReadData(fn)
	}
	for _, name := range a.SendTo {
		queues[name].GrantSendMessages(fn)
	}
	if a.WebhookSecrets {
		secret.GrantRead(fn, nil)
	}
	if a.RedriveDLQs {
		for _, dlq := range dlqs {
			dlq.GrantConsumeMessages(fn)
		}
	}
}

// queueEnv names the environment variable holding a queue's URL.
func queueEnv(name string) string {
	if name == appspec.DonationsQueue.Name {
		return appspec.EnvDonationsQueue
	}
	return appspec.EnvPayoutsQueue
}

// queueID turns "partnerloop-payouts" into the construct id "PayoutsQueue".
func queueID(name string) string {
	s := strings.TrimPrefix(name, "partnerloop-")
	return strings.ToUpper(s[:1]) + s[1:] + "Queue"
}
