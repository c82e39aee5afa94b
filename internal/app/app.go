// Package app wires configuration, AWS clients, adapters and services into
// the pieces each function (and the local server) runs.
package app

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/partnerloop/partnerloop/internal/apply"
	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/audit"
	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/discount"
	"github.com/partnerloop/partnerloop/internal/dynamo"
	"github.com/partnerloop/partnerloop/internal/engage"
	"github.com/partnerloop/partnerloop/internal/fraud"
	"github.com/partnerloop/partnerloop/internal/group"
	"github.com/partnerloop/partnerloop/internal/httpapi"
	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/mail"
	"github.com/partnerloop/partnerloop/internal/messages"
	"github.com/partnerloop/partnerloop/internal/notify"
	"github.com/partnerloop/partnerloop/internal/obs"
	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/payout"
	"github.com/partnerloop/partnerloop/internal/performance"
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/referral"
	"github.com/partnerloop/partnerloop/internal/reports"
	"github.com/partnerloop/partnerloop/internal/sesnotice"
	"github.com/partnerloop/partnerloop/internal/sqsqueue"
	"github.com/partnerloop/partnerloop/internal/statement"
	"github.com/partnerloop/partnerloop/internal/team"
	"github.com/partnerloop/partnerloop/internal/web"
)

// Secrets are the shared secrets the webhook endpoints need.
type Secrets struct {
	Generic      string `json:"generic"`
	Shopify      string `json:"shopify"`
	Stripe       string `json:"stripe"`
	WooCommerce  string `json:"woocommerce"`
	EmailHashKey string `json:"email_hash_key"`
	// UnsubscribeKey signs e-mails' unsubscribe links (its own secret in AWS).
	UnsubscribeKey string `json:"unsubscribe_key"`
}

// Config is everything that differs between deployments.
type Config struct {
	Table        string
	PayoutsURL   string
	DonationsURL string
	// PayoutsDLQURL and DonationsDLQURL are only needed where the
	// dead-letter queues are redriven (the API function).
	PayoutsDLQURL   string
	DonationsDLQURL string
	// NotifyURL is the outbound webhook delivery queue.
	NotifyURL string
	// NotifyRetryBase is the first retry delay of a failed delivery
	// (default 30 s); LocalWebhooks admits http:// endpoints on private
	// addresses (local runs and tests only).
	NotifyRetryBase time.Duration
	LocalWebhooks   bool
	PublicBaseURL   string
	// MailURL is the mail queue. FinanceEmails hear of batches waiting for
	// approval and failed payouts.
	MailURL       string
	FinanceEmails []string
	// MailSendRate is how many e-mails a second a broadcast sends at most
	// (0: no limit, local runs and tests).
	MailSendRate float64
	// Program is in force until one is saved through PUT /v1/program.
	Program program.Program
	// Now is the clock of every service; nil is the system clock.
	Now     func() time.Time
	Secrets Secrets
	// WebhookSecrets, if set, replaces the fixed Secrets for webhook
	// verification (in AWS: re-read from Secrets Manager).
	WebhookSecrets httpapi.SecretSource
	// Metrics receives the EMF metric lines; nil emits none.
	Metrics *obs.Metrics
	// Web serves the portal and console; nil where no function serves them.
	Web *web.Site
	// AuditRetention is how long audit entries are kept; zero keeps them.
	AuditRetention time.Duration
	// The adapters of outside services, each nil where the function does
	// not use it. A function's main builds them (internal/app/with*), so a
	// function links only the SDKs it uses.
	//
	// Mailer sends e-mail (Amazon SES); only the mailer sends.
	Mailer mail.Sender
	// Stripe pays Stripe Connect legs; without it a Stripe leg fails.
	Stripe payout.Method
	// StripeDiscounts creates Stripe coupons and promotion codes; nil
	// refuses stripe discounts.
	StripeDiscounts discount.StripeCodes
	// TeamDirectory creates the team's sign-ins (the stack's Cognito user
	// pool); nil keeps the team in the table, as the local sign-in reads it.
	TeamDirectory team.Directory
}

// ProgramCacheFor is how long every process keeps the program it read: a
// saved program reaches every function within it, and the order path
// reads the program once per 30 seconds instead of once per order.
const ProgramCacheFor = 30 * time.Second

// App holds the services of one process.
type App struct {
	Ledger      *ledger.Service
	Payouts     *payout.Service
	Performance *performance.Service
	Engage      *engage.Service
	Notify      *notify.Service
	Mail        *mail.Service
	Messages    *messages.Service
	// NotifyURL and NotifyRetryBase drive the notifier's retries.
	NotifyURL       string
	NotifyRetryBase time.Duration
	Server          *httpapi.Server
	SQS             *sqs.Client
	Log             *slog.Logger
	Metrics         *obs.Metrics
}

