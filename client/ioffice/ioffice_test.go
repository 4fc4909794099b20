package ioffice_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/internal/wiretest"
	"github.com/vendorkit/vendorkit/client/ioffice"
)

var t0 = time.Date(2019, 4, 29, 16, 25, 19, 0, time.UTC)

func headless(base string) ioffice.Config {
	return ioffice.Config{BaseURL: base, ClientID: clientID, Username: username, Password: password, RedirectURI: redirectURI, Scope: scope}
}

func browser(base string) ioffice.Config {
	cfg := headless(base)
	cfg.Username, cfg.Password = "", ""
	return cfg
}

func newClient(t *testing.T, cfg ioffice.Config, opts ...client.Option) *ioffice.Client {
	t.Helper()
	c, err := ioffice.New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func getMe(t *testing.T, c *ioffice.Client) {
	t.Helper()
	resp, err := c.GetCurrentUserWithResponse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != 200 || resp.JSON200 == nil || resp.JSON200.Id != 7 {
		t.Fatalf("users/me: %d %s", resp.StatusCode(), resp.Body)
	}
}

// Headless login: the code request and the immediate exchange with every
// header the docs list, expires_in in milliseconds, the token in
// x-access-token.
func TestHeadlessWire(t *testing.T) {
	f, srv := newFake(t)
	clk := wiretest.NewClock(t0)
	var logs wiretest.Logs
	c := newClient(t, headless(srv.URL+"/"), client.WithClock(clk), client.WithLogger(logs.Logger()))
	getMe(t, c)

	all := f.rec.All()
	if len(all) != 3 {
		t.Fatalf("%d requests, want 3 (auth, token, users/me)", len(all))
	}
	ar := all[0]
	if ar.Method != "POST" || ar.Path != pathAuth || ar.RawQuery != "" || ar.Body != "" {
		t.Errorf("auth request %s %s?%s body %q", ar.Method, ar.Path, ar.RawQuery, ar.Body)
	}
	wiretest.ExactHeaders(t, "auth request", ar.Header, map[string]string{
		"Content-Type":    "application/json",
		"x-auth-username": username,
		"x-auth-password": password,
		"x-client-id":     clientID,
		"Content-Length":  "0",
	})
	tr := all[1]
	if tr.Method != "POST" || tr.Path != pathToken || tr.RawQuery != "" || tr.Body != "" {
		t.Errorf("token request %s %s?%s body %q", tr.Method, tr.Path, tr.RawQuery, tr.Body)
	}
	wiretest.ExactHeaders(t, "token request", tr.Header, map[string]string{
		"Content-Type":   "application/json",
		"x-grant-type":   "authorization_code",
		"x-redirect-uri": redirectURI,
		"x-client-id":    clientID,
		"x-scope":        scope,
		"x-auth-code":    "auth-code-1",
		"Content-Length": "0",
	})
	mr := all[2]
	if mr.Method != "GET" || mr.Path != pathMe || mr.RawQuery != "" {
		t.Errorf("users/me %s %s?%s", mr.Method, mr.Path, mr.RawQuery)
	}
	wiretest.ExactHeaders(t, "users/me", mr.Header, map[string]string{"x-access-token": "acc-tok-2"})

	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(3 * time.Second); !tok.Expiry.Equal(want) {
		t.Errorf("expires_in 3000 gave expiry %v, want %v (milliseconds)", tok.Expiry, want)
	}
	if tok.RefreshToken != "ref-tok-2" {
		t.Errorf("refresh token %q", tok.RefreshToken)
	}
	wiretest.NoSecrets(t, "logs", logs.String(), password, "acc-tok-2", "ref-tok-2", "auth-code-1")
}

// Past expiry the refresh token is used, with the docs' headers; every
// refresh rotates it and the newest one is used next.
func TestRefreshRotation(t *testing.T) {
	f, srv := newFake(t)
	clk := wiretest.NewClock(t0)
	store := auth.NewMemoryStore()
	c := newClient(t, headless(srv.URL), client.WithClock(clk), client.WithTokenStore(store))
	getMe(t, c) // acc-tok-2 / ref-tok-2

	clk.Advance(3 * time.Second)
	getMe(t, c) // refresh → acc-tok-3 / ref-tok-3
	clk.Advance(3 * time.Second)
	getMe(t, c) // refresh → acc-tok-4 / ref-tok-4

	if n := f.rec.Count(pathAuth); n != 1 {
		t.Errorf("%d logins, want 1", n)
	}
	tr := f.rec.Path(pathToken)
	if len(tr) != 3 {
		t.Fatalf("%d token requests, want 3", len(tr))
	}
	wiretest.ExactHeaders(t, "first refresh", tr[1].Header, map[string]string{
		"Content-Type":    "application/json",
		"x-grant-type":    "refresh_token",
		"x-redirect-uri":  redirectURI,
		"x-client-id":     clientID,
		"x-scope":         scope,
		"x-refresh-token": "ref-tok-2",
		"Content-Length":  "0",
	})
	if got := tr[2].Header.Get("x-refresh-token"); got != "ref-tok-3" {
		t.Errorf("second refresh used %q, want the rotated ref-tok-3", got)
	}
	me := f.rec.Path(pathMe)
	for i, want := range []string{"acc-tok-2", "acc-tok-3", "acc-tok-4"} {
		if got := me[i].Header.Get("x-access-token"); got != want {
			t.Errorf("call %d used %q, want %q", i, got, want)
		}
	}
	stored, _ := store.Load(context.Background(), auth.NewIdentity(ioffice.Vendor, c.BaseURL(), clientID, username))
	if stored == nil || stored.AccessToken != "acc-tok-4" || stored.RefreshToken != "ref-tok-4" {
		t.Errorf("store holds %v, want the newest tokens", stored)
	}
	tok, _ := c.Token(context.Background())
	if want := t0.Add(9 * time.Second); !tok.Expiry.Equal(want) {
		t.Errorf("expiry %v, want %v", tok.Expiry, want)
	}
}

// A refresh answer without a refresh token keeps the previous one.
func TestRefreshWithoutRotation(t *testing.T) {
	f, srv := newFake(t)
	f.noRotate = true
	clk := wiretest.NewClock(t0)
	c := newClient(t, headless(srv.URL), client.WithClock(clk))
	getMe(t, c)
	clk.Advance(3 * time.Second)
	getMe(t, c)
	clk.Advance(3 * time.Second)
	getMe(t, c)
	tr := f.rec.Path(pathToken)
	if len(tr) != 3 || tr[1].Header.Get("x-refresh-token") != "ref-tok-2" || tr[2].Header.Get("x-refresh-token") != "ref-tok-2" {
		t.Errorf("refreshes: %d", len(tr))
	}
}

// A 401 refreshes once (not a new login) and retries once.
func TestReauthOn401(t *testing.T) {
	f, srv := newFake(t)
	c := newClient(t, headless(srv.URL))
	getMe(t, c)
	f.revokeAccess("acc-tok-2")
	getMe(t, c)
	if n := f.rec.Count(pathAuth); n != 1 {
		t.Errorf("%d logins, want 1", n)
	}
	tr := f.rec.Path(pathToken)
	if len(tr) != 2 || tr[1].Header.Get("x-grant-type") != "refresh_token" {
		t.Errorf("token requests: %d", len(tr))
	}
	me := f.rec.Path(pathMe)
	if len(me) != 3 || me[2].Header.Get("x-access-token") != "acc-tok-3" {
		t.Errorf("users/me requests: %d", len(me))
	}

	// Concurrent calls on a revoked token: one refresh.
	f.revokeAccess("acc-tok-3")
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { getMe(t, c) })
	}
	wg.Wait()
	if n := f.rec.Count(pathToken); n != 3 {
		t.Errorf("%d token requests, want 3", n)
	}
}

