package main

import (
	"net/http"
	"time"

	"github.com/partnerloop/partnerloop/internal/httpapi"
)

// serverLimits bound how long and how much a client may hold the server.
type serverLimits struct {
	// ReadHeader and Read bound the request line with headers, and the
	// whole request with its body; Write bounds the answer; Idle how long a
	// kept-alive connection waits for its next request.
	ReadHeader, Read, Write, Idle time.Duration
	// MaxHeaderBytes and MaxBodyBytes bound the request's size.
	MaxHeaderBytes int
	MaxBodyBytes   int64
}

// localLimits keep a slow or stalled client (or two hundred) from holding
// the local server. Write allows a minute: API Gateway ends a request after
// 30 seconds, so nothing served in AWS takes longer, CSV exports included.
var localLimits = serverLimits{
	ReadHeader: 5 * time.Second, Read: 30 * time.Second, Write: time.Minute, Idle: time.Minute,
	MaxHeaderBytes: 64 << 10, MaxBodyBytes: httpapi.MaxBodyBytes,
}

// newServer serves h within the limits.
func newServer(h http.Handler, l serverLimits) *http.Server {
	return &http.Server{
		Handler:           http.MaxBytesHandler(h, l.MaxBodyBytes),
		ReadHeaderTimeout: l.ReadHeader,
		ReadTimeout:       l.Read,
		WriteTimeout:      l.Write,
		IdleTimeout:       l.Idle,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}
