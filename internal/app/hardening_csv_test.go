package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/partnerloop/partnerloop/internal/devenv/devtest"
)

// formulaEmail is a valid RFC 5322 address that a spreadsheet runs.
const formulaEmail = "=cmd|'/Ccalc'!A0@x.example"

// Values PayPal, Wise or a bank read as they are cannot be neutralised in a
// file without changing them, so a formula is refused where they come in.
func TestFormulaValuesProvidersReadVerbatimAreRefused(t *testing.T) {
	h := newHarness(t)
	pp := h.createPartner(`{"name":"Pay Pal Ltd","email":"pp@p.example","payout":{"method":"paypal"}}`)
	before := h.itemCount()
	for _, c := range []struct{ method, path, body, code, field string }{
		{"POST", "/v1/partners", `{"name":"=1+1","email":"a@a.example"}`, "invalid_partner", "name"},
		{"POST", "/v1/partners", `{"name":"\t-2+3","email":"a@a.example"}`, "invalid_partner", "name"},
		{"POST", "/v1/partners", fmt.Sprintf(`{"name":"A","email":%q}`, formulaEmail), "invalid_partner", "email"},
		{"POST", "/v1/partners", `{"name":"A","email":"a@a.example","payout":{"method":"wise","email":"@SUM(1)@x.example"}}`, "invalid_partner", "payout.email"},
		{"PATCH", "/v1/partners/" + pp["id"].(string) + "/settings", fmt.Sprintf(`{"payout_email":%q}`, formulaEmail), "invalid_partner", "payout_email"},
		{"PATCH", "/v1/partners/" + pp["id"].(string) + "/settings", `{"payout_email":"+1@x.example"}`, "invalid_partner", "payout_email"},
		{"POST", "/v1/charities", `{"id":"ch_formula","name":"=1+1","registration_number":"VR 1","country":"DE"}`, "invalid_charity", "name"},
	} {
		res := h.do(c.method, c.path, h.tokens["alice"], []byte(c.body), nil)
		if e, _ := res.Body["error"].(map[string]any); res.Status != 422 || res.errorCode() != c.code || e["field"] != c.field {
			t.Errorf("%s %s %s: %d %s, want 422 %s naming %s", c.method, c.path, c.body, res.Status, res.Raw, c.code, c.field)
		}
	}
	if h.itemCount() != before {
		t.Fatal("a refused request wrote something")
	}
	if res := h.do("POST", "/v1/partners", h.tokens["alice"], []byte(`{"name":"Anna-Lena = Acme","email":"a.b-c@x.example"}`), nil); res.Status != 201 {
		t.Fatalf("a formula character inside a value: %d %s", res.Status, res.Raw)
	}
}

// storeAsBefore overwrites stored partner attributes (dotted paths), as a
// partner saved before formulas were refused at input may hold them.
func (h *harness) storeAsBefore(partnerID string, values map[string]string) {
	h.t.Helper()
	var sets []string
	names, vals := map[string]string{}, map[string]types.AttributeValue{}
	for path, v := range values {
		var refs []string
		for _, part := range strings.Split(path, ".") {
			names["#"+part] = part
			refs = append(refs, "#"+part)
		}
		ref := fmt.Sprintf(":v%d", len(vals))
		vals[ref] = &types.AttributeValueMemberS{Value: v}
		sets = append(sets, strings.Join(refs, ".")+" = "+ref)
	}
	_, err := h.env.DB.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: aws.String(h.env.Table),
		Key:              map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "PARTNER#" + partnerID}, "sk": &types.AttributeValueMemberS{Value: "PROFILE"}},
		UpdateExpression: aws.String("SET " + strings.Join(sets, ", ")), ExpressionAttributeNames: names, ExpressionAttributeValues: vals})
	if err != nil {
		h.t.Fatal(err)
	}
}