// 403 is not a re-auth by default; Config.ReauthOn403 makes it one.
func TestForbidden(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		f, srv := newFake(t)
		c := newClient(t, headless(srv.URL))
		getMe(t, c)
		f.forbidden = 1
		resp, err := c.GetCurrentUserWithResponse(context.Background())
		if err != nil || resp.StatusCode() != 403 {
			t.Fatalf("%v %v", err, resp)
		}
		if n := f.rec.Count(pathToken); n != 1 {
			t.Errorf("%d token requests, want 1", n)
		}
	})
	t.Run("ReauthOn403", func(t *testing.T) {
		f, srv := newFake(t)
		cfg := headless(srv.URL)
		cfg.ReauthOn403 = true
		c := newClient(t, cfg)
		getMe(t, c)
		f.forbidden = 1
		getMe(t, c)
		tr := f.rec.Path(pathToken)
		if len(tr) != 2 || tr[1].Header.Get("x-grant-type") != "refresh_token" {
			t.Errorf("token requests: %d, want a refresh", len(tr))
		}
	})
}

// Revoke sends only x-token, for the access token and then the refresh
// token, and clears the store; the next call logs in.
func TestRevoke(t *testing.T) {
	f, srv := newFake(t)
	store := auth.NewMemoryStore()
	c := newClient(t, headless(srv.URL), client.WithTokenStore(store))
	getMe(t, c)
	if err := c.Revoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	rv := f.rec.Path(pathRevoke)
	if len(rv) != 2 {
		t.Fatalf("%d revoke requests, want 2 (access, then refresh token)", len(rv))
	}
	for i, want := range []string{"acc-tok-2", "ref-tok-2"} {
		if rv[i].Method != "POST" || rv[i].Body != "" {
			t.Errorf("revoke %s body %q", rv[i].Method, rv[i].Body)
		}
		wiretest.ExactHeaders(t, "revoke", rv[i].Header, map[string]string{"x-token": want, "Content-Length": "0"})
	}
	if tok, _ := store.Load(context.Background(), auth.NewIdentity(ioffice.Vendor, c.BaseURL(), clientID, username)); tok != nil {
		t.Errorf("store still holds a token after Revoke")
	}
	getMe(t, c)
	if n := f.rec.Count(pathAuth); n != 2 {
		t.Errorf("%d logins, want 2", n)
	}

	// A failed revoke is a typed error without the token in it.
	f.revokeAccess("acc-tok-4")
	err := c.Revoke(context.Background())
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.Op != "revoke" || ae.StatusCode != 400 {
		t.Errorf("err = %v", err)
	}
	if err != nil {
		wiretest.NoSecrets(t, "revoke error", err.Error(), "acc-tok-4", "ref-tok-4")
	}
}