// Logger writes JSON logs, the format CloudWatch Logs Insights queries,
// each line with the request id of its context.
func Logger() *slog.Logger { return obs.NewLogger(os.Stdout) }

// New builds the services on the given clients: one service per statement,
// each with the storage adapters it uses.
func New(db *dynamodb.Client, q *sqs.Client, cfg Config, authn httpapi.Authenticator, log *slog.Logger) *App {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	store := dynamo.Open(db, cfg.Table)
	store.KeepAuditFor(cfg.AuditRetention)
	directory := cfg.TeamDirectory
	if directory == nil {
		directory = team.LocalDirectory{}
	}
	hasher := referral.EmailHasher{Key: []byte(cfg.Secrets.EmailHashKey)}
	programs := &program.Registry{Store: store.Programs, Default: cfg.Program, CacheFor: ProgramCacheFor, Now: now}
	groups := &group.Service{Store: store.Groups, CacheFor: ProgramCacheFor, Now: now}
	notifications := &notify.Service{Store: store.Notify, Queue: &sqsqueue.Deliveries{SQS: q, URL: cfg.NotifyURL},
		Poster: notify.NewPoster(cfg.LocalWebhooks, now), Now: now, Log: log, AllowInsecure: cfg.LocalWebhooks, CacheFor: ProgramCacheFor}
	mailer := &mail.Service{Store: store.Mail, Queue: &sqsqueue.MailJobs{SQS: q, URL: cfg.MailURL}, Partners: store.Partners,
		Sender: cfg.Mailer,
		Signer: mail.NewSigner(cfg.Secrets.UnsubscribeKey), BaseURL: cfg.PublicBaseURL, FinanceTo: cfg.FinanceEmails, Now: now, Log: log}
	notifications.Also = mailer
	broadcasts := &messages.Service{Store: store.Messages, Mailer: messages.Mail{Service: mailer}, Pages: &sqsqueue.BroadcastPages{SQS: q, URL: cfg.MailURL},
		Rate: cfg.MailSendRate, Now: now, Sleep: messages.SleepContext}
	// E-mail comes first: it wants its types without reading the endpoints.
	events := outbox.Subscribers{mailer, notifications}
	partners := &partner.Service{Store: store.Partners, Charities: store.Charities, Programs: programs, Groups: groups, PayoutHash: hasher.Hash, Now: now}
	refs := &referral.Service{Store: store.Partners, Hasher: hasher, Groups: groups, Now: now}
	led := &ledger.Service{Store: store.Ledger, Attributor: refs, Programs: programs, Events: events, Fraud: store.Fraud, Customers: store.Fraud, Now: now}
	trail := &audit.Log{Store: store.Audit, Now: now}
	cases := &fraud.Service{Store: store.Fraud, Ledger: led, Programs: programs, Groups: groups, Events: events, Audit: trail, Now: now,
		Suspend: func(ctx context.Context, partnerID string) error {
			suspended := string(partner.StatusSuspended)
			_, err := partners.Update(ctx, partnerID, partner.Change{Status: &suspended})
			return err
		}}
	partners.PayoutShared = cases.PayoutShared
	pay := &payout.Service{Store: store.Payouts, Balances: store.Ledger, Partners: store.Partners, Charities: store.Charities,
		Pledges: store.Pledges, Queue: &sqsqueue.Publisher{SQS: q, PayoutsURL: cfg.PayoutsURL, DonationsURL: cfg.DonationsURL},
		Methods: payoutMethods(cfg), Programs: programs, Events: events, Now: now, Log: log,
		Fraud: &fraud.BatchRules{Evidence: store.Fraud, Sales: store.Ledger, Groups: groups, Cases: store.Fraud, PaidBefore: led.PaidBefore, Now: now}}
	eng := &engage.Service{Store: store.Engage, Partners: partners, Accruals: store.Ledger, Points: store.Ledger, Bonuses: led,
		Charities: store.Charities, Programs: programs, Events: events, Now: now}
	perf := &performance.Service{Store: store.Partners, Sales: store.Ledger, Bonuses: led, Pledges: pay, Programs: programs,
		Events: events, Engagement: eng, Now: now}
	reps := &reports.Service{Ledger: store.Ledger, Partners: store.Partners, Paid: store.Payouts, Programs: programs}
	statements := &statement.Query{Partners: partners, Ledger: led, Standings: perf, Donations: store.Charities, Engagement: eng}
	secrets := cfg.WebhookSecrets
	if secrets == nil {
		secrets = httpapi.StaticSecrets(cfg.Secrets.webhook())
	}
	srv := &httpapi.Server{
		Partners: partners, Referrals: refs, Ledger: led, Payouts: pay, Performance: perf, Programs: programs, Groups: groups, Reports: reps, Statements: statements,
		Engage: eng, Notify: notifications, Mail: mailer, Messages: broadcasts, Fraud: cases,
		Audit: trail, Team: &team.Service{Store: store.Team, Directory: directory, Now: now},
		Hasher: hasher, Secrets: secrets, Authenticate: authn, PublicBaseURL: cfg.PublicBaseURL, Now: now, Log: log, Metrics: cfg.Metrics, Web: cfg.Web,
		DeadLetters: deadLetters{client: q, queues: map[string]redrive{
			"payouts":   {From: cfg.PayoutsDLQURL, To: cfg.PayoutsURL},
			"donations": {From: cfg.DonationsDLQURL, To: cfg.DonationsURL}}},
	}
	customerReferrals(srv, store, cfg, partners, groups, programs, statements)
	srv.Applications = &apply.Service{Store: store.Applications, Groups: store.Groups, Partners: partners, Links: mailer.Signer, Hasher: hasher, Now: now, Log: log}
	return &App{Ledger: led, Payouts: pay, Performance: perf, Engage: eng, Notify: notifications, Mail: mailer, Messages: broadcasts, Server: srv, SQS: q, Log: log,
		Metrics: cfg.Metrics, NotifyURL: cfg.NotifyURL, NotifyRetryBase: cmp.Or(cfg.NotifyRetryBase, 30*time.Second)}
}

