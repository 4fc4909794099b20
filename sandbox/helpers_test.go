package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vendorkit/vendorkit/sandbox"
)

// Every test talks to the sandbox with plain net/http, never through
// vendorkit's clients, so a bug in the clients cannot hide one here.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The docs' BSS example credentials, and the Basic header their C# builds
// from the RAW key:secret.
const (
	docsKey      = "23230e67-6c95-4f83-a176-d969b95ee601"
	docsSecret   = "HCHlt6XPXxOveEx4QjECVB4ChgKiLJF65U7qy/xe46k="
	docsBasic    = "Basic MjMyMzBlNjctNmM5NS00ZjgzLWExNzYtZDk2OWI5NWVlNjAxOkhDSGx0NlhQWHhPdmVFeDRRakVDVkI0Q2hnS2lMSkY2NVU3cXkveGU0Nms9"
	docsBSSBody  = "grant_type=password&username=testuser&password=user123456%21"
	formURLEnc   = "application/x-www-form-urlencoded"
	blueprintCT  = "application/x-www-form-urlencoded; charset=UTF-8"                   // the docs' request
	blueprintDoc = "grant_type=password&username=username&password=Qu0te%26Config-2014" // the docs' request, default password
	jsonCT       = "application/json;charset=UTF-8"
)

