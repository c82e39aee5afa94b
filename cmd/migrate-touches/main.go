// Command migrate-touches moves the referral touches earlier releases kept
// one item per touch into the customers' evidence items, which the order
// path reads. Run it once after deploying this release, with credentials
// for the stack's table (PARTNERLOOP_TABLE names it); a run that stops can
// run again.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/dynamo"
)

func main() {
	table := os.Getenv(appspec.EnvTable)
	if table == "" {
		fmt.Fprintf(os.Stderr, "migrate-touches: set %s to the table's name\n", appspec.EnvTable)
		os.Exit(2)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrate-touches:", err)
		os.Exit(1)
	}
	moved, err := dynamo.Open(dynamodb.NewFromConfig(cfg), table).Partners.MigrateTouches(ctx)
	fmt.Printf("moved %d touches\n", moved)
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrate-touches:", err)
		os.Exit(1)
	}
}
