package app_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/auth"
)

// A token naming a partner and a staff group would read every partner as
// finance and redeem as the partner; it is refused whole, and nothing it
// asks for is written.
func TestAMixedTokenIsRefused(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"Acme Tools","email":"sales@acme.example"}`)
	other := h.createPartner(`{"name":"Other Shop","email":"other@shop.example"}`)
	id := p["id"].(string)
	mixed, err := auth.HS256{Secret: []byte("test-jwt")}.Issue("user-"+id, []string{auth.GroupFinance}, id, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	before := h.itemCount()
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/partners/" + other["id"].(string), ""},
		{"GET", "/v1/partners", ""},
		{"POST", "/v1/redemptions", `{"reward_id":"mug","quantity":1}`},
		{"POST", "/v1/payout-batches", ""},
	} {
		res := h.do(c.method, c.path, mixed, []byte(c.body), nil)
		if res.Status != 401 || res.errorCode() != "mixed_principal" || res.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: %d %v %s", c.method, c.path, res.Status, res.Header, res.Raw)
		}
	}
	if after := h.itemCount(); after != before {
		t.Errorf("refused requests wrote %d items", after-before)
	}
	// The same partner's own token still works.
	if res := h.do("GET", "/v1/partners/"+id, h.partnerToken(id), nil, nil); res.Status != 200 {
		t.Errorf("partner token: %d %s", res.Status, res.Raw)
	}
}

// Behind API Gateway the authorizer's claims get the same rule.
func TestAMixedTokenIsRefusedBehindTheGateway(t *testing.T) {
	h := newHarness(t)
	srv := *h.app.Server
	srv.Authenticate = app.GatewayJWT
	proxy := httpadapter.NewV2(srv.Handler(app.Function("api").Routes))
	for groups, want := range map[string]int{"[]": 404, "[finance]": 401, `["admin"]`: 401} {
		var ev events.APIGatewayV2HTTPRequest
		loadEvent(t, "apigw-get-partner-as-partner.json", &ev)
		ev.RequestContext.Authorizer.JWT.Claims["groups"] = groups
		res, err := proxy.ProxyWithContext(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal([]byte(res.Body), &body)
		if res.StatusCode != want || (want == 401 && body.Error.Code != "mixed_principal") {
			t.Errorf("partner token with groups %s: %d %s", groups, res.StatusCode, res.Body)
		}
	}
}

// RFC 7235: the scheme name is case-insensitive.
func TestTheBearerSchemeIsCaseInsensitive(t *testing.T) {
	h := newHarness(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		if res := h.do("GET", "/v1/me", "", nil, map[string]string{"Authorization": scheme + " " + h.tokens["alice"]}); res.Status != 200 {
			t.Errorf("%s: %d %s", scheme, res.Status, res.Raw)
		}
	}
	if res := h.do("GET", "/v1/me", "", nil, map[string]string{"Authorization": "Basic " + h.tokens["alice"]}); res.errorCode() != "unauthenticated" {
		t.Errorf("Basic: %d %s", res.Status, res.Raw)
	}
}