// The refresh token is rejected: a headless client logs in again.
func TestDeadRefreshTokenHeadless(t *testing.T) {
	f, srv := newFake(t)
	clk := wiretest.NewClock(t0)
	c := newClient(t, headless(srv.URL), client.WithClock(clk))
	getMe(t, c)
	f.killTokens()
	clk.Advance(time.Minute)
	getMe(t, c)
	if n := f.rec.Count(pathAuth); n != 2 {
		t.Errorf("%d logins, want 2", n)
	}
}

// Opt-in query placement; the token never reaches an error string.
func TestTokenInQuery(t *testing.T) {
	f, srv := newFake(t)
	cfg := headless(srv.URL)
	cfg.TokenInQuery = true
	c := newClient(t, cfg, client.WithRetry(0, 0, 0))
	getMe(t, c)
	me := f.rec.Path(pathMe)[0]
	if me.RawQuery != "access_token=acc-tok-2" {
		t.Errorf("query %q", me.RawQuery)
	}
	wiretest.ExactHeaders(t, "users/me", me.Header, nil)

	// A connection that dies mid-request: net/http's error names the URL.
	hj := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/users/me") {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		f.ServeHTTP(w, r)
	}))
	defer hj.Close()
	c2 := newClient(t, ioffice.Config{BaseURL: hj.URL, ClientID: clientID, Username: username, Password: password,
		RedirectURI: redirectURI, Scope: scope, TokenInQuery: true}, client.WithRetry(0, 0, 0))
	_, err := c2.GetCurrentUserWithResponse(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.Contains(err.Error(), "users/me") {
		t.Errorf("unexpected error %v", err)
	}
	wiretest.NoSecrets(t, "error", err.Error(), "acc-tok-4")
}

