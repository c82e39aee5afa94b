// Package appspec is the single description of the deployed application:
// its table, queues, functions and routes. The CDK stack, the local runner
// and the drift test against template.yaml all read it, so they cannot differ.
package appspec

import (
	"slices"
	"time"
)

// Table is the single DynamoDB table.
type Table struct {
	Name         string
	PartitionKey string
	SortKey      string
	TTLAttribute string
	Indexes      []Index
	// IndexShards is how many index partitions a key every order writes
	// (pending accruals, the partner list, held accruals) is spread over: at 1,000
	// orders/s each takes about 1,000/IndexShards writes/s, well under a
	// partition's 1,000. It may grow but never shrink: readers query
	// shards 0 to IndexShards-1, so a smaller count would hide items.
	IndexShards int
}

// Index is a global secondary index with string keys, projecting all
// attributes or, when KeysOnly, only the table's and the index's keys.
type Index struct {
	Name         string
	PartitionKey string
	SortKey      string
	// KeysOnly: an entry is written only when the item enters, leaves or
	// moves within the index, not when its other attributes change.
	KeysOnly bool
}

// Projection is the index's projection type as DynamoDB names it.
func (ix Index) Projection() string {
	if ix.KeysOnly {
		return "KEYS_ONLY"
	}
	return "ALL"
}

// Queue is an SQS FIFO queue with a dead-letter queue.
type Queue struct {
	Name              string // without the .fifo suffix; locally only (AWS names are generated)
	VisibilitySeconds int32  // at least 6× the consuming function's timeout
	MaxReceiveCount   int32
	// MaxConcurrency bounds the consuming function's concurrent batches, so
	// payouts stay within the providers' rate limits (Stripe: 25 writes/s).
	MaxConcurrency int
	// URLEnv is the environment variable that gives senders (and the
	// consumer) the queue's URL.
	URLEnv string
	// Redrive: finance may move its dead letters back to it
	// (POST /v1/queues/{queue}/redrive).
	Redrive bool
	// AgeAlarmSeconds, if set, replaces the stage's alarm threshold on the
	// age of the oldest message (a queue whose retries wait by design).
	AgeAlarmSeconds int
}

// FIFOName is the queue's name as SQS requires it.
func (q Queue) FIFOName() string { return q.Name + ".fifo" }

// DLQName is the name of the queue's dead-letter queue.
func (q Queue) DLQName() string { return q.Name + "-dlq.fifo" }

// DynamoDB actions as IAM names them. A transaction needs the action of
// each of its parts (ConditionCheckItem for a condition check); nothing
// uses Scan, BatchWriteItem or streams, so no function may.
const (
	GetItem            = "dynamodb:GetItem"
	BatchGetItem       = "dynamodb:BatchGetItem"
	Query              = "dynamodb:Query"
	PutItem            = "dynamodb:PutItem"
	UpdateItem         = "dynamodb:UpdateItem"
	DeleteItem         = "dynamodb:DeleteItem"
	ConditionCheckItem = "dynamodb:ConditionCheckItem"
)

// Access is what a function may do with the table, queues and secrets.
type Access struct {
	// Table lists the DynamoDB actions the function's code calls; a test
	// runs each function's paths with only these allowed.
	Table       []string
	SendTo      []string // queue names
	ConsumeFrom string   // queue name feeding the function
	// DelaysRetries: the consumer delays a failed message's retry itself
	// (ChangeMessageVisibility), so it is given its queue's URL.
	DelaysRetries  bool
	RedriveDLQs    bool // may move messages from the dead-letter queues back
	WebhookSecrets bool
	// HashKey: the key of the customer e-mail and device hashes the table
	// keeps, a secret of its own so that reading it grants nothing else.
	HashKey         bool
	ProviderSecrets bool // the payout providers' API keys
	// SendsEmail: ses:SendEmail from the sending identity, through the
	// configuration set; bounce and complaint notifications reach it by SNS.
	SendsEmail bool
	// MailLinks: the key that signs and checks e-mails' unsubscribe links.
	MailLinks bool
	// ManagesTeam: creates, changes and removes the stack's user pool's
	// users and their groups (the team routes).
	ManagesTeam bool
}

// AuditKeyPrefix begins the partition key of every audit entry. Entries
// are append-only: every function's grant denies UpdateItem and DeleteItem
// on items under it, whatever its Table actions allow.
const AuditKeyPrefix = "AUDIT#"

