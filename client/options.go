package client

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/vendorkit/vendorkit/auth"
)

// Option configures a vendor client. Every vendor package's New accepts
// these.
type Option func(*Options)

// Options is what the Option values set. Applications use the With…
// functions; vendor packages read the result (Collect).
type Options struct {
	// HTTPClient's Transport becomes the base transport of both the
	// token-endpoint and the resource clients, and its Timeout is kept.
	// Its CheckRedirect and Jar are not used: the auth stack handles
	// redirects itself (token endpoints never follow one; resource
	// requests lose every credential when the origin changes).
	HTTPClient *http.Client
	Logger     *slog.Logger // nil: discard
	// RetryMax, RetryWaitMin and RetryWaitMax follow auth.HTTPOptions:
	// RetryMax 0 means the default (3), a negative value no transient
	// retries.
	RetryMax     int
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	Store        auth.Store // nil: in memory
	// TokenUser names the user in the token store's identity (see
	// WithTokenUser); "" keeps the vendor's (its Config's username).
	TokenUser string
	// OnTokenChange is auth.SourceOptions.OnTokenChange (WithTokenHook).
	OnTokenChange func(auth.TokenEvent)
	Clock         auth.Clock // nil: time.Now
	InsecureHTTP  bool
	StaleWindow   time.Duration
	FetchTimeout  time.Duration
	// ReauthStatuses replaces the vendor's default set (nil: keep it).
	ReauthStatuses []int
	UserAgent      string
}

// WithHTTPClient makes hc's Transport the base transport (hc.Transport nil:
// a pooled default) and keeps hc.Timeout as the timeout of every request.
// The retry, re-auth and credential-hygiene layers are added on top, so
// pass a plain client, not one already wrapping a token source.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *Options) { o.HTTPClient = hc }
}

// WithLogger sends the client's logs (token fetches, re-authentication,
// retries; never a secret) to l. The default discards them.
func WithLogger(l *slog.Logger) Option {
	return func(o *Options) { o.Logger = l }
}

// WithRetry sets the transient-failure retry policy: at most max retries
// (0: none) with exponential backoff and full jitter between waitMin and
// waitMax; Retry-After is honoured. Non-idempotent requests (token
// requests, POSTs) are retried only when the server cannot have processed
// them. The one retry after a re-authentication is not counted. Zero waits
// keep the defaults (100ms, 5s).
func WithRetry(max int, waitMin, waitMax time.Duration) Option {
	return func(o *Options) {
		if max <= 0 {
			max = -1
		}
		o.RetryMax, o.RetryWaitMin, o.RetryWaitMax = max, waitMin, waitMax
	}
}

// WithTokenStore keeps tokens in s instead of in memory, e.g. to share them
// between processes or keep a rotated refresh token across restarts
// (auth/filestore, auth/redisstore). One store may serve any number of
// clients: entries are keyed by vendor, base URL, client id or key
// (hashed) and user, and never served to another identity.
func WithTokenStore(s auth.Store) Option {
	return func(o *Options) { o.Store = s }
}

// WithTokenUser names the user whose tokens this client holds, in the
// identity its token store keys them by. Vendor clients use their
// Config's username; a flow without one (iOFFICE's browser flow) needs
// this when clients of several users share one store, or they would
// share one token.
func WithTokenUser(user string) Option {
	return func(o *Options) { o.TokenUser = user }
}

// WithTokenHook calls f after every change of the client's token: a new
// token, a refresh, a rotation, a token adopted from the store, an
// invalidation, a revoke. f gets the vendor and the reason, never the
// token; it must be quick and must not call the client.
func WithTokenHook(f func(auth.TokenEvent)) Option {
	return func(o *Options) { o.OnTokenChange = f }
}

// WithClock replaces time.Now for token expiry (tests, demos).
func WithClock(c auth.Clock) Option {
	return func(o *Options) { o.Clock = c }
}

// WithInsecureHTTP allows credentials and tokens over plain http:// to
// hosts other than loopback. Without it such a BaseURL is refused by New
// (loopback hosts, e.g. httptest servers, are always allowed).
func WithInsecureHTTP() Option {
	return func(o *Options) { o.InsecureHTTP = true }
}

// WithStaleWindow makes the client fetch a new token this long before the
// current one expires (default: 20% of the token's lifetime, with jitter).
func WithStaleWindow(d time.Duration) Option {
	return func(o *Options) { o.StaleWindow = d }
}

// WithFetchTimeout bounds one token fetch (default 30s).
func WithFetchTimeout(d time.Duration) Option {
	return func(o *Options) { o.FetchTimeout = d }
}

// WithReauthStatuses replaces the vendor's set of resource response
// statuses that mean "token rejected": the token is invalidated and the
// request retried once with a new one. The default is {401} for every
// vendor; a vendor package may refuse a status its API documents as
// something else (Decisiv's 403).
func WithReauthStatuses(statuses ...int) Option {
	return func(o *Options) { o.ReauthStatuses = append([]int{}, statuses...) }
}

// WithUserAgent sets the User-Agent of every request that has none of its
// own, token requests included (Decisiv's docs show "User-Agent:
// Application Name"). Default: Go's.
func WithUserAgent(ua string) Option {
	return func(o *Options) { o.UserAgent = ua }
}

// Collect applies opts in order.
func Collect(opts ...Option) Options {
	var o Options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}