func TestBadCredentials(t *testing.T) {
	f, srv := newFake(t)
	cfg := headless(srv.URL)
	cfg.Password = "wrong " + password
	var logs wiretest.Logs
	c := newClient(t, cfg, client.WithLogger(logs.Logger()))
	_, err := c.GetCurrentUserWithResponse(context.Background())
	if !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Fatalf("err = %v, want ErrInvalidCredentials", err)
	}
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Op != "token" || ae.Vendor != "ioffice" {
		t.Errorf("*auth.Error %#v", ae)
	}
	wiretest.NoSecrets(t, "error", err.Error(), cfg.Password, password)
	wiretest.NoSecrets(t, "logs", logs.String(), cfg.Password, password)
	if n := f.rec.Count(pathToken) + f.rec.Count(pathMe); n != 0 {
		t.Errorf("%d requests after a failed login", n)
	}
}

// The browser flow: the login URL with all five parameters, the
// fragment parsed and state checked, the code exchanged; when the refresh
// token dies the client asks for a new login instead of guessing.
func TestBrowserFlow(t *testing.T) {
	f, srv := newFake(t)
	clk := wiretest.NewClock(t0)
	c := newClient(t, browser(srv.URL), client.WithClock(clk))
	ctx := context.Background()

	_, err := c.GetCurrentUserWithResponse(ctx)
	if !errors.Is(err, auth.ErrReloginRequired) {
		t.Fatalf("before login: err = %v, want ErrReloginRequired", err)
	}
	if n := len(f.rec.All()); n != 0 {
		t.Errorf("%d requests before login", n)
	}

	state, err := ioffice.NewState()
	if err != nil {
		t.Fatal(err)
	}
	u, err := c.AuthCodeURL(state)
	if err != nil {
		t.Fatal(err)
	}
	want := srv.URL + "/login.html?response_type=code&client_id=client-1&redirect_uri=https%3A%2F%2Fapp.example.com%2Foauth%2Fcallback&scope=email&state=" + state
	if u != want {
		t.Errorf("AuthCodeURL\n got %s\nwant %s", u, want)
	}
	if _, err := c.AuthCodeURL(""); err == nil {
		t.Error("AuthCodeURL accepted an empty state")
	}

	issued := f.issueCode()
	code, appCode, err := ioffice.ParseRedirect(redirectURI+"#code="+issued+"&appCode=APP-9&state="+state, state)
	if err != nil || code != issued || appCode != "APP-9" {
		t.Fatalf("ParseRedirect: %q %q %v", code, appCode, err)
	}
	tok, err := c.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "acc-tok-2" || !tok.Expiry.Equal(t0.Add(3*time.Second)) {
		t.Errorf("exchanged token %v", tok)
	}
	tr := f.rec.Path(pathToken)
	if len(tr) != 1 {
		t.Fatalf("%d token requests", len(tr))
	}
	wiretest.ExactHeaders(t, "exchange", tr[0].Header, map[string]string{
		"Content-Type":   "application/json",
		"x-grant-type":   "authorization_code",
		"x-redirect-uri": redirectURI,
		"x-client-id":    clientID,
		"x-scope":        scope,
		"x-auth-code":    issued,
		"Content-Length": "0",
	})
	getMe(t, c)
	if n := f.rec.Count(pathToken); n != 1 {
		t.Errorf("Exchange did not seed the source: %d token requests", n)
	}

	// Expired: refreshed with the refresh token.
	clk.Advance(3 * time.Second)
	getMe(t, c)
	if got := f.rec.Path(pathToken)[1].Header.Get("x-refresh-token"); got != "ref-tok-2" {
		t.Errorf("refresh used %q", got)
	}

	// The refresh token dies: re-login required, no guessing.
	f.killTokens()
	clk.Advance(3 * time.Second)
	_, err = c.GetCurrentUserWithResponse(ctx)
	if !errors.Is(err, auth.ErrReloginRequired) {
		t.Fatalf("err = %v, want ErrReloginRequired", err)
	}
	if n := f.rec.Count(pathAuth); n != 0 {
		t.Errorf("browser client called the headless endpoint %d times", n)
	}

	// A used or unknown code is a typed error without the code in it.
	_, err = c.Exchange(ctx, issued)
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Code != "invalid_grant" {
		t.Errorf("reused code: %v", err)
	}
	if !errors.Is(err, auth.ErrInvalidGrant) || errors.Is(err, auth.ErrInvalidCredentials) {
		t.Errorf("a used code is ErrInvalidGrant, not bad credentials: %v", err)
	}
	if err != nil {
		wiretest.NoSecrets(t, "exchange error", err.Error(), issued)
	}
	if _, err := c.Exchange(ctx, ""); !errors.Is(err, ioffice.ErrNoCode) {
		t.Errorf("empty code: %v", err)
	}
}

