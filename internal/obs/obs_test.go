package obs

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"
)

func TestLogLinesCarryTheRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf).With("fn", "webhooks")
	log.InfoContext(WithRequestID(context.Background(), "req-1"), "hello", "k", 1)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["request_id"] != "req-1" || line["fn"] != "webhooks" {
		t.Fatalf("%s %v", buf.String(), err)
	}
}

// The line is what CloudWatch's embedded metric format specifies: the
// directive under _aws names each metric and its dimensions, and the
// values sit at the top level.
func TestEMFLine(t *testing.T) {
	var buf bytes.Buffer
	m := NewMetrics(&buf)
	m.Now = func() time.Time { return time.UnixMilli(1_800_000_000_000) }
	m.Emit(map[string]string{"Source": "shopify", "Currency": "EUR"}, Metric{"OrdersApplied", Count, 1}, Metric{"CommissionAccrued", None, 1200})
	var line struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Source, Currency  string
		OrdersApplied     int64
		CommissionAccrued int64
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	d := line.AWS.CloudWatchMetrics[0]
	if line.AWS.Timestamp != 1_800_000_000_000 || d.Namespace != "Partnerloop" || len(d.Dimensions) != 1 ||
		len(d.Dimensions[0]) != 2 || d.Dimensions[0][0] != "Currency" || len(d.Metrics) != 2 || d.Metrics[1].Unit != "None" ||
		line.Source != "shopify" || line.OrdersApplied != 1 || line.CommissionAccrued != 1200 {
		t.Fatalf("%s", buf.String())
	}
	var nilMetrics *Metrics
	nilMetrics.Emit(nil, Metric{"X", Count, 1}) // a function without metrics configured emits nothing
}
