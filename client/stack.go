package client

import (
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/hashicorp/go-cleanhttp"

	"github.com/vendorkit/vendorkit/auth"
)

// Vendor is what a vendor package tells the Stack about its API.
type Vendor struct {
	// Name is used in errors, logs and environment variable names ("bss").
	Name string
	// Placement is where resource requests carry the access token.
	Placement auth.Placement
	// ReauthStatuses are the vendor's default re-auth statuses (nil: {401}).
	// WithReauthStatuses replaces them.
	ReauthStatuses []int
	// NeverReauth lists statuses the vendor documents as not being a token
	// problem; they are removed from any configured set (Decisiv: 403).
	NeverReauth []int
	// CheckResponse is passed to auth.HTTPOptions.CheckResponse for
	// resource requests.
	CheckResponse func(*http.Response) error
}

// Stack is the shared HTTP and token plumbing of one vendor client. A
// vendor package builds it in two steps, because the flow needs the
// token-endpoint client and the resource client needs the flow's Source:
//
//	st := client.NewStack(client.Vendor{Name: "bss", Placement: auth.Bearer()}, opts...)
//	tokenAPI, _ := bssapi.NewClient(base, bssapi.WithHTTPClient(st.TokenHTTPClient()))
//	sess := st.Start(base, &flow{api: tokenAPI, ...})
//	api, _ := bssapi.NewClientWithResponses(base, bssapi.WithHTTPClient(sess.Doer()),
//		bssapi.WithRequestEditorFn(sess.Editors()[0]))
type Stack struct {
	vendor    Vendor
	opts      Options
	clock     auth.Clock
	log       *slog.Logger
	base      http.RoundTripper
	own       *http.Transport // the base transport when the Stack made it; closed idle by Session.Close
	tokenHTTP *http.Client
	// clientID and user name the client's tokens in a shared store (Identify).
	clientID, user string
}

// NewStack collects opts and builds the token-endpoint client.
func NewStack(v Vendor, opts ...Option) *Stack {
	s := &Stack{vendor: v, opts: Collect(opts...)}
	s.clock = s.opts.Clock
	if s.clock == nil {
		s.clock = systemClock{}
	}
	s.log = s.opts.Logger
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if hc := s.opts.HTTPClient; hc != nil {
		s.base = hc.Transport
	}
	if s.base == nil {
		// One pool for the token and the resource clients, ours to close.
		s.own = cleanhttp.DefaultPooledTransport()
		s.base = s.own
	}
	if ua := s.opts.UserAgent; ua != "" {
		s.base = userAgent{base: s.base, ua: ua}
	}
	// Token, authorization and revoke requests carry credentials in
	// headers and bodies: they never follow a redirect.
	s.tokenHTTP = s.httpClient(auth.HTTPOptions{MaxResponseBytes: auth.MaxTokenResponseBytes, RefuseRedirects: true})
	return s
}

// Options returns the collected options.
func (s *Stack) Options() Options { return s.opts }

// Vendor returns the vendor name.
func (s *Stack) Vendor() string { return s.vendor.Name }

// Now is the configured clock's time.
func (s *Stack) Now() time.Time { return s.clock.Now() }

// Logger is the configured logger (never nil).
func (s *Stack) Logger() *slog.Logger { return s.log }

// TokenHTTPClient is the client for the generated token-endpoint
// operations: no token, no re-auth, the same safe retries, responses capped
// at auth.MaxTokenResponseBytes, redirects refused (auth.ErrUnexpectedRedirect),
// plain http refused for non-loopback hosts unless WithInsecureHTTP.
func (s *Stack) TokenHTTPClient() *http.Client { return s.tokenHTTP }

// ReauthStatuses is the effective re-auth set: the configured one, else the
// vendor's, else {401}; minus the vendor's NeverReauth statuses.
func (s *Stack) ReauthStatuses() []int {
	st := s.opts.ReauthStatuses
	if st == nil {
		st = s.vendor.ReauthStatuses
	}
	if st == nil {
		st = []int{http.StatusUnauthorized}
	}
	out := make([]int, 0, len(st))
	for _, c := range st {
		if slices.Contains(s.vendor.NeverReauth, c) {
			s.log.Warn("vendorkit: ignoring re-auth status the vendor documents as not a token problem",
				"vendor", s.vendor.Name, "status", c)
			continue
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// Identify tells the token store whose tokens this client holds: the
// OAuth client id or key (hashed, never stored) and the user ("" when the
// grant has none). Start adds the vendor and the base URL. A vendor
// package calls it before Start; WithTokenUser, when given, overrides
// user. Clients whose identities differ never share a stored token.
func (s *Stack) Identify(clientIDOrKey, user string) {
	s.clientID, s.user = clientIDOrKey, user
}

// Doer is what generated clients send requests with (their
// HttpRequestDoer).
type Doer interface {
	Do(req *http.Request) (*http.Response, error)
}

// Start creates the Session for flow: its auth.Source, and the resource
// client that places its token, re-authenticates once on a re-auth status
// and runs the vendor's CheckResponse. The client's errors have any URL
// redacted (auth.RedactError): net/http puts the full request URL into
// them, and with query placement that URL holds the token. base is the
// validated BaseURL; sec the client's credentials (scrubbed from every
// error and from Session.Scrub); headers are the vendor's static-header
// editors, run before the token editor on every call.
func (s *Stack) Start(base string, flow auth.Flow, sec *auth.Secrets, headers ...Editor) *Session {
	user := s.user
	if s.opts.TokenUser != "" {
		user = s.opts.TokenUser
	}
	src := auth.NewSource(flow, auth.SourceOptions{
		Vendor:        s.vendor.Name,
		Store:         s.opts.Store,
		Identity:      auth.NewIdentity(s.vendor.Name, base, s.clientID, user),
		Clock:         s.clock,
		Logger:        s.log,
		StaleWindow:   s.opts.StaleWindow,
		FetchTimeout:  s.opts.FetchTimeout,
		OnTokenChange: s.opts.OnTokenChange,
		Secrets:       sec,
	})
	hc := s.httpClient(auth.HTTPOptions{
		Source:         src,
		Placement:      s.vendor.Placement,
		ReauthStatuses: s.ReauthStatuses(),
		CheckResponse:  s.vendor.CheckResponse,
		Secrets:        sec,
	})
	editors := append(slices.Clip(headers), auth.Editor(src, s.vendor.Placement))
	sess := &Session{src: src, base: base, doer: auth.SafeDoer{Client: hc}, editors: editors}
	if s.own != nil {
		sess.closeIdle = s.own.CloseIdleConnections
	}
	return sess
}

func (s *Stack) httpClient(ho auth.HTTPOptions) *http.Client {
	ho.Vendor = s.vendor.Name
	ho.Base = s.base
	ho.RetryMax = s.opts.RetryMax
	ho.RetryWaitMin = s.opts.RetryWaitMin
	ho.RetryWaitMax = s.opts.RetryWaitMax
	ho.AllowInsecureHTTP = s.opts.InsecureHTTP
	ho.Logger = s.log
	hc := auth.NewHTTPClient(ho)
	if s.opts.HTTPClient != nil {
		hc.Timeout = s.opts.HTTPClient.Timeout
	}
	return hc
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
