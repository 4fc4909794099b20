package auth

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// MaxTokenResponseBytes caps token-endpoint response bodies.
const MaxTokenResponseBytes = 1 << 20

// HTTPOptions configures NewHTTPClient.
type HTTPOptions struct {
	Vendor string
	// Source signs retries and re-authenticates; nil for a token-endpoint
	// client: no signing, no re-auth (but the same safe retries, size cap
	// and transport checks).
	Source         *Source
	Placement      Placement
	ReauthStatuses []int // default {401}
	// CheckResponse is a vendor hook: a non-nil error closes the body and
	// is returned from Do (Decisiv maps 403 to its own typed error this way).
	CheckResponse     func(*http.Response) error
	Base              http.RoundTripper // default: a pooled transport (go-cleanhttp)
	RetryMax          int               // default 3 (transient retries; the one re-auth retry is separate); <0 → none
	RetryWaitMin      time.Duration     // default 100ms
	RetryWaitMax      time.Duration     // default 5s
	MaxRetryAfter     time.Duration     // cap on honoured Retry-After; default 30s
	MaxResponseBytes  int64             // >0: body reads beyond it fail with ErrResponseTooLarge
	AllowInsecureHTTP bool              // permit credentials over http:// to non-loopback hosts
	Logger            *slog.Logger
}

const maxRedirects = 10

// NewHTTPClient returns an *http.Client on go-retryablehttp that re-signs
// retries, re-authenticates once on a re-auth status, retries transient
// failures safely, strips credentials on cross-origin redirects and refuses
// plain http to non-loopback hosts. See the package doc.
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
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	t := &transport{
		opts: opts,
		// The inner client never follows redirects itself: they surface to
		// the outer client, whose CheckRedirect strips credentials.
		inner: &http.Client{
			Transport:     opts.Base,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	t.calls.New = t.newCall
	return &http.Client{Transport: t, CheckRedirect: t.checkRedirect}
}

type transport struct {
	opts  HTTPOptions
	inner *http.Client
	// calls recycles the per-call state: a call with its retryablehttp
	// Client and Request, whose hooks are bound to it once, when it is
	// created (see newCall).
	calls sync.Pool
}

// debug reports whether debug logging is on, so that the hot path builds
// no log arguments (RedactURL allocates) for a logger that drops them.
func (t *transport) debug() bool {
	return t.opts.Logger.Enabled(context.Background(), slog.LevelDebug)
}

// RoundTrip checks the transport, then runs one call (call.do): the first
// attempt directly, any retry through a retryablehttp.Client whose hooks
// are bound to the call's state.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.checkInsecure(req.URL); err != nil {
		closeBody(req)
		return nil, err
	}
	// No req.Clone. A request without a body (what http.NewRequest makes of
	// a GET, as generated clients do) is sent as it is: nothing on the
	// first attempt writes to it, and a retry works on a copy (do). A
	// request with body fields gets a shallow copy whose body fields are
	// ours to set; it shares req's Header map and URL, which nothing
	// modifies in place either: prepareRetry clones both before re-signing,
	// retryablehttp copies the Request before each retry, net/http forks a
	// request before changing it.
	r2 := req
	c := t.calls.Get().(*call)
	c.start(idempotent(req))
	defer t.release(c)
	switch {
	case req.Body != nil && req.Body != http.NoBody:
		r2 = new(http.Request)
		*r2 = *req
		c.rr.Request = r2
		buf, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		if err := c.rr.SetBody(buf); err != nil {
			return nil, err
		}
	case req.Body != nil || req.GetBody != nil || req.ContentLength != 0:
		r2 = new(http.Request)
		*r2 = *req
		r2.Body, r2.GetBody, r2.ContentLength = nil, nil, 0
	}
	c.rr.Request = r2

	resp, err := c.do()
	if err != nil {
		return nil, err
	}
	resp.Request = req
	if max := t.opts.MaxResponseBytes; max > 0 {
		if resp.ContentLength > max {
			resp.Body.Close()
			return nil, &Error{Vendor: t.opts.Vendor, Op: "request", StatusCode: resp.StatusCode, Err: ErrResponseTooLarge}
		}
		resp.Body = &cappedBody{rc: resp.Body, left: max, vendor: t.opts.Vendor, status: resp.StatusCode}
	}
	if t.opts.CheckResponse != nil {
		if herr := t.opts.CheckResponse(resp); herr != nil {
			resp.Body.Close()
			return nil, herr
		}
	}
	return resp, nil
}

