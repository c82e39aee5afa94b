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

// FuzzFromGatewayClaims: any flattened groups claim parses without panic
// into the groups it names, from either claim name.
func FuzzFromGatewayClaims(f *testing.F) {
	f.Add("[finance admin]", "")
	f.Add(`["finance"]`, "[partner]")
	f.Add("", `["admin"]`)
	f.Fuzz(func(t *testing.T, groups, cognito string) {
		p, err := FromGatewayClaims(map[string]string{"sub": "s", "groups": groups, "cognito:groups": cognito})
		if err != nil || p.Subject != "s" {
			t.Fatalf("%v %+v", err, p)
		}
	})
}
