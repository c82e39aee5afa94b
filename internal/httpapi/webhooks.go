package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/partnerloop/partnerloop/internal/ledger"
	"github.com/partnerloop/partnerloop/internal/obs"
	"github.com/partnerloop/partnerloop/internal/partner"
	"github.com/partnerloop/partnerloop/internal/referral"
	"github.com/partnerloop/partnerloop/internal/webhook"
)

// verified reads the body and checks it with verify against the sender's
// secret (pick chooses it from the current secrets); on failure it has
// already answered and nothing was stored.
func (s *Server) verified(w http.ResponseWriter, r *http.Request, pick func(WebhookSecrets) []byte, verify func(body, secret []byte) error) ([]byte, bool) {
	secrets, err := s.Secrets(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	secret := pick(secrets)
	if len(secret) == 0 {
		// An empty key would let anyone sign; refuse until the secret is set.
		s.Log.ErrorContext(r.Context(), "webhook secret not configured", "path", r.URL.Path)
		s.fail(w, r, errNotConfigured)
		return nil, false
	}
	body, ok := s.readBody(w, r)
	if !ok {
		return nil, false
	}
	if err := verify(body, secret); err != nil {
		if !errors.Is(err, webhook.ErrStale) {
			err = errInvalidSignature
		}
		s.fail(w, r, err)
		return nil, false
	}
	return body, true
}

func (s *Server) timestamped(w http.ResponseWriter, r *http.Request, header string, pick func(WebhookSecrets) []byte) ([]byte, bool) {
	return s.verified(w, r, pick, func(body, secret []byte) error {
		return webhook.VerifyTimestamped(r.Header.Get(header), body, secret, s.Now())
	})
}

func generic(ws WebhookSecrets) []byte     { return ws.Generic }
func shopify(ws WebhookSecrets) []byte     { return ws.Shopify }
func stripe(ws WebhookSecrets) []byte      { return ws.Stripe }
func wooCommerce(ws WebhookSecrets) []byte { return ws.WooCommerce }

func (s *Server) genericOrder(w http.ResponseWriter, r *http.Request) {
	body, ok := s.timestamped(w, r, "Partnerloop-Signature", generic)
	if !ok {
		return
	}
	evt, err := webhook.ParseGeneric(body, s.Hasher)
	s.record(w, r, err, evt)
}

func (s *Server) shopify(w http.ResponseWriter, r *http.Request) {
	body, ok := s.verified(w, r, shopify, func(b, secret []byte) error {
		return webhook.VerifyBase64HMAC(r.Header.Get("X-Shopify-Hmac-Sha256"), b, secret)
	})
	if !ok {
		return
	}
	id := r.Header.Get("X-Shopify-Webhook-Id")
	if id == "" {
		s.fail(w, r, fmt.Errorf("%w: X-Shopify-Webhook-Id is required", errInvalidEvent))
		return
	}
	evt, handled, err := webhook.ParseShopify(r.Header.Get("X-Shopify-Topic"), id, body, s.Hasher)
	if !handled {
		s.record(w, r, err)
		return
	}
	s.record(w, r, err, evt)
}

// wooCommerce takes WooCommerce's order.created / order.updated deliveries;
// the unsigned ping sent when a webhook is created is acknowledged.
func (s *Server) wooCommerce(w http.ResponseWriter, r *http.Request) {
	sig := r.Header.Get("X-WC-Webhook-Signature")
	ping := false
	body, ok := s.verified(w, r, wooCommerce, func(b, secret []byte) error {
		if ping = webhook.IsWooCommercePing(sig, b); ping {
			return nil
		}
		return webhook.VerifyBase64HMAC(sig, b, secret)
	})
	if !ok {
		return
	}
	if ping {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ping"})
		return
	}
	id := r.Header.Get("X-WC-Webhook-Delivery-ID")
	if id == "" {
		s.fail(w, r, fmt.Errorf("%w: X-WC-Webhook-Delivery-ID is required", errInvalidEvent))
		return
	}
	evts, err := webhook.ParseWooCommerce(r.Header.Get("X-WC-Webhook-Topic"), id, body, s.Hasher)
	s.record(w, r, err, evts...)
}

func (s *Server) stripe(w http.ResponseWriter, r *http.Request) {
	body, ok := s.timestamped(w, r, "Stripe-Signature", stripe)
	if !ok {
		return
	}
	d, err := webhook.ParseStripe(body, s.Hasher)
	switch {
	case err != nil || d.Subscription == nil && d.Order == nil:
		s.record(w, r, err)
		return
	case d.Subscription == nil:
		s.record(w, r, nil, *d.Order)
		return
	}
	_, err = s.Referrals.RecordSubscription(r.Context(), d.Subscription.ID, d.Subscription.ReferralCode, d.Subscription.Customer, d.Subscription.At)
	switch {
	case errors.Is(err, partner.ErrNotFound):
		writeJSON(w, http.StatusOK, map[string]string{"status": "ignored"}) // not a referred subscription
	case errors.Is(err, referral.ErrInvalidLead):
		s.fail(w, r, invalidEvent(err)) // the subscription's own data, not a sign-up
	case err != nil:
		s.fail(w, r, err)
	default:
		writeJSON(w, http.StatusOK, map[string]string{"status": "recorded"})
	}
}

// record hands the parsed events of one delivery to the ledger, in order,
// and maps the result to HTTP: 4xx for what retrying cannot fix, 5xx for
// what it can (a retried delivery finds what was applied a duplicate). No
// events means the delivery was not about an order: 200 ignored. The answer
// is the last event's outcome.
func (s *Server) record(w http.ResponseWriter, r *http.Request, parseErr error, evts ...ledger.Event) {
	switch {
	case parseErr != nil:
		s.fail(w, r, invalidEvent(parseErr))
		return
	case len(evts) == 0:
		writeJSON(w, http.StatusOK, map[string]string{"status": "ignored"})
		return
	}
	var out ledger.Outcome
	for _, evt := range evts {
		var err error
		out, err = s.Ledger.Record(r.Context(), evt)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.Log.InfoContext(r.Context(), "order event", "source", evt.Source, "event_id", evt.ID, "kind", evt.Kind,
			"order_id", evt.OrderID, "status", out.Status, "partner_id", out.PartnerID, "commission", out.Commission)
		s.measure(evt, out)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) referralLead(w http.ResponseWriter, r *http.Request) {
	body, ok := s.timestamped(w, r, "Partnerloop-Signature", generic)
	if !ok {
		return
	}
	in, err := webhook.ParseLead(body, s.Hasher)
	if err != nil {
		s.fail(w, r, invalidEvent(err))
		return
	}
	touch, err := s.Referrals.RecordSignUp(r.Context(), in.ID, in.ReferralCode, in.CustomerID, in.EmailHash)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "recorded", "partner_id": touch.PartnerID, "referred_at": touch.At})
}

// measure reports an order event's outcome: applied or duplicate per
// source, refunds, and the commission it accrued per currency.
func (s *Server) measure(evt ledger.Event, out ledger.Outcome) {
	name := "OrdersApplied"
	if out.Status == ledger.StatusDuplicate {
		name = "OrdersDuplicate"
	}
	metrics := []obs.Metric{{Name: name, Unit: obs.Count, Value: 1}}
	if evt.Kind == ledger.OrderRefunded && out.Status != ledger.StatusDuplicate {
		metrics = append(metrics, obs.Metric{Name: "Refunds", Unit: obs.Count, Value: 1})
	}
	s.Metrics.Emit(map[string]string{"Source": evt.Source}, metrics...)
	if out.Status != ledger.StatusDuplicate && evt.Kind == ledger.OrderPaid && out.Commission > 0 && evt.Currency != "" {
		s.Metrics.Emit(map[string]string{"Currency": string(evt.Currency)}, obs.Metric{Name: "CommissionAccrued", Unit: obs.None, Value: out.Commission})
	}
}