// AuditDenied are the actions no function may take on audit entries.
var AuditDenied = []string{UpdateItem, DeleteItem}

// Route is one HTTP API route; Path uses the {param} syntax shared by API
// Gateway and net/http.
type Route struct {
	Method string
	Path   string
	Auth   bool // requires a JWT (finance or partner)
}

// Function is one Lambda function built from functions/<Dir>.
type Function struct {
	Name     string
	Dir      string
	Routes   []Route
	Schedule string // EventBridge rate expression, empty if none
	Access   Access
	Timeout  int // seconds
	// Work is what one unit of the function's work was measured to take;
	// its memory size follows from it (MemoryMB).
	Work Work
}

// Work is one unit of a function's work (a request, a message, an item of
// a job) as BenchmarkFunctionWork measured it: the CPU it spends at a full
// core and the round trips it waits on.
type Work struct {
	CPU time.Duration
	// Requests are its DynamoDB and SQS round trips, RequestLatency each.
	Requests int
	// Remote is any other wait: a payment provider's or a webhook
	// endpoint's answer.
	Remote time.Duration
}

// RequestLatency is a DynamoDB or SQS round trip from Lambda in the same
// Region (DynamoDB's single-digit milliseconds).
const RequestLatency = 5 * time.Millisecond

// RemoteLatency is what a payment provider or a webhook endpoint takes to
// answer, at the least (a provider's API call, an HTTPS round trip).
const RemoteLatency = 100 * time.Millisecond

// lambdaSizes are the memory sizes chosen from, in MB; at 1,769 MB a
// function has one full vCPU, below it a proportional share.
var lambdaSizes = []int{128, 256, 512, 1024, 1769}

// fullCoreMB is the memory size at which Lambda gives one full vCPU.
const fullCoreMB = 1769

// MemoryFor is the smallest memory size at which the work's CPU, stretched
// by the size's CPU share, takes no longer than what the work waits on: a
// function's bill (memory times duration) is smallest at the smallest
// size, and this bounds how much slower than its round trips that makes it.
func MemoryFor(w Work) int {
	wait := time.Duration(w.Requests)*RequestLatency + w.Remote
	for _, mb := range lambdaSizes {
		if w.CPU*fullCoreMB/time.Duration(mb) <= wait {
			return mb
		}
	}
	return fullCoreMB
}

// MemoryMB is the function's memory size, from its measured work.
func (f Function) MemoryMB() int { return MemoryFor(f.Work) }

// ServesPages reports whether the function serves the portal and console,
// and so needs the web sign-in settings.
func (f Function) ServesPages() bool {
	return slices.ContainsFunc(f.Routes, func(r Route) bool { return r.Path == "/portal" })
}

// ConsumerOf returns the function consuming the named queue.
func ConsumerOf(queue string) (Function, bool) {
	for _, f := range Functions {
		if f.Access.ConsumeFrom == queue {
			return f, true
		}
	}
	return Function{}, false
}

// The sign-in groups the API reads, one per staff role (the README's
// roles table says what each may do); the user pool creates them.
const (
	GroupAdmin   = "admin"
	GroupFinance = "finance"
	GroupManager = "manager"
	GroupViewer  = "viewer"
	GroupSupport = "support"
)

// StaffGroups are the staff roles' groups.
var StaffGroups = []string{GroupAdmin, GroupFinance, GroupManager, GroupViewer, GroupSupport}

// MetricsNamespace is the CloudWatch namespace of the application's own
// metrics (the code emits them, the stack alarms on them).
const MetricsNamespace = "Partnerloop"

