package sandbox

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vendorkit/vendorkit/specs"
)

// Clock tells the sandbox the time. It is structurally identical to
// auth.Clock, so one fake clock can drive the clients and the sandbox.
type Clock interface{ Now() time.Time }

// Options configures Start. The zero value serves every vendor on
// 127.0.0.1 with the docs' example credentials and lifetimes.
type Options struct {
	Addr string // listen host, default "127.0.0.1"; each vendor gets its own port
	// Port, if not 0, puts the vendors on Port, Port+1, ... in Vendors()
	// order, for URLs that stay the same across runs; 0 picks free ports.
	// A port in use fails Start with an error that wraps EADDRINUSE.
	Port  int
	Clock Clock // nil → time.Now
	// Log, if set, is called once per request served, after the response.
	// It runs on the request's goroutine, so it must be safe for
	// concurrent use.
	Log func(LogEntry)
	// Vendors holds vendor-specific settings, each in its vendor's own
	// type (BSSOptions, DecisivOptions…), at most one per vendor; a vendor
	// without any serves the docs' example credentials and lifetimes.
	// Start fails on settings it cannot apply: for a vendor it does not
	// serve, of another type (a pointer too), or a vendor's given twice.
	Vendors []VendorOptions
	// LoginRedirectURI, if set, is the redirect URI registered for every
	// vendor with a browser login (iOFFICE), unless its own options set
	// one.
	LoginRedirectURI string
	Misbehave        Misbehaviour
}

// VendorOptions is a vendor's own settings type (declared in its file).
type VendorOptions interface {
	// Vendor is the name of the vendor the settings are for.
	Vendor() string
}

// optionsOf returns the T in o.Vendors (checkVendorOptions allows one),
// or T's zero value.
func optionsOf[T VendorOptions](o *Options) T {
	for _, v := range o.Vendors {
		if t, ok := v.(T); ok {
			return t
		}
	}
	var zero T
	return zero
}

// checkVendorOptions refuses settings no vendor of defs would apply.
func checkVendorOptions(vendors []VendorOptions, defs []vendorDef) error {
	first := map[string]int{}
	for i, o := range vendors {
		if o == nil {
			return fmt.Errorf("sandbox: Options.Vendors[%d] is nil", i)
		}
		name := o.Vendor()
		j := slices.IndexFunc(defs, func(d vendorDef) bool { return d.name == name })
		if j < 0 {
			names := make([]string, len(defs))
			for k, d := range defs {
				names[k] = d.name
			}
			return fmt.Errorf("sandbox: Options.Vendors[%d] (%T) is for vendor %q; the sandbox serves %s", i, o, name, strings.Join(names, ", "))
		}
		if defs[j].options == nil {
			return fmt.Errorf("sandbox: Options.Vendors[%d] (%T): %s takes no settings", i, o, name)
		}
		if want := reflect.TypeOf(defs[j].options); reflect.TypeOf(o) != want {
			return fmt.Errorf("sandbox: Options.Vendors[%d] is a %T; %s's settings are a %v", i, o, name, want)
		}
		if k, dup := first[name]; dup {
			return fmt.Errorf("sandbox: Options.Vendors[%d] gives %s's settings again (first at [%d]); give each vendor's once", i, name, k)
		}
		first[name] = i
	}
	return nil
}

// Misbehaviour makes the sandbox depart from the docs on purpose, for the
// contract suite's negative tests and drift report: the token responses
// (WrongContentType, OmitField) or every response (ExtraProperties,
// ExtraHeaders). The zero value behaves.
type Misbehaviour struct {
	// WrongContentType labels every successful token response text/html.
	WrongContentType bool
	// OmitField drops this field (JSON key, or XML element for Decisiv) from
	// every successful token response, e.g. "access_token" or "expires_in".
	OmitField string
	// ExtraProperties are added to the top-level object of every
	// successful JSON response, and ExtraHeaders to every response: a
	// vendor whose API grew what its docs do not describe, for the
	// contract suite's drift report. Token endpoints included.
	ExtraProperties map[string]any
	ExtraHeaders    http.Header
}

// Fault is what FailNext injects into resource calls.
type Fault struct {
	Status     int    // 401, 429, 503, ...; 0 with Drop false means 503
	RetryAfter string // Retry-After header value, if not empty
	// Drop hijacks the connection and closes it without a response. Note
	// that net/http's Transport retries an idempotent request (GET) whose
	// reused keep-alive connection closes before any response, so a single
	// Drop may reach the caller only as one extra request; queue two, or
	// test on a fresh connection, to see the error.
	Drop bool
}

// Stats is a snapshot of a vendor's counters.
type Stats struct {
	// TokenRequests counts requests to the token endpoints by grant:
	// "password", "client_credentials", "authorization_code",
	// "refresh_token", and for iOFFICE "auth_code" (/oauth2/auth),
	// "revoke" and "login" (the login form's POST, whatever its outcome).
	// A request that names no grant counts under "none".
	TokenRequests map[string]int
	// ResourceRequests counts requests to resource endpoints, failed or not.
	ResourceRequests int
	// Rejected counts every 4xx/5xx the sandbox answered, validation 400s and
	// injected faults (dropped connections included).
	Rejected int
	// InvalidGrants counts 400 {"error":"invalid_grant"} answers: a
	// refresh token or code that is unknown, used (rotated away) or
	// revoked, an iOFFICE x-redirect-uri that is not the registered one,
	// and BSS's and Blueprint's wrong password.
	InvalidGrants int
}

