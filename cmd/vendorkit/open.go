package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
)

// openVendor builds the named vendor's client from the environment, with
// --base-url standing in for VENDORKIT_<VENDOR>_BASE_URL, its tokens kept
// in the token cache unless that is off or unusable (said on stderr).
// Close it with closeClient.
func (g *globals) openVendor(name, baseURL string) (client.Vendor, vendorClient, error) {
	v, err := findVendor(name)
	if err != nil {
		return v, nil, err
	}
	opts := g.clientOptions()
	tc, err := g.cache()
	if err != nil {
		return v, nil, err
	}
	if tc != nil {
		opts = append(opts, client.WithTokenStore(tc.store))
	} else if g.cacheUnusable != "" {
		g.warnf("%s; not using the token cache for this run", g.cacheUnusable)
	}
	c, err := v.Open(envWithBaseURL(v.Name, baseURL), opts...)
	if err != nil {
		// Missing variables and invalid configuration are the caller's to fix.
		return v, nil, usageError{err}
	}
	g.opened(c)
	return v, c, nil
}

// opened makes c's secrets known to -v's lines (scrub).
func (g *globals) opened(c vendorClient) {
	g.scrubMu.Lock()
	defer g.scrubMu.Unlock()
	g.scrubbers = append(g.scrubbers, c.Scrub)
}

// scrub removes from server text bound for a -v line (a URL a Location
// chose, a reason phrase, a transport error quoting the status line) the
// secrets of every client opened (opened) and of the credentials req
// carries (a client the command cannot see, such as contract's), and the
// well-known credential shapes.
func (g *globals) scrub(req *http.Request, text string) string {
	var carried []string
	for name, vs := range req.Header {
		if auth.IsCredentialName(name) {
			for _, v := range vs {
				_, cred, _ := strings.Cut(v, " ") // "Basic xxx": xxx alone too
				carried = append(carried, v, cred)
			}
		}
	}
	text = auth.Scrub(text, carried...)
	g.scrubMu.Lock()
	defer g.scrubMu.Unlock()
	for _, f := range g.scrubbers {
		text = f(text)
	}
	return text
}

// settleTimeout bounds how long closeClient lets a background refresh
// finish.
const settleTimeout = 10 * time.Second

// closeClient lets a token refresh that runs in the background finish
// (bounded, and not after Ctrl-C: ctx is the run's), then closes c.
// Closing cancels it, and a refresh the server already answered would be
// lost: with a rotating refresh token the cache would keep the spent one.
func closeClient(ctx context.Context, c vendorClient) {
	if c.Source().Stats().BackgroundRefreshes > 0 {
		ctx, cancel := context.WithTimeout(ctx, settleTimeout)
		_ = c.Source().WaitIdle(ctx)
		cancel()
	}
	c.Close()
}

// clientOptions are the options every command's client gets: with -v, a
// transport that prints each exchange to stderr, secrets redacted.
func (g *globals) clientOptions() []client.Option {
	var opts []client.Option
	if g.insecure {
		opts = append(opts, client.WithInsecureHTTP())
	}
	if g.verbose {
		opts = append(opts, client.WithHTTPClient(&http.Client{Transport: &verboseTransport{g: g, base: g.transport()}}), client.WithLogger(g.logger()))
	}
	return opts
}

// transport returns a pooled transport that run closes when the command
// ends, for the clients that a WithHTTPClient transport would otherwise
// leave with idle connections.
func (g *globals) transport() *http.Transport {
	t := cleanhttp.DefaultPooledTransport()
	g.transports = append(g.transports, t)
	return t
}

// closeIdle closes the idle connections of every transport the command made.
func (g *globals) closeIdle() {
	for _, t := range g.transports {
		t.CloseIdleConnections()
	}
}

// verboseTransport prints one line per HTTP exchange: method, URL with
// credential parameters redacted, status, timing. Header values, bodies and
// tokens are never printed.
type verboseTransport struct {
	g    *globals
	base http.RoundTripper
}

func (t *verboseTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	took := time.Since(start).Round(100 * time.Microsecond)
	if err != nil {
		fmt.Fprintf(t.g.stderr, "* %s %s → error after %v: %s\n", req.Method, t.safe(req, auth.RedactURL(req.URL)), took, t.safe(req, oneLine(auth.SafeErrorString(err))))
		return nil, err
	}
	fmt.Fprintf(t.g.stderr, "* %s %s → %s in %v\n", req.Method, t.safe(req, auth.RedactURL(req.URL)), t.safe(req, resp.Status), took)
	return resp, nil
}

// safe is server text for a -v line: terminal escapes removed, then
// scrubbed (an escape inside a secret would hide it from the scrubber).
func (t *verboseTransport) safe(req *http.Request, text string) string {
	return t.g.scrub(req, termSafe(text))
}

// logger is for the verbose events of the token source and the retry
// layer (fetches, re-auth, each retry wait and why): one "* " line each,
// like the exchanges. Only -v runs use it.
func (g *globals) logger() *slog.Logger {
	return slog.New(&lineHandler{w: g.stderr})
}

// lineHandler prints a record as "* message key=value …", without time
// and level, terminal escapes removed.
type lineHandler struct {
	w     io.Writer // serialized by run
	attrs []slog.Attr
}

func (h *lineHandler) Enabled(context.Context, slog.Level) bool { return true }

// echoed are the library's per-exchange records, which verboseTransport
// already prints as one line each.
var echoed = map[string]bool{"vendorkit: response": true, "vendorkit: request failed": true}

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	if echoed[r.Message] {
		return nil
	}
	var b strings.Builder
	b.WriteString("* ")
	b.WriteString(strings.TrimPrefix(r.Message, "vendorkit: "))
	write := func(a slog.Attr) bool {
		v := a.Value.Resolve().String()
		if strings.ContainsAny(v, " \t\"=") {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(&b, " %s=%s", a.Key, v)
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	_, err := fmt.Fprintln(h.w, termSafe(b.String()))
	return err
}

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &lineHandler{w: h.w, attrs: append(slices.Clip(h.attrs), as...)}
}

func (h *lineHandler) WithGroup(string) slog.Handler { return h }
