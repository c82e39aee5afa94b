// Package apispec holds tests to the published OpenAPI description: it
// loads the description the API serves and checks recorded requests and
// responses against it, so a field renamed in code but not in the
// description (or the other way round) fails the suite.
package apispec

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/partnerloop/partnerloop/internal/httpapi"
)

// Checker validates exchanges against the description.
type Checker struct {
	Doc    *openapi3.T
	router routers.Router
}

// Load parses and validates the served description.
func Load() (*Checker, error) {
	// SVG images (the referral QR code) and the pages' files are checked as
	// text, like CSV.
	for _, t := range []string{"image/svg+xml", "text/html", "text/javascript", "text/css"} {
		openapi3filter.RegisterBodyDecoder(t, openapi3filter.PlainBodyDecoder)
	}
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPIJSON())
	if err != nil {
		return nil, fmt.Errorf("load openapi: %w", err)
	}
	router, err := legacy.NewRouter(doc) // validates the document first
	if err != nil {
		return nil, err
	}
	return &Checker{Doc: doc, router: router}, nil
}

// Exchange is one request the suite sent and what it got back.
type Exchange struct {
	Method, Path string // path with its query
	Header       http.Header
	Body         []byte
	Status       int
	RespHeader   http.Header
	RespBody     []byte
}

// Check validates the response of every exchange against its operation,
// and the request of every exchange the server accepted (a 4xx answer to
// a deliberately bad request is checked as an error body only).
func (c *Checker) Check(ctx context.Context, x Exchange) error {
	req, err := http.NewRequestWithContext(ctx, x.Method, x.Path, bytes.NewReader(x.Body))
	if err != nil {
		return err
	}
	req.Header = x.Header.Clone()
	if len(x.Body) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json") // the API reads every body as JSON
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if x.Status == http.StatusNotFound || x.Status == http.StatusMethodNotAllowed {
			return nil // a route the API does not have either
		}
		return fmt.Errorf("%s %s is not in the description: %w", x.Method, x.Path, err)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if x.Status < 400 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			return fmt.Errorf("request %s %s does not match the description: %w", x.Method, x.Path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: x.Status, Header: x.RespHeader,
		Body: io.NopCloser(bytes.NewReader(x.RespBody)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("response %d to %s %s does not match the description: %w\n%s", x.Status, x.Method, x.Path, err, truncate(x.RespBody))
	}
	return nil
}

func truncate(b []byte) string {
	s := string(b)
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return strings.TrimSpace(s)
}