func TestParseRedirect(t *testing.T) {
	const st = "s-123"
	for _, tc := range []struct {
		name, raw    string
		allowMissing bool
		code, app    string
		err          error
	}{
		{"full URL", redirectURI + "#code=c1&appCode=a1&state=" + st, false, "c1", "a1", nil},
		{"fragment", "#code=c1&appCode=a1&state=" + st, false, "c1", "a1", nil},
		{"bare", "state=" + st + "&code=c%2B1&appCode=a1", false, "c+1", "a1", nil},
		{"no appCode", "#code=c1&state=" + st, false, "c1", "", nil},
		{"wrong state", "#code=c1&appCode=a1&state=other", false, "", "", ioffice.ErrStateMismatch},
		{"wrong state allowed-missing", "#code=c1&state=other", true, "", "", ioffice.ErrStateMismatch},
		{"two states", "#code=c1&state=" + st + "&state=" + st, false, "", "", ioffice.ErrStateMismatch},
		{"missing state", "#code=c1&appCode=a1", false, "", "", ioffice.ErrMissingState},
		{"missing state allowed", "#code=c1&appCode=a1", true, "c1", "a1", nil},
		{"no code", "#appCode=a1&state=" + st, false, "", "", ioffice.ErrNoCode},
		{"two codes", "#code=c1&code=c2&state=" + st, false, "", "", ioffice.ErrNoCode},
		{"URL without fragment", redirectURI + "?code=c1&state=" + st, false, "", "", ioffice.ErrNoCode},
		{"bad escape", "#code=%zz&state=" + st, false, "", "", ioffice.ErrNoCode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parse := ioffice.ParseRedirect
			if tc.allowMissing {
				parse = ioffice.ParseRedirectAllowMissingState
			}
			code, app, err := parse(tc.raw, st)
			if !errors.Is(err, tc.err) || code != tc.code || app != tc.app {
				t.Errorf("got %q %q %v, want %q %q %v", code, app, err, tc.code, tc.app, tc.err)
			}
		})
	}
	if _, _, err := ioffice.ParseRedirect("#code=c1&state=", ""); !errors.Is(err, ioffice.ErrStateMismatch) {
		t.Errorf("empty wantState must never match: %v", err)
	}
	_, _, err := ioffice.ParseRedirect("#error=access_denied&error_description=user+said+no&state="+st, st)
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.Code != "access_denied" || ae.Op != "authorize" {
		t.Errorf("error redirect: %v", err)
	}
	// What the fragment says is the same excerpt a token endpoint's
	// error gets: bounded, without control characters.
	long := url.QueryEscape("\x1b]0;title\x07" + strings.Repeat("no ", 1000))
	_, _, err = ioffice.ParseRedirect("#error=denied%0D%0Aforged&error_description="+long+"&state="+st, st)
	if !errors.As(err, &ae) || len(ae.Description) > 260 || len(ae.Code) > 68 ||
		strings.ContainsAny(ae.Code+ae.Description+err.Error(), "\x1b\x07\r\n") {
		t.Errorf("error redirect with control characters and a long description: %q, %q", ae.Code, ae.Description)
	}
}

func TestNewState(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s, err := ioffice.NewState()
		if err != nil {
			t.Fatal(err)
		}
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) != 32 || seen[s] {
			t.Fatalf("state %q: %v", s, err)
		}
		seen[s] = true
	}
}

