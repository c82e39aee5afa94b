package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// synthesizedStage is a stage's CloudFormation template as plain JSON,
// built once per stage for all tests (synthesis starts the jsii runtime,
// which is slow), with cdk.json's context (the feature flags) as `cdk
// synth` would use it.
var synthesizedStage = func() func(t *testing.T, stage Stage) (assertions.Template, map[string]any) {
	type built struct {
		tmpl assertions.Template
		doc  map[string]any
	}
	cache := map[Stage]built{}
	return func(t *testing.T, stage Stage) (assertions.Template, map[string]any) {
		if b, ok := cache[stage]; ok {
			return b.tmpl, b.doc
		}
		assets := t.TempDir()
		for _, f := range appspec.Functions {
			dir := filepath.Join(assets, f.Dir)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("binary"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: cdkContext(t)})
		checkWithNag(app)
		props := StackProps{AssetDir: assets, Stage: stage, AlarmEmail: "oncall@partnerloop.example", MailFrom: "partners@shop.example"}
		if stage == Dev { // dev signs in at an external issuer, prod with the stack's own user pool
			props.JWTIssuer, props.JWTAudience = "https://issuer.example/", []string{"partnerloop"}
			props.OIDC = ExternalOIDC{ClientID: "web-client", AuthorizeURL: "https://issuer.example/authorize", TokenURL: "https://issuer.example/token"}
		}
		stack := NewPartnerloopStack(app, "Test", props)
		tmpl := assertions.Template_FromStack(stack, nil)
		nagFindings[stage] = assertions.Annotations_FromStack(stack)
		raw, err := json.Marshal(tmpl.ToJSON())
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		cache[stage] = built{tmpl, doc}
		return tmpl, doc
	}
}()

// nagFindings are cdk-nag's annotations of each synthesized stage.
var nagFindings = map[Stage]assertions.Annotations{}

// synthesized is the dev stage, the default.
func synthesized(t *testing.T) (assertions.Template, map[string]any) { return synthesizedStage(t, Dev) }

func cdkContext(t *testing.T) *map[string]any {
	raw, err := os.ReadFile("../cdk.json")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return &c.Context
}

func resources(doc map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range doc["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			props, _ := res["Properties"].(map[string]any)
			out[id] = props
		}
	}
	return out
}

func TestFunctionsAreArmAl2023Bootstrap(t *testing.T) {
	tmpl, doc := synthesized(t)
	tmpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(float64(len(appspec.Functions))))
	for id, fn := range resources(doc, "AWS::Lambda::Function") {
		arch, _ := json.Marshal(fn["Architectures"])
		if string(arch) != `["arm64"]` || fn["Runtime"] != "provided.al2023" || fn["Handler"] != "bootstrap" {
			t.Errorf("%s: architectures %s runtime %v handler %v", id, arch, fn["Runtime"], fn["Handler"])
		}
	}
}

func TestEveryRouteIsDeployedWithItsAuthorization(t *testing.T) {
	_, doc := synthesized(t)
	got := map[string]string{}
	for _, r := range resources(doc, "AWS::ApiGatewayV2::Route") {
		auth, _ := r["AuthorizationType"].(string)
		got[r["RouteKey"].(string)] = cmpOr(auth, "NONE")
	}
	want := map[string]string{}
	for _, r := range appspec.AllRoutes() {
		want[r.Method+" "+r.Path] = map[bool]string{true: "JWT", false: "NONE"}[r.Auth]
	}
	if len(got) != len(want) {
		t.Fatalf("routes %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("route %s: authorization %q, want %q", k, got[k], v)
		}
	}
}

func TestTableIsOnDemandWithPITRAndIndexes(t *testing.T) {
	tmpl, _ := synthesized(t)
	tmpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{
		"BillingMode":                      "PAY_PER_REQUEST",
		"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
		"TimeToLiveSpecification":          map[string]any{"AttributeName": appspec.MainTable.TTLAttribute, "Enabled": true},
		"KeySchema": []any{
			map[string]any{"AttributeName": "pk", "KeyType": "HASH"},
			map[string]any{"AttributeName": "sk", "KeyType": "RANGE"},
		},
		"GlobalSecondaryIndexes": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{"IndexName": "gsi1"}),
			assertions.Match_ObjectLike(&map[string]any{"IndexName": "gsi2"}),
		}),
	})
	tmpl.HasResource(jsii.String("AWS::DynamoDB::Table"), map[string]any{"DeletionPolicy": "Retain"})
}

// byLogicalID finds a resource whose logical id starts with prefix (CDK
// appends a hash).
func byLogicalID(t *testing.T, doc map[string]any, typ, prefix string) map[string]any {
	t.Helper()
	for id, props := range resources(doc, typ) {
		if strings.HasPrefix(id, prefix) && !strings.HasPrefix(strings.TrimPrefix(id, prefix), "Dlq") {
			return props
		}
	}
	t.Fatalf("no %s %s*", typ, prefix)
	return nil
}

