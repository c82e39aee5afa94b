// Command with-emulators starts DynamoDB Local, the SQS emulator and the SES
// emulator on free loopback ports, runs a command with their endpoints in the environment, then
// stops them and exits with the command's status.
//
//	go run ./cmd/with-emulators -- go test ./...
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/partnerloop/partnerloop/internal/devenv"
)

func main() { os.Exit(run()) }

func run() int {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: with-emulators -- command [args...]")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Unsetenv(devenv.EnvDynamoDBEndpoint)
	os.Unsetenv(devenv.EnvSQSEndpoint)
	os.Unsetenv(devenv.EnvSESEndpoint)
	logs, err := os.CreateTemp("", "partnerloop-emulators-*.log")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer logs.Close()
	emu, err := devenv.Start(ctx, logs)
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting emulators: %v (log: %s)\n", err, logs.Name())
		return 1
	}
	defer emu.Stop()
	fmt.Fprintf(os.Stderr, "emulators: DynamoDB Local %s, SQS %s, SES %s (log: %s)\n", emu.DynamoDBEndpoint, emu.SQSEndpoint, emu.SESEndpoint, logs.Name())
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), devenv.EnvDynamoDBEndpoint+"="+emu.DynamoDBEndpoint, devenv.EnvSQSEndpoint+"="+emu.SQSEndpoint,
		devenv.EnvSESEndpoint+"="+emu.SESEndpoint)
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode()
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
