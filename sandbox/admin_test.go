package sandbox_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/vendorkit/vendorkit/specs"

	"github.com/vendorkit/vendorkit/sandbox"
)

// adminEnv is a sandbox with its admin endpoint.
type adminEnv struct {
	*env
	a *sandbox.Admin
}

func startAdmin(t *testing.T) adminEnv {
	t.Helper()
	e := start(t, sandbox.Options{})
	a, err := e.s.StartAdmin(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("admin Close: %v", err)
		}
	})
	return adminEnv{e, a}
}

// call sends an authorized admin request and decodes a 200.
func (e adminEnv) call(method, path string) sandbox.AdminStatus {
	e.t.Helper()
	r := e.do(method, e.a.URL+path, "", "Authorization", "Bearer "+e.a.Token)
	if r.status != 200 || r.header.Get("Content-Type") != jsonCT {
		e.t.Fatalf("%s %s: %d %q %s", method, path, r.status, r.header.Get("Content-Type"), r.body)
	}
	var st sandbox.AdminStatus
	if err := json.Unmarshal(r.body, &st); err != nil {
		e.t.Fatal(err)
	}
	return st
}

func (e adminEnv) status(name string) sandbox.VendorStatus {
	e.t.Helper()
	st := e.call("GET", "/stats?vendor="+name)
	if len(st.Vendors) != 1 || st.Vendors[0].Vendor != name {
		e.t.Fatalf("stats for %s: %+v", name, st)
	}
	return st.Vendors[0]
}

func TestAdminNeedsItsToken(t *testing.T) {
	t.Parallel()
	e := startAdmin(t)
	u, _ := url.Parse(e.a.URL)
	if u.Hostname() != "127.0.0.1" || u.Path != "" {
		t.Errorf("admin URL %s: want http://127.0.0.1:PORT", e.a.URL)
	}
	if len(e.a.Token) < 40 {
		t.Errorf("admin token of %d chars: want 256 random bits", len(e.a.Token))
	}
	tok := e.bssToken()
	for name, auth := range map[string][]string{
		"none":         nil,
		"wrong":        {"Authorization", "Bearer " + e.a.Token[:len(e.a.Token)-1] + "x"},
		"prefix":       {"Authorization", "Bearer " + e.a.Token[:20]},
		"basic":        {"Authorization", "Basic " + e.a.Token},
		"query":        nil, // the token in the query does not count
		"other scheme": {"Authorization", e.a.Token},
	} {
		path := "/revoke-all"
		if name == "query" {
			path += "?token=" + e.a.Token
		}
		r := e.do("POST", e.a.URL+path, "", auth...)
		desc := r.oauthErr(t, 401, "invalid_token")
		if !strings.Contains(desc, "VENDORKIT_SANDBOX_ADMIN_TOKEN") || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %q, WWW-Authenticate %q", name, desc, r.header.Get("WWW-Authenticate"))
		}
		if strings.Contains(string(r.body), e.a.Token[:20]) {
			t.Errorf("%s: the answer echoes the token", name)
		}
	}
	if r := e.bssGet("/api/accounts/1", tok); r.status != 200 {
		t.Errorf("an unauthorized revoke-all revoked: %d", r.status)
	}
	// Each start has its own token.
	b, err := e.s.StartAdmin(0)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Token == e.a.Token || b.URL == e.a.URL {
		t.Error("two admin endpoints share a token or a URL")
	}
}

func TestAdminStatsAndRevokeAll(t *testing.T) {
	t.Parallel()
	e := startAdmin(t)
	bss := e.bssToken()
	e.bssGet("/api/accounts/1", bss)
	e.bssGet("/api/accounts/1", "nope")
	dec := e.decisivToken()

	st := e.call("GET", "/stats")
	var names []string
	for _, v := range st.Vendors {
		names = append(names, v.Vendor)
	}
	if !slices.Equal(names, specs.Vendors()) {
		t.Errorf("vendors %v", names)
	}
	byName := map[string]sandbox.VendorStatus{}
	for _, v := range st.Vendors {
		byName[v.Vendor] = v
	}
	b := byName["bss"]
	if b.TokenRequests["password"] != 1 || b.ResourceRequests != 2 || b.Rejected != 1 || b.TokenLifetime != "29m59s" || b.TokenLatency != "0s" || b.LoginState != nil || b.PendingFaults != 0 {
		t.Errorf("bss %+v", b)
	}
	if d := byName["decisiv"]; d.TokenLifetime != "0s" || d.TokenRequests["client_credentials"] != 1 {
		t.Errorf("decisiv %+v", d)
	}
	if i := byName["ioffice"]; i.LoginState == nil || !*i.LoginState || i.TokenRequests == nil {
		t.Errorf("ioffice %+v", i)
	}

	// One vendor (case-insensitive), then every vendor.
	if st := e.call("POST", "/revoke-all?vendor=BSS"); len(st.Vendors) != 1 || st.Vendors[0].Vendor != "bss" {
		t.Errorf("revoke-all bss: %+v", st)
	}
	e.bssGet("/api/accounts/1", bss).oauthErr(t, 401, "invalid_token")
	if r := e.decisivTest(dec); r.status != 200 {
		t.Errorf("decisiv after revoking bss: %d", r.status)
	}
	if st := e.call("POST", "/revoke-all"); len(st.Vendors) != len(specs.Vendors()) {
		t.Errorf("revoke-all: %+v", st)
	}
	if r := e.decisivTest(dec); r.status != 401 {
		t.Errorf("decisiv after revoke-all: %d", r.status)
	}
	if r := e.bssGet("/api/accounts/1", e.bssToken()); r.status != 200 {
		t.Errorf("a token issued after revoke-all: %d", r.status)
	}
}

