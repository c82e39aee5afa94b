package auth

import (
	"errors"
	"testing"
	"time"
)

// FuzzVerify: no token makes the verifier panic, and none but one signed
// with the secret (which the fuzzer cannot make) is accepted.
func FuzzVerify(f *testing.F) {
	good, _ := HS256{Secret: []byte("fuzz-secret")}.Issue("alice", []string{"finance"}, "", time.Hour)
	other, _ := HS256{Secret: []byte("other")}.Issue("mallory", []string{"admin"}, "", time.Hour)
	f.Add(other)
	f.Add(good[:len(good)-2] + "AA")
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		p, err := HS256{Secret: []byte("fuzz-secret")}.Verify(token)
		if err == nil && token != good {
			t.Fatalf("accepted a token not signed with the secret: %q → %+v", token, p)
		}
		if err != nil && !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("unexpected error: %v", err)
		}
	})
}

// FuzzFromGatewayClaims: any flattened groups claim parses without panic,
// from either claim name; without a partner id it is always accepted, and
// no accepted principal is both staff and a partner.
func FuzzFromGatewayClaims(f *testing.F) {
	f.Add("[finance admin]", "", "")
	f.Add(`["finance"]`, "[partner]", "")
	f.Add("", `["admin"]`, "pt_1")
	f.Add("[partner]", "", "pt_1")
	f.Fuzz(func(t *testing.T, groups, cognito, partnerID string) {
		p, err := FromGatewayClaims(map[string]string{"sub": "s", "groups": groups, "cognito:groups": cognito, "partner_id": partnerID})
		switch {
		case err == nil && (p.Subject != "s" || p.PartnerID != partnerID || (p.PartnerID != "" && p.IsFinance())):
			t.Fatalf("accepted %+v", p)
		case err != nil && (partnerID == "" || !errors.Is(err, ErrMixedPrincipal)):
			t.Fatalf("partner %q, groups %q %q: %v", partnerID, groups, cognito, err)
		}
	})
}