// do runs the call's attempts. The first one goes straight to the base
// transport and through checkRetry; only a call that must be retried or
// has failed continues in retryablehttp, with the same hooks, budget and
// behaviour as if its loop had run from the start. This saves, on every
// call that succeeds at once, a second http.Client.Do (redirect
// bookkeeping and a copy of the headers the inner client discards:
// redirects are returned as they are) and retryablehttp's loop.
func (c *call) do() (*http.Response, error) {
	t := c.t
	r := c.rr.Request
	ctx := r.Context()
	if r.GetBody != nil {
		// The request has a body (RoundTrip cleared GetBody otherwise) and
		// SetBody made it replayable: this attempt reads a fresh copy, as
		// retryablehttp does before each attempt.
		body, err := r.GetBody()
		if err != nil {
			t.inner.CloseIdleConnections()
			return nil, err
		}
		r.Body = body
	}
	resp, doErr := t.opts.Base.RoundTrip(r)
	if doErr == nil && resp == nil {
		doErr = errors.New("vendorkit: http: RoundTripper returned a nil *Response with a nil error")
	}
	if doErr != nil {
		resp = nil
	} else if resp.Body == nil {
		resp.Body = http.NoBody
	}
	retry, checkErr := c.checkRetry(ctx, resp, doErr)
	if !retry {
		if doErr == nil && checkErr == nil {
			return resp, nil
		}
		// retryablehttp's give-up path: close idle connections and let
		// errorHandler decide.
		t.inner.CloseIdleConnections()
		err := doErr
		if checkErr != nil {
			err = checkErr
		}
		return c.errorHandler(resp, err, 1)
	}
	// What retryablehttp does between two attempts: drain the response so
	// the connection is reused, wait (the context can end the wait), copy
	// the request shallowly, PrepareRetry.
	if doErr == nil {
		drain(resp.Body)
	}
	if err := sleepCtx(ctx, c.wait); err != nil {
		t.inner.CloseIdleConnections()
		return nil, err
	}
	next := *r
	c.rr.Request = &next
	if err := c.prepareRetry(c.rr.Request); err != nil {
		t.inner.CloseIdleConnections()
		return c.errorHandler(resp, err, 1)
	}
	// The rest in retryablehttp's loop, one attempt of the budget spent.
	c.rc.RetryMax = t.opts.RetryMax
	return c.rc.Do(&c.rr)
}

// sleepCtx waits d, or until ctx ends (its error is returned).
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// newCall is the pool's constructor: a call and its retryablehttp.Client,
// whose hooks are method values bound to that call, built once per pooled
// object instead of once per request.
func (t *transport) newCall() any {
	c := &call{t: t}
	c.rc = retryablehttp.Client{
		HTTPClient:   t.inner,
		Logger:       nil, // we log through slog with redacted URLs
		RetryWaitMin: t.opts.RetryWaitMin,
		RetryWaitMax: t.opts.RetryWaitMax,
		CheckRetry:   c.checkRetry,
		Backoff:      c.backoffFn,
		PrepareRetry: c.prepareRetry,
		ErrorHandler: c.errorHandler,
	}
	return c
}

