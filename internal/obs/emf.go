package obs

import (
	"encoding/json"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// Namespace is the CloudWatch namespace of every metric.
const Namespace = appspec.MetricsNamespace

// Units CloudWatch understands.
const (
	Count        = "Count"
	Milliseconds = "Milliseconds"
	Seconds      = "Seconds"
	None         = "None"
)

// Metric is one value of an EMF line.
type Metric struct {
	Name  string
	Unit  string
	Value int64
}

// Metrics writes EMF lines. Dimensions are few and bounded (source,
// reason, currency, queue, function): never a partner or order id, so the
// number of metric series stays fixed however large the program grows.
type Metrics struct {
	mu  sync.Mutex
	w   io.Writer
	Now func() time.Time
}

// NewMetrics writes to w (stdout in Lambda, where CloudWatch Logs picks it up).
func NewMetrics(w io.Writer) *Metrics { return &Metrics{w: w, Now: time.Now} }

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// Emit writes one line with the metrics under the given dimensions.
func (m *Metrics) Emit(dims map[string]string, metrics ...Metric) {
	if m == nil || len(metrics) == 0 {
		return
	}
	keys := slices.Sorted(maps.Keys(dims))
	line := make(map[string]any, len(dims)+len(metrics)+1)
	directive := emfDirective{Namespace: Namespace, Dimensions: [][]string{keys}}
	for _, k := range keys {
		line[k] = dims[k]
	}
	for _, v := range metrics {
		directive.Metrics = append(directive.Metrics, emfMetric{Name: v.Name, Unit: v.Unit})
		line[v.Name] = v.Value
	}
	line["_aws"] = emfMeta{Timestamp: m.Now().UnixMilli(), CloudWatchMetrics: []emfDirective{directive}}
	b, err := json.Marshal(line)
	if err != nil {
		return // only strings and integers: cannot happen
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, _ = m.w.Write(append(b, '\n')) // a lost metric line must not fail the request
}
