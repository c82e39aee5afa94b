// Command performance runs on a schedule: it moves partners between tiers by
// last period's sales and credits goal bonuses.
package main

import (
	"context"

	"github.com/partnerloop/partnerloop/internal/app"
)

func main() {
	app.StartScheduled("partners evaluated", func(ctx context.Context, a *app.App) (int, error) {
		rep, err := a.Performance.Run(ctx)
		return rep.Partners, err
	})
}
