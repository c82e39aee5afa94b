package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// thresholds are what pages someone, per stage: prod pages on the first
// error, dev only on a pattern.
type thresholds struct {
	functionErrors  float64 // errors per function in 5 minutes
	api5xxPercent   float64 // of requests in 5 minutes
	oldestMessageS  float64 // age of a queue's oldest message
	rejectedPer5Min float64 // signature rejections per source
}

func (s Stage) thresholds() thresholds {
	if s == Prod {
		return thresholds{functionErrors: 1, api5xxPercent: 1, oldestMessageS: 900, rejectedPer5Min: 5}
	}
	return thresholds{functionErrors: 5, api5xxPercent: 5, oldestMessageS: 3600, rejectedPer5Min: 20}
}

// OutboxAlarmSeconds: an approved batch whose legs are not all settled
// after 30 minutes means the dispatcher or the workers are stuck.
const OutboxAlarmSeconds = 1800

var fiveMinutes = awscdk.Duration_Minutes(jsii.Number(5))

// newMonitoring adds the alarms (into one SNS topic) and the dashboard the
// runbook (docs/operations.md) explains, alarm by alarm.
func newMonitoring(stack awscdk.Stack, stage Stage, email string, api awsapigatewayv2.HttpApi,
	functions map[string]awslambda.Function, queues, dlqs map[string]awssqs.Queue, scheduleDLQ awssqs.Queue) {
	topic := awssns.NewTopic(stack, jsii.String("Alarms"), &awssns.TopicProps{EnforceSSL: jsii.Bool(true)})
	if email != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	}
	th := stage.thresholds()
	alarm := func(id, description string, metric awscloudwatch.IMetric, threshold float64) {
		a := awscloudwatch.NewAlarm(stack, jsii.String(id), &awscloudwatch.AlarmProps{
			Metric: metric, Threshold: jsii.Number(threshold), EvaluationPeriods: jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
			AlarmDescription:   jsii.String(description + " See docs/operations.md#" + strings.ToLower(id) + "."),
		})
		a.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
	}
	max5 := &awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Maximum")}
	sum5 := &awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")}

	for _, name := range sortedKeys(dlqs) {
		id := queueID(name)
		q := queueSpec(name)
		alarm(id+"DlqMessages", fmt.Sprintf("A message reached the %s dead-letter queue: it failed %d times.", name, q.MaxReceiveCount),
			dlqs[name].MetricApproximateNumberOfMessagesVisible(max5), 1)
		alarm(id+"OldestMessage", "The oldest message of "+name+" waits too long: its worker is failing or throttled.",
			queues[name].MetricApproximateAgeOfOldestMessage(max5), cmp.Or(float64(q.AgeAlarmSeconds), th.oldestMessageS))
	}
	alarm("ScheduleDlqMessages", "A schedule tick could not invoke its function.", scheduleDLQ.MetricApproximateNumberOfMessagesVisible(max5), 1)
	for _, f := range appspec.Functions {
		fn := functions[f.Name]
		alarm(f.Name+"Errors", "The "+f.Name+" function failed.", fn.MetricErrors(sum5), th.functionErrors)
		alarm(f.Name+"Throttles", "The "+f.Name+" function was throttled.", fn.MetricThrottles(sum5), 1)
	}
	apiMetric := func(name string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("AWS/ApiGateway"), MetricName: jsii.String(name),
			DimensionsMap: &map[string]*string{"ApiId": api.ApiId()}, Period: fiveMinutes, Statistic: jsii.String("Sum")})
	}
	alarm("Api5xxRate", "More than the threshold's percent of API requests answered 5xx.", awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String("100 * errors / MAX([requests, 1])"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{"errors": apiMetric("5xx"), "requests": apiMetric("Count")},
		Period:       fiveMinutes, Label: jsii.String("5xx %"),
	}), th.api5xxPercent)
	alarm("OutboxAge", "An approved payout batch is not fully settled after 30 minutes.",
		businessMetric("OutboxAge", "Maximum", map[string]string{"Function": "dispatcher"}), OutboxAlarmSeconds)
	for _, source := range webhookSources() {
		alarm("Rejected"+strings.ToUpper(source[:1])+source[1:]+"Signatures",
			"Deliveries from "+source+" fail their signature: the shop's secret changed without ours.",
			businessMetric("OrdersRejected", "Sum", map[string]string{"Source": source, "Reason": "invalid_signature"}), th.rejectedPer5Min)
	}
	newDashboard(stack, stage, api, functions, queues, dlqs, apiMetric)
}