// fakeClock is a Clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	// The docs' Blueprint example's issue time.
	return &fakeClock{t: time.Date(2014, 10, 1, 1, 22, 33, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one started sandbox, a fake clock and an HTTP client of its own.
type env struct {
	t     testing.TB
	s     *sandbox.Sandbox
	clock *fakeClock
	hc    *http.Client
}

// start starts a sandbox with a fake clock (unless opts has a clock) and
// closes it, and the client's idle connections, when the test ends.
func start(t *testing.T, opts sandbox.Options) *env {
	t.Helper()
	clock := newFakeClock()
	if opts.Clock == nil {
		opts.Clock = clock
	}
	s, err := sandbox.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &env{t: t, s: s, clock: clock, hc: &http.Client{Transport: tr}}
}

func (e *env) v(name string) *sandbox.Vendor { return e.s.Vendor(name) }

// result is a response, read.
type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// oauthErr checks an RFC 6749 error body and returns its description.
func (r result) oauthErr(t testing.TB, status int, code string) string {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != jsonCT {
		t.Errorf("Content-Type %q, want %q", ct, jsonCT)
	}
	m := r.json(t)
	if m["error"] != code {
		t.Errorf("error %v, want %q (body %s)", m["error"], code, r.body)
	}
	desc, _ := m["error_description"].(string)
	return desc
}

// do sends one request; headers are name, value pairs.
func (e *env) do(method, rawURL, body string, headers ...string) result {
	e.t.Helper()
	r, err := e.try(context.Background(), method, rawURL, body, headers...)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	return r
}

func (e *env) try(ctx context.Context, method, rawURL, body string, headers ...string) (result, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return result{}, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	return result{resp.StatusCode, resp.Header, b}, nil
}

// --- one token and one resource call per vendor, as the docs show them ---

func (e *env) bssTokenResult() result {
	return e.do("POST", e.v("bss").BaseURL+"/oauth/token", docsBSSBody,
		"Content-Type", formURLEnc, "Authorization", docsBasic)
}

func (e *env) bssToken() string {
	e.t.Helper()
	r := e.bssTokenResult()
	if r.status != 200 {
		e.t.Fatalf("BSS token: %d %s", r.status, r.body)
	}
	return r.json(e.t)["access_token"].(string)
}

func (e *env) bssGet(path, tok string) result {
	return e.do("GET", e.v("bss").BaseURL+path, "",
		"Accept", "application/json", "X-Api-Version", "latest", "Authorization", "Bearer "+tok)
}

func (e *env) blueprintLogin() result {
	return e.do("POST", e.v("blueprint").BaseURL+"/account/login", blueprintDoc, "Content-Type", blueprintCT)
}

func (e *env) blueprintToken() string {
	e.t.Helper()
	r := e.blueprintLogin()
	if r.status != 200 {
		e.t.Fatalf("Blueprint login: %d %s", r.status, r.body)
	}
	return r.json(e.t)["access_token"].(string)
}

func (e *env) blueprintPages(tok string) result {
	return e.do("GET", e.v("blueprint").BaseURL+"/pages", "", "Authorization", "Bearer "+tok)
}

func (e *env) decisivBasic() string {
	env := e.v("decisiv").Env()
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(env["VENDORKIT_DECISIV_CONSUMER_KEY"], env["VENDORKIT_DECISIV_CONSUMER_SECRET"])
	return req.Header.Get("Authorization")
}

func (e *env) decisivTokenResult(headers ...string) result {
	h := append([]string{"Content-Type", "application/x-www-form-urlencoded;charset=UTF-8", "Authorization", e.decisivBasic()}, headers...)
	return e.do("POST", e.v("decisiv").BaseURL+"/platform_api/oauth2/token", "grant_type=client_credentials", h...)
}

func (e *env) decisivToken() string {
	e.t.Helper()
	r := e.decisivTokenResult("Accept", "application/xml")
	if r.status != 200 {
		e.t.Fatalf("Decisiv token: %d %s", r.status, r.body)
	}
	return decodeDecisiv(e.t, r.body).Token
}

func (e *env) decisivTest(tok string) result {
	return e.do("GET", e.v("decisiv").BaseURL+"/platform_api/bearer_test", "", "Authorization", "Bearer "+tok)
}

func (e *env) iofficeCode() string {
	e.t.Helper()
	env := e.v("ioffice").Env()
	r := e.do("POST", e.v("ioffice").BaseURL+"/external/api/oauth2/auth", "",
		"Content-Type", "application/json",
		"x-auth-username", env["VENDORKIT_IOFFICE_USERNAME"],
		"x-auth-password", env["VENDORKIT_IOFFICE_PASSWORD"],
		"x-client-id", env["VENDORKIT_IOFFICE_CLIENT_ID"])
	if r.status != 200 {
		e.t.Fatalf("iOFFICE auth: %d %s", r.status, r.body)
	}
	return r.json(e.t)["code"].(string)
}

// iofficeExchange sends the documented token request; grant is
// "authorization_code" (cred = the code) or "refresh_token".
func (e *env) iofficeExchange(grant, cred string, extra ...string) result {
	env := e.v("ioffice").Env()
	credHeader := "x-auth-code"
	if grant == "refresh_token" {
		credHeader = "x-refresh-token"
	}
	h := []string{
		"Content-Type", "application/json",
		"x-grant-type", grant,
		"x-redirect-uri", env["VENDORKIT_IOFFICE_REDIRECT_URI"],
		"x-client-id", env["VENDORKIT_IOFFICE_CLIENT_ID"],
		"x-scope", env["VENDORKIT_IOFFICE_SCOPE"],
		credHeader, cred,
	}
	// extra overrides: same name replaces.
	for i := 0; i+1 < len(extra); i += 2 {
		replaced := false
		for j := 0; j+1 < len(h); j += 2 {
			if strings.EqualFold(h[j], extra[i]) {
				h[j+1], replaced = extra[i+1], true
			}
		}
		if !replaced {
			h = append(h, extra[i], extra[i+1])
		}
	}
	var hh []string
	for j := 0; j+1 < len(h); j += 2 {
		if h[j+1] != "-" { // "-" drops the header
			hh = append(hh, h[j], h[j+1])
		}
	}
	return e.do("POST", e.v("ioffice").BaseURL+"/external/api/oauth2/token", "", hh...)
}

// iofficeTokens runs the headless flow: access and refresh token.
func (e *env) iofficeTokens() (access, refresh string) {
	e.t.Helper()
	r := e.iofficeExchange("authorization_code", e.iofficeCode())
	if r.status != 200 {
		e.t.Fatalf("iOFFICE token: %d %s", r.status, r.body)
	}
	m := r.json(e.t)
	return m["access_token"].(string), m["refresh_token"].(string)
}

func (e *env) iofficeMe(tok string) result {
	return e.do("GET", e.v("ioffice").BaseURL+"/external/api/rest/v2/users/me", "", "x-access-token", tok)
}

func (e *env) iofficeLoginURL(q url.Values) string {
	return e.v("ioffice").BaseURL + "/login.html?" + q.Encode()
}

func (e *env) iofficeLoginParams() url.Values {
	env := e.v("ioffice").Env()
	return url.Values{
		"response_type": {"code"},
		"client_id":     {env["VENDORKIT_IOFFICE_CLIENT_ID"]},
		"redirect_uri":  {env["VENDORKIT_IOFFICE_REDIRECT_URI"]},
		"scope":         {env["VENDORKIT_IOFFICE_SCOPE"]},
		"state":         {"xyz-123"},
	}
}
