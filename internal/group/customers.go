package group

import (
	"context"
	"fmt"
	"net/url"
	"slices"

	"github.com/partnerloop/partnerloop/internal/bounds"
	"github.com/partnerloop/partnerloop/internal/program"
)

// MaxEmbedOrigins bounds the origins that may frame a group's widget.
const MaxEmbedOrigins = 20

// checkCustomers checks what a group of customers sets: its discount, the
// origins that frame its widget and how its customers are rewarded.
func (g Group) checkCustomers() error {
	if g.Discount != nil {
		if err := g.Discount.Validate("discount"); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	if len(g.EmbedOrigins) > MaxEmbedOrigins {
		return refused("embed_origins", "must list at most %d origins", MaxEmbedOrigins)
	}
	for i, o := range g.EmbedOrigins {
		field := fmt.Sprintf("embed_origins[%d]", i)
		if err := bounds.URL.Check(field, o); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if !isOrigin(o) || slices.Contains(g.EmbedOrigins[:i], o) {
			return refused(field, "must be an https origin (https://shop.example), once")
		}
	}
	if g.CustomerRewards != "" && g.CustomerRewards != program.RewardMoney && g.CustomerRewards != program.RewardPoints {
		return refused("customer_rewards", "must be money or points")
	}
	return nil
}

// isOrigin accepts a scheme, host and port only: https, or http on a
// loopback host for a shop's local development.
func isOrigin(v string) bool {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		return h == "localhost" || h == "127.0.0.1" || h == "::1"
	}
	return false
}

// Customers reads the group as the order path and the redirect do,
// through the cache: its discount and widget settings.
func (s *Service) Customers(ctx context.Context, id string) (Group, error) {
	return s.current(ctx, id)
}
