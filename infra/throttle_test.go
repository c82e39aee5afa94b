package main

import (
	"fmt"
	"os"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// TestPublicWritesAreThrottledPerRoute holds both templates' stage to the
// route limits appspec gives the public routes that write.
func TestPublicWritesAreThrottledPerRoute(t *testing.T) {
	want := map[string]string{}
	for route, th := range appspec.RouteThrottles {
		want[route] = fmt.Sprintf("%g/%d", th.Rate, th.Burst)
	}
	read := func(settings map[string]any) map[string]string {
		got := map[string]string{}
		for route, v := range settings {
			s := v.(map[string]any)
			got[route] = fmt.Sprintf("%v/%v", s["ThrottlingRateLimit"], s["ThrottlingBurstLimit"])
		}
		return got
	}
	_, doc := synthesized(t)
	for _, st := range resources(doc, "AWS::ApiGatewayV2::Stage") {
		settings, _ := st["RouteSettings"].(map[string]any)
		if got := read(settings); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("CDK stage route settings %v, want %v", got, want)
		}
	}
	raw, err := os.ReadFile("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var sam struct {
		Resources struct {
			HttpApi struct {
				Properties struct {
					RouteSettings map[string]any `yaml:"RouteSettings"`
				} `yaml:"Properties"`
			} `yaml:"HttpApi"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &sam); err != nil {
		t.Fatal(err)
	}
	if got := read(sam.Resources.HttpApi.Properties.RouteSettings); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("template.yaml route settings %v, want %v", got, want)
	}
	for route := range want {
		found := false
		for _, r := range appspec.AllRoutes() {
			found = found || r.Method+" "+r.Path == route
		}
		if !found {
			t.Errorf("%s is throttled but no function serves it", route)
		}
	}
}
