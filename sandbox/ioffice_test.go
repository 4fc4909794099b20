package sandbox_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/sandbox"
)

// The headless flow as the docs give it: /oauth2/auth, then /oauth2/token
// with the code, then a resource with the token in either documented place.
func TestIOfficeHeadlessFlow(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	code := e.iofficeCode()
	r := e.iofficeExchange("authorization_code", code)
	if r.status != 200 {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	m := r.json(t)
	if m["token_type"] != "Bearer" || m["access_token"] == "" || m["refresh_token"] == "" || m["access_token"] == m["refresh_token"] {
		t.Errorf("token response %s", r.body)
	}
	// "expires_in: number; // in milliseconds": 1 h default.
	if m["expires_in"] != float64(3600000) {
		t.Errorf("expires_in %v, want 3600000 (ms)", m["expires_in"])
	}
	tok := m["access_token"].(string)
	base := e.v("ioffice").BaseURL + "/external/api/rest/v2/users/me"
	if r := e.do("GET", base, "", "x-access-token", tok); r.status != 200 || r.json(t)["id"] == nil {
		t.Errorf("x-access-token: %d %s", r.status, r.body)
	}
	if r := e.do("GET", base+"?access_token="+url.QueryEscape(tok), ""); r.status != 200 {
		t.Errorf("?access_token: %d %s", r.status, r.body)
	}
	for name, tc := range map[string]struct{ url, h, v string }{
		"nothing":             {base, "", ""},
		"Authorization":       {base, "Authorization", "Bearer " + tok},
		"unknown header":      {base, "x-access-token", "nope"},
		"unknown query":       {base + "?access_token=nope", "", ""},
		"wrong query name":    {base + "?token=" + tok, "", ""},
		"header named Bearer": {base, "x-access-token", "Bearer " + tok},
	} {
		t.Run(name, func(t *testing.T) {
			var h []string
			if tc.h != "" {
				h = []string{tc.h, tc.v}
			}
			e.do("GET", tc.url, "", h...).oauthErr(t, 401, "invalid_token")
		})
	}
}

func TestIOfficeAuthCodeRequestChecks(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	env := e.v("ioffice").Env()
	u := e.v("ioffice").BaseURL + "/external/api/oauth2/auth"
	good := []string{"x-auth-username", env["VENDORKIT_IOFFICE_USERNAME"], "x-auth-password", env["VENDORKIT_IOFFICE_PASSWORD"], "x-client-id", env["VENDORKIT_IOFFICE_CLIENT_ID"]}
	with := func(name, value string) []string {
		h := append([]string{"Content-Type", "application/json"}, good...)
		for i := 0; i < len(h); i += 2 {
			if h[i] == name {
				h[i+1] = value
			}
		}
		var out []string
		for i := 0; i < len(h); i += 2 {
			if h[i+1] != "" {
				out = append(out, h[i], h[i+1])
			}
		}
		return out
	}
	e.do("POST", u, "", with("Content-Type", "")...).oauthErr(t, 400, "invalid_request")
	e.do("POST", u, "", with("Content-Type", "text/plain")...).oauthErr(t, 400, "invalid_request")
	e.do("POST", u, "", with("x-client-id", "other")...).oauthErr(t, 401, "invalid_client")
	e.do("POST", u, "", with("x-auth-password", "nope")...).oauthErr(t, 401, "access_denied")
	e.do("POST", u, "", with("x-auth-username", "nobody")...).oauthErr(t, 401, "access_denied")
	for _, h := range []string{"x-auth-username", "x-auth-password", "x-client-id"} {
		if desc := e.do("POST", u, "", with(h, "")...).oauthErr(t, 400, "invalid_request"); !strings.Contains(desc, h) {
			t.Errorf("missing %s: description %q", h, desc)
		}
	}
	// Credentials belong in headers, not in a JSON body.
	e.do("POST", u, `{"username":"apiuser"}`, with("", "")...).oauthErr(t, 400, "invalid_request")
	if r := e.do("POST", u, "", with("Content-Type", "application/json; charset=utf-8")...); r.status != 200 {
		t.Errorf("JSON with charset: %d", r.status)
	}
}

func TestIOfficeCodesAreSingleUse(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	code := e.iofficeCode()
	if r := e.iofficeExchange("authorization_code", code); r.status != 200 {
		t.Fatalf("first use: %d %s", r.status, r.body)
	}
	e.iofficeExchange("authorization_code", code).oauthErr(t, 400, "invalid_grant")
}

// "The authorization code expires after 5 minutes", on the sandbox clock.
func TestIOfficeCodesExpireAfterFiveMinutes(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	early, late := e.iofficeCode(), e.iofficeCode()
	e.clock.Advance(5*time.Minute - time.Second)
	if r := e.iofficeExchange("authorization_code", early); r.status != 200 {
		t.Errorf("at 4m59s: %d %s", r.status, r.body)
	}
	e.clock.Advance(time.Second)
	e.iofficeExchange("authorization_code", late).oauthErr(t, 400, "invalid_grant")
}

func TestIOfficeTokenRequestChecks(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	for _, tc := range []struct {
		name   string
		extra  []string
		status int
		code   string
	}{
		{"no Content-Type", []string{"Content-Type", "-"}, 400, "invalid_request"},
		{"wrong redirect", []string{"x-redirect-uri", "https://evil.example/cb"}, 400, "invalid_grant"},
		{"wrong client", []string{"x-client-id", "other"}, 401, "invalid_client"},
		{"no code", []string{"x-auth-code", "-"}, 400, "invalid_request"},
		{"unknown code", []string{"x-auth-code", "nope"}, 400, "invalid_grant"},
		{"unknown grant", []string{"x-grant-type", "password"}, 400, "invalid_request"},
		{"no scope", []string{"x-scope", "-"}, 400, "invalid_request"},
		{"no redirect", []string{"x-redirect-uri", "-"}, 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := e.iofficeCode()
			e.iofficeExchange("authorization_code", code, tc.extra...).oauthErr(t, tc.status, tc.code)
		})
	}
}

