package app_test

import (
	"fmt"
	"testing"
)

// couponOrder is a paid order of 400.00 EUR with coupon, naming the click
// it came by when clickID is set.
func couponOrder(orderID, coupon, clickID string) []byte {
	return fmt.Appendf(nil, `{"id":"evt_%s","type":"order.paid","order":{"id":%q,"currency":"EUR","coupon":%q,"click_id":%q,
		"customer":{"id":"c_%s","email":"%s@buyer.example"},"lines":[{"sku":"SKU-1","quantity":1,"amount":40000}]}}`, orderID, orderID, coupon, clickID, orderID, orderID)
}

// coupon_leak: a partner whose coupon orders this month mostly named no
// click of it, past the rule's minimum, is left out of the batch while the
// rule holds; one whose coupon orders came by its clicks, or with fewer
// coupon orders than the minimum, is paid. With flag, nobody is left out.
func TestCouponLeakSkipsAPartnerWhoseCouponSellsWithoutClicks(t *testing.T) {
	h := newHarness(t)
	h.saveProgram(fraudProgram(`{"coupon_leak":{"enabled":true,"rate_bps":5000,"min_orders":3}}`, `{}`))
	leaky := h.createPartner(`{"name":"Leaky","email":"leaky@partner.example","coupons":["LEAKY10"]}`)
	clicked := h.createPartner(`{"name":"Clicked","email":"clicked@partner.example","coupons":["CLICKED10"]}`)
	few := h.createPartner(`{"name":"Few","email":"few@partner.example","coupons":["FEW10"]}`)
	click := h.click(clicked["referral_code"].(string), "", "", "198.51.100.40")
	order := func(orderID, coupon, clickID string) {
		t.Helper()
		if res := h.postGeneric("/webhooks/orders", couponOrder(orderID, coupon, clickID)); res.Status != 200 || res.Body["accrual_status"] != "payable" {
			t.Fatalf("%s: %d %s", orderID, res.Status, res.Raw)
		}
	}
	for i := range 3 {
		order(fmt.Sprint("leak", i), "leaky10", "")
	}
	order("clicked0", "CLICKED10", click)
	order("clicked1", "CLICKED10", click)
	order("clicked2", "CLICKED10", "")
	order("few0", "FEW10", "")
	order("few1", "FEW10", "")

	got := h.batchOutcome()
	if got[leaky["id"].(string)] != "fraud:coupon_leak" || got[clicked["id"].(string)] != "paid" || got[few["id"].(string)] != "paid" {
		t.Fatalf("batch: %v; want the partner with 3 of 3 coupon orders without a click skipped, 1 of 3 and 2 orders paid", got)
	}

	h.saveProgram(fraudProgram(`{"coupon_leak":{"enabled":true,"action":"flag","rate_bps":5000,"min_orders":3}}`, `{}`))
	if got := h.batchOutcome(); got[leaky["id"].(string)] != "paid" {
		t.Errorf("batch with the rule flagging: %v; want the partner paid", got)
	}
}
