package bss_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/bss"
	"github.com/vendorkit/vendorkit/client/internal/wiretest"
)

// The docs' example values.
const (
	docsKey    = "23230e67-6c95-4f83-a176-d969b95ee601"
	docsSecret = "HCHlt6XPXxOveEx4QjECVB4ChgKiLJF65U7qy/xe46k="
	docsBasic  = "Basic MjMyMzBlNjctNmM5NS00ZjgzLWExNzYtZDk2OWI5NWVlNjAxOkhDSGx0NlhQWHhPdmVFeDRRakVDVkI0Q2hnS2lMSkY2NVU3cXkveGU0Nms9"
	docsUser   = "testuser"
	docsPass   = "user123456!"
	docsBody   = "grant_type=password&username=testuser&password=user123456%21"
)

// fakeBSS is a BSS deployment under prefix: it records every request,
// issues tok-1, tok-2… and accepts only tokens it has issued and not
// revoked.
type fakeBSS struct {
	rec       wiretest.Recorder
	prefix    string
	expiresIn int
	// tokenReply, when set, answers token requests instead.
	tokenReply func(w http.ResponseWriter)

	mu      sync.Mutex
	issued  int
	revoked map[string]bool
	// reject401 makes every resource call 401.
	reject401 bool
}

func newFake(t *testing.T, prefix string) (*fakeBSS, *httptest.Server) {
	f := &fakeBSS{prefix: prefix, expiresIn: 1799, revoked: map[string]bool{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeBSS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := f.rec.Capture(r)
	switch {
	case req.Path == f.prefix+"/oauth/token":
		if f.tokenReply != nil {
			f.tokenReply(w)
			return
		}
		f.mu.Lock()
		f.issued++
		n := f.issued
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"bearer","expires_in":%d}`, n, f.expiresIn)
	case strings.HasPrefix(req.Path, f.prefix+"/api/accounts/"):
		tok := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		ok := strings.HasPrefix(tok, "tok-") && !f.revoked[tok] && !f.reject401
		f.mu.Unlock()
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_token"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if strings.HasSuffix(req.Path, "/syncoptions") {
			fmt.Fprint(w, `[{"systemCode":"MSCSP","enabled":true}]`)
			return
		}
		fmt.Fprint(w, `{"id":1,"name":"Acme"}`)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeBSS) revoke(tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked[tok] = true
}

func docsConfig(base string) bss.Config {
	return bss.Config{BaseURL: base, ClientKey: docsKey, ClientSecret: docsSecret, Username: docsUser, Password: docsPass}
}

func newClient(t *testing.T, cfg bss.Config, opts ...client.Option) *bss.Client {
	t.Helper()
	c, err := bss.New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The token request and the resource call, byte for byte as the docs have
// them, under the docs' /bsssmapi prefix.
func TestWire(t *testing.T) {
	f, srv := newFake(t, "/bsssmapi")
	c := newClient(t, docsConfig(srv.URL+"/bsssmapi"))

	resp, err := c.GetAccountWithResponse(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != 200 || resp.JSON200 == nil || resp.JSON200.Id != 1 {
		t.Fatalf("GetAccount: %d %s", resp.StatusCode(), resp.Body)
	}

	all := f.rec.All()
	if len(all) != 2 {
		t.Fatalf("%d requests, want 2 (token, account)", len(all))
	}
	tr := all[0]
	if tr.Method != "POST" || tr.Path != "/bsssmapi/oauth/token" || tr.RawQuery != "" {
		t.Errorf("token request: %s %s?%s", tr.Method, tr.Path, tr.RawQuery)
	}
	wiretest.ExactHeaders(t, "token request", tr.Header, map[string]string{
		"Authorization":  docsBasic,
		"Content-Type":   "application/x-www-form-urlencoded",
		"Content-Length": "60",
	})
	if tr.Body != docsBody {
		t.Errorf("token body %q, want %q", tr.Body, docsBody)
	}

	ar := all[1]
	if ar.Method != "GET" || ar.Path != "/bsssmapi/api/accounts/1" {
		t.Errorf("account request: %s %s", ar.Method, ar.Path)
	}
	wiretest.ExactHeaders(t, "account request", ar.Header, map[string]string{
		"Authorization": "Bearer tok-1",
		"Accept":        "application/json",
		"X-Api-Version": "latest",
	})
}

// RFC 6749 §2.3.1 form-encoding, on request: the secret's '/' and '='
// are escaped before the Basic encoding, so the header differs from the
// docs' one.
func TestFormEncodedClientCredentials(t *testing.T) {
	f, srv := newFake(t, "")
	cfg := docsConfig(srv.URL)
	cfg.FormEncodeClientCredentials = true
	c := newClient(t, cfg)
	if _, err := c.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(docsKey+":HCHlt6XPXxOveEx4QjECVB4ChgKiLJF65U7qy%2Fxe46k%3D"))
	got := f.rec.Path("/oauth/token")[0].Header.Get("Authorization")
	if got != want {
		t.Errorf("Authorization %q, want %q", got, want)
	}
	if got == docsBasic {
		t.Error("form-encoded credentials must differ from the docs' raw encoding for this secret")
	}
}

// White label: any host, no prefix, a trailing slash on BaseURL, a
// configured API version.
func TestWhiteLabelAndAPIVersion(t *testing.T) {
	f, srv := newFake(t, "")
	cfg := docsConfig(srv.URL + "/")
	cfg.APIVersion = "2.1"
	c := newClient(t, cfg)
	resp, err := c.ListAccountSyncOptionsWithResponse(context.Background(), 7)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != 200 {
		t.Fatalf("status %d", resp.StatusCode())
	}
	if n := f.rec.Count("/oauth/token"); n != 1 {
		t.Errorf("%d token requests", n)
	}
	r := f.rec.Path("/api/accounts/7/syncoptions")
	if len(r) != 1 || r[0].Header.Get("X-Api-Version") != "2.1" {
		t.Errorf("sync options request: %+v", r)
	}
}

// expires_in is seconds: 1799 means now+1799s; past it a new token is
// fetched with the password grant again.
func TestExpirySeconds(t *testing.T) {
	f, srv := newFake(t, "")
	t0 := time.Date(2014, 4, 1, 13, 56, 32, 0, time.UTC)
	clk := wiretest.NewClock(t0)
	c := newClient(t, docsConfig(srv.URL), client.WithClock(clk))
	ctx := context.Background()
	tok, err := c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(1799 * time.Second); !tok.Expiry.Equal(want) {
		t.Errorf("expiry %v, want %v", tok.Expiry, want)
	}
	if tok.TokenType != "bearer" || tok.RefreshToken != "" {
		t.Errorf("token %v", tok)
	}
	clk.Advance(1799 * time.Second)
	if _, err := c.GetAccountWithResponse(ctx, 1); err != nil {
		t.Fatal(err)
	}
	tr := f.rec.Path("/oauth/token")
	if len(tr) != 2 {
		t.Fatalf("%d token requests, want 2", len(tr))
	}
	if tr[1].Body != docsBody || tr[1].Header.Get("Authorization") != docsBasic {
		t.Errorf("renewal is not the password grant again: %q", tr[1].Body)
	}
	if got := f.rec.Path("/api/accounts/1")[0].Header.Get("Authorization"); got != "Bearer tok-2" {
		t.Errorf("after expiry: %q", got)
	}
}

// A 401 on a resource invalidates the token, fetches exactly one new one
// and retries the call once.
func TestReauthOn401(t *testing.T) {
	f, srv := newFake(t, "")
	c := newClient(t, docsConfig(srv.URL))
	ctx := context.Background()
	if _, err := c.Token(ctx); err != nil {
		t.Fatal(err)
	}
	f.revoke("tok-1")

	resp, err := c.GetAccountWithResponse(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != 200 {
		t.Fatalf("status %d", resp.StatusCode())
	}
	if n := f.rec.Count("/oauth/token"); n != 2 {
		t.Errorf("%d token requests, want 2 (initial + one re-auth)", n)
	}
	acc := f.rec.Path("/api/accounts/1")
	if len(acc) != 2 || acc[0].Header.Get("Authorization") != "Bearer tok-1" || acc[1].Header.Get("Authorization") != "Bearer tok-2" {
		t.Errorf("account requests: %d", len(acc))
	}
}

// A server that rejects every token: one re-auth, then a typed error, no
// loop.
func TestReauthOnlyOnce(t *testing.T) {
	f, srv := newFake(t, "")
	f.reject401 = true
	c := newClient(t, docsConfig(srv.URL))
	_, err := c.GetAccountWithResponse(context.Background(), 1)
	if !errors.Is(err, auth.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if n := f.rec.Count("/oauth/token"); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
	if n := f.rec.Count("/api/accounts/1"); n != 2 {
		t.Errorf("%d account requests, want 2", n)
	}
}

// Concurrent calls that all see the same revoked token cause one re-auth.
func TestConcurrent401SingleReauth(t *testing.T) {
	f, srv := newFake(t, "")
	c := newClient(t, docsConfig(srv.URL))
	ctx := context.Background()
	if _, err := c.Token(ctx); err != nil {
		t.Fatal(err)
	}
	f.revoke("tok-1")
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 20 {
		wg.Go(func() {
			resp, err := c.GetAccountWithResponse(ctx, 1)
			if err != nil || resp.StatusCode() != 200 {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Errorf("%d calls failed", failed.Load())
	}
	if n := f.rec.Count("/oauth/token"); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
}

// Wrong username or password: a typed error, classified as invalid
// credentials, with no secret in it or in the logs even when the server
// echoes the password.
func TestBadCredentials(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
	}{
		{"invalid_grant", 400, `{"error":"invalid_grant","error_description":"The user name or password is incorrect (user123456!)."}`},
		{"invalid_client", 401, `{"error":"invalid_client","error_description":"bad client HCHlt6XPXxOveEx4QjECVB4ChgKiLJF65U7qy/xe46k="}`},
		{"no body", 401, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFake(t, "")
			f.tokenReply = func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "application/json;charset=UTF-8")
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			}
			var logs wiretest.Logs
			c := newClient(t, docsConfig(srv.URL), client.WithLogger(logs.Logger()))
			_, err := c.GetAccountWithResponse(context.Background(), 1)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Errorf("errors.Is(ErrInvalidCredentials) = false: %v", err)
			}
			var ae *auth.Error
			if !errors.As(err, &ae) || ae.StatusCode != tc.status || ae.Vendor != "bss" || ae.Op != "token" {
				t.Errorf("not the expected *auth.Error: %#v", ae)
			}
			secrets := []string{docsPass, docsSecret, "user123456%21", strings.TrimPrefix(docsBasic, "Basic ")}
			wiretest.NoSecrets(t, "error", err.Error(), secrets...)
			wiretest.NoSecrets(t, "error (%+v)", fmt.Sprintf("%+v", err), secrets...)
			wiretest.NoSecrets(t, "logs", logs.String(), secrets...)
			if n := f.rec.Count("/api/accounts/1"); n != 0 {
				t.Errorf("resource called %d times without a token", n)
			}
		})
	}
}

func TestMalformedTokenResponse(t *testing.T) {
	for name, body := range map[string]string{
		"empty":           ``,
		"not json":        `<html>maintenance</html>`,
		"no access_token": `{"token_type":"bearer","expires_in":1799}`,
	} {
		t.Run(name, func(t *testing.T) {
			f, srv := newFake(t, "")
			f.tokenReply = func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, body)
			}
			c := newClient(t, docsConfig(srv.URL))
			_, err := c.Token(context.Background())
			if !errors.Is(err, auth.ErrMalformedResponse) {
				t.Errorf("err = %v, want ErrMalformedResponse", err)
			}
		})
	}
}

func TestNewValidation(t *testing.T) {
	good := docsConfig("https://bss.example.com/bsssmapi")
	for _, tc := range []struct {
		name  string
		edit  func(*bss.Config)
		field string
	}{
		{"base url", func(c *bss.Config) { c.BaseURL = "" }, "Config.BaseURL"},
		{"client key", func(c *bss.Config) { c.ClientKey = "" }, "Config.ClientKey"},
		{"client secret", func(c *bss.Config) { c.ClientSecret = "" }, "Config.ClientSecret"},
		{"username", func(c *bss.Config) { c.Username = "" }, "Config.Username"},
		{"password", func(c *bss.Config) { c.Password = "" }, "Config.Password"},
		{"plain http", func(c *bss.Config) { c.BaseURL = "http://my.interworkscloud.com/bsssmapi" }, "Config.BaseURL"},
		{"query", func(c *bss.Config) { c.BaseURL = "https://h.example/x?a=1" }, "Config.BaseURL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			_, err := bss.New(cfg)
			if !errors.Is(err, client.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("err = %v, want one naming %s", err, tc.field)
			}
			wiretest.NoSecrets(t, "config error", err.Error(), docsPass, docsSecret)
		})
	}
	cfg := good
	cfg.BaseURL = "http://my.interworkscloud.com/bsssmapi"
	c, err := bss.New(cfg, client.WithInsecureHTTP())
	if err != nil {
		t.Fatalf("WithInsecureHTTP: %v", err)
	}
	c.Close()
}

func TestFromEnv(t *testing.T) {
	vars := map[string]string{
		"VENDORKIT_BSS_BASE_URL":      "https://bss.example.com/bsssmapi",
		"VENDORKIT_BSS_CLIENT_KEY":    docsKey,
		"VENDORKIT_BSS_CLIENT_SECRET": docsSecret,
		"VENDORKIT_BSS_USERNAME":      docsUser,
		"VENDORKIT_BSS_PASSWORD":      docsPass,
		"VENDORKIT_BSS_API_VERSION":   "",
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
	cfg, err := bss.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if cfg != docsConfig("https://bss.example.com/bsssmapi") {
		t.Errorf("cfg = %+v", cfg)
	}
	t.Setenv("VENDORKIT_BSS_API_VERSION", "3")
	if cfg, _ := bss.FromEnv(); cfg.APIVersion != "3" {
		t.Errorf("APIVersion %q", cfg.APIVersion)
	}

	t.Setenv("VENDORKIT_BSS_CLIENT_KEY", "")
	t.Setenv("VENDORKIT_BSS_PASSWORD", "")
	_, err = bss.FromEnv()
	if !errors.Is(err, client.ErrMissingEnv) {
		t.Fatalf("err = %v", err)
	}
	for _, name := range []string{"VENDORKIT_BSS_CLIENT_KEY", "VENDORKIT_BSS_PASSWORD"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	if strings.Contains(err.Error(), "VENDORKIT_BSS_USERNAME") || strings.Contains(err.Error(), "API_VERSION") {
		t.Errorf("error names a variable that is set or optional: %v", err)
	}
	wiretest.NoSecrets(t, "env error", err.Error(), docsSecret, docsUser, "bss.example.com")
}

// Do: a request the generated client has no operation for, through the
// same stack (static headers unless the caller set them, token, re-auth).
func TestDo(t *testing.T) {
	f, srv := newFake(t, "/bsssmapi")
	c := newClient(t, docsConfig(srv.URL+"/bsssmapi"))
	ctx := context.Background()
	if _, err := c.Token(ctx); err != nil {
		t.Fatal(err)
	}
	f.revoke("tok-1")
	req, _ := http.NewRequest("GET", "/api/accounts/1", nil)
	req.Header.Set("X-Api-Version", "2.0")
	resp, err := c.Do(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	acc := f.rec.Path("/bsssmapi/api/accounts/1")
	if len(acc) != 2 {
		t.Fatalf("%d requests, want 2 (401, retry)", len(acc))
	}
	wiretest.ExactHeaders(t, "Do", acc[1].Header, map[string]string{
		"Authorization": "Bearer tok-2",
		"Accept":        "application/json",
		"X-Api-Version": "2.0",
	})
	req, _ = http.NewRequest("GET", "https://elsewhere.example/api/accounts/1", nil)
	if _, err := c.Do(ctx, req); !errors.Is(err, client.ErrForeignOrigin) {
		t.Errorf("foreign origin: %v", err)
	}
}

func TestFromLookup(t *testing.T) {
	vars := map[string]string{
		"VENDORKIT_BSS_BASE_URL": "https://bss.example.com", "VENDORKIT_BSS_CLIENT_KEY": docsKey,
		"VENDORKIT_BSS_CLIENT_SECRET": docsSecret, "VENDORKIT_BSS_USERNAME": docsUser,
	}
	_, err := bss.FromLookup(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if !errors.Is(err, client.ErrMissingEnv) || err.Error() != "vendorkit: missing environment variable: VENDORKIT_BSS_PASSWORD" {
		t.Errorf("err = %v", err)
	}
}

// A token endpoint that echoes the Basic credential bare (no "Basic "
// before it, so no well-known shape matches) is scrubbed too: the
// client's Secrets know base64("key:secret").
func TestBareBasicEchoScrubbed(t *testing.T) {
	b64 := strings.TrimPrefix(docsBasic, "Basic ")
	f, srv := newFake(t, "")
	f.tokenReply = func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":"invalid_client","error_description":"client %s unknown"}`, b64)
	}
	var logs wiretest.Logs
	c := newClient(t, docsConfig(srv.URL), client.WithLogger(logs.Logger()))
	_, err := c.GetAccountWithResponse(context.Background(), 1)
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusUnauthorized {
		t.Fatalf("err = %v", err)
	}
	if want := "client REDACTED unknown"; ae.Description != want {
		t.Errorf("Description %q, want %q", ae.Description, want)
	}
	wiretest.NoSecrets(t, "error", fmt.Sprintf("%+v", err), b64)
	wiretest.NoSecrets(t, "logs", logs.String(), b64)
}

// Config.APIVersion "must be a single header value": CR or LF is a
// configuration error naming the field, not a request that fails later.
func TestAPIVersionSingleHeaderValue(t *testing.T) {
	for _, v := range []string{"latest\r\nX-Injected: 1", "2\n", "\r"} {
		cfg := docsConfig("https://bss.example.com/bsssmapi")
		cfg.APIVersion = v
		_, err := bss.New(cfg)
		if !errors.Is(err, client.ErrInvalidConfig) || !strings.Contains(err.Error(), "Config.APIVersion") {
			t.Errorf("APIVersion %q: err = %v", v, err)
		}
	}
}
