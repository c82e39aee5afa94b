// Command api is the api Lambda function behind the HTTP API; its routes are
// listed in internal/appspec. It keeps the team in the Cognito user pool and
// creates the Stripe codes of stripe discounts.
package main

import (
	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/app/withcognito"
	"github.com/partnerloop/partnerloop/internal/app/withstripe"
	"github.com/partnerloop/partnerloop/internal/httpapi"
)

func main() {
	app.StartHTTP("api", (*httpapi.Server).APIHandlers, withcognito.Team, withstripe.Discounts)
}
