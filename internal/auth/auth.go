// Package auth decides who may call the staff and partner APIs. Tokens
// are JWTs: in AWS the API Gateway JWT authorizer verifies them and passes the
// claims on; locally HS256 tokens are verified with a development secret.
package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/partnerloop/partnerloop/internal/appspec"
)

// The staff groups, one per role.
const (
	GroupAdmin   = appspec.GroupAdmin
	GroupFinance = appspec.GroupFinance
	GroupManager = appspec.GroupManager
	GroupViewer  = appspec.GroupViewer
	GroupSupport = appspec.GroupSupport
)

// Principal is an authenticated caller.
type Principal struct {
	Subject   string
	Groups    []string
	PartnerID string
}

// ErrUnauthenticated means no valid token was presented.
var ErrUnauthenticated = errors.New("missing or invalid bearer token")

// ErrMixedPrincipal is a token naming both a partner and a staff group.
// Honouring it would grant the union (staff reads of every partner and
// the partner's own redemptions), so it is refused as a whole.
var ErrMixedPrincipal = fmt.Errorf("%w: a token is for staff (a staff role) or for a partner (partner_id), never both", ErrUnauthenticated)

// newPrincipal is the one place a verified token's claims become a
// principal, for the local verifier and the gateway's claims alike.
func newPrincipal(subject string, groups []string, partnerID string) (Principal, error) {
	p := Principal{Subject: subject, Groups: groups, PartnerID: partnerID}
	switch {
	case subject == "":
		return Principal{}, ErrUnauthenticated
	case partnerID != "" && p.IsStaff():
		return Principal{}, ErrMixedPrincipal
	}
	return p, nil
}

// BearerToken reads the token of an Authorization header. The scheme name
// is case-insensitive (RFC 7235), so "bearer x" and "BEARER x" are read too.
func BearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

type claims struct {
	Groups    []string `json:"groups"`
	PartnerID string   `json:"partner_id"`
	jwt.RegisteredClaims
}

// HS256 verifies locally issued tokens.
type HS256 struct{ Secret []byte }

// errCriticalExtension refuses a header naming extensions in "crit": this
// verifier implements none, and RFC 7515 §4.1.11 requires refusing a token
// whose critical extensions are not understood.
var errCriticalExtension = errors.New("the token names critical header extensions")

// Verify checks signature, algorithm and expiry of a bearer token.
func (h HS256) Verify(token string) (Principal, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		if _, ok := t.Header["crit"]; ok {
			return nil, errCriticalExtension
		}
		return h.Secret, nil
	}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(30*time.Second))
	if err != nil {
		return Principal{}, ErrUnauthenticated
	}
	return newPrincipal(c.Subject, c.Groups, c.PartnerID)
}

// Issue signs a token; the local runner prints one for finance and one for a
// partner, and tests use it.
func (h HS256) Issue(subject string, groups []string, partnerID string, ttl time.Duration) (string, error) {
	c := claims{Groups: groups, PartnerID: partnerID, RegisteredClaims: jwt.RegisteredClaims{
		Subject: subject, ExpiresAt: jwt.NewNumericDate(time.Now().Add(ttl)), IssuedAt: jwt.NewNumericDate(time.Now())}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(h.Secret)
}

// FromGatewayClaims builds a principal from claims already verified by the
// API Gateway JWT authorizer, which flattens arrays to "[a b]" strings.
// Groups come from "groups" or Cognito's "cognito:groups"; the partner id
// from "partner_id" or Cognito's custom attribute "custom:partner_id".
func FromGatewayClaims(c map[string]string) (Principal, error) {
	groups := parseGroups(c["groups"])
	for _, g := range parseGroups(c["cognito:groups"]) {
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	partnerID := c["partner_id"]
	if partnerID == "" {
		partnerID = c["custom:partner_id"]
	}
	return newPrincipal(c["sub"], groups, partnerID)
}

func parseGroups(v string) []string {
	v = strings.TrimSpace(v)
	var arr []string
	if json.Unmarshal([]byte(v), &arr) == nil {
		return arr
	}
	return strings.Fields(strings.Trim(v, "[]"))
}
