package kit

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
)

func TestForm(t *testing.T) {
	got := Form("grant_type", "password", "username", "testuser", "password", "user123456!")
	if want := "grant_type=password&username=testuser&password=user123456%21"; got != want {
		t.Errorf("Form = %q, want %q", got, want)
	}
	// Order is the caller's, not sorted; space is '+'.
	if got := Form("z", "a b", "a", "&="); got != "z=a+b&a=%26%3D" {
		t.Errorf("Form = %q", got)
	}
	defer func() {
		if r := recover(); r != "kit.Form: odd number of arguments" {
			t.Errorf("Form with an odd number of arguments: panic %v", r)
		}
	}()
	Form("a")
}

func TestBasicAuth(t *testing.T) {
	got := BasicAuth("23230e67-6c95-4f83-a176-d969b95ee601", "HCHlt6XPXxOveEx4QjECVB4ChgKiLJF65U7qy/xe46k=")
	want := "Basic MjMyMzBlNjctNmM5NS00ZjgzLWExNzYtZDk2OWI5NWVlNjAxOkhDSGx0NlhQWHhPdmVFeDRRakVDVkI0Q2hnS2lMSkY2NVU3cXkveGU0Nms9"
	if got != want {
		t.Errorf("BasicAuth = %q, want the docs' %q", got, want)
	}
}

func TestCheckBaseURL(t *testing.T) {
	for _, tc := range []struct {
		raw      string
		insecure bool
		want     string // "" → a problem
	}{
		{"https://my.interworkscloud.com/bsssmapi", false, "https://my.interworkscloud.com/bsssmapi"},
		{"https://my.interworkscloud.com/bsssmapi/", false, "https://my.interworkscloud.com/bsssmapi"},
		{"https://h.example//", false, "https://h.example"},
		{"https://h.example:8443", false, "https://h.example:8443"},
		{"http://127.0.0.1:8080/x", false, "http://127.0.0.1:8080/x"},
		{"http://localhost", false, "http://localhost"},
		{"http://[::1]:1", false, "http://[::1]:1"},
		{"http://api.staging.decisiv.net", false, ""},
		{"http://api.staging.decisiv.net", true, "http://api.staging.decisiv.net"},
		{"ftp://h.example", false, ""},
		{"h.example/path", false, ""},
		{"https://", false, ""},
		{"https://h.example/x?y=1", false, ""},
		{"https://h.example/x?", false, ""},
		{"https://h.example/x#f", false, ""},
		{"https://user:pw@h.example", false, ""},
		{"https://h .example", false, ""},
	} {
		var chk Check
		got := chk.BaseURL("BaseURL", tc.raw, tc.insecure)
		err := chk.Err("v")
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("BaseURL(%q, %v) = %q, %v; want %q", tc.raw, tc.insecure, got, err, tc.want)
		}
		if err != nil && (!errors.Is(err, client.ErrInvalidConfig) || !strings.Contains(err.Error(), "Config.BaseURL")) {
			t.Errorf("error %v does not wrap ErrInvalidConfig and name the field", err)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("error leaks the URL's password: %v", err)
		}
	}
}

func TestCheckCollects(t *testing.T) {
	var chk Check
	chk.Require("A", "x")
	chk.Require("B", "")
	chk.Require("C", "")
	err := chk.Err("vendor")
	if err == nil || err.Error() != "vendorkit: invalid configuration: vendor: Config.B is required; Config.C is required" {
		t.Errorf("err = %v", err)
	}
}

func TestEnv(t *testing.T) {
	t.Setenv("VENDORKIT_ACME_SET", "v")
	t.Setenv("VENDORKIT_ACME_EMPTY", "")
	env := NewEnv("acme", nil)
	if env.Name("BASE_URL") != "VENDORKIT_ACME_BASE_URL" {
		t.Errorf("Name = %q", env.Name("BASE_URL"))
	}
	if env.Require("SET") != "v" || env.Require("EMPTY") != "" || env.Get("OPTIONAL_UNSET_X") != "" {
		t.Error("values")
	}
	env.Require("UNSET_X")
	err := env.Err()
	if !errors.Is(err, client.ErrMissingEnv) ||
		err.Error() != "vendorkit: missing environment variable: VENDORKIT_ACME_EMPTY, VENDORKIT_ACME_UNSET_X" {
		t.Errorf("err = %v", err)
	}
}

