package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/partnerloop/partnerloop/internal/outbox"
)

// lastAddr is the highest address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func TestEveryRegistryBlockIsRefused(t *testing.T) {
	for _, p := range notGloballyReachable {
		for _, a := range []netip.Addr{p.Masked().Addr(), p.Masked().Addr().Next(), lastAddr(p)} {
			if !a.IsValid() || !p.Contains(a) {
				continue
			}
			if isPublic(a) {
				t.Errorf("%s (in %s) counts as public", a, p)
			}
		}
	}
}

func TestNonPublicRangesTheOldGuardLetThrough(t *testing.T) {
	for _, s := range []string{
		"100.64.0.1", "100.127.255.254", // shared address space
		"198.18.0.1", "198.19.255.254", // benchmarking
		"192.0.0.1", "192.0.0.170", // IETF protocol assignments
		"240.0.0.1", "255.255.255.254", // reserved
		"192.0.2.10", "198.51.100.10", "203.0.113.10", // documentation
		"2001:db8::1", "3fff::1", // IPv6 documentation
		"100::1", "5f00::1", "64:ff9b:1::a9fe:a9fe",
		"224.0.0.1", "ff02::1", // multicast
	} {
		if isPublic(netip.MustParseAddr(s)) {
			t.Errorf("%s counts as public", s)
		}
	}
}

func TestEmbeddedIPv4IsCheckedToo(t *testing.T) {
	for addr, public := range map[string]bool{
		"64:ff9b::7f00:1":                      false, // NAT64 of 127.0.0.1
		"64:ff9b::a9fe:a9fe":                   false, // NAT64 of 169.254.169.254
		"64:ff9b::169.254.169.254":             false,
		"64:ff9b::5db8:d822":                   true,  // NAT64 of 93.184.216.34
		"2002:7f00:1::1":                       false, // 6to4 of 127.0.0.1
		"2002:a9fe:a9fe::1":                    false, // 6to4 of 169.254.169.254
		"2002:5db8:d822::1":                    true,  // 6to4 of 93.184.216.34
		"::127.0.0.1":                          false, // IPv4-compatible
		"::169.254.169.254":                    false,
		"::ffff:127.0.0.1":                     false, // IPv4-mapped
		"::ffff:169.254.169.254":               false,
		"::ffff:93.184.216.34":                 false, // mapped addresses are never dialled as such
		"2001:0:4136:e378:8000:63bf:80ff:fffe": false, // Teredo whose client is 127.0.0.1 (obfuscated)
		"2001:0:4136:e378:8000:63bf:5601:5601": false, // Teredo whose client is 169.254.169.254
		"2606:4700::6810:84e5":                 true,
		"93.184.216.34":                        true,
		"fe80::1%eth0":                         false,
	} {
		if got := isPublic(netip.MustParseAddr(addr)); got != public {
			t.Errorf("%s: public %v, want %v", addr, got, public)
		}
	}
}

func TestRegistrationRefusesNonPublicHosts(t *testing.T) {
	s := &Service{Now: time.Now}
	for _, u := range []string{
		"https://127.0.0.1/hook", "https://169.254.169.254/latest/meta-data", "https://[::1]/", "https://[64:ff9b::a9fe:a9fe]/",
		"https://100.64.0.1/", "https://10.1.2.3:8443/", "https://[fd00::1]/", "https://[::ffff:127.0.0.1]/",
		"https://127.1/", "https://2130706433/", "https://0x7f.1/", "https://localhost:8443/", "https://api.localhost/",
	} {
		if err := s.checkURL(u); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s accepted: %v", u, err)
		}
	}
	for _, u := range []string{"https://hooks.example.com/partnerloop", "https://93.184.216.34/hook", "https://[2606:4700::6810:84e5]/", "https://example.com./h"} {
		if err := s.checkURL(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	s.AllowInsecure = true // the local run posts to its own machine
	for _, u := range []string{"http://127.0.0.1:9000/hook", "https://localhost:8443/", "http://10.1.2.3/"} {
		if err := s.checkURL(u); err != nil {
			t.Errorf("local run: %s refused: %v", u, err)
		}
	}
}

func TestDeliveryFailuresAreCategorised(t *testing.T) {
	evt := outbox.New(outbox.PayoutPaid, "x", time.Now(), map[string]string{})
	post := func(p *Poster, url string) string {
		code, err := p.Post(context.Background(), Endpoint{URL: url, Secret: "s"}, evt)
		if err == nil {
			t.Fatalf("%s: delivered", url)
		}
		return failureCategory(code, err)
	}
	local := NewPoster(true, time.Now)

	answering := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) }))
	defer answering.Close()
	if got := post(local, answering.URL); got != "http_410" {
		t.Errorf("410 answer: %s", got)
	}
	if got := post(NewPoster(false, time.Now), answering.URL); got != FailureRefusedAddress {
		t.Errorf("loopback: %s", got)
	}

	tlsServer := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsServer.Close()
	if got := post(local, tlsServer.URL); got != FailureTLS {
		t.Errorf("self-signed certificate: %s", got)
	}

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String()
	closed.Close()
	if got := post(local, closedURL); got != FailureConnect {
		t.Errorf("closed port: %s", got)
	}

	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	short := NewPoster(true, time.Now)
	short.client.Timeout = 200 * time.Millisecond
	if got := post(short, "http://"+silent.Addr().String()); got != FailureTimeout {
		t.Errorf("silent endpoint: %s", got)
	}
	if got := failureCategory(0, tls.RecordHeaderError{Msg: "not TLS"}); got != FailureTLS {
		t.Errorf("plain HTTP answer to TLS: %s", got)
	}
}