// Environment variable names shared by every function.
const (
	EnvTable             = "PARTNERLOOP_TABLE"
	EnvPayoutsQueue      = "PARTNERLOOP_PAYOUTS_QUEUE_URL"
	EnvDonationsQueue    = "PARTNERLOOP_DONATIONS_QUEUE_URL"
	EnvNotifyQueue       = "PARTNERLOOP_NOTIFY_QUEUE_URL"
	EnvPayoutsDLQ        = "PARTNERLOOP_PAYOUTS_DLQ_URL"
	EnvDonationsDLQ      = "PARTNERLOOP_DONATIONS_DLQ_URL"
	EnvSecretARN         = "PARTNERLOOP_SECRET_ARN"
	EnvHashKeyARN        = "PARTNERLOOP_HASH_KEY_ARN"
	EnvProviderSecretARN = "PARTNERLOOP_PROVIDER_SECRET_ARN"
	EnvProgram           = "PARTNERLOOP_PROGRAM"
	EnvPublicBaseURL     = "PARTNERLOOP_PUBLIC_BASE_URL"
	EnvMailQueue         = "PARTNERLOOP_MAIL_QUEUE_URL"
	// E-mail: the sending address (of the verified SES identity), the
	// configuration set, and the comma-separated finance addresses that
	// hear of batches waiting for approval and failed payouts.
	EnvMailFrom             = "PARTNERLOOP_MAIL_FROM"
	EnvMailConfigurationSet = "PARTNERLOOP_MAIL_CONFIGURATION_SET"
	EnvFinanceEmails        = "PARTNERLOOP_FINANCE_EMAILS"
	EnvMailSecretARN        = "PARTNERLOOP_MAIL_SECRET_ARN"
	// EnvAuditRetentionDays: how many days audit entries are kept (the
	// stage's retention); unset keeps them.
	EnvAuditRetentionDays = "PARTNERLOOP_AUDIT_RETENTION_DAYS"
	// EnvUserPoolID: the stack's user pool, whose users the team routes
	// manage; unset (an external issuer, a local run) keeps the team in the
	// table only.
	EnvUserPoolID = "PARTNERLOOP_USER_POOL_ID"
	// EnvMailSendRate is how many e-mails a second a broadcast sends at
	// most: the stack's MailSendRate parameter, a share of the account's
	// SES sending quota that leaves room for the other e-mails.
	EnvMailSendRate = "PARTNERLOOP_MAIL_SEND_RATE"
	// The web sign-in (the API function only): an OpenID Connect public
	// client and its issuer's endpoints.
	EnvOIDCClientID     = "PARTNERLOOP_OIDC_CLIENT_ID"
	EnvOIDCAuthorizeURL = "PARTNERLOOP_OIDC_AUTHORIZE_URL"
	EnvOIDCTokenURL     = "PARTNERLOOP_OIDC_TOKEN_URL"
	EnvOIDCLogoutURL    = "PARTNERLOOP_OIDC_LOGOUT_URL"
)