// Sandbox is a running set of fake vendor servers.
type Sandbox struct {
	vendors []*Vendor
	cancel  context.CancelFunc // cancels every request context (latency sleeps)
	stop    chan struct{}      // tells the ctx watcher to exit
	watcher chan struct{}      // closed when the ctx watcher has exited
	serving sync.WaitGroup     // one per http.Server.Serve
	// handlers counts running handlers: Shutdown does not wait for those
	// whose connection was hijacked (Fault.Drop).
	handlers sync.WaitGroup
	once     sync.Once
	stopped  sync.Once
	err      error
	log      func(LogEntry) // Options.Log, for the admin endpoint too
}

// Vendor is one fake vendor server.
type Vendor struct {
	Name    string // "bss", "blueprint", "decisiv", "ioffice"
	BaseURL string // what a client is configured with; BSS's includes /bsssmapi

	clock    func() time.Time
	misb     Misbehaviour
	parts    vendorParts
	val      *validator
	tokens   *tokenStore
	srv      *http.Server
	lifetime atomic.Int64 // time.Duration; 0 = tokens never expire
	latency  atomic.Int64 // time.Duration on token endpoints
	faults   faultQueue
	stats    counters
	noState  atomic.Bool // OmitLoginState
}

// vendorDef is what a vendor file registers: its name (as in specs.Vendors()
// and VENDORKIT_<NAME>_*), the path prefix of its BaseURL, and a build
// function that wires its generated strict server to v.
type vendorDef struct {
	name   string
	prefix string
	// options is the zero value of the vendor's settings type
	// (BSSOptions{}), the one type its build reads from Options.Vendors.
	options VendorOptions
	// nonCredential names security schemes that are not credentials (BSS's
	// X-Api-Version): missing → 400, not 401.
	nonCredential []string
	build         func(v *Vendor, o *Options) vendorParts
}

// vendorParts is everything vendor-specific the shared machinery needs.
type vendorParts struct {
	handler   http.Handler        // generated server glue, routing under the prefix
	endpoints map[string]endpoint // by operationId; an operation not listed is a resource
	// fail renders an error in the vendor's documented shape; nil → OAuth JSON.
	fail     func(status int, code, desc string) reply
	lifetime time.Duration     // default token lifetime; 0 = never expires
	env      map[string]string // VENDORKIT_* for this vendor
	secrets  []string          // static secrets; issued tokens are added by Secrets
	// authorizeBrowser backs Vendor.AuthorizeBrowser (iOFFICE only).
	authorizeBrowser func(loginURL, username, password string) (string, error)
	// offSpec serves routes the vendor's spec does not have, by
	// method and path (iOFFICE's login form POST), outside the validated
	// pipeline.
	offSpec map[route]http.Handler
}

var registry []vendorDef

// register adds a vendor; called from each vendor file's init.
func register(d vendorDef) { registry = append(registry, d) }

// definitions returns the registered vendors in specs.Vendors() order, so
// Vendors() is stable however the files' init functions were ordered.
func definitions() []vendorDef {
	defs := slices.Clone(registry)
	order := specs.Vendors() // reads the embedded directory: once, not per comparison
	rank := func(name string) int {
		if i := slices.Index(order, name); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(defs, func(a, b vendorDef) int { return rank(a.name) - rank(b.name) })
	return defs
}

// Start serves every registered vendor on its own loopback port. All
// listeners are bound before it returns. Cancelling ctx shuts everything
// down, as does Close.
func Start(ctx context.Context, opts Options) (*Sandbox, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1"
	}
	clock := time.Now
	if opts.Clock != nil {
		clock = opts.Clock.Now
	}
	specs.RegisterBodyDecoders()

	defs := definitions()
	if err := checkVendorOptions(opts.Vendors, defs); err != nil {
		return nil, err
	}
	if opts.Port < 0 || opts.Port > 0 && opts.Port+len(defs)-1 > 65535 {
		return nil, fmt.Errorf("sandbox: port %d: the %d vendors need ports %d-%d", opts.Port, len(defs), opts.Port, opts.Port+len(defs)-1)
	}
	reqCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Sandbox{cancel: cancel, stop: make(chan struct{}), watcher: make(chan struct{}), log: opts.Log}
	var listeners []net.Listener
	fail := func(err error) (*Sandbox, error) {
		cancel()
		for _, ln := range listeners {
			ln.Close()
		}
		return nil, err
	}
	for i, d := range defs {
		val, err := validatorFor(d)
		if err != nil {
			return fail(err)
		}
		port := 0
		if opts.Port > 0 {
			port = opts.Port + i
		}
		ln, err := listen(opts.Addr, port)
		if err != nil {
			return fail(fmt.Errorf("sandbox: %s: %w", d.name, err))
		}
		listeners = append(listeners, ln)
		v := &Vendor{
			Name:    d.name,
			BaseURL: "http://" + ln.Addr().String() + d.prefix,
			clock:   clock,
			misb:    opts.Misbehave,
			val:     val,
		}
		v.tokens = newTokenStore(clock)
		v.parts = d.build(v, &opts)
		if err := checkEndpoints(val.router.Doc(), v.parts.endpoints); err != nil {
			return fail(fmt.Errorf("sandbox: %s: %w", d.name, err))
		}
		if v.parts.fail == nil {
			v.parts.fail = oauthError
		}
		v.lifetime.Store(int64(v.parts.lifetime))
		v.srv = &http.Server{
			Handler:           v.front(opts.Log, &s.handlers),
			ReadHeaderTimeout: 10 * time.Second,
			BaseContext:       func(net.Listener) context.Context { return reqCtx },
		}
		s.vendors = append(s.vendors, v)
	}
	for i, v := range s.vendors {
		s.serving.Add(1)
		go func(ln net.Listener) {
			defer s.serving.Done()
			v.srv.Serve(ln) // returns http.ErrServerClosed on shutdown
		}(listeners[i])
	}
	go func() {
		defer close(s.watcher)
		select {
		case <-ctx.Done():
			s.shutdown()
		case <-s.stop:
		}
	}()
	return s, nil
}

