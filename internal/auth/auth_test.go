package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestHS256(t *testing.T) {
	v := HS256{Secret: []byte("secret")}
	good, err := v.Issue("alice", []string{"finance"}, "", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(good)
	if err != nil || p.Subject != "alice" || !p.IsFinance() {
		t.Fatalf("%+v %v", p, err)
	}
	expired, _ := v.Issue("alice", nil, "", -time.Hour)
	other, _ := HS256{Secret: []byte("other")}.Issue("alice", []string{"finance"}, "", time.Minute)
	unsigned, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "alice", "groups": []string{"finance"},
		"exp": time.Now().Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "alice"}).SignedString([]byte("secret"))
	for name, tok := range map[string]string{"expired": expired, "wrong secret": other, "alg none": unsigned, "no exp": noExp, "garbage": "x.y.z"} {
		if _, err := v.Verify(tok); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestScopes(t *testing.T) {
	partner := Principal{Subject: "u", PartnerID: "pt_1"}
	if !partner.CanSeePartner("pt_1") || partner.CanSeePartner("pt_2") || partner.IsFinance() {
		t.Fatal("partner scope")
	}
	if (Principal{Subject: "u"}).CanSeePartner("") {
		t.Fatal("a principal without partner_id must not match an empty id")
	}
	if !(Principal{Groups: []string{"admin"}}).CanSeePartner("pt_2") {
		t.Fatal("admin sees all partners")
	}
}

func TestFromGatewayClaims(t *testing.T) {
	for raw, want := range map[string]int{`[finance admin]`: 2, `["finance"]`: 1, `[]`: 0, ``: 0} {
		p, err := FromGatewayClaims(map[string]string{"sub": "s", "groups": raw})
		if err != nil || len(p.Groups) != want {
			t.Errorf("groups %q → %v %v", raw, p.Groups, err)
		}
	}
	if _, err := FromGatewayClaims(map[string]string{}); !errors.Is(err, ErrUnauthenticated) {
		t.Fatal("claims without sub accepted")
	}
}

// Cognito puts groups in cognito:groups and custom attributes under custom:.
func TestCognitoClaims(t *testing.T) {
	p, err := FromGatewayClaims(map[string]string{"sub": "u1", "cognito:groups": "[finance]"})
	if err != nil || !p.IsFinance() || p.IsAdmin() {
		t.Fatalf("%+v %v", p, err)
	}
	p, err = FromGatewayClaims(map[string]string{"sub": "u3", "custom:partner_id": "pt_1"})
	if err != nil || p.IsFinance() || p.PartnerID != "pt_1" {
		t.Fatalf("%+v %v", p, err)
	}
	p, _ = FromGatewayClaims(map[string]string{"sub": "u2", "groups": "[finance]", "cognito:groups": "[admin finance]"})
	if !p.IsAdmin() || len(p.Groups) != 2 {
		t.Fatalf("merged groups %v", p.Groups)
	}
}

// A caller is staff or a partner: a token naming both is refused whole,
// whichever verifier reads it.
func TestMixedPrincipalIsRefused(t *testing.T) {
	v := HS256{Secret: []byte("secret")}
	for _, groups := range [][]string{{GroupFinance}, {GroupAdmin}, {"partner", GroupFinance}} {
		tok, _ := v.Issue("u", groups, "pt_1", time.Minute)
		if _, err := v.Verify(tok); !errors.Is(err, ErrMixedPrincipal) || !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("local token with groups %v and partner_id: %v", groups, err)
		}
	}
	for _, c := range []map[string]string{
		{"sub": "u", "groups": "[finance]", "partner_id": "pt_1"},
		{"sub": "u", "cognito:groups": "[admin]", "custom:partner_id": "pt_1"},
		{"sub": "u", "groups": `["partner"]`, "cognito:groups": "[finance]", "custom:partner_id": "pt_1"},
	} {
		if _, err := FromGatewayClaims(c); !errors.Is(err, ErrMixedPrincipal) {
			t.Errorf("gateway claims %v: %v", c, err)
		}
	}
	// A group that grants nothing does not make a partner staff.
	tok, _ := v.Issue("u", []string{"partner"}, "pt_1", time.Minute)
	if p, err := v.Verify(tok); err != nil || p.PartnerID != "pt_1" || p.IsFinance() {
		t.Errorf("partner with a non-staff group: %+v %v", p, err)
	}
}

// RFC 7515 §4.1.11: a JWS whose "crit" names an extension the verifier does
// not implement must be refused, even when correctly signed.
func TestCriticalHeaderExtensionIsRefused(t *testing.T) {
	v := HS256{Secret: []byte("secret")}
	c := jwt.MapClaims{"sub": "alice", "groups": []string{"finance"}, "exp": time.Now().Add(time.Hour).Unix()}
	plain, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(v.Secret)
	if _, err := v.Verify(plain); err != nil {
		t.Fatalf("the same token without crit: %v", err)
	}
	critical := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	critical.Header["crit"] = []string{"x-partnerloop-unknown"}
	critical.Header["x-partnerloop-unknown"] = true
	tok, _ := critical.SignedString(v.Secret)
	if _, err := v.Verify(tok); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("token with an unknown crit extension: %v", err)
	}
}

func TestBearerToken(t *testing.T) {
	for header, want := range map[string]string{
		"Bearer abc": "abc", "bearer abc": "abc", "BEARER abc": "abc", "bEaReR  abc ": "abc",
		"Basic abc": "", "Bearer": "", "Bearer ": "", "Bearerabc": "", "": "", "abc": "",
	} {
		got, ok := BearerToken(header)
		if got != want || ok != (want != "") {
			t.Errorf("%q → %q %v, want %q", header, got, ok, want)
		}
	}
}

// A caller's roles are its staff groups; other groups grant nothing, and a
// partner's token is the partner role alone.
func TestRolesComeFromStaffGroups(t *testing.T) {
	for _, tc := range []struct {
		p    Principal
		want Roles
	}{
		{Principal{Subject: "m", Groups: []string{GroupManager, "marketing"}}, Manager},
		{Principal{Subject: "b", Groups: []string{GroupFinance, GroupAdmin}}, Admin | Finance},
		{Principal{Subject: "v", Groups: []string{GroupViewer}}, Viewer},
		{Principal{Subject: "s", Groups: []string{GroupSupport}}, Support},
		{Principal{Subject: "x", Groups: []string{"partner"}}, 0},
		{Principal{Subject: "p", PartnerID: "pt_1"}, Partner},
	} {
		if got := tc.p.Roles(); got != tc.want {
			t.Errorf("%v: roles %s, want %s", tc.p.Groups, got, tc.want)
		}
	}
	if got := (Finance | Admin | Partner).Names(); strings.Join(got, ",") != "admin,finance,partner" {
		t.Errorf("names widest first: %v", got)
	}
	if (Manager | Viewer).Widest() != GroupManager {
		t.Error("a manager who also views acts as manager")
	}
	if !(Principal{Subject: "s", Groups: []string{GroupSupport}}).CanSeePartner("pt_9") {
		t.Error("support reads every partner")
	}
}

// Every staff role makes a token staff, so none may carry a partner id.
func TestEveryStaffRoleRefusesAPartnerID(t *testing.T) {
	v := HS256{Secret: []byte("secret")}
	for _, g := range StaffRoleNames() {
		tok, _ := v.Issue("u", []string{g}, "pt_1", time.Minute)
		if _, err := v.Verify(tok); !errors.Is(err, ErrMixedPrincipal) {
			t.Errorf("%s with a partner id: %v", g, err)
		}
	}
}
