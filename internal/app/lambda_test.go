package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/httpapi/apispec"
	"github.com/partnerloop/partnerloop/internal/sqsqueue"
)

func loadEvent(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile("../../events/lambda/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}

// TestSampleGatewayEventsThroughTheLambdaAdapter runs the sample events (the
// ones `sam local invoke` uses) through the Lambda adapter with claims from
// the API Gateway JWT authorizer.
func TestSampleGatewayEventsThroughTheLambdaAdapter(t *testing.T) {
	h := newHarness(t)
	srv := *h.app.Server
	srv.Authenticate = app.GatewayJWT
	before := h.itemCount()
	for _, tc := range []struct {
		file   string
		fn     string
		status int
		code   string
	}{
		{"apigw-healthz.json", "api", 200, ""},
		{"apigw-get-partner-as-partner.json", "api", 404, "not_found"}, // another partner's id
		{"apigw-create-batch-as-finance.json", "api", 409, "nothing_payable"},
		{"webhook-generic-order.json", "webhooks", 401, "invalid_signature"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var ev events.APIGatewayV2HTTPRequest
			loadEvent(t, tc.file, &ev)
			proxy := httpadapter.NewV2(srv.Handler(app.Function(tc.fn).Routes))
			res, err := proxy.ProxyWithContext(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Error struct{ Code string } `json:"error"`
			}
			_ = json.Unmarshal([]byte(res.Body), &body)
			if res.StatusCode != tc.status || body.Error.Code != tc.code {
				t.Fatalf("got %d %s, want %d %s", res.StatusCode, res.Body, tc.status, tc.code)
			}
			reqHeader, resHeader := http.Header{}, http.Header{}
			for k, v := range ev.Headers {
				reqHeader.Set(k, v)
			}
			for k, v := range res.Headers {
				resHeader.Set(k, v)
			}
			if err := describedAPI(t).Check(context.Background(), apispec.Exchange{Method: ev.RequestContext.HTTP.Method,
				Path: ev.RawPath, Header: reqHeader, Body: []byte(ev.Body), Status: res.StatusCode, RespHeader: resHeader,
				RespBody: []byte(res.Body)}); err != nil {
				t.Error(err)
			}
		})
	}
	if h.itemCount() != before {
		t.Fatal("sample events wrote to the table")
	}
}

func TestUnknownAndPoisonMessagesAreReportedAsFailures(t *testing.T) {
	h := newHarness(t)
	var ev events.SQSEvent
	loadEvent(t, "sqs-payout.json", &ev)
	res := sqsqueue.HandleBatch(context.Background(), h.app.Payouts, ev, nil)
	var failed []string
	for _, f := range res.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	slices.Sort(failed)
	want := []string{ev.Records[1].MessageId, ev.Records[0].MessageId}
	slices.Sort(want)
	if !slices.Equal(failed, want) {
		t.Fatalf("failures %v, want %v", failed, want)
	}
}