// "This will return a brand new token and another refresh token"; the
// old refresh token is dead from then on.
func TestIOfficeRefreshRotatesBothTokens(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	access, refresh := e.iofficeTokens()
	r := e.iofficeExchange("refresh_token", refresh)
	if r.status != 200 {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	m := r.json(t)
	access2, refresh2 := m["access_token"].(string), m["refresh_token"].(string)
	if access2 == access || refresh2 == refresh || m["expires_in"] != float64(3600000) {
		t.Errorf("refresh did not rotate: %s", r.body)
	}
	e.iofficeExchange("refresh_token", refresh).oauthErr(t, 400, "invalid_grant")
	if r := e.iofficeMe(access2); r.status != 200 {
		t.Errorf("new access token: %d", r.status)
	}
	if r := e.iofficeExchange("refresh_token", refresh2); r.status != 200 {
		t.Errorf("new refresh token: %d %s", r.status, r.body)
	}
	// The refresh must name the scope of the original code.
	_, refresh3 := e.iofficeTokens()
	e.iofficeExchange("refresh_token", refresh3, "x-scope", "other").oauthErr(t, 400, "invalid_scope")
	if r := e.iofficeExchange("refresh_token", refresh3); r.status != 200 {
		t.Errorf("a wrong scope must not burn the refresh token: %d", r.status)
	}
	// Access tokens are not refresh tokens.
	e.iofficeExchange("refresh_token", access2).oauthErr(t, 400, "invalid_grant")
	// Stats counts the invalid_grant answers (the used refresh token and
	// the access token), not invalid_scope.
	if n := e.v("ioffice").Stats().InvalidGrants; n != 2 {
		t.Errorf("InvalidGrants = %d, want 2", n)
	}
}

func TestIOfficeRevokeViaXToken(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	u := e.v("ioffice").BaseURL + "/external/api/oauth2/revoke"
	access, refresh := e.iofficeTokens()
	if r := e.do("POST", u, "", "x-token", access); r.status != 200 {
		t.Fatalf("revoke access: %d %s", r.status, r.body)
	}
	e.iofficeMe(access).oauthErr(t, 401, "invalid_token")
	if r := e.do("POST", u, "", "x-token", refresh); r.status != 200 {
		t.Fatalf("revoke refresh: %d", r.status)
	}
	e.iofficeExchange("refresh_token", refresh).oauthErr(t, 400, "invalid_grant")
	// An unknown token is not an error (RFC 7009 §2.2); no x-token is.
	if r := e.do("POST", u, "", "x-token", "unknown"); r.status != 200 {
		t.Errorf("unknown token: %d", r.status)
	}
	e.do("POST", u, "").oauthErr(t, 400, "invalid_request")
}

func TestIOfficeLoginPageNeedsAllFiveParameters(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	q := e.iofficeLoginParams()
	r := e.do("GET", e.iofficeLoginURL(q), "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "<form") {
		t.Fatalf("login page: %d %q %.80s", r.status, r.header.Get("Content-Type"), r.body)
	}
	for name := range q {
		miss := url.Values{}
		for k, v := range q {
			if k != name {
				miss[k] = v
			}
		}
		if desc := e.do("GET", e.iofficeLoginURL(miss), "").oauthErr(t, 400, "invalid_request"); !strings.Contains(desc, name) {
			t.Errorf("without %s: description %q", name, desc)
		}
	}
	for name, value := range map[string]string{"response_type": "token", "client_id": "other", "redirect_uri": "https://evil.example/"} {
		bad := url.Values{}
		for k, v := range q {
			bad[k] = v
		}
		bad.Set(name, value)
		e.do("GET", e.iofficeLoginURL(bad), "").oauthErr(t, 400, "invalid_request")
	}
}

func TestIOfficeAuthorizeBrowser(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	v := e.v("ioffice")
	env := v.Env()
	q := e.iofficeLoginParams()
	q.Set("scope", "profile") // any string: the code remembers it
	loc, err := v.AuthorizeBrowser(e.iofficeLoginURL(q), env["VENDORKIT_IOFFICE_USERNAME"], env["VENDORKIT_IOFFICE_PASSWORD"])
	if err != nil {
		t.Fatal(err)
	}
	redirect, frag, ok := strings.Cut(loc, "#")
	if !ok || redirect != env["VENDORKIT_IOFFICE_REDIRECT_URI"] {
		t.Fatalf("redirect %q", loc)
	}
	if !strings.HasPrefix(frag, "code=") || !strings.Contains(frag, "&appCode=") {
		t.Errorf("fragment %q: want the docs' code=...&appCode=...", frag)
	}
	f, err := url.ParseQuery(frag)
	if err != nil || f.Get("code") == "" || f.Get("appCode") == "" || f.Get("state") != "xyz-123" {
		t.Fatalf("fragment %q: %v", frag, err)
	}
	code := f.Get("code")
	// x-scope must be the scope the code was issued for; a wrong one does
	// not use the code up.
	e.iofficeExchange("authorization_code", code, "x-scope", "email").oauthErr(t, 400, "invalid_scope")
	r := e.iofficeExchange("authorization_code", code, "x-scope", "profile")
	if r.status != 200 {
		t.Fatalf("exchange: %d %s", r.status, r.body)
	}
	refresh := r.json(t)["refresh_token"].(string)
	if r := e.iofficeExchange("refresh_token", refresh, "x-scope", "profile"); r.status != 200 {
		t.Errorf("refresh with the code's scope: %d %s", r.status, r.body)
	}

	good := e.iofficeLoginURL(e.iofficeLoginParams())
	otherPort := e.v("bss").BaseURL[:strings.LastIndex(e.v("bss").BaseURL, "/")] // same host, BSS's port
	noState := e.iofficeLoginParams()
	noState.Del("state")
	for name, tc := range map[string]struct{ url, user, pass string }{
		"wrong password": {good, env["VENDORKIT_IOFFICE_USERNAME"], "nope"},
		"missing state":  {e.iofficeLoginURL(noState), env["VENDORKIT_IOFFICE_USERNAME"], env["VENDORKIT_IOFFICE_PASSWORD"]},
		"other host":     {"http://example.com/login.html?" + e.iofficeLoginParams().Encode(), env["VENDORKIT_IOFFICE_USERNAME"], env["VENDORKIT_IOFFICE_PASSWORD"]},
		"other path":     {v.BaseURL + "/login?" + e.iofficeLoginParams().Encode(), env["VENDORKIT_IOFFICE_USERNAME"], env["VENDORKIT_IOFFICE_PASSWORD"]},
		"other port":     {otherPort + "/login.html?" + e.iofficeLoginParams().Encode(), env["VENDORKIT_IOFFICE_USERNAME"], env["VENDORKIT_IOFFICE_PASSWORD"]},
		"https":          {"https" + strings.TrimPrefix(v.BaseURL, "http") + "/login.html?" + e.iofficeLoginParams().Encode(), env["VENDORKIT_IOFFICE_USERNAME"], env["VENDORKIT_IOFFICE_PASSWORD"]},
	} {
		if _, err := v.AuthorizeBrowser(tc.url, tc.user, tc.pass); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	if _, err := e.v("bss").AuthorizeBrowser(good, "a", "b"); err == nil {
		t.Error("BSS has no browser flow: want an error")
	}
	// Browser codes expire after 5 minutes too.
	loc, _ = v.AuthorizeBrowser(good, env["VENDORKIT_IOFFICE_USERNAME"], env["VENDORKIT_IOFFICE_PASSWORD"])
	_, frag, _ = strings.Cut(loc, "#")
	f, _ = url.ParseQuery(frag)
	e.clock.Advance(5 * time.Minute)
	e.iofficeExchange("authorization_code", f.Get("code")).oauthErr(t, 400, "invalid_grant")
}

func TestIOfficeAccessTokenExpires(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.IOfficeOptions{TokenLifetime: 90 * time.Second}}})
	r := e.iofficeExchange("authorization_code", e.iofficeCode())
	m := r.json(t)
	if m["expires_in"] != float64(90000) {
		t.Errorf("expires_in %v, want 90000", m["expires_in"])
	}
	access := m["access_token"].(string)
	e.clock.Advance(90 * time.Second)
	e.iofficeMe(access).oauthErr(t, 401, "invalid_token")
	// The refresh token outlives it.
	if r := e.iofficeExchange("refresh_token", m["refresh_token"].(string)); r.status != 200 {
		t.Errorf("refresh after expiry: %d", r.status)
	}
}