// Close shuts down every listener and waits until no goroutine of the
// sandbox is left. It is safe to call more than once.
func (s *Sandbox) Close() error {
	s.stopped.Do(func() { close(s.stop) })
	s.shutdown()
	<-s.watcher
	return s.err
}

func (s *Sandbox) shutdown() {
	s.once.Do(func() {
		s.cancel() // ends latency sleeps, so Shutdown does not wait for them
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var errs []error
		for _, v := range s.vendors {
			if err := v.srv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("sandbox: %s: %w", v.Name, err), v.srv.Close())
			}
		}
		s.serving.Wait()
		s.handlers.Wait() // bounded: s.cancel ended every latency sleep
		s.err = errors.Join(errs...)
	})
}

// Vendor returns the named vendor ("bss", "blueprint", "decisiv",
// "ioffice"), or nil.
func (s *Sandbox) Vendor(name string) *Vendor {
	for _, v := range s.vendors {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// Vendors returns every vendor, in specs.Vendors() order.
func (s *Sandbox) Vendors() []*Vendor { return slices.Clone(s.vendors) }

// Env returns ready-to-export VENDORKIT_* variables for this vendor: its
// base URL and the sandbox account's credentials.
func (v *Vendor) Env() map[string]string { return maps.Clone(v.parts.env) }

// Secrets returns every secret value this vendor knows: passwords, client
// secrets, their Basic encodings, and every access token, refresh token and
// code it has issued (revoked or expired ones included), so that a test can
// scan output for leaks.
func (v *Vendor) Secrets() []string {
	return append(slices.Clone(v.parts.secrets), v.tokens.issued()...)
}

// SetTokenLifetime sets the lifetime of tokens issued from now on; d <= 0
// restores the vendor's default (Decisiv's default is no expiry).
func (v *Vendor) SetTokenLifetime(d time.Duration) {
	if d <= 0 {
		d = v.parts.lifetime
	}
	v.lifetime.Store(int64(d))
}

// SetTokenLatency delays every token-endpoint request by d of real time
// (the request's context still cancels the wait).
func (v *Vendor) SetTokenLatency(d time.Duration) { v.latency.Store(int64(d)) }

// RevokeAll revokes every access token, refresh token and code issued so
// far: resource calls with them now get 401.
func (v *Vendor) RevokeAll() { v.tokens.revokeAll() }

// FailNext makes the next n resource calls fail with f. Calls queue up:
// FailNext(1, a) then FailNext(1, b) fails one call with a, then one with b.
// Token endpoints are never affected.
func (v *Vendor) FailNext(n int, f Fault) { v.faults.add(n, f) }

// Stats returns a snapshot of the vendor's counters.
func (v *Vendor) Stats() Stats { return v.stats.snapshot() }

// AuthorizeBrowser plays the user in iOFFICE's browser flow: it checks the
// login URL (same host as BaseURL, /login.html and all five documented
// parameters) and the credentials, as the login page would, and returns the
// URL the browser would be redirected to:
// "<redirect_uri>#code=...&appCode=...&state=...". Other vendors have no
// browser flow and return an error.
func (v *Vendor) AuthorizeBrowser(loginURL, username, password string) (string, error) {
	if v.parts.authorizeBrowser == nil {
		return "", fmt.Errorf("sandbox: %s has no browser flow", v.Name)
	}
	return v.parts.authorizeBrowser(loginURL, username, password)
}

// now is the sandbox clock.
func (v *Vendor) now() time.Time { return v.clock() }

// tokenLifetime is the lifetime for a token issued now.
func (v *Vendor) tokenLifetime() time.Duration { return time.Duration(v.lifetime.Load()) }
