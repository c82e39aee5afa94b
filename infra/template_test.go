package main

import (
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// samTemplate is the part of template.yaml the drift test compares.
type samTemplate struct {
	Globals struct {
		Function struct {
			Runtime       string   `yaml:"Runtime"`
			Architectures []string `yaml:"Architectures"`
			Handler       string   `yaml:"Handler"`
			Tracing       string   `yaml:"Tracing"`
		} `yaml:"Function"`
	} `yaml:"Globals"`
	Resources map[string]struct {
		Type       string         `yaml:"Type"`
		Metadata   map[string]any `yaml:"Metadata"`
		Properties map[string]any `yaml:"Properties"`
	} `yaml:"Resources"`
}

func loadSAM(t *testing.T) samTemplate {
	t.Helper()
	raw, err := os.ReadFile("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tmpl samTemplate
	if err := yaml.Unmarshal(raw, &tmpl); err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// samFacts flattens template.yaml into comparable strings.
func samFacts(t *testing.T) (functions, routes, schedules, consumers, queues []string) {
	tmpl := loadSAM(t)
	g := tmpl.Globals.Function
	if g.Runtime != "provided.al2023" || !slices.Equal(g.Architectures, []string{"arm64"}) || g.Handler != "bootstrap" ||
		g.Tracing != "Active" {
		t.Errorf("SAM globals: %+v", g)
	}
	for id, r := range tmpl.Resources {
		switch r.Type {
		case "AWS::Serverless::Function":
			name := strings.TrimSuffix(id, "Function")
			functions = append(functions, fmt.Sprintf("%s code=%v build=%v timeout=%v memory=%v env=%v grants=%v", name, r.Properties["CodeUri"], r.Metadata["BuildMethod"], r.Properties["Timeout"], r.Properties["MemorySize"],
				samEnv(r.Properties), samGrants(r.Properties)))
			events, _ := r.Properties["Events"].(map[string]any)
			for _, e := range events {
				ev := e.(map[string]any)
				props := ev["Properties"].(map[string]any)
				switch ev["Type"] {
				case "HttpApi":
					auth := "JWT"
					if a, ok := props["Auth"].(map[string]any); ok && a["Authorizer"] == "NONE" {
						auth = "NONE"
					}
					routes = append(routes, fmt.Sprintf("%s %s %s %s", name, props["Method"], props["Path"], auth))
				case "Schedule":
					schedules = append(schedules, fmt.Sprintf("%s %s", name, props["Schedule"]))
				case "SQS":
					q := props["Queue"].(map[string]any)["Fn::GetAtt"].([]any)[0]
					scaling, _ := props["ScalingConfig"].(map[string]any)
					consumers = append(consumers, fmt.Sprintf("%s %v %v concurrency=%v", name, q, props["FunctionResponseTypes"], scaling["MaximumConcurrency"]))
				}
			}
		case "AWS::SQS::Queue":
			if id == "ScheduleDlq" {
				continue
			}
			desc := fmt.Sprint(id, " fifo=", r.Properties["FifoQueue"], " sse=", r.Properties["SqsManagedSseEnabled"], " name=", r.Properties["QueueName"])
			if rp, ok := r.Properties["RedrivePolicy"].(map[string]any); ok {
				desc += fmt.Sprint(" maxReceiveCount=", rp["maxReceiveCount"], " visibility=", r.Properties["VisibilityTimeout"])
			}
			queues = append(queues, desc+fmt.Sprint(" retention=", r.Properties["MessageRetentionPeriod"]))
		}
	}
	return
}

// specFacts is the same flattening of appspec, which the CDK stack is built from.
func specFacts() (functions, routes, schedules, consumers, queues []string) {
	for _, f := range appspec.Functions {
		functions = append(functions, fmt.Sprintf("%s code=. build=makefile timeout=%d memory=%d env=%v grants=%v", f.Name, f.Timeout, f.MemoryMB(), specEnv(f), specGrants(f)))
		for _, r := range f.Routes {
			routes = append(routes, fmt.Sprintf("%s %s %s %s", f.Name, r.Method, r.Path, map[bool]string{true: "JWT", false: "NONE"}[r.Auth]))
		}
		if f.Schedule != "" {
			schedules = append(schedules, fmt.Sprintf("%s %s", f.Name, f.Schedule))
		}
		if f.Access.ConsumeFrom != "" {
			consumers = append(consumers, fmt.Sprintf("%s %s [ReportBatchItemFailures] concurrency=%d", f.Name, queueID(f.Access.ConsumeFrom),
				queueSpec(f.Access.ConsumeFrom).MaxConcurrency))
		}
	}
	for _, q := range appspec.Queues {
		retention := queueRetentionDays * 24 * 3600
		queues = append(queues,
			fmt.Sprintf("%s fifo=true sse=true name=<nil> maxReceiveCount=%d visibility=%d retention=%d", queueID(q.Name), q.MaxReceiveCount, q.VisibilitySeconds, retention),
			fmt.Sprintf("%sDlq fifo=true sse=true name=<nil> retention=%d", queueID(q.Name), retention))
	}
	return
}

// samEnv lists a SAM function's own environment variable names.
func samEnv(props map[string]any) []string {
	env, _ := props["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	var out []string
	for k := range vars {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// specEnv is the environment the CDK stack gives a function beyond the shared variables.
func specEnv(f appspec.Function) []string {
	var out []string
	for _, q := range f.Access.SendTo {
		out = append(out, queueSpec(q).URLEnv)
	}
	if f.Access.DelaysRetries {
		out = append(out, queueSpec(f.Access.ConsumeFrom).URLEnv)
	}
	if f.Access.WebhookSecrets {
		out = append(out, appspec.EnvSecretARN)
	}
	if f.Access.HashKey {
		out = append(out, appspec.EnvHashKeyARN)
	}
	if f.Access.ProviderSecrets {
		out = append(out, appspec.EnvProviderSecretARN)
	}
	if f.Access.MailLinks {
		out = append(out, appspec.EnvMailSecretARN)
	}
	if f.Access.SendsEmail {
		out = append(out, appspec.EnvMailFrom, appspec.EnvMailConfigurationSet, appspec.EnvMailSendRate)
	}
	if f.Access.RedriveDLQs {
		out = append(out, appspec.EnvPayoutsDLQ, appspec.EnvDonationsDLQ)
	}
	if f.Access.ManagesTeam {
		out = append(out, appspec.EnvUserPoolID)
	}
	if f.ServesPages() {
		out = append(out, appspec.EnvOIDCClientID, appspec.EnvOIDCAuthorizeURL, appspec.EnvOIDCTokenURL, appspec.EnvOIDCLogoutURL)
	}
	slices.Sort(out)
	return out
}

// samGrants names what a SAM function's policies reach, in the words of specGrants.
func samGrants(props map[string]any) []string {
	var out []string
	policies, _ := props["Policies"].([]any)
	for _, p := range policies {
		m := p.(map[string]any)
		if statements, ok := m["Statement"].([]any); ok {
			for _, st := range statements {
				actions, _ := st.(map[string]any)["Action"].([]any)
				for _, a := range actions {
					switch {
					case st.(map[string]any)["Effect"] == "Deny":
						out = append(out, fmt.Sprint("deny:", a))
					case strings.HasPrefix(fmt.Sprint(a), "ses:"), strings.HasPrefix(fmt.Sprint(a), "cognito-idp:"):
						out = append(out, fmt.Sprint(a))
					default:
						out = append(out, fmt.Sprint("table:", a))
					}
				}
			}
		}
		for kind, v := range m {
			args, _ := v.(map[string]any)
			queue := func() string {
				q, _ := args["QueueName"].(map[string]any)
				att, _ := q["Fn::GetAtt"].([]any)
				if len(att) == 0 {
					return ""
				}
				return fmt.Sprint(att[0])
			}
			switch kind {
			case "SQSSendMessagePolicy":
				out = append(out, "send:["+queue())
			case "SQSPollerPolicy":
				out = append(out, "consume:["+queue())
			case "AWSSecretsManagerGetSecretValuePolicy":
				ref, _ := args["SecretArn"].(map[string]any)
				out = append(out, fmt.Sprint("secret:", ref["Ref"]))
			}
		}
	}
	if events, ok := props["Events"].(map[string]any); ok {
		for _, e := range events {
			switch ev := e.(map[string]any); ev["Type"] {
			case "SQS":
				q := ev["Properties"].(map[string]any)["Queue"].(map[string]any)["Fn::GetAtt"].([]any)[0]
				out = append(out, fmt.Sprint("consume:[", q))
			case "SNS":
				out = append(out, fmt.Sprint("feedback:", ev["Properties"].(map[string]any)["Topic"].(map[string]any)["Ref"]))
			}
		}
	}
	slices.Sort(out)
	return out
}

// specGrants is what appspec says a function may reach.
func specGrants(f appspec.Function) []string {
	var out []string
	for _, action := range f.Access.Table {
		out = append(out, "table:"+action)
	}
	for _, q := range f.Access.SendTo {
		out = append(out, "send:["+queueID(q))
	}
	if f.Access.ConsumeFrom != "" {
		out = append(out, "consume:["+queueID(f.Access.ConsumeFrom))
	}
	if f.Access.RedriveDLQs {
		for _, q := range appspec.Queues {
			if q.Redrive {
				out = append(out, "consume:["+queueID(q.Name)+"Dlq")
			}
		}
	}
	if f.Access.WebhookSecrets {
		out = append(out, "secret:WebhookSecrets")
	}
	if f.Access.HashKey {
		out = append(out, "secret:EmailHashKey")
	}
	if f.Access.ProviderSecrets {
		out = append(out, "secret:ProviderSecrets")
	}
	if f.Access.MailLinks {
		out = append(out, "secret:MailSecret")
	}
	if f.Access.SendsEmail {
		out = append(out, "ses:SendEmail", "feedback:MailFeedback")
	}
	if f.Access.ManagesTeam {
		out = append(out, teamActions...)
	}
	for _, action := range appspec.AuditDenied {
		out = append(out, "deny:"+action)
	}
	slices.Sort(out)
	return out
}

func TestSAMTemplateMatchesTheStack(t *testing.T) {
	gotF, gotR, gotS, gotC, gotQ := samFacts(t)
	wantF, wantR, wantS, wantC, wantQ := specFacts()
	for _, c := range []struct {
		what      string
		got, want []string
	}{{"functions", gotF, wantF}, {"routes", gotR, wantR}, {"schedules", gotS, wantS}, {"queue consumers", gotC, wantC}, {"queues", gotQ, wantQ}} {
		slices.Sort(c.got)
		slices.Sort(c.want)
		if !slices.Equal(c.got, c.want) {
			t.Errorf("template.yaml %s differ from the stack:\n got  %q\n want %q", c.what, c.got, c.want)
		}
	}
}

func TestSAMTableMatchesTheStack(t *testing.T) {
	tmpl := loadSAM(t)
	table := tmpl.Resources["Table"].Properties
	var indexes []string
	for _, ix := range table["GlobalSecondaryIndexes"].([]any) {
		m := ix.(map[string]any)
		ks := m["KeySchema"].([]any)
		indexes = append(indexes, fmt.Sprintf("%s %v %v %v", m["IndexName"], ks[0].(map[string]any)["AttributeName"], ks[1].(map[string]any)["AttributeName"],
			m["Projection"].(map[string]any)["ProjectionType"]))
	}
	var want []string
	for _, ix := range appspec.MainTable.Indexes {
		want = append(want, fmt.Sprintf("%s %s %s %s", ix.Name, ix.PartitionKey, ix.SortKey, ix.Projection()))
	}
	if !slices.Equal(indexes, want) {
		t.Errorf("indexes %v, want %v", indexes, want)
	}
	ks := table["KeySchema"].([]any)
	if ks[0].(map[string]any)["AttributeName"] != appspec.MainTable.PartitionKey || ks[1].(map[string]any)["AttributeName"] != appspec.MainTable.SortKey {
		t.Errorf("key schema %v", ks)
	}
	if table["BillingMode"] != "PAY_PER_REQUEST" || table["TimeToLiveSpecification"].(map[string]any)["AttributeName"] != appspec.MainTable.TTLAttribute {
		t.Errorf("table %v", table)
	}
}

// TestSAMRoutesMatchSynthesizedRoutes compares the two templates directly.
func TestSAMRoutesMatchSynthesizedRoutes(t *testing.T) {
	_, doc := synthesized(t)
	var cdk []string
	for _, r := range resources(doc, "AWS::ApiGatewayV2::Route") {
		cdk = append(cdk, r["RouteKey"].(string))
	}
	_, samRoutes, _, _, _ := samFacts(t)
	var sam []string
	for _, r := range samRoutes {
		f := strings.Fields(r)
		sam = append(sam, f[1]+" "+f[2])
	}
	slices.Sort(cdk)
	slices.Sort(sam)
	if !slices.Equal(cdk, sam) {
		t.Errorf("CDK routes %v\nSAM routes %v", cdk, sam)
	}
}

// bootstrapLimit is the largest stripped bootstrap a function may have: a
// larger binary is a slower cold start. The api and the mailer execute
// html/template (the unsubscribe page, message previews, e-mails); a binary
// that can run a template lets reflection call any method by name, so the
// linker keeps every exported method of each type held in an interface,
// the SDK clients' included. Their limits are their measured sizes (29.4
// and 19.8 MiB) with about 10% to spare; the others stay near 12 MiB.
func bootstrapLimit(function string) int64 {
	switch function {
	case "Api":
		return 33 << 20
	case "Mailer":
		return 22 << 20
	}
	return 15 << 20
}

// TestSAMBuildsEachFunction checks what `sam build` runs for each function
// (BuildMethod makefile calls make build-<LogicalId>): the right package and
// an arm64 Linux binary named bootstrap within the function's size limit.
func TestSAMBuildsEachFunction(t *testing.T) {
	for _, f := range appspec.Functions {
		out, err := exec.Command("make", "-s", "-n", "-C", "..", "build-"+f.Name+"Function", "ARTIFACTS_DIR=/artifacts").CombinedOutput()
		if err != nil {
			t.Fatalf("make build-%sFunction: %v\n%s", f.Name, err, out)
		}
		if cmd := string(out); !strings.HasSuffix(strings.TrimSpace(cmd), "-o /artifacts/bootstrap ./functions/"+f.Dir) || !strings.Contains(cmd, "GOARCH=arm64") {
			t.Errorf("sam build of %s would run %q", f.Name, cmd)
		}
	}
	dir := t.TempDir()
	for _, f := range appspec.Functions {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			artifacts := filepath.Join(dir, f.Name)
			if out, err := exec.Command("make", "-s", "-C", "..", "build-"+f.Name+"Function", "ARTIFACTS_DIR="+artifacts).CombinedOutput(); err != nil {
				t.Fatalf("make build-%sFunction: %v\n%s", f.Name, err, out)
			}
			bootstrap := filepath.Join(artifacts, "bootstrap")
			st, err := os.Stat(bootstrap)
			if err != nil {
				t.Fatal(err)
			}
			if limit := bootstrapLimit(f.Name); st.Size() > limit {
				t.Errorf("bootstrap is %.1f MiB; at most %.0f MiB", float64(st.Size())/(1<<20), float64(limit)/(1<<20))
			}
			bin, err := elf.Open(bootstrap)
			if err != nil {
				t.Fatal(err)
			}
			defer bin.Close()
			if bin.Machine != elf.EM_AARCH64 {
				t.Errorf("bootstrap is built for %v, want arm64", bin.Machine)
			}
		})
	}
}

var logicalIDHash = regexp.MustCompile(`[0-9A-F]{8}$`)

// comparable rewrites a resource property so the synthesized stack and the
// SAM template can be compared: references by logical id without CDK's
// hash or SAM's "Function" suffix, stage settings looked up, tags dropped.
func comparable(v any, mappings map[string]any, stage Stage) any {
	id := func(s string) string { return strings.TrimSuffix(logicalIDHash.ReplaceAllString(s, ""), "Function") }
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok {
			return map[string]any{"Ref": id(ref)}
		}
		if att, ok := x["Fn::GetAtt"].([]any); ok {
			return map[string]any{"Fn::GetAtt": []any{id(att[0].(string)), att[1]}}
		}
		if find, ok := x["Fn::FindInMap"].([]any); ok {
			return mappings["StageSettings"].(map[string]any)[string(stage)].(map[string]any)[find[2].(string)]
		}
		out := map[string]any{}
		for k, e := range x {
			if k != "Tags" && k != "AlarmActions" {
				out[k] = comparable(e, mappings, stage)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = comparable(e, mappings, stage)
		}
		return out
	case int:
		return float64(x)
	}
	return v
}

// TestSAMAlarmsAndLogRetentionMatchTheStack compares, for each stage, every
// alarm (metric, dimensions, statistic, threshold) and every log group's
// retention of template.yaml with the synthesized stack.
func TestSAMAlarmsAndLogRetentionMatchTheStack(t *testing.T) {
	raw, err := os.ReadFile("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var sam struct {
		Mappings  map[string]any `yaml:"Mappings"`
		Resources map[string]struct {
			Type       string         `yaml:"Type"`
			Properties map[string]any `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &sam); err != nil {
		t.Fatal(err)
	}
	for _, stage := range []Stage{Dev, Prod} {
		_, doc := synthesizedStage(t, stage)
		want, got := map[string]string{}, map[string]string{}
		for _, typ := range []string{"AWS::CloudWatch::Alarm", "AWS::Logs::LogGroup"} {
			for id, props := range resources(doc, typ) {
				j, _ := json.Marshal(comparable(props, nil, stage))
				want[strings.TrimSuffix(logicalIDHash.ReplaceAllString(id, ""), "Logs")] = string(j)
			}
		}
		for id, r := range sam.Resources {
			if r.Type != "AWS::CloudWatch::Alarm" && r.Type != "AWS::Logs::LogGroup" {
				continue
			}
			if r.Type == "AWS::CloudWatch::Alarm" && fmt.Sprint(r.Properties["AlarmActions"]) != "[map[Ref:AlarmsTopic]]" {
				t.Errorf("SAM alarm %s does not notify AlarmsTopic", id)
			}
			j, _ := json.Marshal(comparable(r.Properties, sam.Mappings, stage))
			got[strings.TrimSuffix(strings.TrimSuffix(id, "Logs"), "Function")] = string(j)
		}
		for id, w := range want {
			if got[id] != w {
				t.Errorf("%s: template.yaml %s differs:\n got  %s\n want %s", stage, id, got[id], w)
			}
		}
		for id := range got {
			if _, ok := want[id]; !ok {
				t.Errorf("%s: template.yaml has %s, the stack has not", stage, id)
			}
		}
	}
}

// TestSAMRetainsWhatTheStackRetains compares, for each stage, the
// DeletionPolicy and UpdateReplacePolicy of every resource the two
// templates share (a stage's Fn::If resolved as the LanguageExtensions
// transform does), and requires that what one keeps the other has.
func TestSAMRetainsWhatTheStackRetains(t *testing.T) {
	raw, err := os.ReadFile("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var sam struct {
		Resources map[string]map[string]any `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &sam); err != nil {
		t.Fatal(err)
	}
	for _, stage := range []Stage{Dev, Prod} {
		_, doc := synthesizedStage(t, stage)
		cdk := map[string]string{}
		for id, r := range doc["Resources"].(map[string]any) {
			cdk[strings.TrimSuffix(logicalIDHash.ReplaceAllString(id, ""), "Function")] = removalPolicies(t, r.(map[string]any), stage)
		}
		got := map[string]string{}
		for id, r := range sam.Resources {
			got[strings.Replace(strings.TrimSuffix(id, "Function"), "FunctionLogs", "Logs", 1)] = removalPolicies(t, r, stage)
		}
		const deleted = "Delete/Delete"
		for id, want := range cdk {
			if g, ok := got[id]; ok && g != want || !ok && want != deleted {
				t.Errorf("%s: %s: template.yaml %q, the stack %q (DeletionPolicy/UpdateReplacePolicy)", stage, id, g, want)
			}
		}
		for id, g := range got {
			if _, ok := cdk[id]; !ok && g != deleted {
				t.Errorf("%s: template.yaml keeps %s (%s), which the stack has not", stage, id, g)
			}
		}
	}
}

// removalPolicies is a resource's "DeletionPolicy/UpdateReplacePolicy" in
// a stage; CloudFormation deletes what names neither.
func removalPolicies(t *testing.T, resource map[string]any, stage Stage) string {
	policy := func(attr string) string {
		switch v := resource[attr].(type) {
		case nil:
			return "Delete"
		case string:
			return v
		case map[string]any:
			if choice, ok := v["Fn::If"].([]any); ok && len(choice) == 3 && choice[0] == "IsProd" {
				return fmt.Sprint(choice[map[bool]int{true: 1, false: 2}[stage == Prod]])
			}
		}
		t.Fatalf("%s: %v is neither a policy nor Fn::If [IsProd, ...]", attr, resource[attr])
		return ""
	}
	return policy("DeletionPolicy") + "/" + policy("UpdateReplacePolicy")
}
