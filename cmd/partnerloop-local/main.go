// Command partnerloop-local runs the whole service on this machine: the
// emulators, the table and queues, every HTTP route on one port, the queue
// workers as pollers and the scheduled functions on short timers.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/partnerloop/partnerloop/internal/app"
	"github.com/partnerloop/partnerloop/internal/app/withlocal"
	"github.com/partnerloop/partnerloop/internal/appspec"
	"github.com/partnerloop/partnerloop/internal/auth"
	"github.com/partnerloop/partnerloop/internal/devenv"
	"github.com/partnerloop/partnerloop/internal/httpapi"
	"github.com/partnerloop/partnerloop/internal/money"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/program"
	"github.com/partnerloop/partnerloop/internal/sqsqueue"
	"github.com/partnerloop/partnerloop/internal/web"
)

// Development defaults: each is used only when its variable is unset.
var devDefaults = map[string]string{
	"PARTNERLOOP_DEV_JWT_SECRET":     "dev-jwt-secret-change-me",
	"PARTNERLOOP_WEBHOOK_SECRET":     "dev-webhook-secret",
	"PARTNERLOOP_SHOPIFY_SECRET":     "dev-shopify-secret",
	"PARTNERLOOP_STRIPE_SECRET":      "whsec_dev",
	"PARTNERLOOP_WOOCOMMERCE_SECRET": "dev-woocommerce-secret",
	"PARTNERLOOP_EMAIL_HASH_KEY":     "dev-email-hash-key",
	"PARTNERLOOP_UNSUBSCRIBE_KEY":    "dev-unsubscribe-key",
	appspec.EnvMailFrom:              "partners@partnerloop.local",
	appspec.EnvFinanceEmails:         "finance@partnerloop.local,finance2@partnerloop.local",
	"PARTNERLOOP_ADDR":               "127.0.0.1:8080",
}

func env(name string) string { return cmp.Or(os.Getenv(name), devDefaults[name]) }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "partnerloop-local:", err)
		os.Exit(1)
	}
}

// demoProgram pays out right away so the whole flow can be tried in minutes.
func demoProgram() (program.Program, error) {
	if raw := os.Getenv(appspec.EnvProgram); raw != "" {
		return program.Parse([]byte(raw))
	}
	p := program.Default()
	p.HoldDays = 0
	p.MinimumPayout = map[money.Currency]int64{"EUR": 1000, "USD": 1000, "GBP": 1000}
	return p, p.Validate()
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := app.Logger()
	prog, err := demoProgram()
	if err != nil {
		return err
	}
	// Take the port first, so a second copy fails before starting anything.
	addr := env("PARTNERLOOP_ADDR")
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	root, err := devenv.RepoRoot()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(root, ".local"), 0o755); err != nil {
		return err
	}
	logs, err := os.Create(filepath.Join(root, ".local/emulators.log"))
	if err != nil {
		return err
	}
	defer logs.Close()
	emu, err := devenv.Start(ctx, logs)
	if err != nil {
		return err
	}
	defer emu.Stop()
	db, q := emu.Clients()
	res, err := app.Provision(ctx, db, q, "")
	if err != nil {
		return err
	}
	// Stripe Connect payouts go to stripe-mock unless a key is configured.
	stripeKey, stripeBase := os.Getenv("PARTNERLOOP_STRIPE_API_KEY"), os.Getenv("PARTNERLOOP_STRIPE_API_BASE")
	if stripeKey == "" {
		mock, err := devenv.StartStripeMock(ctx, logs, 0)
		if err != nil {
			return err
		}
		defer mock.Stop()
		stripeKey, stripeBase = "sk_test_local", mock.Endpoint
	}
	base := "http://" + addr
	jwt := auth.HS256{Secret: []byte(env("PARTNERLOOP_DEV_JWT_SECRET"))}
	site, err := web.New(web.SignIn{DevSignIn: devenv.SignInPath})
	if err != nil {
		return err
	}
	cfg := app.Config{Web: site,
		Table: res.Table, PayoutsURL: res.PayoutsURL(), DonationsURL: res.DonationsURL(),
		PayoutsDLQURL: res.QueueURLs[appspec.PayoutsQueue.Name+"-dlq"], DonationsDLQURL: res.QueueURLs[appspec.DonationsQueue.Name+"-dlq"], PublicBaseURL: base, Program: prog,
		NotifyURL: res.NotifyURL(), LocalWebhooks: true,
		MailURL: res.MailURL(), FinanceEmails: strings.Split(env(appspec.EnvFinanceEmails), ","),
		Secrets: app.Secrets{Generic: env("PARTNERLOOP_WEBHOOK_SECRET"), Shopify: env("PARTNERLOOP_SHOPIFY_SECRET"),
			Stripe: env("PARTNERLOOP_STRIPE_SECRET"), WooCommerce: env("PARTNERLOOP_WOOCOMMERCE_SECRET"), EmailHashKey: env("PARTNERLOOP_EMAIL_HASH_KEY"),
			UnsubscribeKey: env("PARTNERLOOP_UNSUBSCRIBE_KEY")},
	}
	withlocal.Adapters{SES: emu.SES(), MailFrom: env(appspec.EnvMailFrom), StripeAPIKey: stripeKey, StripeAPIBase: stripeBase}.Wire(&cfg)
	a := app.New(db, q, cfg, httpapi.BearerHS256(jwt), log)

	demo, err := a.Server.Partners.Create(ctx, partner.NewPartner{Name: "Demo Reseller", Email: "demo@partner.example", Tier: "silver"})
	if err != nil {
		return fmt.Errorf("create demo partner: %w", err)
	}
	users := devenv.DemoUsers(demo.ID)
	mux := http.NewServeMux()
	mux.Handle("/", a.Server.Handler(appspec.AllRoutes()))
	devenv.SignIn{Users: users, Team: a.Server.Team, Tokens: jwt, SecurityHeaders: site.SecurityHeaders}.Register(mux)
	srv := newServer(mux, localLimits)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(listener) }()
	go poll(ctx, a, res.PayoutsURL(), log)
	go poll(ctx, a, res.DonationsURL(), log)
	go every(ctx, 5*time.Second, func() error { _, err := a.Ledger.MatureDue(ctx); return err }, log)
	go every(ctx, 5*time.Second, func() error { _, err := a.Mail.SendDigests(ctx); return err }, log)
	go func() {
		for ctx.Err() == nil {
			if _, err := sqsqueue.PollMailOnce(ctx, a.SQS, res.MailURL(), a.MailWork(), 1); err != nil && ctx.Err() == nil {
				log.Warn("poll failed", "queue", res.MailURL(), "error", err)
				time.Sleep(time.Second)
			}
		}
	}()
	go every(ctx, 5*time.Second, func() error { _, err := a.Payouts.DispatchPending(ctx); return err }, log)
	go every(ctx, 5*time.Second, func() error { _, err := a.Notify.Dispatch(ctx); return err }, log)
	go every(ctx, 5*time.Second, func() error { _, err := a.Messages.StartDue(ctx); return err }, log)
	go func() {
		for ctx.Err() == nil {
			if _, err := sqsqueue.PollDeliveriesOnce(ctx, a.SQS, a.NotifyURL, a.NotifyRetryBase, a.Notify, 1); err != nil && ctx.Err() == nil {
				log.Warn("poll failed", "queue", a.NotifyURL, "error", err)
				time.Sleep(time.Second)
			}
		}
	}()
	go every(ctx, 30*time.Second, func() error { _, err := a.Performance.Run(ctx); return err }, log)

	if err := printWelcome(base, jwt, demo, users, emu); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