func TestNewValidation(t *testing.T) {
	good := headless("https://example.iofficeconnect.com")
	for _, tc := range []struct {
		edit  func(*ioffice.Config)
		field string
	}{
		{func(c *ioffice.Config) { c.BaseURL = "" }, "Config.BaseURL"},
		{func(c *ioffice.Config) { c.ClientID = "" }, "Config.ClientID"},
		{func(c *ioffice.Config) { c.RedirectURI = "" }, "Config.RedirectURI"},
		{func(c *ioffice.Config) { c.Scope = "" }, "Config.Scope"},
		{func(c *ioffice.Config) { c.Password = "" }, "Config.Password"},
		{func(c *ioffice.Config) { c.Username = "" }, "Config.Username"},
	} {
		cfg := good
		tc.edit(&cfg)
		_, err := ioffice.New(cfg)
		if !errors.Is(err, client.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("err = %v, want one naming %s", err, tc.field)
		}
		if err != nil {
			wiretest.NoSecrets(t, "config error", err.Error(), password)
		}
	}
	c, err := ioffice.New(browser("https://example.iofficeconnect.com"))
	if err != nil {
		t.Fatalf("browser config: %v", err)
	}
	c.Close()
}

func TestFromEnv(t *testing.T) {
	set := func(vals map[string]string) {
		for k, v := range vals {
			t.Setenv("VENDORKIT_IOFFICE_"+k, v)
		}
	}
	set(map[string]string{"BASE_URL": "https://example.iofficeconnect.com", "CLIENT_ID": clientID,
		"USERNAME": "", "PASSWORD": "", "REDIRECT_URI": redirectURI, "SCOPE": ""})
	_, err := ioffice.FromEnv()
	if !errors.Is(err, client.ErrMissingEnv) || !strings.Contains(err.Error(), "VENDORKIT_IOFFICE_SCOPE") ||
		strings.Contains(err.Error(), "USERNAME") || strings.Contains(err.Error(), "PASSWORD") {
		t.Errorf("err = %v", err)
	}
	set(map[string]string{"SCOPE": scope})
	cfg, err := ioffice.FromEnv()
	if err != nil || cfg != browser("https://example.iofficeconnect.com") {
		t.Errorf("browser env: %+v %v", cfg, err)
	}
	set(map[string]string{"USERNAME": username})
	_, err = ioffice.FromEnv()
	if !errors.Is(err, client.ErrMissingEnv) || !strings.Contains(err.Error(), "VENDORKIT_IOFFICE_PASSWORD") {
		t.Errorf("username without password: %v", err)
	}
	if err != nil {
		wiretest.NoSecrets(t, "env error", err.Error(), username)
	}
	set(map[string]string{"PASSWORD": password})
	cfg, err = ioffice.FromEnv()
	if err != nil || cfg != headless("https://example.iofficeconnect.com") {
		t.Errorf("headless env: %+v %v", cfg, err)
	}
}

// Do with query placement keeps the caller's query and adds the token.
func TestDoTokenInQuery(t *testing.T) {
	f, srv := newFake(t)
	cfg := headless(srv.URL)
	cfg.TokenInQuery = true
	c := newClient(t, cfg)
	req, _ := http.NewRequest("GET", pathMe+"?fields=id", nil)
	resp, err := c.Do(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if me := f.rec.Path(pathMe); len(me) != 1 || me[0].RawQuery != "fields=id&access_token=acc-tok-2" || me[0].Header.Get("x-access-token") != "" {
		t.Errorf("users/me %+v", me)
	}
}

// A rejected refresh whose error echoes the refresh token (as the docs'
// server does) is scrubbed of it: in the error, and in the log line of the
// Source's fallback to the headless login.
func TestRejectedRefreshScrubsRefreshToken(t *testing.T) {
	f, srv := newFake(t)
	clk := wiretest.NewClock(t0)
	var logs wiretest.Logs
	c := newClient(t, headless(srv.URL), client.WithClock(clk), client.WithLogger(logs.Logger()))
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.killTokens()
	_, err = c.Source().Flow().(auth.Refresher).Refresh(context.Background(), tok)
	var ae *auth.Error
	if !errors.As(err, &ae) || !errors.Is(err, auth.ErrInvalidGrant) {
		t.Fatalf("err = %v", err)
	}
	if want := "refresh token REDACTED is invalid"; ae.Description != want {
		t.Errorf("Description %q, want %q", ae.Description, want)
	}
	clk.Advance(time.Minute) // expired: the Source refreshes, is rejected, logs in again
	getMe(t, c)
	wiretest.NoSecrets(t, "error", err.Error(), tok.RefreshToken)
	wiretest.NoSecrets(t, "logs", logs.String(), tok.RefreshToken)
}
