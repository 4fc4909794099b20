package auth

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/vendorkit/vendorkit/internal/origin"
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
	// CheckResponse is a vendor hook for resource responses: a non-nil
	// error (a sentinel such as Decisiv's ErrBearerNotSupported for its
	// 403) becomes the Err of the *Error Do returns, which carries the
	// status and a body excerpt scrubbed of Secrets and of the token the
	// request carried; the body is closed.
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
	AllowInsecureHTTP bool  // permit credentials over http:// to non-loopback hosts
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
	if opts.RetryBudget <= 0 {
		opts.RetryBudget = opts.MaxRetryAfter
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
	check := t.checkRedirect
	if opts.RefuseRedirects {
		check = t.refuseRedirect
	}
	return &http.Client{Transport: t, CheckRedirect: check}
}

// CloseIdleConnections closes the idle connections of the base transport
// (http.Client.CloseIdleConnections calls it).
func (t *transport) CloseIdleConnections() { t.inner.CloseIdleConnections() }

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
			return nil, &Error{Vendor: t.opts.Vendor, Op: OpRequest, StatusCode: resp.StatusCode, Err: ErrResponseTooLarge}
		}
		resp.Body = &cappedBody{rc: resp.Body, left: max, vendor: t.opts.Vendor, status: resp.StatusCode}
	}
	if t.opts.CheckResponse != nil {
		if herr := t.opts.CheckResponse(resp); herr != nil {
			return nil, t.responseError(resp, herr)
		}
	}
	return resp, nil
}

// maxErrorRead is how much of an error response's body is read for its
// excerpt (the excerpt itself is shorter: scrubbed first, then cut).
const maxErrorRead = 16 << 10

// responseError reads and closes resp's body and returns the *Error of a
// resource response that failed with cause: its status, OAuth error fields
// if any, and a body excerpt scrubbed of the client's secrets and of the
// token the request carried. cause becomes Err, unless it is itself an
// *Error, which is returned as it is.
func (t *transport) responseError(resp *http.Response, cause error) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorRead))
	resp.Body.Close()
	var ae *Error
	if errors.As(cause, &ae) {
		return cause
	}
	sec := t.opts.Secrets
	if src := t.opts.Source; src != nil {
		sec = src.secretsWith(sec, t.opts.Placement.From(resp.Request))
	}
	e := sec.ResponseError(t.opts.Vendor, OpRequest, resp.StatusCode, body)
	e.Retryable = false
	e.Err = cause
	return e
}

// refuseRedirect is the CheckRedirect of a RefuseRedirects client: the
// error names the status and the Location's origin, never its path or
// query (they may carry a code or a token).
func (t *transport) refuseRedirect(req *http.Request, _ []*http.Request) error {
	status := 0
	if req.Response != nil {
		status = req.Response.StatusCode
	}
	return RedirectError(t.opts.Vendor, OpRequest, status, req.URL)
}

