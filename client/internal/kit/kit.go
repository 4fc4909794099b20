// Package kit is what a vendor package is built from: the generic
// constructor that turns a vendor's declarations and checked
// configuration into a client (one transport, the token-endpoint client,
// the flow, the auth.Source, the authorizing resource client), and the
// helpers flows share (configuration checks, environment variables, token
// responses, form and Basic encoding). Applications never see it.
package kit

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/internal/origin"
)

// Spec is what a vendor package declares about its API.
type Spec struct {
	// Name is used in errors, logs and environment variable names ("bss").
	Name string
	// Placement is where resource requests carry the access token.
	Placement auth.Placement
	// Headers are static headers a resource request gets when it lacks
	// them (BSS: Accept, X-Api-Version).
	Headers http.Header
	// ReauthStatuses are the vendor's default re-auth statuses (nil:
	// {401}); client.WithReauthStatuses replaces them.
	ReauthStatuses []int
	// NeverReauth lists statuses the vendor documents as not being a
	// token problem; they are removed from any configured set (Decisiv:
	// 403).
	NeverReauth []int
	// CheckResponse is auth.HTTPOptions.CheckResponse.
	CheckResponse func(*http.Response) error
}

// Setup is one client's configuration, after the vendor package has
// checked its own fields into Check.
type Setup struct {
	Check   *Check
	BaseURL string // as configured; New validates it
	// ClientID and User say whose tokens a shared token store holds
	// (ClientID is hashed, never stored); client.WithTokenUser overrides
	// User.
	ClientID, User string
	// Secrets are the client's credentials: scrubbed from every error, log
	// line and Session.Scrub.
	Secrets *auth.Secrets
}

// Tools is what a flow gets to make its token requests.
type Tools struct {
	BaseURL string       // validated, no trailing slash
	HTTP    *http.Client // token endpoints: no token, redirects refused, responses capped
	Clock   auth.Clock
	Log     *slog.Logger
	Secrets *auth.Secrets
}

// Now is the configured clock's time.
func (t Tools) Now() time.Time { return t.Clock.Now() }