func TestAdminSettings(t *testing.T) {
	t.Parallel()
	e := startAdmin(t)
	st := e.call("POST", "/settings?vendor=ioffice&token_lifetime=90s&token_latency=250ms&login_state=false")
	if v := st.Vendors[0]; len(st.Vendors) != 1 || v.TokenLifetime != "1m30s" || v.TokenLatency != "250ms" || *v.LoginState {
		t.Errorf("%+v", st)
	}
	e.call("POST", "/settings?vendor=ioffice&token_latency=0s")
	r := e.iofficeExchange("authorization_code", e.iofficeCode())
	if got := r.json(t)["expires_in"]; got != float64(90000) {
		t.Errorf("expires_in %v after token_lifetime=90s, want 90000 ms", got)
	}
	loc, err := e.v("ioffice").AuthorizeBrowser(e.iofficeLoginURL(e.iofficeLoginParams()), "apiuser", e.credentials()["password"])
	if err != nil || strings.Contains(loc, "state=") {
		t.Errorf("login_state=false: %q %v", loc, err)
	}
	// Every vendor at once; 0 restores each vendor's default.
	e.call("POST", "/settings?token_lifetime=2m")
	if v := e.status("blueprint"); v.TokenLifetime != "2m0s" {
		t.Errorf("blueprint %+v", v)
	}
	e.call("POST", "/settings?token_lifetime=0&login_state=true")
	if v := e.status("decisiv"); v.TokenLifetime != "0s" {
		t.Errorf("decisiv default: %+v", v)
	}
	if v := e.status("ioffice"); v.TokenLifetime != "1h0m0s" || !*v.LoginState {
		t.Errorf("ioffice defaults: %+v", v)
	}
}

func TestAdminFail(t *testing.T) {
	t.Parallel()
	e := startAdmin(t)
	tok := e.bssToken()
	st := e.call("POST", "/fail?vendor=bss&count=2&status=429&retry_after=7")
	if st.Vendors[0].PendingFaults != 2 {
		t.Errorf("%+v", st)
	}
	for range 2 {
		r := e.bssGet("/api/accounts/1", tok)
		if r.status != 429 || r.header.Get("Retry-After") != "7" {
			t.Errorf("%d Retry-After %q", r.status, r.header.Get("Retry-After"))
		}
	}
	if r := e.bssGet("/api/accounts/1", tok); r.status != 200 {
		t.Errorf("third call: %d", r.status)
	}
	e.call("POST", "/fail?vendor=decisiv")
	if r := e.decisivTest(e.decisivToken()); r.status != 503 {
		t.Errorf("default fault: %d, want 503", r.status)
	}
}