// RedirectError is the *Error of a redirect that a credential-carrying
// request must not follow: it wraps ErrUnexpectedRedirect and names the
// status and the origin of location (nil: none given).
func RedirectError(vendor string, op Op, status int, location *url.URL) *Error {
	to := "no Location"
	if location != nil && location.Host != "" {
		to = origin.Of(location).String()
	} else if location != nil {
		to = "a relative Location"
	}
	return &Error{Vendor: vendor, Op: op, StatusCode: status,
		Err: fmt.Errorf("%w to %s (not followed: the request carries credentials)", ErrUnexpectedRedirect, to)}
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
	if t.opts.AllowInsecureHTTP || u == nil || !strings.EqualFold(u.Scheme, "http") || origin.IsLoopback(u.Hostname()) {
		return nil
	}
	return &Error{Vendor: t.opts.Vendor, Op: OpRequest, Err: ErrInsecureTransport}
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
	if origin.Same(orig.URL, req.URL) {
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

// call is the per-call retry state; one goroutine (retryablehttp's Do loop)
// touches it, so no locking. Calls are pooled (transport.calls): start
// resets the state, rc's hooks stay bound to the call.
type call struct {
	t          *transport
	idempotent bool
	reauthed   bool
	transient  int
	wait       time.Duration
	spent      time.Duration // sum of the waits so far (RetryBudget)
	attempts   int

	rc retryablehttp.Client
	rr retryablehttp.Request
}

func (c *call) start(idempotent bool) {
	c.idempotent, c.reauthed, c.transient, c.wait, c.spent, c.attempts = idempotent, false, 0, 0, 0, 0
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
		return c.transientRetry(ctx, nil, "connection error"), nil
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
			return false, c.t.responseError(resp, ErrUnauthorized)
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
	return c.transientRetry(ctx, resp, "HTTP "+strconv.Itoa(resp.StatusCode)), nil
}

// transientRetry decides on a transient retry and its wait. It declines
// when the budget is spent or when the wait would outlast ctx's deadline:
// the caller then gets the 429/503 at once instead of a deadline error later.
//
// A Retry-After longer than MaxRetryAfter means the server will not be
// ready soon: no retry, the caller gets the response at once. All the
// waits of one call share RetryBudget.
func (c *call) transientRetry(ctx context.Context, resp *http.Response, why string) bool {
	o := &c.t.opts
	if c.transient >= o.RetryMax {
		c.notRetrying(why, "retries used up", 0)
		return false
	}
	var wait time.Duration
	if ra, ok := retryAfter(resp); ok {
		if ra > o.MaxRetryAfter {
			c.notRetrying(why, "Retry-After exceeds the cap of "+o.MaxRetryAfter.String(), ra)
			return false
		}
		wait, why = ra, why+", Retry-After"
	} else {
		wait = Backoff(o.RetryWaitMin, o.RetryWaitMax, o.MaxRetryAfter, c.transient, nil)
		why += ", backoff"
	}
	if c.spent+wait > o.RetryBudget {
		c.notRetrying(why, "the call's retry budget of "+o.RetryBudget.String()+" would be exceeded", wait)
		return false
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		c.notRetrying(why, "the wait would outlast the context's deadline", wait)
		return false
	}
	c.transient++
	c.spent += wait
	c.wait = wait
	if c.t.debug() {
		o.Logger.Debug("vendorkit: retrying", "vendor", o.Vendor, "attempt", c.attempts, "wait", wait, "reason", why)
	}
	return true
}

func (c *call) notRetrying(why, because string, wait time.Duration) {
	if !c.t.debug() {
		return
	}
	o := &c.t.opts
	args := []any{"vendor", o.Vendor, "attempt", c.attempts, "reason", why, "because", because}
	if wait > 0 {
		args = append(args, "wait", wait)
	}
	o.Logger.Debug("vendorkit: not retrying", args...)
}

// retryAfter reads resp's Retry-After (delta-seconds or HTTP-date).
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	return parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
}

// safeToRetryError: only network failures are retried, never context,
// certificate or our own typed errors, nor errors net/http makes locally
// without touching the network (an invalid header value, an unsupported
// scheme), which would fail the same way every time. Idempotent requests
// retry any network failure; non-idempotent ones only those proving the
// request never left (dial or DNS failures).
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
	return c.idempotent && networkFailure(err)
}

// networkFailure reports errors that come from the network: a net.Error
// (reset, refused, timeout at the socket), or a connection that ended
// before the response did.
func networkFailure(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) {
		var ue *url.Error
		// *url.Error is a net.Error whatever it wraps: look inside.
		if errors.As(err, &ue) && ue.Err != nil {
			return networkFailure(ue.Err)
		}
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE)
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
	return nil, &Error{Vendor: c.t.opts.Vendor, Op: OpRequest, Err: errors.New("giving up")}
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
		b.err = &Error{Vendor: b.vendor, Op: OpRequest, StatusCode: b.status, Err: ErrResponseTooLarge}
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