func TestReauthStatuses(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		spec       Spec
		configured []int
		want       []int
	}{
		{Spec{}, nil, []int{401}},
		{Spec{ReauthStatuses: []int{401, 403}}, nil, []int{401, 403}},
		{Spec{ReauthStatuses: []int{401, 403}}, []int{401}, []int{401}},
		{Spec{NeverReauth: []int{403}}, []int{401, 403, 401, 419}, []int{401, 419}},
	} {
		if got := reauthStatuses(tc.spec, tc.configured, log); !slices.Equal(got, tc.want) {
			t.Errorf("%+v %v: %v, want %v", tc.spec, tc.configured, got, tc.want)
		}
	}
}

type countingTransport struct {
	n    atomic.Int32
	base http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

type flowFunc func(ctx context.Context) (*auth.Token, error)

func (f flowFunc) Token(ctx context.Context) (*auth.Token, error) { return f(ctx) }

// acme builds a client of a test vendor whose flow returns token "t"; it
// returns the Session and the Tools its flow got.
func acme(t *testing.T, base string, spec Spec, opts ...client.Option) (client.Session, Tools) {
	t.Helper()
	var tools Tools
	if spec.Name == "" {
		spec.Name = "acme"
	}
	s, err := New(spec, Setup{Check: &Check{}, BaseURL: base}, opts, func(tl Tools) (auth.Flow, error) {
		tools = tl
		return flowFunc(func(context.Context) (*auth.Token, error) { return &auth.Token{AccessToken: "t"}, nil }), nil
	}, func(s client.Session) (client.Session, error) { return s, nil })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, tools
}

// WithHTTPClient's transport carries both clients' requests and its
// timeout is kept; WithUserAgent reaches the wire on token requests,
// resource requests and requests for other origins.
func TestWithHTTPClientAndUserAgent(t *testing.T) {
	var mu sync.Mutex
	var uas []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		uas = append(uas, r.Header.Get("User-Agent"))
		mu.Unlock()
	}))
	defer srv.Close()
	ct := &countingTransport{base: http.DefaultTransport}
	s, tools := acme(t, srv.URL, Spec{Placement: auth.Bearer()},
		client.WithHTTPClient(&http.Client{Transport: ct, Timeout: 7 * time.Second}),
		client.WithUserAgent("Application Name"))
	if tools.HTTP.Timeout != 7*time.Second || s.HTTPClient().Timeout != 7*time.Second {
		t.Errorf("timeouts %v %v", tools.HTTP.Timeout, s.HTTPClient().Timeout)
	}
	resp, err := tools.HTTP.Post(srv.URL, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = s.HTTPClient().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// A request for another origin: the User-Agent, no credential.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		uas = append(uas, r.Header.Get("User-Agent")+"|"+r.Header.Get("Authorization"))
		mu.Unlock()
	}))
	defer other.Close()
	resp, err = s.HTTPClient().Get(other.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct.n.Load() != 3 {
		t.Errorf("custom transport saw %d requests, want 3", ct.n.Load())
	}
	if !slices.Equal(uas, []string{"Application Name", "Application Name", "Application Name|"}) {
		t.Errorf("User-Agents %q", uas)
	}
}

// WithRetry(0) means no transient retries; WithRetry(n) retries n times.
func TestWithRetry(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		opt  client.Option
		want int32
	}{
		{client.WithRetry(0, time.Millisecond, time.Millisecond), 1},
		{client.WithRetry(2, time.Millisecond, time.Millisecond), 3},
	} {
		n.Store(0)
		_, tools := acme(t, srv.URL, Spec{}, tc.opt)
		resp, err := tools.HTTP.Post(srv.URL, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if n.Load() != tc.want {
			t.Errorf("%d requests, want %d", n.Load(), tc.want)
		}
	}
}

