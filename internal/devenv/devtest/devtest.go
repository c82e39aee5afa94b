// Package devtest gives integration tests their own table and queues on the
// local emulators.
package devtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/devenv"
)

var (
	emulators  *devenv.Emulators
	stripeOnce sync.Once
	stripeMock *devenv.Emulator
	stripeErr  error
)

// Main runs a package's tests with the emulators: those named by the
// environment (`make test`), or ones it starts and stops itself.
func Main(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, err := devenv.Start(ctx, io.Discard)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration tests need the emulators:", err)
		return 1
	}
	defer e.Stop()
	emulators = e
	defer func() {
		if stripeMock != nil {
			stripeMock.Stop()
		}
	}()
	return m.Run()
}

// StripeMockURL returns the base URL of a stripe-mock the package's tests
// share, starting it on first use.
func StripeMockURL(t testing.TB) string {
	t.Helper()
	stripeOnce.Do(func() { stripeMock, stripeErr = devenv.StartStripeMock(context.Background(), io.Discard, 0) })
	if stripeErr != nil {
		t.Fatal(stripeErr)
	}
	return stripeMock.Endpoint
}

// SES is a client of the package's SES emulator; SESEndpoint serves its
// store of what was sent (GET /store).
func SES() *sesv2.Client  { return emulators.SES() }
func SESEndpoint() string { return emulators.SESEndpoint }

// Env is one test's isolated resources and clients.
type Env struct {
	app.Resources
	DB  *dynamodb.Client
	SQS *sqs.Client
}

// New provisions a fresh table and queue pair for the test.
func New(t testing.TB) Env {
	t.Helper()
	if emulators == nil {
		t.Fatal("devtest.Main must run the package's tests (add a TestMain)")
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	db, q := emulators.Clients()
	res, err := app.Provision(context.Background(), db, q, "t"+hex.EncodeToString(b)+"-")
	if err != nil {
		t.Fatal(err)
	}
	return Env{Resources: res, DB: db, SQS: q}
}
