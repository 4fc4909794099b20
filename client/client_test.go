package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
)

func TestForm(t *testing.T) {
	got := client.Form("grant_type", "password", "username", "testuser", "password", "user123456!")
	if want := "grant_type=password&username=testuser&password=user123456%21"; got != want {
		t.Errorf("Form = %q, want %q", got, want)
	}
	// Order is the caller's, not sorted; space is '+'.
	if got := client.Form("z", "a b", "a", "&="); got != "z=a+b&a=%26%3D" {
		t.Errorf("Form = %q", got)
	}
}

func TestBasicAuth(t *testing.T) {
	got := client.BasicAuth("23230e67-6c95-4f83-a176-d969b95ee601", "HCHlt6XPXxOveEx4QjECVB4ChgKiLJF65U7qy/xe46k=")
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
		var chk client.Check
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
	var chk client.Check
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
	env := client.NewEnv("acme")
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
	for _, tc := range []struct {
		v    client.Vendor
		opts []client.Option
		want []int
	}{
		{client.Vendor{}, nil, []int{401}},
		{client.Vendor{ReauthStatuses: []int{401, 403}}, nil, []int{401, 403}},
		{client.Vendor{ReauthStatuses: []int{401, 403}}, []client.Option{client.WithReauthStatuses(401)}, []int{401}},
		{client.Vendor{NeverReauth: []int{403}}, []client.Option{client.WithReauthStatuses(401, 403, 401, 419)}, []int{401, 419}},
	} {
		got := client.NewStack(tc.v, tc.opts...).ReauthStatuses()
		if !slices.Equal(got, tc.want) {
			t.Errorf("%+v %d opts: %v, want %v", tc.v, len(tc.opts), got, tc.want)
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

// WithHTTPClient's transport carries both clients' requests and its
// timeout is kept; WithUserAgent reaches the wire.
func TestWithHTTPClientAndUserAgent(t *testing.T) {
	var uas []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uas = append(uas, r.Header.Get("User-Agent"))
	}))
	defer srv.Close()
	ct := &countingTransport{base: http.DefaultTransport}
	st := client.NewStack(client.Vendor{Name: "acme", Placement: auth.Bearer()},
		client.WithHTTPClient(&http.Client{Transport: ct, Timeout: 7 * time.Second}),
		client.WithUserAgent("Application Name"))
	if st.TokenHTTPClient().Timeout != 7*time.Second {
		t.Errorf("token client timeout %v", st.TokenHTTPClient().Timeout)
	}
	sess := st.Start("http://127.0.0.1", flowFunc(func(context.Context) (*auth.Token, error) { return &auth.Token{AccessToken: "t"}, nil }), nil)
	defer sess.Close()

	resp, err := st.TokenHTTPClient().Post(srv.URL, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	auth.Bearer().Apply(req, "t")
	resp, err = sess.Doer().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct.n.Load() != 2 {
		t.Errorf("custom transport saw %d requests, want 2", ct.n.Load())
	}
	if !slices.Equal(uas, []string{"Application Name", "Application Name"}) {
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
		st := client.NewStack(client.Vendor{Name: "acme"}, tc.opt)
		resp, err := st.TokenHTTPClient().Post(srv.URL, "text/plain", nil)
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
	st := client.NewStack(client.Vendor{Name: "acme"}, client.WithRetry(0, 0, 0))
	hc := st.TokenHTTPClient()

	resp, err := hc.Get(srv.URL + "/big")
	_, _, err = client.ReadTokenResponse("acme", "token", resp, err, nil)
	if !errors.Is(err, auth.ErrResponseTooLarge) {
		t.Errorf("big: %v", err)
	}

	resp, err = hc.Get(srv.URL + "/echo")
	_, _, err = client.ReadTokenResponse("acme", "token", resp, err, auth.NewSecrets("hunter2", "abc"))
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Code != "invalid_grant" || !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Errorf("echo: %v", err)
	}
	if s := err.Error(); strings.Contains(s, "hunter2") || strings.Contains(s, "abc") {
		t.Errorf("secret in error: %s", s)
	}

	resp, err = hc.Get(srv.URL + "/ok")
	resp, body, err := client.ReadTokenResponse("acme", "token", resp, err, nil)
	if err != nil || string(body) != `{"access_token":"a"}` {
		t.Fatalf("ok: %v %q", err, body)
	}
	tok, err := client.JSONToken("acme", "token", resp.StatusCode, body, time.Now(), time.Second, nil, nil)
	if err != nil || tok.AccessToken != "a" || !tok.Expiry.IsZero() {
		t.Errorf("JSONToken: %v %v", tok, err)
	}

	// No response: retryable, URL (with a secret query) redacted.
	_, err = hc.Get("http://127.0.0.1:1/x?access_token=sekrit")
	_, _, err = client.ReadTokenResponse("acme", "token", nil, err, nil)
	if !errors.As(err, &ae) || !ae.Retryable || strings.Contains(err.Error(), "sekrit") {
		t.Errorf("transport error: %v", err)
	}
}

type recordingDoer struct{ reqs []*http.Request }

func (d *recordingDoer) Do(r *http.Request) (*http.Response, error) {
	d.reqs = append(d.reqs, r)
	return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
}

func TestDo(t *testing.T) {
	ctx := context.Background()
	const base = "https://h.example:8443/bsssmapi"
	eds := []client.Editor{client.DefaultHeader("X-Api-Version", "latest"), auth.SetHeader("Authorization", "Bearer t")}

	d := &recordingDoer{}
	req, _ := http.NewRequest("GET", "/api/accounts/1?x=a%2Fb", nil)
	req.Header.Set("X-Api-Version", "2")
	if _, err := client.Do(ctx, base, d, req, eds...); err != nil {
		t.Fatal(err)
	}
	got := d.reqs[0]
	if got.URL.String() != "https://h.example:8443/bsssmapi/api/accounts/1?x=a%2Fb" {
		t.Errorf("resolved to %s", got.URL)
	}
	if got.Header.Get("X-Api-Version") != "2" || got.Header.Get("Authorization") != "Bearer t" {
		t.Errorf("headers %v", got.Header)
	}
	if got.Context() != ctx {
		t.Error("request not bound to ctx")
	}
	if req.Header.Get("Authorization") != "" || req.URL.Host != "" {
		t.Error("caller's request modified")
	}

	req, _ = http.NewRequest("GET", base+"/api/accounts/2", nil)
	if _, err := client.Do(ctx, base, d, req, eds...); err != nil || d.reqs[1].Header.Get("X-Api-Version") != "latest" {
		t.Errorf("absolute same-origin: %v", err)
	}
	// The same origin spelled differently (case, explicit default port).
	req, _ = http.NewRequest("GET", "https://H.example:8443/bsssmapi/api/accounts/3", nil)
	if _, err := client.Do(ctx, base, d, req, eds...); err != nil {
		t.Errorf("same origin, other spelling: %v", err)
	}

	for _, foreign := range []string{"https://evil.example/bsssmapi/x", "http://h.example:8443/x", "https://h.example/x"} {
		req, _ = http.NewRequest("GET", foreign, nil)
		if _, err := client.Do(ctx, base, d, req, eds...); !errors.Is(err, client.ErrForeignOrigin) {
			t.Errorf("%s: err = %v", foreign, err)
		}
	}
	if len(d.reqs) != 3 {
		t.Errorf("%d requests sent, want 3", len(d.reqs))
	}
}

func TestNewEnvLookup(t *testing.T) {
	env := client.NewEnvLookup("acme", func(k string) (string, bool) {
		v, ok := map[string]string{"VENDORKIT_ACME_A": "1"}[k]
		return v, ok
	})
	if env.Require("A") != "1" || env.Require("B") != "" {
		t.Error("values")
	}
	if err := env.Err(); err == nil || !strings.Contains(err.Error(), "VENDORKIT_ACME_B") {
		t.Errorf("err = %v", err)
	}
}
