package devenv

import "testing"

func TestOnlyLoopbackHostsAreLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST:8080": true, "127.0.0.1": true, "127.0.0.1:8080": true,
		"[::1]": true, "[::1]:8080": true, "127.0.0.2:80": true,
		"evil.example": false, "evil.example:8080": false, "localhost.evil.example": false, "127.0.0.1.nip.io:8080": false,
		"0.0.0.0:8080": false, "192.168.1.10:8080": false, "[::]:8080": false, "": false,
	} {
		if got := isLoopbackHost(host); got != want {
			t.Errorf("%q: %v, want %v", host, got, want)
		}
	}
}