func TestAdminRefusesBadRequests(t *testing.T) {
	t.Parallel()
	e := startAdmin(t)
	auth := []string{"Authorization", "Bearer " + e.a.Token}
	for path, want := range map[string]string{
		"/stats?vendor=not+a+vendor":              `unknown vendor "not a vendor"`,
		"/stats?vendr=bss":                        `unknown parameter "vendr"`,
		"/settings":                               "nothing to set",
		"/settings?token_lifetime=soon":           "token_lifetime",
		"/settings?token_latency=-1s":             "token_latency",
		"/settings?vendor=bss&login_state=no":     "login_state",
		"/settings?vendor=bss&login_state=true":   "bss has no browser login",
		"/settings?token_lifetime=1m&lifetime=2m": `unknown parameter "lifetime"`,
		"/fail":                                           "vendor is required",
		"/fail?vendor=bss&count=0":                        "count",
		"/fail?vendor=bss&status=200":                     "status",
		"/fail?vendor=bss&drop=true&status=503":           "drop",
		"/fail?vendor=bss&retry_after=1%0d%0aX-Evil:%201": "one header line",
	} {
		method := "POST"
		if strings.HasPrefix(path, "/stats") {
			method = "GET"
		}
		desc := e.do(method, e.a.URL+path, "", auth...).oauthErr(t, 400, "invalid_request")
		if !strings.Contains(desc, want) {
			t.Errorf("%s: %q, want it to mention %q", path, desc, want)
		}
	}
	// Nothing changed.
	if v := e.status("bss"); v.TokenLifetime != "29m59s" || v.PendingFaults != 0 {
		t.Errorf("a refused request changed bss: %+v", v)
	}
	if r := e.do("GET", e.a.URL+"/revoke-all", "", auth...); r.status != 405 {
		t.Errorf("GET /revoke-all: %d", r.status)
	}
	if r := e.do("GET", e.a.URL+"/nowhere", "", auth...); r.status != 404 {
		t.Errorf("GET /nowhere: %d", r.status)
	}
}

// Stats and the admin status count the invalid_grant answers, every
// vendor's and only those: a wrong password (BSS, Blueprint), an
// x-redirect-uri that is not the registered one, a used code and a used
// refresh token (iOFFICE); not invalid_client, invalid_scope or a 401.
func TestInvalidGrantsCounted(t *testing.T) {
	t.Parallel()
	e := startAdmin(t)
	e.do("POST", e.v("bss").BaseURL+"/oauth/token", strings.Replace(docsBSSBody, "user123456", "wrong", 1),
		"Content-Type", formURLEnc, "Authorization", docsBasic).oauthErr(t, 400, "invalid_grant")
	e.do("POST", e.v("bss").BaseURL+"/oauth/token", docsBSSBody,
		"Content-Type", formURLEnc, "Authorization", "Basic eDp5").oauthErr(t, 401, "invalid_client")
	e.do("POST", e.v("blueprint").BaseURL+"/account/login", strings.Replace(blueprintDoc, "Config", "Wrong", 1),
		"Content-Type", blueprintCT).oauthErr(t, 400, "invalid_grant")
	if r := e.do("POST", e.v("decisiv").BaseURL+"/platform_api/oauth2/token", "grant_type=client_credentials",
		"Content-Type", formURLEnc, "Accept", "application/xml", "Authorization", "Basic eDp5"); r.status != 401 {
		t.Errorf("decisiv, wrong secret: %d", r.status)
	}
	code := e.iofficeCode()
	e.iofficeExchange("authorization_code", code, "x-redirect-uri", "https://elsewhere.example/cb").oauthErr(t, 400, "invalid_grant")
	r := e.iofficeExchange("authorization_code", code)
	if r.status != 200 {
		t.Fatalf("iOFFICE token: %d %s", r.status, r.body)
	}
	e.iofficeExchange("authorization_code", code).oauthErr(t, 400, "invalid_grant")
	refresh := r.json(t)["refresh_token"].(string)
	e.iofficeExchange("refresh_token", refresh, "x-scope", "other").oauthErr(t, 400, "invalid_scope")
	if r := e.iofficeExchange("refresh_token", refresh); r.status != 200 {
		t.Fatalf("iOFFICE refresh: %d %s", r.status, r.body)
	}
	e.iofficeExchange("refresh_token", refresh).oauthErr(t, 400, "invalid_grant")

	want := map[string]int{"bss": 1, "blueprint": 1, "decisiv": 0, "ioffice": 3}
	for _, v := range e.call("GET", "/stats").Vendors {
		if n := e.v(v.Vendor).Stats().InvalidGrants; n != want[v.Vendor] || v.InvalidGrants != n {
			t.Errorf("%s: Stats().InvalidGrants %d, admin invalid_grants %d; want %d", v.Vendor, n, v.InvalidGrants, want[v.Vendor])
		}
	}
}

// The scheme is case-insensitive (RFC 7235 §2.1), as on the vendors'
// endpoints; the token is not.
func TestAdminTokenScheme(t *testing.T) {
	t.Parallel()
	e := startAdmin(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		if r := e.do("GET", e.a.URL+"/stats", "", "Authorization", scheme+" "+e.a.Token); r.status != 200 {
			t.Errorf("%s: %d %s", scheme, r.status, r.body)
		}
	}
	e.do("GET", e.a.URL+"/stats", "", "Authorization", "Bearer "+strings.ToUpper(e.a.Token)).oauthErr(t, 401, "invalid_token")
}