// The application's resources.
var (
	MainTable = Table{
		Name:         "partnerloop",
		PartitionKey: "pk",
		SortKey:      "sk",
		TTLAttribute: "expires_at",
		IndexShards:  16,
		Indexes: []Index{
			{Name: "gsi1", PartitionKey: "gsi1pk", SortKey: "gsi1sk"},
			{Name: "gsi2", PartitionKey: "gsi2pk", SortKey: "gsi2sk"},
			// Accruals by the day their commission last moved, for the
			// daily earnings digest; updates that leave that day alone
			// (maturity, payouts) write no entry.
			{Name: "gsi3", PartitionKey: "gsi3pk", SortKey: "gsi3sk", KeysOnly: true},
		},
	}
	PayoutsQueue   = Queue{Name: "partnerloop-payouts", VisibilitySeconds: 180, MaxReceiveCount: 5, MaxConcurrency: 5, URLEnv: EnvPayoutsQueue, Redrive: true}
	DonationsQueue = Queue{Name: "partnerloop-donations", VisibilitySeconds: 180, MaxReceiveCount: 5, MaxConcurrency: 2, URLEnv: EnvDonationsQueue, Redrive: true}
	// NotifyQueue carries outbound webhook deliveries. A failed one comes
	// back after a growing delay (30 s doubling to 2 h); 20 receives span
	// more than a day before the dead-letter queue keeps it.
	NotifyQueue = Queue{Name: "partnerloop-notify", VisibilitySeconds: 180, MaxReceiveCount: 20, MaxConcurrency: 5, URLEnv: EnvNotifyQueue,
		AgeAlarmSeconds: 6 * 3600}
	// MailQueue carries e-mails to the mailer; a failed send (SES
	// throttling, an outage) comes back after the visibility timeout.
	MailQueue = Queue{Name: "partnerloop-mail", VisibilitySeconds: 180, MaxReceiveCount: 10, MaxConcurrency: 5, URLEnv: EnvMailQueue}
	Queues    = []Queue{PayoutsQueue, DonationsQueue, NotifyQueue, MailQueue}

	// Each function's Work is BenchmarkFunctionWork's measure on a 2-core
	// x86 machine against the emulators (CPU includes the test client's).
	Functions = []Function{
		{
			Name: "Api", Dir: "api", Timeout: 29,
			Routes: []Route{
				{"GET", "/healthz", false},
				{"GET", "/v1/openapi.json", false},
				{"POST", "/v1/partners", true},
				{"GET", "/v1/partners", true},
				{"GET", "/v1/payout-batches", true},
				{"GET", "/v1/partners/{id}", true},
				{"GET", "/v1/partners/{id}/statement", true},
				{"PATCH", "/v1/partners/{id}", true},
				{"PATCH", "/v1/partners/{id}/settings", true},
				{"GET", "/v1/partners/{id}/qr.svg", true},
				{"GET", "/v1/partners/{id}/notifications", true},
				{"PATCH", "/v1/partners/{id}/notifications", true},
				{"GET", "/v1/partners/{id}/inbox", true},
				{"POST", "/v1/partners/{id}/inbox/{mid}/read", true},
				{"POST", "/v1/partners/{id}/inbox/{mid}/replies", true},
				{"POST", "/v1/messages", true},
				{"GET", "/v1/messages", true},
				{"POST", "/v1/messages/preview", true},
				{"GET", "/v1/messages/{id}", true},
				{"GET", "/v1/messages/{id}/replies", true},
				{"GET", "/v1/fraud/cases", true},
				{"GET", "/v1/fraud/cases/{id}", true},
				{"POST", "/v1/fraud/cases/{id}/resolve", true},
				{"POST", "/v1/fraud/cases/{id}/confirm", true},
				// One-click unsubscribe from an e-mail (RFC 8058): a signed link.
				{"GET", "/unsubscribe/{token}", false},
				{"POST", "/unsubscribe/{token}", false},
				{"GET", "/v1/accruals/held", true},
				{"POST", "/v1/accruals/{source}/{order_id}/release", true},
				{"POST", "/v1/payout-batches", true},
				{"GET", "/v1/payout-batches/{id}", true},
				{"POST", "/v1/payout-batches/{id}/approve", true},
				{"POST", "/v1/payout-batches/{id}/cancel", true},
				{"GET", "/v1/payout-batches/{id}/audit", true},
				{"POST", "/v1/payout-batches/{id}/items/{item_id}/exclude", true},
				{"POST", "/v1/queues/{queue}/redrive", true},
				{"GET", "/v1/payout-batches/{id}/export", true},
				{"POST", "/v1/payout-batches/{id}/items/{item_id}/paid", true},
				{"POST", "/v1/charities", true},
				{"GET", "/v1/charities", true},
				{"GET", "/v1/charities/{id}/receipts", true},
				{"GET", "/v1/reports/owed", true},
				{"GET", "/v1/reports/payments", true},
				{"GET", "/v1/reports/donations", true},
				{"GET", "/v1/reports/roi", true},
				{"GET", "/v1/program", true},
				{"PUT", "/v1/program", true},
				{"GET", "/v1/program/versions", true},
				{"POST", "/v1/groups", true},
				{"GET", "/v1/groups", true},
				{"GET", "/v1/groups/{id}", true},
				{"PATCH", "/v1/groups/{id}", true},
				{"GET", "/v1/me", true},
				{"POST", "/v1/challenges", true},
				{"GET", "/v1/challenges", true},
				{"GET", "/v1/challenges/{id}", true},
				{"POST", "/v1/challenges/{id}/submissions", true},
				{"GET", "/v1/challenges/{id}/submissions", true},
				{"POST", "/v1/challenges/{id}/submissions/{sid}/approve", true},
				{"POST", "/v1/challenges/{id}/submissions/{sid}/reject", true},
				{"GET", "/v1/leaderboard", true},
				{"POST", "/v1/rewards", true},
				{"GET", "/v1/rewards", true},
				{"POST", "/v1/redemptions", true},
				{"GET", "/v1/redemptions", true},
				{"POST", "/v1/redemptions/{id}/fulfil", true},
				{"POST", "/v1/redemptions/{id}/cancel", true},
				{"POST", "/v1/webhook-endpoints", true},
				{"GET", "/v1/webhook-endpoints", true},
				{"GET", "/v1/webhook-endpoints/{id}", true},
				{"DELETE", "/v1/webhook-endpoints/{id}", true},
				{"GET", "/v1/webhook-endpoints/{id}/deliveries", true},
				// The console's edits, points adjustments and webhook care.
				{"PATCH", "/v1/challenges/{id}", true},
				{"POST", "/v1/challenges/{id}/end", true},
				{"PATCH", "/v1/rewards/{id}", true},
				{"POST", "/v1/partners/{id}/points", true},
				{"POST", "/v1/webhook-endpoints/{id}/rotate-secret", true},
				{"POST", "/v1/webhook-endpoints/{id}/deliveries/{event_id}/resend", true},
				{"GET", "/v1/audit", true},
				{"GET", "/v1/team", true},
				{"POST", "/v1/team", true},
				{"PATCH", "/v1/team/{id}", true},
				{"DELETE", "/v1/team/{id}", true},
				{"GET", "/v1/sign-in", false},
				// Customer referrals: API keys (admin), groups' discount
				// codes; the widget's token, read with an API key, and its
				// data, read with that token (both checked by the function,
				// not the JWT authorizer); the widget's page and script.
				{"POST", "/v1/api-keys", true},
				{"GET", "/v1/api-keys", true},
				{"DELETE", "/v1/api-keys/{id}", true},
				{"POST", "/v1/groups/{id}/discount-codes", true},
				{"GET", "/v1/groups/{id}/discount-codes.csv", true},
				{"POST", "/v1/embed/tokens", false},
				{"GET", "/v1/embed/widget", false},
				{"GET", "/embed", false},
				{"GET", "/embed/snippet.js", false},
				// Applications: the public join page, its data and beacon,
				// the application and its e-mail's confirmation (bounded,
				// rate-limited, throttled: RouteThrottles); the review.
				{"GET", "/join/{slug}", false},
				{"GET", "/join/confirm/{token}", false},
				{"GET", "/v1/join/{slug}", false},
				{"POST", "/v1/join/{slug}/started", false},
				{"POST", "/v1/applications", false},
				{"POST", "/v1/applications/confirm", false},
				{"GET", "/v1/applications", true},
				{"GET", "/v1/applications/{id}", true},
				{"POST", "/v1/applications/{id}/approve", true},
				{"POST", "/v1/applications/{id}/reject", true},
				{"GET", "/v1/reports/applications", true},
				// The portal and the console: pages and their assets.
				{"GET", "/", false},
				{"GET", "/portal", false},
				{"GET", "/console", false},
				{"GET", "/assets/{file}", false},
			},
			Access: Access{Table: []string{GetItem, BatchGetItem, Query, PutItem, UpdateItem, DeleteItem, ConditionCheckItem}, SendTo: []string{PayoutsQueue.Name, DonationsQueue.Name, NotifyQueue.Name}, RedriveDLQs: true,
				MailLinks: true, ManagesTeam: true,
				// HashKey: applicants' e-mails, the rate-limit keys and the
				// payout-method hashes (shared_payout_method) are keyed hashes.
				HashKey: true},
			Work: Work{CPU: 7500 * time.Microsecond, Requests: 8}, // a partner's statement
		},
		{
			Name: "Webhooks", Dir: "webhooks", Timeout: 29,
			Routes: []Route{
				{"POST", "/webhooks/orders", false},
				{"POST", "/webhooks/referrals", false},
				{"POST", "/webhooks/shopify", false},
				{"POST", "/webhooks/stripe", false},
				{"POST", "/webhooks/woocommerce", false},
				{"POST", "/webhooks/activities", false},
			},
			Access: Access{Table: []string{GetItem, BatchGetItem, Query, PutItem, UpdateItem, ConditionCheckItem}, WebhookSecrets: true, HashKey: true},
			Work:   Work{CPU: 2700 * time.Microsecond, Requests: 2}, // an attributed order
		},
		{
			Name: "Redirect", Dir: "redirect", Timeout: 10,
			Routes: []Route{{"GET", "/r/{code}", false}},
			// HashKey: a click keeps its device's hash (same_device).
			Access: Access{Table: []string{GetItem, UpdateItem}, HashKey: true},
			Work:   Work{CPU: 1000 * time.Microsecond, Requests: 1}, // a click, its code cached
		},
		{
			// Also queues the daily earnings digests of the day that ended.
			Name: "Maturity", Dir: "maturity", Timeout: 300, Schedule: "rate(1 hour)",
			Access: Access{Table: []string{GetItem, Query, PutItem, UpdateItem, DeleteItem}, SendTo: []string{MailQueue.Name}},
			Work:   Work{CPU: 1700 * time.Microsecond, Requests: 2}, // an accrual
		},
		{
			Name: "Performance", Dir: "performance", Timeout: 300, Schedule: "rate(1 hour)",
			Access: Access{Table: []string{GetItem, BatchGetItem, Query, PutItem, UpdateItem}},
			Work:   Work{CPU: 1700 * time.Microsecond, Requests: 4}, // a partner
		},
		{
			// Every minute: outbound webhook events wait at most that long.
			Name: "Dispatcher", Dir: "dispatcher", Timeout: 120, Schedule: "rate(1 minute)",
			Access: Access{Table: []string{GetItem, Query, PutItem, UpdateItem, DeleteItem}, SendTo: []string{PayoutsQueue.Name, DonationsQueue.Name, NotifyQueue.Name, MailQueue.Name}},
			// An outbox row: read, sent, deleted; not measured, its CPU
			// taken as the maturity job's per item.
			Work: Work{CPU: 1700 * time.Microsecond, Requests: 3},
		},
		{
			Name: "Notifier", Dir: "notifier", Timeout: 30,
			Access: Access{Table: []string{GetItem, PutItem}, ConsumeFrom: NotifyQueue.Name, DelaysRetries: true},
			// A delivery, waiting on the owner's endpoint; not measured,
			// its CPU taken as the payout leg's.
			Work: Work{CPU: 2800 * time.Microsecond, Requests: 2, Remote: RemoteLatency},
		},
		{
			// E-mail jobs from the mail queue (sent through SES) and SES
			// bounce and complaint notifications from SNS.
			Name: "Mailer", Dir: "mailer", Timeout: 30,
			// BatchGetItem: a digest reads the day's accruals.
			Access: Access{Table: []string{GetItem, BatchGetItem, Query, PutItem, UpdateItem, DeleteItem}, ConsumeFrom: MailQueue.Name, SendsEmail: true, MailLinks: true},
			// An e-mail: partner, preferences, suppression, claim, mark;
			// not measured, its CPU taken as the payout leg's, its wait SES's.
			Work: Work{CPU: 2800 * time.Microsecond, Requests: 5, Remote: RemoteLatency},
		},
		{
			Name: "PayoutWorker", Dir: "payoutworker", Timeout: 30,
			Access: Access{Table: []string{GetItem, Query, PutItem, UpdateItem}, ConsumeFrom: PayoutsQueue.Name, ProviderSecrets: true},
			Work:   Work{CPU: 2800 * time.Microsecond, Requests: 2, Remote: RemoteLatency}, // a leg, waiting on the provider
		},
		{
			Name: "DonationWorker", Dir: "donationworker", Timeout: 30,
			Access: Access{Table: []string{GetItem, Query, PutItem, UpdateItem}, ConsumeFrom: DonationsQueue.Name},
			// A charity's donation; not measured, its CPU taken as the
			// payout leg's (the same work), its wait the provider's.
			Work: Work{CPU: 2800 * time.Microsecond, Requests: 3, Remote: RemoteLatency},
		},
	}
)

// Throttle is an API Gateway route's own limit: requests a second
// (steady) and the burst above it.
type Throttle struct {
	Rate  float64
	Burst int
}

// RouteThrottles are the limits of the public routes that write, tighter
// than the stage's: an application is a person's work, so a burst of them
// is a robot's, and the rate limits in the table (per address, per
// e-mail) then cost no more than these allow.
var RouteThrottles = map[string]Throttle{
	"POST /v1/applications":         {Rate: 5, Burst: 20},
	"POST /v1/applications/confirm": {Rate: 5, Burst: 20},
	"POST /v1/join/{slug}/started":  {Rate: 50, Burst: 100},
	"GET /v1/join/{slug}":           {Rate: 100, Burst: 200},
}

// AllRoutes lists every HTTP route of every function.
func AllRoutes() []Route {
	var out []Route
	for _, f := range Functions {
		out = append(out, f.Routes...)
	}
	return out
}