// New builds a vendor client. newFlow makes the vendor's auth.Flow from
// the Tools; newClient wraps the Session with the vendor's generated
// client (built on Session.HTTPClient). On error nothing is left running.
func New[C any](spec Spec, setup Setup, opts []client.Option,
	newFlow func(Tools) (auth.Flow, error), newClient func(client.Session) (C, error)) (C, error) {
	var zero C
	o := client.Collect(opts...)
	base := setup.Check.BaseURL("BaseURL", setup.BaseURL, o.InsecureHTTP)
	if err := setup.Check.Err(spec.Name); err != nil {
		return zero, err
	}

	clock := o.Clock
	if clock == nil {
		clock = systemClock{}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var rt http.RoundTripper
	var timeout time.Duration
	if hc := o.HTTPClient; hc != nil {
		rt, timeout = hc.Transport, hc.Timeout
	}
	var own *http.Transport // one pool for the token and resource clients, ours to close
	if rt == nil {
		own = cleanhttp.DefaultPooledTransport()
		rt = own
	}
	// The User-Agent rides in the header maps the transport copies anyway;
	// the wrapper only adds it to requests for other origins.
	resourceHeaders, tokenHeaders := spec.Headers, http.Header(nil)
	if o.UserAgent != "" {
		rt = userAgent{base: rt, ua: o.UserAgent}
		resourceHeaders = spec.Headers.Clone()
		if resourceHeaders == nil {
			resourceHeaders = http.Header{}
		}
		resourceHeaders.Set("User-Agent", o.UserAgent)
		tokenHeaders = http.Header{"User-Agent": {o.UserAgent}}
	}
	httpClient := func(ho auth.HTTPOptions) *http.Client {
		ho.Vendor, ho.Base, ho.Logger, ho.Secrets = spec.Name, rt, log, setup.Secrets
		ho.RetryMax, ho.RetryWaitMin, ho.RetryWaitMax = o.RetryMax, o.RetryWaitMin, o.RetryWaitMax
		ho.AllowInsecureHTTP = o.InsecureHTTP
		hc := auth.NewHTTPClient(ho)
		hc.Timeout = timeout
		return hc
	}

	flow, err := newFlow(Tools{
		BaseURL: base,
		// Token, authorization and revoke requests carry credentials in
		// headers and bodies: they never follow a redirect.
		HTTP:    httpClient(auth.HTTPOptions{MaxResponseBytes: auth.MaxTokenResponseBytes, RefuseRedirects: true, Headers: tokenHeaders}),
		Clock:   clock,
		Log:     log,
		Secrets: setup.Secrets,
	})
	if err != nil {
		return zero, err
	}
	user := setup.User
	if o.TokenUser != "" {
		user = o.TokenUser
	}
	src := auth.NewSource(flow, auth.SourceOptions{
		Vendor:        spec.Name,
		Store:         o.Store,
		Identity:      auth.NewIdentity(spec.Name, base, setup.ClientID, user),
		Clock:         clock,
		Logger:        log,
		StaleWindow:   o.StaleWindow,
		FetchTimeout:  o.FetchTimeout,
		OnTokenChange: o.OnTokenChange,
		Secrets:       setup.Secrets,
	})
	baseURL, _ := url.Parse(base) // Check.BaseURL parsed it
	s := &session{src: src, base: base, baseURL: baseURL, hc: httpClient(auth.HTTPOptions{
		Source:         src,
		Origin:         base,
		Placement:      spec.Placement,
		Headers:        resourceHeaders,
		ReauthStatuses: reauthStatuses(spec, o.ReauthStatuses, log),
		CheckResponse:  spec.CheckResponse,
	})}
	if own != nil {
		s.closeIdle = own.CloseIdleConnections
	}
	c, err := newClient(s)
	if err != nil {
		s.Close()
		return zero, err
	}
	return c, nil
}

// reauthStatuses is the effective re-auth set: the configured one, else
// the vendor's, else {401}; minus the vendor's NeverReauth statuses.
func reauthStatuses(spec Spec, configured []int, log *slog.Logger) []int {
	st := configured
	if st == nil {
		st = spec.ReauthStatuses
	}
	if st == nil {
		st = []int{http.StatusUnauthorized}
	}
	out := make([]int, 0, len(st))
	for _, c := range st {
		if slices.Contains(spec.NeverReauth, c) {
			log.Warn("vendorkit: ignoring re-auth status the vendor documents as not a token problem",
				"vendor", spec.Name, "status", c)
			continue
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// session implements client.Session.
type session struct {
	src       *auth.Source
	base      string
	baseURL   *url.URL
	hc        *http.Client
	closeIdle func() // the idle connections of the transport New made
}

func (s *session) Token(ctx context.Context) (*auth.Token, error) { return s.src.Token(ctx) }
func (s *session) HTTPClient() *http.Client                       { return s.hc }
func (s *session) Source() *auth.Source                           { return s.src }
func (s *session) BaseURL() string                                { return s.base }
func (s *session) Scrub(text string) string                       { return s.src.Scrub(text) }

func (s *session) Close() error {
	err := s.src.Close()
	if s.closeIdle != nil {
		s.closeIdle()
	}
	return err
}

func (s *session) Do(ctx context.Context, req *http.Request) (*http.Response, error) {
	b := s.baseURL
	r := req.Clone(ctx)
	if r.URL.Scheme == "" && r.URL.Host == "" {
		// Join the escaped forms: decoding first would turn "a%2Fb" into
		// two segments.
		esc := strings.TrimRight(b.EscapedPath(), "/") + "/" + strings.TrimLeft(r.URL.EscapedPath(), "/")
		p, err := url.PathUnescape(esc)
		if err != nil { // both halves come from parsed URLs: cannot happen
			return nil, err
		}
		u := *b
		u.Path, u.RawPath = p, esc
		u.RawQuery = r.URL.RawQuery
		r.URL = &u
		r.Host = ""
	} else if !origin.Same(r.URL, b) {
		return nil, client.ErrForeignOrigin
	}
	resp, err := s.hc.Do(r)
	if ue, ok := err.(*url.Error); ok {
		// net/http quotes the last hop's URL: a server's Location may
		// have put the token there.
		c := *ue
		c.URL = s.Scrub(ue.URL)
		err = &c
	}
	return resp, err
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// userAgent sets User-Agent on requests that have none.
type userAgent struct {
	base http.RoundTripper
	ua   string
}

func (u userAgent) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", u.ua)
	}
	return u.base.RoundTrip(req)
}

// CloseIdleConnections forwards to the base transport.
func (u userAgent) CloseIdleConnections() {
	if c, ok := u.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// OpenFunc is a descriptor's Open for a vendor package: its FromLookup,
// then its New with the options. On error the Session is nil (not a
// Session holding a nil *C).
func OpenFunc[Cfg any, C client.Session](fromLookup func(func(string) (string, bool)) (Cfg, error),
	newClient func(Cfg, ...client.Option) (C, error)) func(func(string) (string, bool), ...client.Option) (client.Session, error) {
	return func(lookup func(string) (string, bool), opts ...client.Option) (client.Session, error) {
		cfg, err := fromLookup(lookup)
		if err != nil {
			return nil, err
		}
		c, err := newClient(cfg, opts...)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}