func TestPayoutFilesNeutraliseFormulaCells(t *testing.T) {
	h := newHarness(t)
	pp := h.createPartner(`{"name":"Pay Pal Ltd","email":"pp@p.example","payout":{"method":"paypal"}}`)
	wi := h.createPartner(`{"name":"Wise Guys GmbH","email":"w@w.example","payout":{"method":"wise","email":"finance@w.example"}}`)
	h.storeAsBefore(pp["id"].(string), map[string]string{"email": formulaEmail})
	h.storeAsBefore(wi["id"].(string), map[string]string{"name": "=1+1", "payout.email": "@x@w.example"})
	for i, p := range []map[string]any{pp, wi} {
		h.postGeneric("/webhooks/orders", genericOrder(fmt.Sprint("e", i), fmt.Sprint("o", i), p["referral_code"].(string), "EUR", 24000))
	}
	batch := h.do("POST", "/v1/payout-batches", h.tokens["alice"], nil, nil).Body["id"].(string)
	h.do("POST", "/v1/payout-batches/"+batch+"/approve", h.tokens["bob"], nil, nil)
	for range 3 {
		if _, err := sqsqueuePoll(h, h.env.PayoutsURL()); err != nil {
			t.Fatal(err)
		}
	}
	export := "/v1/payout-batches/" + batch + "/export?currency=EUR&format="
	paypal := h.do("GET", export+"paypal", h.tokens["alice"], nil, nil)
	want := fmt.Sprintf("'%s,12.00,EUR,%s,Partner commission %s,PAYPAL\n", formulaEmail, pp["id"], batch)
	if paypal.Status != 200 || string(paypal.Raw) != want {
		t.Fatalf("paypal file %d:\n%s\nwant\n%s", paypal.Status, paypal.Raw, want)
	}
	wise := strings.Split(strings.TrimSpace(string(h.do("GET", export+"wise", h.tokens["alice"], nil, nil).Raw)), "\n")
	if len(wise) != 2 || !strings.HasPrefix(wise[1], "'=1+1,'@x@w.example,") || !strings.HasSuffix(wise[1], ",BUSINESS,target,12.00,EUR,EUR,EMAIL") {
		t.Fatalf("wise file %q", wise)
	}
}

func TestReportCSVsNeutraliseFormulaCells(t *testing.T) {
	h := newHarness(t)
	p := h.createPartner(`{"name":"Acme","email":"a@acme.example"}`)
	h.storeAsBefore(p["id"].(string), map[string]string{"name": `=HYPERLINK("http://x.example","ok")`})
	h.postGeneric("/webhooks/orders", genericOrder("e1", "o1", p["referral_code"].(string), "EUR", 10000))
	month := time.Now().UTC().Format("2006-01")
	res := h.do("GET", "/v1/reports/roi?from="+month+"&to="+month+"&format=csv", h.tokens["alice"], nil, nil)
	want := fmt.Sprintf("%s,\"'=HYPERLINK(\"\"http://x.example\"\",\"\"ok\"\")\",authorized,EUR,10000,0,500,0,0,200000\n", p["id"])
	if lines := strings.SplitAfter(string(res.Raw), "\n"); res.Status != 200 || len(lines) != 3 || lines[1] != want {
		t.Fatalf("roi csv %d:\n%s\nwant second line\n%s", res.Status, res.Raw, want)
	}
}

// The portal's statement CSV is built in the browser from what shops sent:
// an order id is theirs to choose.
func TestPortalCSVNeutralisesFormulaCells(t *testing.T) {
	h := newHarness(t)
	srv := h.site("pt_none")
	tab := devtest.NewBrowser(t, srv.URL).NewTab("en-US", 800, 600)
	tab.Open("/portal/")
	tab.Wait("button", "Sign in as Demo Reseller (partner)") // a page of the origin, settled
	got := tab.Evaluate(`import('/assets/ui.js').then(({ csvBlob }) => csvBlob(['order_id', 'hold_reason', 'amount'],
		[['=HYPERLINK("http://x.example","ok")', 'line\rbreak', '-12.50'], ['@SUM(A1)', '+1', '7']]).text())`)
	want := `"order_id,hold_reason,amount\n\"'=HYPERLINK(\"\"http://x.example\"\",\"\"ok\"\")\",\"line\rbreak\",-12.50\n'@SUM(A1),'+1,7\n"`
	if got != want {
		t.Fatalf("statement CSV\n got %s\nwant %s", got, want)
	}
}
