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
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// call is one request's state in go-retryablehttp's loop. Its Client's
// hooks (CheckRetry, Backoff, PrepareRetry, ErrorHandler) are method
// values bound to the call, because Backoff gets no context and, on a
// connection error, no response: the receiver is the only reliable place
// for per-call state. One goroutine (retryablehttp's Do) touches it, so no
// locking. Calls are pooled (transport.calls): start resets the state.
type call struct {
	t          *transport
	url        *url.URL // the caller's, for logs (attempts sign a copy: it holds no token of ours)
	ours       bool     // the request is for the authorized origin
	cred       string   // the token the current attempt carries ("" if none)
	idempotent bool
	reauthed   bool
	transient  int
	wait       time.Duration // the next wait, decided by checkRetry
	spent      time.Duration // sum of the waits so far (RetryBudget)
	attempts   int

	rc retryablehttp.Client
	rr retryablehttp.Request
}

// newCall is the pool's constructor: a call and its retryablehttp.Client,
// whose hooks are bound once per pooled object, not once per request.
func (t *transport) newCall() any {
	c := &call{t: t}
	c.rc = retryablehttp.Client{
		HTTPClient:   t.inner,
		Logger:       nil, // we log through slog, URLs redacted
		RetryWaitMin: t.opts.RetryWaitMin,
		RetryWaitMax: t.opts.RetryWaitMax,
		// checkRetry enforces RetryMax for transient failures; the one
		// re-auth retry comes on top.
		RetryMax:     t.opts.RetryMax + 1,
		CheckRetry:   c.checkRetry,
		Backoff:      c.backoff,
		PrepareRetry: c.prepareRetry,
		ErrorHandler: c.errorHandler,
	}
	return c
}

// release returns c to the pool once retryablehttp's Do has returned: Do
// is synchronous and keeps no reference to its Client or Request.
func (t *transport) release(c *call) {
	c.cred, c.url = "", nil
	c.rr = retryablehttp.Request{}
	t.calls.Put(c)
}

func (c *call) start(req *http.Request) {
	c.url = req.URL
	c.ours = c.t.isOurs(req.URL)
	c.cred = ""
	c.idempotent = idempotent(req)
	c.reauthed, c.transient, c.wait, c.spent, c.attempts = false, 0, 0, 0, 0
}

// sign places the Source's current token on req, an attempt's own request
// (its header map and URL are the call's to change).
func (c *call) sign(req *http.Request) error {
	o := &c.t.opts
	tok, err := o.Source.Token(req.Context())
	if err != nil {
		return err
	}
	c.cred = tok.AccessToken
	if o.Placement.In == InHeader {
		if o.Placement.Name != "" {
			req.Header[c.t.placeKey] = c.t.headerValues(tok.AccessToken)
		}
		return nil
	}
	u := *req.URL
	req.URL = &u
	o.Placement.apply(req, tok.AccessToken)
	return nil
}

func (c *call) isReauth(status int) bool {
	for _, s := range c.t.opts.ReauthStatuses {
		if s == status {
			return true
		}
	}
	return false
}

// checkRetry is retryablehttp's CheckRetry: it decides whether to retry and
// sets the wait Backoff will return.
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
				"retry", safe && c.transient < o.RetryMax, "error", c.scrub(SafeErrorString(err)))
		}
		if !safe {
			return false, nil
		}
		return c.transientRetry(ctx, nil, "connection error"), nil
	}
	if c.t.debug() {
		o.Logger.Debug("vendorkit: response", "vendor", o.Vendor, "method", resp.Request.Method,
			"url", c.logURL(), "status", resp.StatusCode, "attempt", c.attempts)
	}

	if c.ours && c.cred != "" && c.isReauth(resp.StatusCode) {
		if c.reauthed {
			return false, c.t.responseError(resp, c.cred, ErrUnauthorized)
		}
		c.reauthed = true
		o.Source.Invalidate(c.cred)
		if o.Logger.Enabled(ctx, slog.LevelInfo) {
			o.Logger.Info("vendorkit: re-authenticating after rejected token", "vendor", o.Vendor,
				"status", resp.StatusCode, "url", c.logURL())
		}
		return true, nil // at once: c.wait is 0
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
// the caller then gets the 429/503 at once instead of a deadline error
// later.
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
		wait = backoff(o.RetryWaitMin, o.RetryWaitMax, c.transient)
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
		o.Logger.Debug("vendorkit: retrying", "vendor", o.Vendor, "attempt", c.attempts, "wait", wait.Round(time.Millisecond), "reason", why)
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
		args = append(args, "wait", wait.Round(time.Millisecond))
	}
	o.Logger.Debug("vendorkit: not retrying", args...)
}

