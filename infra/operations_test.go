package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

func TestEveryFunctionIsTraced(t *testing.T) {
	tmpl, _ := synthesized(t)
	tmpl.AllResourcesProperties(jsii.String("AWS::Lambda::Function"), map[string]any{"TracingConfig": map[string]any{"Mode": "Active"}})
}

func TestAPIStageIsThrottledWithJSONAccessLogs(t *testing.T) {
	_, doc := synthesized(t)
	stages := resources(doc, "AWS::ApiGatewayV2::Stage")
	if len(stages) != 1 {
		t.Fatalf("%d stages", len(stages))
	}
	for _, st := range stages {
		route := st["DefaultRouteSettings"].(map[string]any)
		if st["StageName"] != "$default" || route["ThrottlingRateLimit"] != 500.0 || route["ThrottlingBurstLimit"] != 1000.0 {
			t.Errorf("stage %v", st)
		}
		logs := st["AccessLogSettings"].(map[string]any)
		var format map[string]string
		if err := json.Unmarshal([]byte(logs["Format"].(string)), &format); err != nil || format["requestId"] != "$context.requestId" || format["status"] != "$context.status" {
			t.Errorf("access log format %v: %v", logs["Format"], err)
		}
		if logs["DestinationArn"] == nil {
			t.Error("no access log destination")
		}
	}
}

// expectedAlarms are the alarms the runbook explains, by logical id prefix.
func expectedAlarms() []string {
	out := []string{"ScheduleDlqMessages", "Api5xxRate", "OutboxAge"}
	for _, q := range appspec.Queues {
		out = append(out, queueID(q.Name)+"DlqMessages", queueID(q.Name)+"OldestMessage")
	}
	for _, f := range appspec.Functions {
		out = append(out, f.Name+"Errors", f.Name+"Throttles")
	}
	for _, s := range webhookSources() {
		out = append(out, "Rejected"+strings.ToUpper(s[:1])+s[1:]+"Signatures")
	}
	return out
}

func TestAlarmsGoToTheTopicAndTheRunbookExplainsEach(t *testing.T) {
	_, doc := synthesized(t)
	alarms := resources(doc, "AWS::CloudWatch::Alarm")
	runbook, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range expectedAlarms() {
		var found map[string]any
		for id, a := range alarms {
			if strings.HasPrefix(id, want) {
				found = a
			}
		}
		if found == nil {
			t.Errorf("no alarm %s", want)
			continue
		}
		actions, _ := json.Marshal(found["AlarmActions"])
		if !strings.Contains(string(actions), `"Ref":"Alarms`) || found["TreatMissingData"] != "notBreaching" {
			t.Errorf("alarm %s: actions %s, missing data %v", want, actions, found["TreatMissingData"])
		}
		if !strings.Contains(string(runbook), "### "+want) {
			t.Errorf("docs/operations.md has no section ### %s", want)
		}
	}
	if len(alarms) != len(expectedAlarms()) {
		t.Errorf("%d alarms, want %d", len(alarms), len(expectedAlarms()))
	}
	// The alarm e-mail, and the Mailer hearing of SES bounces and complaints.
	topics := map[string]map[string]any{}
	for id, s := range resources(doc, "AWS::SNS::Subscription") {
		if s["Protocol"] != "lambda" {
			topics[id] = s
		}
	}
	if len(topics) != 1 {
		t.Fatalf("%d subscriptions besides the Mailer's", len(topics))
	}
	for _, s := range topics {
		if s["Protocol"] != "email" || s["Endpoint"] != "oncall@partnerloop.example" {
			t.Errorf("subscription %v", s)
		}
	}
	if len(resources(doc, "AWS::CloudWatch::Dashboard")) != 1 {
		t.Error("no dashboard")
	}
}

func TestStagesDiffer(t *testing.T) {
	devT, dev := synthesizedStage(t, Dev)
	prodT, prod := synthesizedStage(t, Prod)
	devT.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{"DeletionProtectionEnabled": false})
	prodT.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), map[string]any{"DeletionProtectionEnabled": true})
	devT.AllResourcesProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{"RetentionInDays": 7})
	prodT.AllResourcesProperties(jsii.String("AWS::Logs::LogGroup"), map[string]any{"RetentionInDays": 90})
	devT.AllResources(jsii.String("AWS::Logs::LogGroup"), map[string]any{"DeletionPolicy": "Delete"})
	prodT.AllResources(jsii.String("AWS::Logs::LogGroup"), map[string]any{"DeletionPolicy": "Retain"})
	threshold := func(doc map[string]any, prefix string) any {
		for id, a := range resources(doc, "AWS::CloudWatch::Alarm") {
			if strings.HasPrefix(id, prefix) {
				return a["Threshold"]
			}
		}
		return nil
	}
	if threshold(dev, "WebhooksErrors") != 5.0 || threshold(prod, "WebhooksErrors") != 1.0 {
		t.Errorf("error thresholds dev %v prod %v", threshold(dev, "WebhooksErrors"), threshold(prod, "WebhooksErrors"))
	}
	for _, d := range []map[string]any{dev, prod} {
		for _, api := range resources(d, "AWS::ApiGatewayV2::Api") {
			if !strings.HasPrefix(api["Name"].(string), "partnerloop-") {
				t.Errorf("api name %v", api["Name"])
			}
		}
	}
}

func TestEveryResourceIsTaggedAndSecretsAreKept(t *testing.T) {
	tmpl, _ := synthesized(t)
	tagged := assertions.Match_ArrayWith(&[]any{
		map[string]any{"Key": "app", "Value": "partnerloop"}, map[string]any{"Key": "stage", "Value": "dev"}})
	for _, typ := range []string{"AWS::Lambda::Function", "AWS::SQS::Queue", "AWS::DynamoDB::Table", "AWS::Logs::LogGroup", "AWS::SNS::Topic", "AWS::SecretsManager::Secret"} {
		tmpl.AllResourcesProperties(jsii.String(typ), map[string]any{"Tags": tagged})
	}
	tmpl.ResourceCountIs(jsii.String("AWS::SecretsManager::Secret"), jsii.Number(4))
	tmpl.AllResources(jsii.String("AWS::SecretsManager::Secret"), map[string]any{"DeletionPolicy": "Retain"})
}

// cdk.json carries every feature flag the CDK CLI recommends for new apps.
func TestRecommendedFeatureFlags(t *testing.T) {
	raw, err := os.ReadFile("../node_modules/aws-cdk/lib/init-templates/.recommended-feature-flags.json")
	if err != nil {
		t.Fatal(err)
	}
	var recommended map[string]any
	if err := json.Unmarshal(raw, &recommended); err != nil {
		t.Fatal(err)
	}
	ctx := *cdkContext(t)
	for flag, v := range recommended {
		got, _ := json.Marshal(ctx[flag])
		want, _ := json.Marshal(v)
		if string(got) != string(want) {
			t.Errorf("cdk.json %s = %s, recommended %s", flag, got, want)
		}
	}
}
