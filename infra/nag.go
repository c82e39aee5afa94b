package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// checkWithNag runs the AWS Solutions rules over everything the app
// synthesizes: an unsuppressed finding fails `cdk synth` and the tests.
// Every suppression names its rule, its resource and why.
func checkWithNag(app awscdk.App) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// suppress records why rule does not apply to c (and its children);
// appliesTo narrows a granular rule (IAM5) to the findings named.
func suppress(c constructs.IConstruct, rule, reason string, appliesTo ...any) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		s.AppliesTo = &appliesTo
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

// Reasons shared by several resources.
const (
	reasonPublicRoute = "Public by design: webhooks authenticate each delivery by its HMAC signature in the function " +
		"(constant-time, with a timestamp tolerance where the sender signs one), /r/{code} is the referral link anyone follows, " +
		"/healthz and /v1/openapi.json carry no data."
	reasonBasicExecution = "AWSLambdaBasicExecutionRole only lets the function write its own log streams; " +
		"the log group is created by the stack with its retention."
	reasonXRay = "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions " +
		"(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html)."
	reasonTableIndexes = "Queries on the table's own global secondary indexes (gsi1, gsi2, gsi3), which only exist under the table's ARN."
)

// suppressFunctionFindings covers what every function role carries.
func suppressFunctionFindings(fn constructs.IConstruct) {
	suppress(fn, "AwsSolutions-IAM4", reasonBasicExecution,
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
	suppress(fn, "AwsSolutions-IAM5", reasonXRay, "Resource::*")
	suppress(fn, "AwsSolutions-IAM5", reasonTableIndexes, map[string]string{"regex": `/^Resource::<Table[0-9A-F]+\.Arn>\/index\/\*$/g`})
}