func businessMetric(name, statistic string, dims map[string]string) awscloudwatch.Metric {
	m := map[string]*string{}
	for k, v := range dims {
		m[k] = jsii.String(v)
	}
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String(appspec.MetricsNamespace), MetricName: jsii.String(name),
		DimensionsMap: &m, Period: fiveMinutes, Statistic: jsii.String(statistic)})
}

// search graphs every series of a metric, whatever its dimension values
// (each source, each currency).
func search(metric, dimension, statistic string) awscloudwatch.IMetric {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("SEARCH('{" + appspec.MetricsNamespace + "," + dimension + "} MetricName=\"" + metric + "\"', '" + statistic + "', 300)"),
		Period:     fiveMinutes, Label: jsii.String(metric),
	})
}

// newDashboard shows each function's golden signals (traffic, errors,
// latency, saturation) and the business metrics.
func newDashboard(stack awscdk.Stack, stage Stage, api awsapigatewayv2.HttpApi, functions map[string]awslambda.Function,
	queues, dlqs map[string]awssqs.Queue, apiMetric func(string) awscloudwatch.Metric) {
	graph := func(title string, metrics ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &metrics, Width: jsii.Number(8), Height: jsii.Number(6)})
	}
	p99 := &awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("p99")}
	sum5 := &awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Sum")}
	max5 := &awscloudwatch.MetricOptions{Period: fiveMinutes, Statistic: jsii.String("Maximum")}
	rows := [][]awscloudwatch.IWidget{{
		graph("API requests and errors", apiMetric("Count"), apiMetric("4xx"), apiMetric("5xx")),
		graph("Orders by source", search("OrdersApplied", "Source", "Sum"), search("OrdersDuplicate", "Source", "Sum"),
			search("OrdersRejected", "Reason,Source", "Sum")),
		graph("Commission accrued (minor units)", search("CommissionAccrued", "Currency", "Sum")),
	}, {
		graph("Payout legs", search("LegsPaid", "Leg", "Sum"), search("LegsFailed", "Leg", "Sum"), search("LegsRetried", "Leg", "Sum")),
		graph("Outbox", businessMetric("OutboxOpen", "Maximum", map[string]string{"Function": "dispatcher"}),
			businessMetric("OutboxAge", "Maximum", map[string]string{"Function": "dispatcher"})),
		graph("Clicks and webhook latency p99", businessMetric("Clicks", "Sum", map[string]string{"Source": "link"}), search("WebhookLatency", "Source", "p99")),
	}}
	var queueRow []awscloudwatch.IWidget
	for _, name := range sortedKeys(queues) {
		queueRow = append(queueRow, graph(name+" queue", queues[name].MetricApproximateNumberOfMessagesVisible(max5),
			queues[name].MetricApproximateAgeOfOldestMessage(max5), dlqs[name].MetricApproximateNumberOfMessagesVisible(max5)))
	}
	rows = append(rows, queueRow)
	var row []awscloudwatch.IWidget
	for _, f := range appspec.Functions {
		fn := functions[f.Name]
		row = append(row, graph(f.Name, fn.MetricInvocations(sum5), fn.MetricErrors(sum5), fn.MetricThrottles(sum5), fn.MetricDuration(p99)))
		if len(row) == 3 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	widgets := make([]*[]awscloudwatch.IWidget, len(rows))
	for i := range rows {
		widgets[i] = &rows[i]
	}
	dashboard := awscloudwatch.NewDashboard(stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String("partnerloop-" + string(stage)), Widgets: &widgets,
	})
	// CloudFormation takes tags on dashboards (since May 2026) but cfn-lint's
	// schema does not know them yet: its E3002 is silenced here alone.
	dashboard.Node().DefaultChild().(awscdk.CfnResource).AddMetadata(jsii.String("cfn-lint"),
		map[string]any{"config": map[string]any{"ignore_checks": []string{"E3002"}}})
}

// webhookSources are the senders with a webhook route ("orders" is the generic one).
func webhookSources() []string {
	var out []string
	for _, r := range appspec.AllRoutes() {
		if source, ok := strings.CutPrefix(r.Path, "/webhooks/"); ok {
			out = append(out, source)
		}
	}
	slices.Sort(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
