package ledger

import "testing"

func BenchmarkApplyPaidOrder(b *testing.B) {
	evt := paid("o", 10000, 2500, 1999)
	prog := testProgram(30)
	b.ReportAllocs()
	for b.Loop() {
		_ = Apply(OrderRecord{}, evt, silver, prog, t0)
	}
}

func BenchmarkApplyRefundOfPaidOrder(b *testing.B) {
	prog := testProgram(30)
	rec := Apply(OrderRecord{}, paid("o", 10000, 2500), silver, prog, t0).Next
	rec = Apply(rec, refund("o", "rf1", 1000), nil, prog, t0).Next
	evt := refund("o", "rf2", 500)
	b.ReportAllocs()
	for b.Loop() {
		_ = Apply(rec, evt, nil, prog, t0)
	}
}
