// Command redirect is the redirect Lambda function behind the HTTP API; its routes are
// listed in internal/appspec.
package main

import (
	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/httpapi"
)

func main() { app.StartHTTP("redirect", (*httpapi.Server).RedirectHandlers) }