// backoff is retryablehttp's Backoff: the wait checkRetry decided.
// retryablehttp's own wait selects on the request's context.
func (c *call) backoff(_, _ time.Duration, _ int, _ *http.Response) time.Duration { return c.wait }

// prepareRetry is retryablehttp's PrepareRetry: req is its shallow copy of
// the previous attempt's request. A request for our origin is re-signed
// with the Source's current token (new after a re-auth); any other gets
// none.
func (c *call) prepareRetry(req *http.Request) error {
	if !c.ours {
		return nil
	}
	req.Header = cloneHeader(req.Header, 0)
	return c.sign(req)
}

// errorHandler is retryablehttp's ErrorHandler, run when it gives up. A
// response whose retries are exhausted is returned as it is (the generated
// client maps the status); a check error (a second 401) or a transport
// error is returned without the *url.Error of retryablehttp's inner
// client (the outer http.Client adds its own).
func (c *call) errorHandler(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err != nil {
		if resp != nil {
			drain(resp.Body)
		}
		var ue *url.Error
		if errors.As(err, &ue) && err == error(ue) {
			err = ue.Err
		}
		return nil, c.scrubError(err)
	}
	if resp != nil {
		return resp, nil
	}
	return nil, &Error{Vendor: c.t.opts.Vendor, Op: OpRequest, Err: errors.New("giving up")}
}

// logURL is the call's URL for a log line: the caller's, never the
// attempt's (with Query placement that one holds the token), redacted and
// scrubbed in case the caller or a server's redirect put a token there.
func (c *call) logURL() string { return c.scrub(RedactURL(c.url)) }

// scrub removes from text bound for a log line the client's secrets, in
// every encoding Secrets knows: see transport.secrets. It builds a
// Secrets: only for debug lines, a re-auth and failed calls, never on the
// hot path.
func (c *call) scrub(text string) string { return c.t.secrets(c.cred).Scrub(text) }

// scrubError returns err, or, when its text holds a secret (a transport
// error quoting the attempt's URL, token included), an error that prints
// that text scrubbed and unwraps to err.
func (c *call) scrubError(err error) error {
	sec, msg := c.t.secrets(c.cred), err.Error()
	if sec.replace(msg) == msg {
		return err
	}
	return &scrubbedError{err: err, msg: sec.Scrub(msg)}
}

// scrubbedError prints its cause's text scrubbed; errors.Is and As still
// see the cause.
type scrubbedError struct {
	err error
	msg string
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// idempotent: RFC 9110 idempotent methods, or a request carrying an
// Idempotency-Key (as net/http's own transport treats it).
func idempotent(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return req.Header.Get("Idempotency-Key") != "" || req.Header.Get("X-Idempotency-Key") != ""
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

func drain(body io.ReadCloser) {
	if body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 4096))
	body.Close()
}

// backoff returns the wait before transient retry number attempt
// (0-based): exponential with full jitter between min and max.
func backoff(min, max time.Duration, attempt int) time.Duration {
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

// retryAfter reads resp's Retry-After (delta-seconds or HTTP-date).
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	return parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
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
