package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/partnerloop/partnerloop/internal/outbox"
	"github.com/partnerloop/partnerloop/internal/webhook"
)

// SignatureHeader carries "t=<unix>,v1=<hex>", the scheme inbound webhooks
// use; during a secret rotation's overlap it carries a second v1, made with
// the previous secret, and a receiver accepts the delivery if either matches.
const SignatureHeader = "Partnerloop-Signature"

// Timeout bounds one delivery attempt.
const Timeout = 5 * time.Second

// Poster posts signed events. Unless allowPrivate, it refuses to connect to
// any address that is not public (isPublic), checked on the address actually
// dialled (after DNS), so a name that resolves inside the network cannot
// reach it.
type Poster struct {
	client *http.Client
	now    func() time.Time
}

// NewPoster returns a poster; allowPrivate is for local runs and tests.
func NewPoster(allowPrivate bool, now func() time.Time) *Poster {
	dialer := &net.Dialer{Timeout: Timeout}
	if !allowPrivate {
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: Timeout, MaxIdleConnsPerHost: 4}
	return &Poster{now: now, client: &http.Client{Timeout: Timeout, Transport: transport,
		// A redirect could lead anywhere; the endpoint's URL is the contract.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// ErrForbiddenAddress is an endpoint resolving to a non-public address.
var ErrForbiddenAddress = errors.New("endpoint address is not public")

func refusePrivate(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !isPublic(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	return nil
}

// Failure categories of a delivery attempt, as the deliveries log shows
// them: the raw error would tell an endpoint's admin the addresses its name
// resolved to inside our network.
const (
	FailureConnect        = "connect_failed"
	FailureTimeout        = "timeout"
	FailureTLS            = "tls"
	FailureRefusedAddress = "refused_address"
)

// failureCategory names why an attempt failed: the endpoint's answer
// (http_<code>) or what stopped the request before one.
func failureCategory(code int, err error) string {
	var timeout interface{ Timeout() bool }
	var certInvalid x509.CertificateInvalidError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var verification *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case code != 0:
		return fmt.Sprintf("http_%d", code)
	case errors.Is(err, ErrForbiddenAddress):
		return FailureRefusedAddress
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &timeout) && timeout.Timeout():
		return FailureTimeout
	case errors.As(err, &verification), errors.As(err, &certInvalid), errors.As(err, &unknownAuthority),
		errors.As(err, &hostname), errors.As(err, &record), errors.As(err, &alert):
		return FailureTLS
	}
	return FailureConnect
}

// Post sends the event to the endpoint and returns the response code; any
// answer but 2xx is an error.
func (p *Poster) Post(ctx context.Context, e Endpoint, evt outbox.Event) (int, error) {
	body, err := json.Marshal(evt)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Partnerloop-Webhooks/1")
	now := p.now()
	req.Header.Set(SignatureHeader, webhook.SignTimestampedWith(body, now, e.signingSecrets(now)...))
	res, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // reuse the connection
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("endpoint answered %d", res.StatusCode)
	}
	return res.StatusCode, nil
}

// RetryDelay is how long a failed delivery waits before attempt n+1 (n ≥ 1):
// 30 s doubling to at most 2 hours. With MaxAttempts attempts the retries
// span more than a day (see RetrySpan).
func RetryDelay(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < maxRetryDelay; i++ {
		d *= 2
	}
	return min(d, maxRetryDelay)
}

const maxRetryDelay = 2 * time.Hour

// MaxAttempts is the notifier queue's receive count before the dead-letter queue.
const MaxAttempts = 20

// RetrySpan is the time from the first attempt to the last.
func RetrySpan(base time.Duration) time.Duration {
	var total time.Duration
	for n := 1; n < MaxAttempts; n++ {
		total += RetryDelay(base, n)
	}
	return total
}
