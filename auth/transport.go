package auth

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/vendorkit/vendorkit/internal/origin"
)

// MaxTokenResponseBytes caps token-endpoint response bodies.
const MaxTokenResponseBytes = 1 << 20

// HTTPOptions configures NewHTTPClient.
type HTTPOptions struct {
	Vendor string // in errors and logs
	// Source and Origin make an authorizing client: every request to
	// Origin's scheme, host and port gets Headers it lacks and Source's
	// token at Placement, and a ReauthStatuses answer invalidates that
	// token and is retried once with a new one. Requests to any other
	// origin carry no credential. With a nil Source the client authorizes
	// nothing (a token-endpoint client).
	Source         *Source
	Origin         string      // the base URL whose origin is authorized
	Placement      Placement   // where the token goes
	Headers        http.Header // headers (Accept, X-Api-Version) a request to Origin, or any request of a client without a Source, gets when it lacks them
	ReauthStatuses []int       // default {401}
	// CheckResponse is a vendor hook for responses from Origin (from any
	// host when the client authorizes nothing): a non-nil
	// error (a sentinel such as Decisiv's ErrBearerNotSupported for its
	// 403) becomes the Err of the *Error the request returns, which
	// carries the status and a body excerpt scrubbed of Secrets and of the
	// token the request carried; the body is closed.
	CheckResponse func(*http.Response) error
	Base          http.RoundTripper // default: a pooled transport (go-cleanhttp)
	RetryMax      int               // default 3 (transient retries; the one re-auth retry is separate); <0 → none
	RetryWaitMin  time.Duration     // default 100ms
	RetryWaitMax  time.Duration     // default 5s
	MaxRetryAfter time.Duration     // cap on honoured Retry-After; default 30s
	// RetryBudget bounds the sum of the waits of one call; default
	// MaxRetryAfter. A wait that would exceed what is left is not started:
	// the caller gets the last response or error at once.
	RetryBudget       time.Duration
	MaxResponseBytes  int64 // >0: body reads beyond it fail with ErrResponseTooLarge
	AllowInsecureHTTP bool  // permit credentials over http:// to non-loopback hosts (requests without ours are never refused)
	// RefuseRedirects makes every redirect an *Error wrapping
	// ErrUnexpectedRedirect instead of following it: for token,
	// authorization and revoke endpoints, whose requests carry credentials
	// in headers and bodies that no redirect may take elsewhere.
	RefuseRedirects bool
	// Secrets are removed, with the token the request carried, from the
	// body excerpts of the errors this client builds (a second re-auth
	// status, a CheckResponse error).
	Secrets *Secrets
	Logger  *slog.Logger
}

const maxRedirects = 10