// release returns c to the pool once retryablehttp's Do has returned: Do
// is synchronous and keeps no reference to its Client or Request, and the
// response refers to neither.
func (t *transport) release(c *call) {
	c.rr = retryablehttp.Request{}
	t.calls.Put(c)
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

func (t *transport) checkInsecure(u *url.URL) error {
	if t.opts.AllowInsecureHTTP || u == nil || !strings.EqualFold(u.Scheme, "http") || isLoopback(u.Hostname()) {
		return nil
	}
	return &Error{Vendor: t.opts.Vendor, Op: "request", Err: ErrInsecureTransport}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	// netip parses without allocating (net.ParseIP returns a slice); zones
	// are refused, as net.ParseIP refuses them.
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}

// idempotent: RFC 9110 idempotent methods, or a request carrying an
// Idempotency-Key (as net/http's own transport treats it).
func idempotent(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return req.Header.Get("Idempotency-Key") != "" || req.Header.Get("X-Idempotency-Key") != ""
}

// checkRedirect strips every credential the editors placed when a redirect
// leaves the original origin (scheme + host + port), including subdomains
// that net/http would trust and custom headers that net/http forwards.
func (t *transport) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return errors.New("vendorkit: stopped after 10 redirects")
	}
	orig := via[0]
	if sameOrigin(orig.URL, req.URL) {
		// Same origin: net/http copies headers; a query credential is
		// carried over only if the Location kept it.
		return nil
	}
	req.Header.Del("Authorization")
	req.Header.Del("Proxy-Authorization")
	req.Header.Del("Cookie")
	// net/http sets Referer to the previous URL, query included: with Query
	// placement that is the token itself.
	req.Header.Del("Referer")
	t.opts.Placement.Remove(req)
	for _, name := range []string{"access_token", "x-access-token"} {
		Query(name).Remove(req)
		req.Header.Del(name)
	}
	t.opts.Logger.Debug("vendorkit: credentials stripped on cross-origin redirect",
		"vendor", t.opts.Vendor, "from", RedactURL(orig.URL), "to", RedactURL(req.URL))
	return nil
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) &&
		portOf(a) == portOf(b)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// call is the per-call retry state; one goroutine (retryablehttp's Do loop)
// touches it, so no locking. Calls are pooled (transport.calls): start
// resets the state, rc's hooks stay bound to the call.
type call struct {
	t          *transport
	idempotent bool
	reauthed   bool
	transient  int
	wait       time.Duration
	attempts   int

	rc retryablehttp.Client
	rr retryablehttp.Request
}

func (c *call) start(idempotent bool) {
	c.idempotent, c.reauthed, c.transient, c.wait, c.attempts = idempotent, false, 0, 0, 0
	// Our CheckRetry enforces RetryMax for transient failures; the one
	// re-auth retry comes on top. (do lowers it when it hands over.)
	c.rc.RetryMax = c.t.opts.RetryMax + 1
}

func (c *call) isReauth(status int) bool {
	for _, s := range c.t.opts.ReauthStatuses {
		if s == status {
			return true
		}
	}
	return false
}

func (c *call) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	c.attempts++
	o := &c.t.opts
	c.wait = 0
	if cerr := ctx.Err(); cerr != nil {
		return false, cerr
	}
	if err != nil {
		safe := c.safeToRetryError(err)
		if c.t.debug() {
			o.Logger.Debug("vendorkit: request failed", "vendor", o.Vendor, "attempt", c.attempts,
				"retry", safe && c.transient < o.RetryMax, "error", SafeErrorString(err))
		}
		if !safe {
			return false, nil
		}
		return c.transientRetry(ctx, nil), nil
	}
	req := resp.Request
	if c.t.debug() {
		o.Logger.Debug("vendorkit: response", "vendor", o.Vendor, "method", req.Method,
			"url", RedactURL(req.URL), "status", resp.StatusCode, "attempt", c.attempts)
	}

	if src := o.Source; src != nil && c.isReauth(resp.StatusCode) {
		cred := o.Placement.From(req)
		if cred == "" {
			return false, nil // not our credential (e.g. after a cross-origin redirect)
		}
		if c.reauthed {
			return false, &Error{Vendor: o.Vendor, Op: "request", StatusCode: resp.StatusCode, Err: ErrUnauthorized}
		}
		c.reauthed = true
		src.Invalidate(cred)
		o.Logger.Info("vendorkit: re-authenticating after rejected token", "vendor", o.Vendor,
			"status", resp.StatusCode, "url", RedactURL(req.URL))
		return true, nil // immediate: c.wait is 0
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		// The server says it did not process the request: safe for any method.
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		if !c.idempotent {
			return false, nil // the upstream may have processed it
		}
	default:
		return false, nil
	}
	return c.transientRetry(ctx, resp), nil
}

