package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// testLimits are short, so held connections are let go within the test.
var testLimits = serverLimits{ReadHeader: time.Second, Read: 2 * time.Second, Write: 5 * time.Second, Idle: 2 * time.Second,
	MaxHeaderBytes: 4 << 10, MaxBodyBytes: 1 << 10}

// serve starts newServer on a loopback port with a health route and a
// route that reads the body and answers its length.
func serve(t *testing.T, l serverLimits) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		case err != nil:
			w.WriteHeader(http.StatusBadRequest)
		default:
			_, _ = fmt.Fprint(w, len(body))
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(mux, l)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

func TestSlowClientsDoNotHoldTheServer(t *testing.T) {
	addr := serve(t, testLimits)
	// Two hundred clients that never finish: a third stop inside the
	// headers, a third inside the body, a third stay idle after a request.
	slow := []string{
		"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Never-Ends: ",
		"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nonly part of it",
		"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n",
	}
	conns := make([]net.Conn, 200)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		if _, err := io.WriteString(c, slow[i%len(slow)]); err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}

	client := &http.Client{Timeout: 5 * time.Second}
	res, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("/healthz with 200 slow clients connected: %v", err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %d", res.StatusCode)
	}

	// The server lets every one of them go once its timeout passes; a
	// connection still open when this generous deadline ends is held.
	deadline := time.Now().Add(5 * time.Second)
	for i, c := range conns {
		_ = c.SetReadDeadline(deadline)
		_, err := io.Copy(io.Discard, c)
		if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("connection %d (%q) is still held", i, slow[i%len(slow)])
		}
	}
}

func TestOversizedRequestsAreRefused(t *testing.T) {
	addr := serve(t, testLimits)
	res, err := http.Post("http://"+addr+"/echo", "text/plain", strings.NewReader(strings.Repeat("x", 2<<10)))
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over the limit: %d", res.StatusCode)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/healthz", nil)
	req.Header.Set("X-Padding", strings.Repeat("x", 16<<10))
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("headers over the limit: %d", res.StatusCode)
	}
}
