package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
)

// openVendor builds the named vendor's client from the environment, with
// --base-url standing in for VENDORKIT_<VENDOR>_BASE_URL.
func (g *globals) openVendor(name, baseURL string) (vendorEntry, vendorClient, lookupFunc, error) {
	v, err := findVendor(name)
	if err != nil {
		return v, nil, nil, err
	}
	lookup := envWithBaseURL(v.name, baseURL)
	c, err := v.open(lookup, g.clientOptions()...)
	if err != nil {
		// Missing variables and invalid configuration are the caller's to fix.
		return v, nil, nil, usageError{err}
	}
	return v, c, lookup, nil
}

// clientOptions are the options every command's client gets: with -v, a
// transport that prints each exchange to stderr, secrets redacted.
func (g *globals) clientOptions() []client.Option {
	if !g.verbose {
		return nil
	}
	return []client.Option{client.WithHTTPClient(&http.Client{Transport: &verboseTransport{g: g}})}
}

// verboseTransport prints one line per HTTP exchange: method, URL with
// credential parameters redacted, status, timing. Header values, bodies and
// tokens are never printed.
type verboseTransport struct {
	g     *globals
	base  http.RoundTripper
	count int
}

func (t *verboseTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	start := time.Now()
	resp, err := base.RoundTrip(req)
	took := time.Since(start).Round(100 * time.Microsecond)
	if err != nil {
		fmt.Fprintf(t.g.stderr, "* %s %s → error after %v: %s\n", req.Method, auth.RedactURL(req.URL), took, oneLine(auth.SafeErrorString(err)))
		return nil, err
	}
	fmt.Fprintf(t.g.stderr, "* %s %s → %s in %v\n", req.Method, auth.RedactURL(req.URL), resp.Status, took)
	return resp, nil
}

// logger is for the verbose token-source events (fetches, re-auth).
func (g *globals) logger() *slog.Logger {
	if !g.verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