// NewHTTPClient returns an *http.Client that authorizes requests to one
// origin (see HTTPOptions.Source), re-authenticates once on a re-auth
// status, retries transient failures safely through go-retryablehttp,
// strips credentials on cross-origin redirects (or refuses redirects),
// caps response bodies and refuses plain http to non-loopback hosts for
// every request that would carry a credential (see AllowInsecureHTTP).
// Like net/http's, it has no timeout: bound calls with their contexts.
func NewHTTPClient(opts HTTPOptions) *http.Client {
	if opts.Base == nil {
		opts.Base = cleanhttp.DefaultPooledTransport()
	}
	if opts.ReauthStatuses == nil {
		opts.ReauthStatuses = []int{http.StatusUnauthorized}
	}
	if opts.RetryMax == 0 {
		opts.RetryMax = 3
	} else if opts.RetryMax < 0 {
		opts.RetryMax = 0
	}
	if opts.RetryWaitMin <= 0 {
		opts.RetryWaitMin = 100 * time.Millisecond
	}
	if opts.RetryWaitMax <= 0 {
		opts.RetryWaitMax = 5 * time.Second
	}
	if opts.RetryWaitMax < opts.RetryWaitMin {
		opts.RetryWaitMax = opts.RetryWaitMin
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = 30 * time.Second
	}
	if opts.RetryBudget <= 0 {
		opts.RetryBudget = opts.MaxRetryAfter
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Headers != nil {
		// Canonical names, so that RoundTrip's "lacks it" test sees the
		// caller's header however the literal spelled it (no duplicate).
		h := make(http.Header, len(opts.Headers))
		for name, vs := range opts.Headers {
			k := http.CanonicalHeaderKey(name)
			h[k] = append(slices.Clip(h[k]), vs...)
		}
		opts.Headers = h
	}
	t := &transport{
		opts: opts,
		// retryablehttp sends each attempt with this client. It never
		// follows redirects (they surface to the outer client, whose
		// CheckRedirect decides), and it cannot close the pool's idle
		// connections: retryablehttp does that on every failed call.
		inner: &http.Client{
			Transport:     keepIdle{opts.Base},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	if opts.Source != nil {
		if u, err := url.Parse(opts.Origin); err == nil && u.Host != "" {
			t.origin, t.authorize = u, true
		}
	}
	t.placeKey = http.CanonicalHeaderKey(opts.Placement.Name)
	t.calls.New = t.newCall
	check := t.checkRedirect
	if opts.RefuseRedirects {
		check = t.refuseRedirect
	}
	return &http.Client{Transport: t, CheckRedirect: check}
}

// transport is the RoundTripper of NewHTTPClient.
type transport struct {
	opts      HTTPOptions
	origin    *url.URL // the authorized origin
	authorize bool     // Source and a valid Origin were given
	inner     *http.Client
	// calls recycles the per-call state: a call with its retryablehttp
	// Client, whose hooks are bound to it once, when it is created.
	calls sync.Pool
	// placed caches the header value (prefix + token) of the current
	// token, so that a request does not build it again.
	placed   atomic.Pointer[placedValue]
	placeKey string // the canonical header name of a header placement
}

// placedValue is a header placement's value for one token, shared by the
// requests that carry it (header values are replaced, never modified in
// place).
type placedValue struct {
	token  string
	values []string
}

// keepIdle hides the base transport's CloseIdleConnections from
// retryablehttp (see NewHTTPClient).
type keepIdle struct{ http.RoundTripper }

// CloseIdleConnections closes the idle connections of the base transport
// (http.Client.CloseIdleConnections calls it).
func (t *transport) CloseIdleConnections() {
	if c, ok := t.opts.Base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// debug reports whether debug logging is on, so that the hot path builds
// no log arguments (RedactURL allocates) for a logger that drops them.
func (t *transport) debug() bool {
	return t.opts.Logger.Enabled(context.Background(), slog.LevelDebug)
}

// RoundTrip authorizes req when it is for the client's origin, sends it
// through go-retryablehttp's loop with this client's hooks, and checks the
// response. req itself is never modified.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.calls.Get().(*call)
	defer t.release(c)
	c.start(req)
	// Every request of a client that authorizes nothing carries
	// credentials (token endpoints); of an authorizing one, those to its
	// origin.
	if !t.authorize || c.ours {
		if err := t.checkInsecure(req.URL); err != nil {
			closeBody(req)
			return nil, err
		}
	}

	// The attempt's own request: a shallow copy, with its own header map
	// when we add to it (RoundTrip must not modify req).
	r2 := new(http.Request)
	*r2 = *req
	if c.ours || (!t.authorize && len(t.opts.Headers) > 0) {
		r2.Header = cloneHeader(req.Header, len(t.opts.Headers)+1)
		for name, vs := range t.opts.Headers {
			if len(r2.Header[name]) == 0 {
				r2.Header[name] = vs
			}
		}
	}
	if c.ours {
		if err := c.sign(r2); err != nil {
			closeBody(req)
			return nil, err
		}
	}
	// The pooled retryablehttp.Request, with a replayable copy of the body
	// when there is one (what retryablehttp.FromRequest would allocate).
	c.rr = retryablehttp.Request{Request: r2}
	if req.Body != nil && req.Body != http.NoBody {
		buf, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		if err := c.rr.SetBody(buf); err != nil {
			return nil, err
		}
	}
	resp, err := c.rc.Do(&c.rr)
	if err != nil {
		return nil, err
	}
	resp.Request = req
	if max := t.opts.MaxResponseBytes; max > 0 {
		if resp.ContentLength > max {
			resp.Body.Close()
			return nil, &Error{Vendor: t.opts.Vendor, Op: OpRequest, StatusCode: resp.StatusCode, Err: ErrResponseTooLarge}
		}
		resp.Body = &cappedBody{rc: resp.Body, left: max, vendor: t.opts.Vendor, status: resp.StatusCode}
	}
	if t.opts.CheckResponse != nil && (c.ours || !t.authorize) {
		if herr := t.opts.CheckResponse(resp); herr != nil {
			return nil, t.responseError(resp, c.cred, herr)
		}
	}
	return resp, nil
}

// isOurs: req is for the authorized origin.
func (t *transport) isOurs(u *url.URL) bool {
	return t.authorize && origin.Same(u, t.origin)
}

// headerValues returns the placement's header value for token, built once
// per token.
func (t *transport) headerValues(token string) []string {
	if v := t.placed.Load(); v != nil && v.token == token {
		return v.values
	}
	v := &placedValue{token: token, values: []string{t.opts.Placement.Prefix + token}}
	t.placed.Store(v)
	return v.values
}

// cloneHeader copies h into a new map with room for extra more keys.
func cloneHeader(h http.Header, extra int) http.Header {
	c := make(http.Header, len(h)+extra)
	for k, vs := range h {
		c[k] = vs // values are never modified in place, only replaced
	}
	return c
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

func (t *transport) checkInsecure(u *url.URL) error {
	if t.opts.AllowInsecureHTTP || u == nil || !strings.EqualFold(u.Scheme, "http") || origin.IsLoopback(u.Hostname()) {
		return nil
	}
	return &Error{Vendor: t.opts.Vendor, Op: OpRequest, Err: ErrInsecureTransport}
}

// maxErrorRead is how much of an error response's body is read for its
// excerpt (the excerpt itself is shorter: scrubbed first, then cut).
const maxErrorRead = 16 << 10

// responseError reads and closes resp's body and returns the *Error of a
// resource response that failed with cause: its status, OAuth error fields
// if any, and a body excerpt scrubbed of the client's secrets and of cred,
// the token the request carried. cause becomes Err, unless it is itself an
// *Error, which is returned as it is.
func (t *transport) responseError(resp *http.Response, cred string, cause error) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorRead))
	resp.Body.Close()
	var ae *Error
	if errors.As(cause, &ae) {
		return cause
	}
	e := t.secrets(cred).responseError(t.opts.Vendor, OpRequest, resp.StatusCode, body)
	e.Retryable = false
	e.Err = cause
	return e
}

// secrets is what no error or log line of this client may hold: its
// Secrets, the tokens its Source holds now, and cred, the token a request
// carried.
func (t *transport) secrets(cred string) *Secrets {
	if src := t.opts.Source; src != nil {
		return src.secretsWith(t.opts.Secrets, cred)
	}
	return t.opts.Secrets.With(cred)
}

// cappedBody fails reads past the cap with ErrResponseTooLarge.
type cappedBody struct {
	rc     io.ReadCloser
	left   int64
	err    error
	vendor string
	status int
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if int64(n) > b.left {
		n = int(b.left)
		b.left = 0
		b.err = &Error{Vendor: b.vendor, Op: OpRequest, StatusCode: b.status, Err: ErrResponseTooLarge}
		return n, b.err
	}
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }
