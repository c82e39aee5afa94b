// Command api is the api Lambda function behind the HTTP API; its routes are
// listed in internal/appspec.
package main

import "github.com/partnerloop/partnerloop/internal/app"

func main() { app.StartHTTP("api") }
