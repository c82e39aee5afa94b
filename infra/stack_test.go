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

// synthesized is the stack's CloudFormation template as plain JSON, built
// once for all tests (synthesis starts the jsii runtime, which is slow).
var synthesized = func() func(t *testing.T) (assertions.Template, map[string]any) {
	var tmpl assertions.Template
	var doc map[string]any
	return func(t *testing.T) (assertions.Template, map[string]any) {
		if doc != nil {
			return tmpl, doc
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
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
		stack := NewPartnerloopStack(app, "Test", StackProps{AssetDir: assets, JWTIssuer: "https://issuer.example/", JWTAudience: []string{"partnerloop"}})
		tmpl = assertions.Template_FromStack(stack, nil)
		raw, err := json.Marshal(tmpl.ToJSON())
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		return tmpl, doc
	}
}()

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

func TestQueuesAreFifoWithDeadLetterQueues(t *testing.T) {
	_, doc := synthesized(t)
	queues := resources(doc, "AWS::SQS::Queue")
	names := map[string]map[string]any{}
	for _, q := range queues {
		names[q["QueueName"].(string)] = q
	}
	for _, q := range appspec.Queues {
		main, dlq := names[q.FIFOName()], names[q.DLQName()]
		if main == nil || dlq == nil {
			t.Fatalf("missing %s or its DLQ in %v", q.FIFOName(), names)
		}
		if main["FifoQueue"] != true || dlq["FifoQueue"] != true {
			t.Errorf("%s is not FIFO", q.Name)
		}
		redrive, _ := main["RedrivePolicy"].(map[string]any)
		if redrive["maxReceiveCount"] != float64(q.MaxReceiveCount) {
			t.Errorf("%s redrive %v", q.Name, redrive)
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
	})
	tmpl.ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(float64(schedules)))
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
		if strings.Contains(text, `"Action":"*"`) || strings.Contains(text, `"Resource":"*"`) {
			t.Errorf("policy %s grants a wildcard: %s", id, text)
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
			if strings.Contains(text, "secretsmanager:GetSecretValue") != (spec.Access.WebhookSecrets || spec.Access.ProviderSecrets) {
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