func TestReadTokenResponse(t *testing.T) {
	big := strings.Repeat("x", auth.MaxTokenResponseBytes+10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			fmt.Fprint(w, big)
		case "/echo":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"bad password hunter2 for code abc"}`)
		case "/ok":
			fmt.Fprint(w, `{"access_token":"a"}`)
		}
	}))
	defer srv.Close()
	_, tools := acme(t, srv.URL, Spec{}, client.WithRetry(0, 0, 0))
	hc := tools.HTTP

	resp, err := hc.Get(srv.URL + "/big")
	_, _, err = auth.ReadTokenResponse("acme", auth.OpToken, resp, err, nil)
	if !errors.Is(err, auth.ErrResponseTooLarge) {
		t.Errorf("big: %v", err)
	}

	resp, err = hc.Get(srv.URL + "/echo")
	_, _, err = auth.ReadTokenResponse("acme", auth.OpToken, resp, err, auth.NewSecrets("hunter2", "abc"))
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Code != "invalid_grant" || !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Errorf("echo: %v", err)
	}
	if s := err.Error(); strings.Contains(s, "hunter2") || strings.Contains(s, "abc") {
		t.Errorf("secret in error: %s", s)
	}

	resp, err = hc.Get(srv.URL + "/ok")
	resp, body, err := auth.ReadTokenResponse("acme", auth.OpToken, resp, err, nil)
	if err != nil || string(body) != `{"access_token":"a"}` {
		t.Fatalf("ok: %v %q", err, body)
	}
	tok, err := JSONToken("acme", auth.OpToken, resp.StatusCode, body, time.Now(), time.Second, nil, nil)
	if err != nil || tok.AccessToken != "a" || !tok.Expiry.IsZero() {
		t.Errorf("JSONToken: %v %v", tok, err)
	}

	// No response: retryable, URL (with a secret query) redacted.
	_, err = hc.Get("http://127.0.0.1:1/x?access_token=sekrit")
	_, _, err = auth.ReadTokenResponse("acme", auth.OpToken, nil, err, nil)
	if !errors.As(err, &ae) || !ae.Retryable || strings.Contains(err.Error(), "sekrit") {
		t.Errorf("transport error: %v", err)
	}
}

// Session.Do resolves a relative URL under the base URL, refuses another
// origin, and sends through HTTPClient (static headers unless the request
// sets them, the token), leaving the caller's request alone.
func TestDo(t *testing.T) {
	ctx := context.Background()
	var got []*http.Request
	rec := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r)
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	const base = "https://h.example:8443/bsssmapi"
	s, _ := acme(t, base, Spec{Placement: auth.Bearer(), Headers: http.Header{"X-Api-Version": {"latest"}}},
		client.WithHTTPClient(&http.Client{Transport: rec}))

	req, _ := http.NewRequest("GET", "/api/accounts/1?x=a%2Fb", nil)
	req.Header.Set("X-Api-Version", "2")
	if _, err := s.Do(ctx, req); err != nil {
		t.Fatal(err)
	}
	if got[0].URL.String() != "https://h.example:8443/bsssmapi/api/accounts/1?x=a%2Fb" {
		t.Errorf("resolved to %s", got[0].URL)
	}
	if got[0].Header.Get("X-Api-Version") != "2" || got[0].Header.Get("Authorization") != "Bearer t" {
		t.Errorf("headers %v", got[0].Header)
	}
	if req.Header.Get("Authorization") != "" || req.URL.Host != "" {
		t.Error("caller's request modified")
	}

	req, _ = http.NewRequest("GET", base+"/api/accounts/2", nil)
	if _, err := s.Do(ctx, req); err != nil || got[1].Header.Get("X-Api-Version") != "latest" {
		t.Errorf("absolute same-origin: %v", err)
	}
	// The same origin spelled differently (case, explicit default port).
	req, _ = http.NewRequest("GET", "https://H.example:8443/bsssmapi/api/accounts/3", nil)
	if _, err := s.Do(ctx, req); err != nil || got[2].Header.Get("Authorization") != "Bearer t" {
		t.Errorf("same origin, other spelling: %v", err)
	}

	for _, foreign := range []string{"https://evil.example/bsssmapi/x", "http://h.example:8443/x", "https://h.example/x"} {
		req, _ = http.NewRequest("GET", foreign, nil)
		if _, err := s.Do(ctx, req); !errors.Is(err, client.ErrForeignOrigin) {
			t.Errorf("%s: err = %v", foreign, err)
		}
		// HTTPClient sends it, without any credential or vendor header.
		if _, err := s.HTTPClient().Do(req); err != nil {
			t.Fatal(err)
		}
		last := got[len(got)-1]
		if last.Header.Get("Authorization") != "" || last.Header.Get("X-Api-Version") != "" {
			t.Errorf("%s got %v", foreign, last.Header)
		}
	}
	if len(got) != 6 {
		t.Errorf("%d requests sent, want 6", len(got))
	}
}

// Session.Do keeps the percent-escapes of a relative path and of the base
// URL's prefix: the server receives exactly the escaped path it was given.
func TestDoKeepsEscapes(t *testing.T) {
	var mu sync.Mutex
	var uris []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		uris = append(uris, r.RequestURI)
		mu.Unlock()
	}))
	defer srv.Close()
	for _, tc := range []struct{ prefix, path, want string }{
		{"/bsssmapi", "/api/accounts/a%2Fb", "/bsssmapi/api/accounts/a%2Fb"},
		{"/bsssmapi/", "api/accounts/a%2Fb?x=a%2Fb", "/bsssmapi/api/accounts/a%2Fb?x=a%2Fb"},
		{"/bsssmapi", "/api/a%20b/c%3Fd/e%25f", "/bsssmapi/api/a%20b/c%3Fd/e%25f"},
		{"/p%2Fq", "/api/x", "/p%2Fq/api/x"},
		{"", "/api/accounts/1", "/api/accounts/1"},
	} {
		mu.Lock()
		uris = nil
		mu.Unlock()
		s, _ := acme(t, srv.URL+tc.prefix, Spec{Placement: auth.Bearer()})
		req, err := http.NewRequest("GET", tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := s.Do(context.Background(), req)
		if err != nil {
			t.Fatalf("%s + %s: %v", tc.prefix, tc.path, err)
		}
		resp.Body.Close()
		mu.Lock()
		if len(uris) != 1 || uris[0] != tc.want {
			t.Errorf("%s + %s: the server received %q, want [%q]", tc.prefix, tc.path, uris, tc.want)
		}
		mu.Unlock()
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type nilSession struct{ client.Session }

// OpenFunc reads the configuration through lookup, passes the options on,
// and returns a nil Session (not one holding a nil *C) on any error.
func TestOpenFunc(t *testing.T) {
	errNew := errors.New("new failed")
	var gotOpts int
	open := OpenFunc(func(lookup func(string) (string, bool)) (string, error) {
		env := NewEnv("acme", lookup)
		return env.Require("BASE_URL"), env.Err()
	}, func(base string, opts ...client.Option) (*nilSession, error) {
		gotOpts = len(opts)
		if base == "fail" {
			return nil, errNew
		}
		return &nilSession{}, nil
	})
	lookup := func(v string) func(string) (string, bool) {
		return func(k string) (string, bool) { return v, k == "VENDORKIT_ACME_BASE_URL" }
	}
	if s, err := open(lookup(""), client.WithRetry(0, 0, 0)); s != nil || !errors.Is(err, client.ErrMissingEnv) {
		t.Errorf("missing variable: %v, %v", s, err)
	}
	if s, err := open(lookup("fail"), client.WithRetry(0, 0, 0)); s != nil || !errors.Is(err, errNew) || gotOpts != 1 {
		t.Errorf("New fails: %#v, %v (%d options)", s, err, gotOpts)
	}
	if s, err := open(lookup("ok")); err != nil || s == nil {
		t.Errorf("ok: %v, %v", s, err)
	}
}

// A server that puts the token into a Location (its path on the same
// origin, a "return to" parameter on another) cannot put it into the
// error Do returns: net/http's *url.Error quotes the last hop's URL.
func TestDoErrorURLScrubbed(t *testing.T) {
	const tok = "TOKEN-2b7c0e9a41d85f36"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/x/"+bearer+"?b="+base64.StdEncoding.EncodeToString([]byte(bearer)), http.StatusFound)
		case "/cross":
			http.Redirect(w, r, "http://[::1]:1/sso?return="+url.QueryEscape("/x?t="+bearer), http.StatusFound)
		default: // hang up without an answer
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
		}
	}))
	defer srv.Close()
	s, err := New(Spec{Name: "acme", Placement: auth.Bearer()}, Setup{Check: &Check{}, BaseURL: srv.URL},
		[]client.Option{client.WithRetry(-1, 0, 0)}, func(Tools) (auth.Flow, error) {
			return flowFunc(func(context.Context) (*auth.Token, error) { return &auth.Token{AccessToken: tok}, nil }), nil
		}, func(s client.Session) (client.Session, error) { return s, nil })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, path := range []string{"/same", "/cross"} {
		req, _ := http.NewRequest("GET", path, nil)
		_, err := s.Do(context.Background(), req)
		if err == nil {
			t.Fatalf("%s: no error", path)
		}
		var ue *url.Error
		if !errors.As(err, &ue) {
			t.Errorf("%s: the *url.Error is lost: %T", path, err)
		}
		text := err.Error() + fmt.Sprintf(" %v %+v %#v ", err, err, err) + auth.SafeErrorString(err)
		if strings.Contains(text, tok) || strings.Contains(text, base64.StdEncoding.EncodeToString([]byte(tok))) {
			t.Errorf("%s: the error holds the token: %s", path, text)
		}
	}
}

// WithUserAgent fills in requests that have no User-Agent: one the caller
// set is sent as it is, to the client's origin and to any other, on the
// resource client and the token-endpoint client alike.
func TestUserAgentKeepsTheCallersOwn(t *testing.T) {
	var mu sync.Mutex
	var uas []string
	record := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		uas = append(uas, r.Header.Get("User-Agent"))
		mu.Unlock()
	})
	srv, other := httptest.NewServer(record), httptest.NewServer(record)
	defer srv.Close()
	defer other.Close()
	s, tools := acme(t, srv.URL, Spec{Placement: auth.Bearer()}, client.WithUserAgent("Application Name"))
	for _, c := range []struct {
		hc  *http.Client
		url string
	}{{s.HTTPClient(), srv.URL}, {s.HTTPClient(), other.URL}, {tools.HTTP, srv.URL}} {
		for _, ua := range []string{"", "mine/1.0"} {
			req, _ := http.NewRequest(http.MethodGet, c.url, nil)
			if ua != "" {
				req.Header.Set("User-Agent", ua)
			}
			resp, err := c.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	want := []string{"Application Name", "mine/1.0", "Application Name", "mine/1.0", "Application Name", "mine/1.0"}
	if !slices.Equal(uas, want) {
		t.Errorf("User-Agents %q, want %q", uas, want)
	}
}

// Tools.HTTP, the token-endpoint client, "never follows a redirect": not
// even to its own origin. The redirect is ErrUnexpectedRedirect and its
// target sees no request.
func TestTokenClientRefusesRedirects(t *testing.T) {
	var landed atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			http.Redirect(w, r, "/landing?code=abc", http.StatusTemporaryRedirect)
		case "/landing":
			landed.Add(1)
			fmt.Fprint(w, `{"access_token":"a"}`)
		}
	}))
	defer srv.Close()
	_, tools := acme(t, srv.URL, Spec{})
	resp, err := tools.HTTP.Post(srv.URL+"/token", "application/x-www-form-urlencoded", strings.NewReader("password=hunter2"))
	_, _, err = auth.ReadTokenResponse("acme", auth.OpToken, resp, err, nil)
	var ae *auth.Error
	if !errors.Is(err, auth.ErrUnexpectedRedirect) || !errors.As(err, &ae) || ae.StatusCode != http.StatusTemporaryRedirect || ae.Retryable {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "abc") || strings.Contains(err.Error(), "landing") {
		t.Errorf("error names the Location's path or query: %v", err)
	}
	if n := landed.Load(); n != 0 {
		t.Fatalf("redirect followed: %d requests at its target", n)
	}
}

// client.WithTokenUser overrides Setup.User in the token store's Identity.
func TestWithTokenUserIdentity(t *testing.T) {
	for _, tc := range []struct {
		opts []client.Option
		want string
	}{{nil, "cfg-user"}, {[]client.Option{client.WithTokenUser("store-user")}, "store-user"}} {
		s, err := New(Spec{Name: "acme"}, Setup{Check: &Check{}, BaseURL: "https://api.example.com/", ClientID: "id", User: "cfg-user"}, tc.opts,
			func(Tools) (auth.Flow, error) {
				return flowFunc(func(context.Context) (*auth.Token, error) { return &auth.Token{AccessToken: "t"}, nil }), nil
			}, func(s client.Session) (client.Session, error) { return s, nil })
		if err != nil {
			t.Fatal(err)
		}
		id := s.Source().Identity()
		s.Close()
		if want := auth.NewIdentity("acme", "https://api.example.com", "id", tc.want); id != want {
			t.Errorf("Identity %+v, want %+v", id, want)
		}
	}
}
