// Package webhook verifies signed deliveries from shops and payment providers
// and normalises their payloads into ledger events.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Tolerance is how far a signed timestamp may be from now.
const Tolerance = 5 * time.Minute

var (
	// ErrSignature means the signature is missing or does not match.
	ErrSignature = errors.New("invalid signature")
	// ErrStale means the signed timestamp is outside the tolerance.
	ErrStale = errors.New("signature timestamp outside tolerance")
)

// VerifyTimestamped checks a "t=<unix>,v1=<hex>[,v1=<hex>]" header, the scheme
// used by the generic endpoint and by Stripe: HMAC-SHA256 of "t.body". Any v1
// may match, so a sender can roll its secret.
func VerifyTimestamped(header string, body, secret []byte, now time.Time) error {
	var ts int64 = -1
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("%w: bad timestamp", ErrSignature)
			}
			ts = n
		case "v1":
			if sig, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, sig)
			}
		}
	}
	if ts < 0 || len(sigs) == 0 {
		return fmt.Errorf("%w: header must carry t= and v1=", ErrSignature)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	want := mac.Sum(nil)
	matched := false
	for _, sig := range sigs {
		// hmac.Equal is constant-time; check all to keep timing independent of position.
		if hmac.Equal(sig, want) {
			matched = true
		}
	}
	if !matched {
		return ErrSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > Tolerance || d < -Tolerance {
		return ErrStale
	}
	return nil
}

// SignTimestamped produces the header VerifyTimestamped accepts; shops,
// tests and the README examples use it.
func SignTimestamped(body, secret []byte, at time.Time) string {
	return SignTimestampedWith(body, at, secret)
}

// SignTimestampedWith signs with each secret in turn, one v1 each, as a
// sender rotating its secret does while receivers move to the new one.
func SignTimestampedWith(body []byte, at time.Time, secrets ...[]byte) string {
	t := strconv.FormatInt(at.Unix(), 10)
	header := "t=" + t
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(t + "."))
		mac.Write(body)
		header += ",v1=" + hex.EncodeToString(mac.Sum(nil))
	}
	return header
}

// VerifyBase64HMAC checks a base64 HMAC-SHA256 of the raw body, the scheme
// of Shopify's X-Shopify-Hmac-Sha256 and WooCommerce's X-WC-Webhook-Signature.
func VerifyBase64HMAC(header string, body, secret []byte) error {
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(header))
	if err != nil || len(got) == 0 {
		return fmt.Errorf("%w: header must be base64", ErrSignature)
	}
	if !hmac.Equal(got, SignRaw(body, secret)) {
		return ErrSignature
	}
	return nil
}

// SignRaw is the raw HMAC-SHA256 of the body that Shopify and WooCommerce
// send base64-encoded.
func SignRaw(body, secret []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return mac.Sum(nil)
}
