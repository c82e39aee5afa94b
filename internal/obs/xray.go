package obs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// TraceAWSCalls records every AWS SDK call of a sampled Lambda invocation
// as an X-Ray subsegment of the function's segment (active tracing),
// sent to the X-Ray daemon address Lambda provides. It is a few lines of
// the daemon's documented UDP protocol rather than the X-Ray SDK, which
// would bring the v1 AWS SDK and gRPC into every binary (11 MB → 31 MB,
// and a slower cold start).
func TraceAWSCalls(apiOptions *[]func(*middleware.Stack) error, daemonAddr string) {
	if daemonAddr == "" {
		return
	}
	conn, err := net.Dial("udp", daemonAddr)
	if err != nil {
		return // tracing is best effort; the call itself must not fail
	}
	*apiOptions = append(*apiOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("PartnerloopXRay",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				trace, ok := sampledTrace(ctx)
				if !ok {
					return next.HandleInitialize(ctx, in)
				}
				start := time.Now()
				out, md, err := next.HandleInitialize(ctx, in)
				doc := subsegment(trace, awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), start, time.Now(), md, err)
				_, _ = conn.Write(doc) // best effort, like the daemon protocol itself
				return out, md, err
			}), middleware.After)
	})
}

// traceHeader is the parts of "Root=1-…;Parent=…;Sampled=1" a subsegment needs.
type traceHeader struct{ root, parent string }

// sampledTrace reads the invocation's trace header, which the Lambda
// runtime puts in the context.
func sampledTrace(ctx context.Context) (traceHeader, bool) {
	raw, _ := ctx.Value("x-amzn-trace-id").(string)
	var h traceHeader
	sampled := false
	for _, part := range strings.Split(raw, ";") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "Root":
			h.root = v
		case "Parent":
			h.parent = v
		case "Sampled":
			sampled = v == "1"
		}
	}
	return h, sampled && h.root != "" && h.parent != ""
}

// epochSeconds writes a time as X-Ray wants it (seconds with a fraction)
// without going through a float.
type epochSeconds time.Time

func (t epochSeconds) MarshalJSON() ([]byte, error) {
	ns := time.Time(t).UnixNano()
	return fmt.Appendf(nil, "%d.%06d", ns/1e9, ns%1e9/1e3), nil
}

type segmentDoc struct {
	Name      string       `json:"name"`
	ID        string       `json:"id"`
	TraceID   string       `json:"trace_id"`
	ParentID  string       `json:"parent_id"`
	StartTime epochSeconds `json:"start_time"`
	EndTime   epochSeconds `json:"end_time"`
	Type      string       `json:"type"`
	Namespace string       `json:"namespace"`
	AWS       struct {
		Operation string `json:"operation"`
		RequestID string `json:"request_id,omitempty"`
	} `json:"aws"`
	HTTP struct {
		Response struct {
			Status int `json:"status,omitempty"`
		} `json:"response"`
	} `json:"http"`
	Error bool `json:"error,omitempty"` // 4xx: a conditional check that failed, say
	Fault bool `json:"fault,omitempty"` // 5xx or no answer
}

// subsegment is one daemon datagram: the protocol header line, then the document.
func subsegment(h traceHeader, service, operation string, start, end time.Time, md middleware.Metadata, callErr error) []byte {
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	doc := segmentDoc{Name: service, ID: hex.EncodeToString(id), TraceID: h.root, ParentID: h.parent,
		StartTime: epochSeconds(start), EndTime: epochSeconds(end), Type: "subsegment", Namespace: "aws"}
	doc.AWS.Operation = operation
	doc.AWS.RequestID, _ = awsmiddleware.GetRequestIDMetadata(md)
	if res, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
		doc.HTTP.Response.Status = res.StatusCode
	}
	status := doc.HTTP.Response.Status
	doc.Error = status >= 400 && status < 500
	doc.Fault = status >= 500 || callErr != nil && status == 0
	b, _ := json.Marshal(doc)
	return append([]byte("{\"format\":\"json\",\"version\":1}\n"), b...)
}