func TestQueuesAreFifoWithDeadLetterQueues(t *testing.T) {
	_, doc := synthesized(t)
	for _, q := range appspec.Queues {
		main, dlq := byLogicalID(t, doc, "AWS::SQS::Queue", queueID(q.Name)), byLogicalID(t, doc, "AWS::SQS::Queue", queueID(q.Name)+"Dlq")
		if main["FifoQueue"] != true || dlq["FifoQueue"] != true {
			t.Errorf("%s is not FIFO", q.Name)
		}
		redrive, _ := main["RedrivePolicy"].(map[string]any)
		if redrive["maxReceiveCount"] != float64(q.MaxReceiveCount) {
			t.Errorf("%s redrive %v", q.Name, redrive)
		}
		// Generated names: two stages fit in one account and region.
		if main["QueueName"] != nil || dlq["QueueName"] != nil {
			t.Errorf("%s has a fixed physical name", q.Name)
		}
		// Nothing expires unseen: SQS drops an expired message without dead-lettering it.
		if main["SqsManagedSseEnabled"] != true || dlq["SqsManagedSseEnabled"] != true ||
			main["MessageRetentionPeriod"] != float64(14*24*3600) || dlq["MessageRetentionPeriod"] != float64(14*24*3600) {
			t.Errorf("%s: encryption or retention: %v %v", q.Name, main, dlq)
		}
		consumer, ok := appspec.ConsumerOf(q.Name)
		if !ok || main["VisibilityTimeout"].(float64) < float64(6*consumer.Timeout) {
			t.Errorf("%s visibility %v is under 6× its consumer's timeout", q.Name, main["VisibilityTimeout"])
		}
	}
	// Every queue refuses requests without TLS.
	policies := resources(doc, "AWS::SQS::QueuePolicy")
	if len(policies) != 2*len(appspec.Queues)+1 {
		t.Fatalf("%d queue policies", len(policies))
	}
	for id, p := range policies {
		raw, _ := json.Marshal(p)
		if !strings.Contains(string(raw), `"aws:SecureTransport":"false"`) {
			t.Errorf("queue policy %s does not deny plain HTTP", id)
		}
	}
}

func TestWorkersReportPartialBatchFailuresAndSchedulesExist(t *testing.T) {
	tmpl, _ := synthesized(t)
	consumers, schedules := 0, 0
	for _, f := range appspec.Functions {
		if f.Access.ConsumeFrom != "" {
			consumers++
		}
		if f.Schedule != "" {
			schedules++
			tmpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{"ScheduleExpression": f.Schedule})
		}
	}
	tmpl.ResourceCountIs(jsii.String("AWS::Lambda::EventSourceMapping"), jsii.Number(float64(consumers)))
	tmpl.AllResourcesProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
		"FunctionResponseTypes": []any{"ReportBatchItemFailures"},
		"ScalingConfig":         map[string]any{"MaximumConcurrency": assertions.Match_AnyValue()},
	})
	tmpl.ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(float64(schedules)))
	// A tick that cannot reach its function is retried, then kept.
	tmpl.AllResourcesProperties(jsii.String("AWS::Events::Rule"), map[string]any{
		"Targets": []any{assertions.Match_ObjectLike(&map[string]any{
			"DeadLetterConfig": map[string]any{"Arn": assertions.Match_AnyValue()},
			"RetryPolicy":      map[string]any{"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 7200},
		})},
	})
}

// TestGrantsAreLeastPrivilege checks that no policy allows every action or
// touches a resource the function's spec does not list.
func TestGrantsAreLeastPrivilege(t *testing.T) {
	_, doc := synthesized(t)
	fnRoles := map[string]string{} // role logical id → function name
	for id, fn := range resources(doc, "AWS::Lambda::Function") {
		role := fn["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		fnRoles[role] = id
	}
	for id, p := range resources(doc, "AWS::IAM::Policy") {
		raw, _ := json.Marshal(p["PolicyDocument"])
		text := string(raw)
		var doc struct {
			Statement []struct {
				Action   any
				Resource any
			}
		}
		_ = json.Unmarshal(raw, &doc)
		for _, st := range doc.Statement {
			actions, _ := json.Marshal(st.Action)
			// X-Ray has no resource-level permissions: its two write actions need "*".
			xray := string(actions) == `["xray:PutTelemetryRecords","xray:PutTraceSegments"]`
			if st.Action == "*" || st.Resource == "*" && !xray {
				t.Errorf("policy %s grants a wildcard: %s", id, text)
			}
			for _, forbidden := range []string{"dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:GetRecords", "dynamodb:DeleteTable", "dynamodb:*"} {
				if strings.Contains(string(actions), `"`+forbidden+`"`) {
					t.Errorf("policy %s grants %s, which no function uses", id, forbidden)
				}
			}
		}
		var roles []string
		for _, r := range p["Roles"].([]any) {
			roles = append(roles, fnRoles[r.(map[string]any)["Ref"].(string)])
		}
		for _, spec := range appspec.Functions {
			if !slices.ContainsFunc(roles, func(fn string) bool { return strings.HasPrefix(fn, spec.Name) }) {
				continue
			}
			if strings.Contains(text, "sqs:SendMessage") != (len(spec.Access.SendTo) > 0) {
				t.Errorf("%s: sqs:SendMessage granted=%v, spec sends to %v", spec.Name, strings.Contains(text, "sqs:SendMessage"), spec.Access.SendTo)
			}
			if strings.Contains(text, "secretsmanager:GetSecretValue") != (spec.Access.WebhookSecrets || spec.Access.HashKey || spec.Access.ProviderSecrets || spec.Access.MailLinks) {
				t.Errorf("%s: secret access does not match its spec", spec.Name)
			}
			if strings.Contains(text, "sqs:ReceiveMessage") != (spec.Access.ConsumeFrom != "" || spec.Access.RedriveDLQs) {
				t.Errorf("%s: sqs:ReceiveMessage does not match its spec", spec.Name)
			}
		}
	}
}

func cmpOr(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}
