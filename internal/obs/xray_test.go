package obs

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Each AWS call of a sampled invocation reaches the daemon as a subsegment
// of the invocation's segment; unsampled invocations send nothing.
func TestAWSCallsBecomeSubsegments(t *testing.T) {
	daemon, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-RequestId", "req-42")
		_, _ = w.Write([]byte(`{"TableNames":[]}`))
	}))
	defer fake.Close()
	cfg := aws.Config{Region: "eu-central-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")}
	TraceAWSCalls(&cfg.APIOptions, daemon.LocalAddr().String())
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(fake.URL) })

	sampled := context.WithValue(context.Background(), "x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	if _, err := db.ListTables(sampled, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	_ = daemon.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, _, err := daemon.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	header, body, _ := bytes.Cut(buf[:n], []byte("\n"))
	var doc struct {
		Name, ID, Type, Namespace string
		TraceID                   string                                `json:"trace_id"`
		ParentID                  string                                `json:"parent_id"`
		StartTime                 json.Number                           `json:"start_time"`
		EndTime                   json.Number                           `json:"end_time"`
		AWS                       struct{ Operation, RequestID string } `json:"aws"`
		HTTP                      struct{ Response struct{ Status int } }
	}
	if err := json.Unmarshal(body, &doc); err != nil || string(header) != `{"format":"json","version":1}` {
		t.Fatalf("%s %v", buf[:n], err)
	}
	if doc.Name != "DynamoDB" || doc.AWS.Operation != "ListTables" || doc.TraceID != "1-5759e988-bd862e3fe1be46a994272793" ||
		doc.ParentID != "53995c3f42cd8ad8" || doc.Type != "subsegment" || doc.HTTP.Response.Status != 200 || len(doc.ID) != 16 ||
		doc.StartTime == "" || doc.EndTime < doc.StartTime {
		t.Fatalf("subsegment %s", body)
	}
	unsampled := context.WithValue(context.Background(), "x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0")
	if _, err := db.ListTables(unsampled, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatal(err)
	}
	_ = daemon.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, _, err := daemon.ReadFrom(buf); err == nil {
		t.Fatal("an unsampled call was traced")
	}
}