// payoutMethods pays each leg by its method: manual always, Stripe Connect
// where the function has it.
func payoutMethods(cfg Config) map[string]payout.Method {
	methods := map[string]payout.Method{partner.MethodManual: payout.Manual{}}
	if cfg.Stripe != nil {
		methods[partner.MethodStripe] = cfg.Stripe
	}
	return methods
}

// AWSConfig loads the SDK configuration; PARTNERLOOP_DYNAMODB_ENDPOINT and
// PARTNERLOOP_SQS_ENDPOINT point the clients at local emulators.
func AWSConfig(ctx context.Context) (*dynamodb.Client, *sqs.Client, aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, nil, cfg, fmt.Errorf("load aws config: %w", err)
	}
	if os.Getenv("AWS_LAMBDA_FUNCTION_NAME") != "" {
		// Every AWS SDK call becomes an X-Ray subsegment of the function's
		// active-tracing segment (the stack turns tracing on).
		obs.TraceAWSCalls(&cfg.APIOptions, os.Getenv("AWS_XRAY_DAEMON_ADDRESS"))
	}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if ep := os.Getenv("PARTNERLOOP_DYNAMODB_ENDPOINT"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	q := sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if ep := os.Getenv("PARTNERLOOP_SQS_ENDPOINT"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	return db, q, cfg, nil
}

// addressList reads a comma-separated list of e-mail addresses.
func addressList(v string) []string {
	var out []string
	for a := range strings.SplitSeq(v, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// FromLambdaEnv builds the app as a deployed function does: names from the
// stack's environment, secrets from Secrets Manager when the function has
// them, and the adapters its main wires.
func FromLambdaEnv(ctx context.Context, wirings ...Wiring) (*App, error) {
	db, q, awsCfg, err := AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	prog := program.Default()
	if raw := os.Getenv(appspec.EnvProgram); raw != "" {
		if prog, err = program.Parse([]byte(raw)); err != nil {
			return nil, err
		}
	}
	cfg := Config{Table: os.Getenv(appspec.EnvTable), PayoutsURL: os.Getenv(appspec.EnvPayoutsQueue),
		DonationsURL: os.Getenv(appspec.EnvDonationsQueue), PayoutsDLQURL: os.Getenv(appspec.EnvPayoutsDLQ),
		DonationsDLQURL: os.Getenv(appspec.EnvDonationsDLQ), NotifyURL: os.Getenv(appspec.EnvNotifyQueue), PublicBaseURL: os.Getenv(appspec.EnvPublicBaseURL), Program: prog,
		Metrics: obs.NewMetrics(os.Stdout)}
	if id := os.Getenv(appspec.EnvOIDCClientID); id != "" {
		if cfg.Web, err = web.New(web.SignIn{ClientID: id, Scope: "openid email profile",
			AuthorizationEndpoint: os.Getenv(appspec.EnvOIDCAuthorizeURL), TokenEndpoint: os.Getenv(appspec.EnvOIDCTokenURL),
			LogoutEndpoint: os.Getenv(appspec.EnvOIDCLogoutURL)}); err != nil {
			return nil, err
		}
	}
	if days, err := strconv.Atoi(os.Getenv(appspec.EnvAuditRetentionDays)); err == nil && days > 0 {
		cfg.AuditRetention = time.Duration(days) * 24 * time.Hour
	}
	sm := secretsmanager.NewFromConfig(awsCfg)
	if arn := os.Getenv(appspec.EnvSecretARN); arn != "" {
		r := &refreshing[Secrets]{read: secretReader[Secrets](sm, arn), ttl: SecretsRefresh, now: time.Now}
		if _, err := r.get(ctx); err != nil {
			return nil, fmt.Errorf("read webhook secrets: %w", err)
		}
		cfg.WebhookSecrets = webhookSecretSource(r)
	}
	if arn := os.Getenv(appspec.EnvHashKeyARN); arn != "" {
		// Read once: the key never rotates (stored hashes depend on it).
		if cfg.Secrets, err = secretReader[Secrets](sm, arn)(ctx); err != nil {
			return nil, fmt.Errorf("read e-mail hash key: %w", err)
		}
	}
	if arn := os.Getenv(appspec.EnvMailSecretARN); arn != "" {
		keys, err := secretReader[Secrets](sm, arn)(ctx)
		if err != nil {
			return nil, fmt.Errorf("read unsubscribe key: %w", err)
		}
		cfg.Secrets.UnsubscribeKey = keys.UnsubscribeKey
	}
	cfg.MailURL = os.Getenv(appspec.EnvMailQueue)
	cfg.FinanceEmails = addressList(os.Getenv(appspec.EnvFinanceEmails))
	if v := os.Getenv(appspec.EnvMailSendRate); v != "" {
		if cfg.MailSendRate, err = strconv.ParseFloat(v, 64); err != nil || cfg.MailSendRate <= 0 {
			return nil, fmt.Errorf("%s must be a positive number of e-mails a second, not %q", appspec.EnvMailSendRate, v)
		}
	}
	env := Env{AWS: awsCfg, secrets: sm}
	for _, wire := range wirings {
		if err := wire(ctx, env, &cfg); err != nil {
			return nil, err
		}
	}
	return New(db, q, cfg, GatewayJWT, Logger()), nil
}

// decodeSecret reads a secret's JSON text into v, never echoing it.
func decodeSecret(text string, v any) error {
	if err := json.Unmarshal([]byte(text), v); err != nil {
		return errors.New("the secret is not the expected JSON object")
	}
	return nil
}

// GatewayJWT reads the claims the API Gateway JWT authorizer verified.
func GatewayJWT(r *http.Request) (auth.Principal, error) {
	gw, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
	if !ok || gw.Authorizer == nil || gw.Authorizer.JWT == nil {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	return auth.FromGatewayClaims(gw.Authorizer.JWT.Claims)
}

// Function returns a function's spec by its directory name.
func Function(dir string) appspec.Function {
	for _, f := range appspec.Functions {
		if f.Dir == dir {
			return f
		}
	}
	panic("app: unknown function " + dir)
}

// StartHTTP runs the named function's routes, served by its family of
// handlers (such as (*httpapi.Server).RedirectHandlers), as a Lambda handler
// for API Gateway HTTP API (payload format 2.0) events.
func StartHTTP(dir string, family func(*httpapi.Server) httpapi.Handlers, wirings ...Wiring) {
	a := MustFromLambdaEnv(wirings...)
	lambda.Start(httpadapter.NewV2(a.Server.Serve(Function(dir).Routes, family(a.Server))).ProxyWithContext)
}

// MustFromLambdaEnv is FromLambdaEnv for a function's init phase: a
// misconfigured function logs why and exits, and Lambda reports the failure.
func MustFromLambdaEnv(wirings ...Wiring) *App {
	a, err := FromLambdaEnv(context.Background(), wirings...)
	if err != nil {
		Logger().Error("startup failed", "error", err)
		os.Exit(1)
	}
	return a
}

// StartScheduled runs job on every EventBridge schedule tick and logs how
// many things it handled.
func StartScheduled(what string, job func(context.Context, *App) (int, error)) {
	a := MustFromLambdaEnv()
	lambda.Start(func(ctx context.Context, _ events.EventBridgeEvent) error {
		n, err := job(ctx, a)
		a.Log.InfoContext(ctx, what, "count", n, "error", err)
		return err
	})
}

// StartQueueWorker settles payout or donation messages from the function's
// SQS queue, reporting partial batch failures so only failed ones are retried.
func StartQueueWorker(wirings ...Wiring) {
	a := MustFromLambdaEnv(wirings...)
	lambda.Start(func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		return sqsqueue.HandleBatch(ctx, a.Payouts, ev, a.Metrics), nil
	})
}

// StartNotifier posts outbound webhook deliveries from the notify queue.
func StartNotifier() {
	a := MustFromLambdaEnv()
	lambda.Start(func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		return sqsqueue.HandleDeliveries(ctx, a.SQS, a.NotifyURL, a.NotifyRetryBase, a.Notify, ev), nil
	})
}

// StartMailer sends e-mail jobs from the mail queue and suppresses the
// addresses of SES bounce and complaint notifications arriving by SNS.
func StartMailer(wirings ...Wiring) {
	a := MustFromLambdaEnv(wirings...)
	lambda.Start(a.HandleMailerEvent)
}

// HandleMailerEvent tells an SNS event from an SQS one by its records.
func (a *App) HandleMailerEvent(ctx context.Context, raw json.RawMessage) (events.SQSEventResponse, error) {
	var probe struct {
		Records []struct {
			SNS json.RawMessage `json:"Sns"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return events.SQSEventResponse{}, fmt.Errorf("unreadable event: %w", err)
	}
	if len(probe.Records) > 0 && len(probe.Records[0].SNS) > 0 {
		var ev events.SNSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return events.SQSEventResponse{}, fmt.Errorf("unreadable SNS event: %w", err)
		}
		return events.SQSEventResponse{}, a.HandleFeedback(ctx, ev)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return events.SQSEventResponse{}, fmt.Errorf("unreadable SQS event: %w", err)
	}
	return sqsqueue.HandleMailJobs(ctx, a.MailWork(), ev), nil
}

// MailWork is the mail queue's consumer: e-mails and broadcast pages.
func (a *App) MailWork() sqsqueue.MailWork {
	return sqsqueue.MailWork{Mail: a.Mail, Broadcasts: a.Messages}
}

// HandleFeedback puts the addresses of SES bounces and complaints on the
// suppression list; a failure is returned so SNS invokes again.
func (a *App) HandleFeedback(ctx context.Context, ev events.SNSEvent) error {
	for _, r := range ev.Records {
		f, ok, err := sesnotice.Feedback(r.SNS.Message)
		if err != nil {
			a.Log.WarnContext(ctx, "SNS message is not an SES notification; dropped", "message_id", r.SNS.MessageID, "error", err)
			continue
		}
		if !ok {
			continue
		}
		n, err := a.Mail.Suppress(ctx, f)
		if err != nil {
			return err
		}
		a.Log.InfoContext(ctx, "addresses suppressed", "type", f.Type, "count", n)
	}
	return nil
}

// deadLetters redrives the named queue's dead-letter queue into it.
type deadLetters struct {
	client *sqs.Client
	queues map[string]redrive // by the queue's name in the route
}

// redrive moves messages from a dead-letter queue (From) back to its queue (To).
type redrive struct{ From, To string }

func (d deadLetters) Redrive(ctx context.Context, queue string) (int, error) {
	r, ok := d.queues[queue]
	if !ok || r.From == "" {
		return 0, httpapi.ErrUnknownQueue
	}
	return sqsqueue.Redrive(ctx, d.client, r.From, r.To)
}

// Resources are the table and queues of one local run or test.
type Resources struct {
	Table     string
	QueueURLs map[string]string
}

// PayoutsURL, DonationsURL, NotifyURL and MailURL are the FIFO queues' URLs; the
// dead-letter queues are under the same names with "-dlq".
func (r Resources) PayoutsURL() string   { return r.QueueURLs[appspec.PayoutsQueue.Name] }
func (r Resources) DonationsURL() string { return r.QueueURLs[appspec.DonationsQueue.Name] }
func (r Resources) NotifyURL() string    { return r.QueueURLs[appspec.NotifyQueue.Name] }
func (r Resources) MailURL() string      { return r.QueueURLs[appspec.MailQueue.Name] }

// Provision creates the table and queues from appspec on emulators (the
// stack creates them in AWS); prefix keeps parallel tests apart.
func Provision(ctx context.Context, db *dynamodb.Client, q *sqs.Client, prefix string) (Resources, error) {
	table := prefix + appspec.MainTable.Name
	if err := dynamo.CreateTable(ctx, db, table); err != nil {
		return Resources{}, fmt.Errorf("create table: %w", err)
	}
	urls, err := sqsqueue.CreateQueues(ctx, q, appspec.Queues, prefix)
	if err != nil {
		return Resources{}, err
	}
	return Resources{Table: table, QueueURLs: urls}, nil
}