// transientRetry decides on a transient retry and its wait. It declines
// when the budget is spent or when the wait would outlast ctx's deadline:
// the caller then gets the 429/503 at once instead of a deadline error later.
func (c *call) transientRetry(ctx context.Context, resp *http.Response) bool {
	o := &c.t.opts
	if c.transient >= o.RetryMax {
		return false
	}
	wait := Backoff(o.RetryWaitMin, o.RetryWaitMax, o.MaxRetryAfter, c.transient, resp)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		o.Logger.Debug("vendorkit: not retrying: wait exceeds context deadline", "vendor", o.Vendor, "wait", wait)
		return false
	}
	c.transient++
	c.wait = wait
	return true
}

// safeToRetryError: never context errors or certificate/scheme errors;
// idempotent requests retry any other transport error; non-idempotent ones
// only errors proving the request never left (dial or DNS failures).
func (c *call) safeToRetryError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var certErr *x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invErr x509.CertificateInvalidError
	if errors.As(err, &certErr) || errors.As(err, &hostErr) || errors.As(err, &invErr) {
		return false
	}
	var ae *Error
	if errors.As(err, &ae) {
		return false
	}
	if notSent(err) {
		return true
	}
	return c.idempotent
}

// notSent reports errors that prove no byte of the request reached a server.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

func (c *call) backoffFn(_, _ time.Duration, _ int, _ *http.Response) time.Duration { return c.wait }

// prepareRetry re-signs the request with the current token (editors ran
// once, before the first attempt). Only a request that carried our
// credential is re-signed, so a retry after a cross-origin redirect never
// gains one.
func (c *call) prepareRetry(req *http.Request) error {
	// retryablehttp shallow-copies the request; give this attempt its own
	// header map and URL.
	req.Header = req.Header.Clone()
	u := *req.URL
	req.URL = &u
	o := &c.t.opts
	if o.Source == nil || o.Placement.From(req) == "" {
		return nil
	}
	tok, err := o.Source.Token(req.Context())
	if err != nil {
		return err
	}
	o.Placement.Apply(req, tok.AccessToken)
	return nil
}

// errorHandler runs when retryablehttp gives up. A response whose retries
// are exhausted is returned as is (the generated client maps the status); a
// check error (second 401) closes the body and becomes the error.
func (c *call) errorHandler(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err != nil {
		if resp != nil {
			drain(resp.Body)
		}
		var ue *url.Error
		if errors.As(err, &ue) && err == error(ue) {
			err = ue.Err // the outer http.Client adds its own *url.Error
		}
		return nil, err
	}
	if resp != nil {
		return resp, nil
	}
	return nil, &Error{Vendor: c.t.opts.Vendor, Op: "request", Err: errors.New("giving up")}
}

func drain(body io.ReadCloser) {
	if body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 4096))
	body.Close()
}

// Backoff returns the wait before transient retry number attempt (0-based):
// a Retry-After header (delta-seconds or HTTP-date) when present, capped at
// maxRetryAfter; otherwise exponential backoff with full jitter between min
// and max. (Addition to the contract; exported so it can be tested and
// reused.)
func Backoff(min, max, maxRetryAfter time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if ra > maxRetryAfter {
				ra = maxRetryAfter
			}
			return ra
		}
	}
	if attempt > 30 {
		attempt = 30
	}
	ceil := min << uint(attempt)
	if ceil > max || ceil <= 0 {
		ceil = max
	}
	if ceil <= min {
		return min
	}
	return min + time.Duration(rand.Int64N(int64(ceil-min)+1))
}

func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(MaxLifetime/time.Second) {
			secs = int64(MaxLifetime / time.Second) // avoid overflow
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := at.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
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
		b.err = &Error{Vendor: b.vendor, Op: "request", StatusCode: b.status, Err: ErrResponseTooLarge}
		return n, b.err
	}
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// SafeDoer wraps an *http.Client so that errors from Do have credential
// query parameters redacted (see RedactError): net/http's *url.Error quotes
// the full request URL, so with Query placement the token would otherwise be
// in the error string. It satisfies oapi-codegen's HttpRequestDoer.
// (Addition to the contract.)
type SafeDoer struct{ *http.Client }

// Do is http.Client.Do with RedactError applied to the error.
func (d SafeDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.Client.Do(req)
	if err != nil {
		return resp, RedactError(err)
	}
	return resp, nil
}
