// Command maturity runs on a schedule and makes pending commission payable
// once the program's return window has passed.
package main

import (
	"context"

	"github.com/partnerloop/partnerloop/internal/app"
)

func main() {
	app.StartScheduled("accruals matured", func(ctx context.Context, a *app.App) (int, error) {
		return a.Ledger.MatureDue(ctx)
	})
}
