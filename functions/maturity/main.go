// Command maturity runs on a schedule and makes pending commission payable
// once the program's return window has passed; it also queues the daily
// earnings digests of the day that ended.
package main

import (
	"context"
	"errors"

	"github.com/partnerloop/partnerloop/internal/app"
)

func main() {
	app.StartScheduled("accruals matured and digests queued", func(ctx context.Context, a *app.App) (int, error) {
		matured, err := a.Ledger.MatureDue(ctx)
		digests, digestErr := a.Mail.SendDigests(ctx)
		return matured + digests, errors.Join(err, digestErr)
	})
}