func poll(ctx context.Context, a *app.App, url string, log *slog.Logger) {
	for ctx.Err() == nil {
		if _, err := sqsqueue.PollOnce(ctx, a.SQS, url, a.Payouts, 1); err != nil && ctx.Err() == nil {
			log.Warn("poll failed", "queue", url, "error", err)
			time.Sleep(time.Second)
		}
	}
}

func every(ctx context.Context, d time.Duration, f func() error, log *slog.Logger) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := f(); err != nil && ctx.Err() == nil {
				log.Warn("scheduled run failed", "error", err)
			}
		}
	}
}

func printWelcome(base string, jwt auth.HS256, demo partner.Partner, users []devenv.DemoUser, emu *devenv.Emulators) error {
	// Tokens by sign-in subject: the README's walkthrough names them, and
	// the demo users' order is not part of that contract.
	tokens := map[string]string{}
	partnerSubject := ""
	for _, u := range users {
		tok, err := jwt.Issue(u.Subject, u.Groups, u.PartnerID, 12*time.Hour)
		if err != nil {
			return err
		}
		tokens[u.Subject] = tok
		if u.PartnerID != "" {
			partnerSubject = u.Subject
		}
	}
	fmt.Printf(`
Partnerloop is running on %[1]s  (Ctrl-C stops everything)
  sign in       %[1]s/dev/sign-in   (partner portal %[1]s/portal/, finance console %[1]s/console/)
  health        %[1]s/healthz
  demo partner  %[2]s  code %[3]s  link %[1]s/r/%[3]s
  DynamoDB Local %[7]s   SQS emulator %[8]s
  E-mail        %[14]s   (what was sent, as the partners read it)

Secrets (dev defaults unless set in the environment):
  PARTNERLOOP_WEBHOOK_SECRET=%[9]s
  PARTNERLOOP_SHOPIFY_SECRET=%[10]s
  PARTNERLOOP_STRIPE_SECRET=%[11]s
  PARTNERLOOP_WOOCOMMERCE_SECRET=%[13]s
  PARTNERLOOP_DEV_JWT_SECRET=%[12]s

Tokens (12 h):
  FINANCE_TOKEN=%[4]s
  FINANCE2_TOKEN=%[5]s
  ADMIN_TOKEN=%[15]s
  PARTNER_TOKEN=%[6]s

`, base, demo.ID, demo.ReferralCode, tokens["finance-alice"], tokens["finance-bob"], tokens[partnerSubject], emu.DynamoDBEndpoint, emu.SQSEndpoint,
		env("PARTNERLOOP_WEBHOOK_SECRET"), env("PARTNERLOOP_SHOPIFY_SECRET"), env("PARTNERLOOP_STRIPE_SECRET"), env("PARTNERLOOP_DEV_JWT_SECRET"),
		env("PARTNERLOOP_WOOCOMMERCE_SECRET"), emu.SESEndpoint, tokens["admin-ada"])
	return nil
}
