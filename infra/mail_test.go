package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestOnlyTheMailerSendsAndOnlyFromTheIdentityThroughTheConfigurationSet(t *testing.T) {
	_, doc := synthesized(t)
	senders := map[string][]string{}
	for id, p := range resources(doc, "AWS::IAM::Policy") {
		statements, _ := p["PolicyDocument"].(map[string]any)["Statement"].([]any)
		for _, st := range statements {
			st := st.(map[string]any)
			raw, _ := json.Marshal(st["Action"])
			if !strings.Contains(string(raw), "ses:") {
				continue
			}
			if string(raw) != `"ses:SendEmail"` {
				t.Errorf("%s: SES actions %s", id, raw)
			}
			resources, _ := json.Marshal(st["Resource"])
			senders[id] = append(senders[id], string(resources))
		}
	}
	if len(senders) != 1 {
		t.Fatalf("policies allowing SES: %v", senders)
	}
	for id, res := range senders {
		if !strings.HasPrefix(id, "Mailer") || len(res) != 1 || !strings.Contains(res[0], ":identity/shop.example") ||
			!strings.Contains(res[0], ":configuration-set/") || strings.Contains(res[0], "*") {
			t.Errorf("%s may send to %v", id, res)
		}
	}
	destinations := resources(doc, "AWS::SES::ConfigurationSetEventDestination")
	if len(destinations) != 1 {
		t.Fatalf("event destinations %v", destinations)
	}
	for _, d := range destinations {
		dest := d["EventDestination"].(map[string]any)
		types := dest["MatchingEventTypes"].([]any)
		if len(types) != 2 || !slices.Contains(types, any("bounce")) || !slices.Contains(types, any("complaint")) || dest["SnsDestination"] == nil {
			t.Errorf("event destination %v", dest)
		}
	}
	var mailerHears bool
	for _, s := range resources(doc, "AWS::SNS::Subscription") {
		raw, _ := json.Marshal(s["Endpoint"])
		mailerHears = mailerHears || s["Protocol"] == "lambda" && strings.Contains(string(raw), "Mailer")
	}
	if !mailerHears {
		t.Error("the Mailer does not hear of bounces and complaints")
	}
}
