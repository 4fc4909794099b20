package sandbox_test

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/sandbox"
)

// The docs' C# request: Basic of the raw key:secret, form body.
func TestBSSTokenAnswersTheDocsRequestAsTheDocsShow(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	r := e.bssTokenResult()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	for k, want := range map[string]string{
		"Content-Type":  "application/json;charset=UTF-8",
		"Cache-Control": "no-cache",
		"Pragma":        "no-cache",
		"Expires":       "-1",
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	m := r.json(t)
	if keys := slices.Sorted(maps.Keys(m)); !slices.Equal(keys, []string{"access_token", "expires_in", "token_type"}) {
		t.Errorf("keys %v", keys)
	}
	if m["token_type"] != "bearer" || m["expires_in"] != float64(1799) {
		t.Errorf("token_type %v expires_in %v, want bearer 1799", m["token_type"], m["expires_in"])
	}
	if tok, _ := m["access_token"].(string); len(tok) < 32 {
		t.Errorf("access_token %q: want an unguessable token", tok)
	}
}

// RFC 6749 §2.3.1 (and golang.org/x/oauth2) form-encode key and secret
// before Basic encoding; the docs' secret has "/" and "=", so that is a
// different header, which BSS does not accept.
func TestBSSTokenRejectsAFormEncodedBasicHeader(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	formEncoded := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(docsKey)+":"+url.QueryEscape(docsSecret)))
	if formEncoded == docsBasic {
		t.Fatal("test is wrong: the encodings must differ")
	}
	r := e.do("POST", e.v("bss").BaseURL+"/oauth/token", docsBSSBody, "Content-Type", formURLEnc, "Authorization", formEncoded)
	desc := r.oauthErr(t, 401, "invalid_client")
	if !strings.Contains(desc, "form-encoded") {
		t.Errorf("description %q should name the mistake", desc)
	}
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
	}
}

// "the interworks.cloud Platform only accepts these values through basic
// authentication".
func TestBSSTokenRejectsClientCredentialsInTheBody(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	body := docsBSSBody + "&client_id=" + url.QueryEscape(docsKey) + "&client_secret=" + url.QueryEscape(docsSecret)
	t.Run("body only", func(t *testing.T) {
		r := e.do("POST", e.v("bss").BaseURL+"/oauth/token", body, "Content-Type", formURLEnc)
		r.oauthErr(t, 401, "invalid_client")
	})
	t.Run("body and Basic", func(t *testing.T) {
		r := e.do("POST", e.v("bss").BaseURL+"/oauth/token", body, "Content-Type", formURLEnc, "Authorization", docsBasic)
		if desc := r.oauthErr(t, 401, "invalid_client"); !strings.Contains(desc, "only accepted through basic authentication") {
			t.Errorf("description %q", desc)
		}
	})
	t.Run("client_id alone", func(t *testing.T) {
		r := e.do("POST", e.v("bss").BaseURL+"/oauth/token", docsBSSBody+"&client_id="+docsKey,
			"Content-Type", formURLEnc, "Authorization", docsBasic)
		r.oauthErr(t, 401, "invalid_client")
	})
}

func TestBSSTokenRejectsWrongClientOrUser(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	basic := func(k, s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(k+":"+s)) }
	for _, tc := range []struct {
		name, auth, body string
		status           int
		code             string
	}{
		{"wrong secret", basic(docsKey, "nope"), docsBSSBody, 401, "invalid_client"},
		{"wrong key", basic("nope", docsSecret), docsBSSBody, 401, "invalid_client"},
		{"not base64", "Basic !!!", docsBSSBody, 401, "invalid_client"},
		{"no Authorization", "", docsBSSBody, 401, "invalid_client"},
		{"Bearer instead of Basic", "Bearer " + docsSecret, docsBSSBody, 401, "invalid_client"},
		{"wrong password", docsBasic, "grant_type=password&username=testuser&password=user123456", 400, "invalid_grant"},
		{"wrong user", docsBasic, "grant_type=password&username=root&password=user123456%21", 400, "invalid_grant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := []string{"Content-Type", formURLEnc}
			if tc.auth != "" {
				h = append(h, "Authorization", tc.auth)
			}
			r := e.do("POST", e.v("bss").BaseURL+"/oauth/token", tc.body, h...)
			r.oauthErr(t, tc.status, tc.code)
		})
	}
}

// The generated server binds form bodies from r.Form, which merges the
// query string: ?password= must not reach the grant on any vendor.
func TestTokenEndpointsRejectAQueryString(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	cases := []struct {
		name string
		send func() result
	}{
		{"bss", func() result {
			return e.do("POST", e.v("bss").BaseURL+"/oauth/token?password=user123456%21",
				"grant_type=password&username=testuser", "Content-Type", formURLEnc, "Authorization", docsBasic)
		}},
		{"bss harmless query", func() result {
			return e.do("POST", e.v("bss").BaseURL+"/oauth/token?x=1", docsBSSBody, "Content-Type", formURLEnc, "Authorization", docsBasic)
		}},
		{"blueprint", func() result {
			return e.do("POST", e.v("blueprint").BaseURL+"/account/login?password=password",
				"grant_type=password&username=username", "Content-Type", blueprintCT)
		}},
		{"decisiv", func() result {
			return e.do("POST", e.v("decisiv").BaseURL+"/platform_api/oauth2/token?grant_type=client_credentials", "grant_type=client_credentials",
				"Content-Type", formURLEnc, "Authorization", e.decisivBasic())
		}},
		{"ioffice", func() result {
			return e.do("POST", e.v("ioffice").BaseURL+"/external/api/oauth2/auth?x-auth-password=x", "",
				"Content-Type", "application/json", "x-auth-username", "apiuser", "x-auth-password", "Spaces&Places-2019",
				"x-client-id", e.v("ioffice").Env()["VENDORKIT_IOFFICE_CLIENT_ID"])
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.send()
			if desc := r.oauthErr(t, 400, "invalid_request"); !strings.Contains(desc, "query") {
				t.Errorf("description %q", desc)
			}
		})
	}
	if st := e.v("bss").Stats(); st.Rejected != 2 || st.TokenRequests["password"] != 2 {
		t.Errorf("bss stats %+v", st)
	}
}

// The docs' API call: Bearer, Accept: application/json, X-Api-Version.
func TestBSSResourcesCheckPlacementExactly(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	tok := e.bssToken()
	url1 := e.v("bss").BaseURL + "/api/accounts/1"
	for _, tc := range []struct {
		name    string
		headers []string
		status  int
		code    string
	}{
		{"as the docs", []string{"Accept", "application/json", "X-Api-Version", "latest", "Authorization", "Bearer " + tok}, 200, ""},
		{"lowercase scheme", []string{"Accept", "application/json", "X-Api-Version", "latest", "Authorization", "bearer " + tok}, 200, ""},
		{"Accept wildcard", []string{"Accept", "*/*", "X-Api-Version", "latest", "Authorization", "Bearer " + tok}, 200, ""},
		{"no token", []string{"Accept", "application/json", "X-Api-Version", "latest"}, 401, "invalid_token"},
		{"unknown token", []string{"Accept", "application/json", "X-Api-Version", "latest", "Authorization", "Bearer x" + tok}, 401, "invalid_token"},
		{"raw token, no scheme", []string{"Accept", "application/json", "X-Api-Version", "latest", "Authorization", tok}, 401, "invalid_token"},
		{"Basic instead of Bearer", []string{"Accept", "application/json", "X-Api-Version", "latest", "Authorization", docsBasic}, 401, "invalid_token"},
		{"no Accept", []string{"X-Api-Version", "latest", "Authorization", "Bearer " + tok}, 406, "not_acceptable"},
		{"Accept XML", []string{"Accept", "application/xml", "X-Api-Version", "latest", "Authorization", "Bearer " + tok}, 406, "not_acceptable"},
		{"Accept JSON q=0", []string{"Accept", "application/json;q=0, text/html", "X-Api-Version", "latest", "Authorization", "Bearer " + tok}, 406, "not_acceptable"},
		{"no X-Api-Version", []string{"Accept", "application/json", "Authorization", "Bearer " + tok}, 400, "invalid_request"},
		{"other X-Api-Version", []string{"Accept", "application/json", "X-Api-Version", "2", "Authorization", "Bearer " + tok}, 400, "invalid_request"},
		// A missing credential wins over a missing version: 401, not 400.
		{"neither token nor version", []string{"Accept", "application/json"}, 401, "invalid_token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", url1+"", "", tc.headers...)
			if tc.status == 200 {
				if r.status != 200 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				return
			}
			r.oauthErr(t, tc.status, tc.code)
			if tc.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("token in the query", func(t *testing.T) {
		r := e.do("GET", url1+"?access_token="+tok, "", "Accept", "application/json", "X-Api-Version", "latest")
		r.oauthErr(t, 401, "invalid_token")
	})
}

func TestBSSResources(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	tok := e.bssToken()

	r := e.bssGet("/api/accounts/1", tok)
	if r.status != 200 || r.header.Get("Content-Type") != jsonCT {
		t.Fatalf("account: %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if m := r.json(t); m["id"] != float64(1) || m["name"] == "" {
		t.Errorf("account %v", m)
	}

	r = e.bssGet("/api/accounts/1/syncoptions", tok)
	if r.status != 200 {
		t.Fatalf("syncoptions: %d %s", r.status, r.body)
	}
	var opts []map[string]any
	if err := json.Unmarshal(r.body, &opts); err != nil {
		t.Fatal(err)
	}
	// The benchmarks rely on "about a dozen options, about 1 KiB".
	if len(opts) < 10 || len(opts) > 14 || len(r.body) < 900 || len(r.body) > 1200 {
		t.Errorf("%d options, %d bytes: want about a dozen, about 1 KiB", len(opts), len(r.body))
	}
	code := opts[0]["systemCode"].(string)

	r = e.bssGet("/api/accounts/1/syncoptions/"+code, tok)
	if r.status != 200 || r.json(t)["systemCode"] != code {
		t.Errorf("option %s: %d %s", code, r.status, r.body)
	}
	e.bssGet("/api/accounts/2", tok).oauthErr(t, 404, "not_found")
	e.bssGet("/api/accounts/2/syncoptions", tok).oauthErr(t, 404, "not_found")
	e.bssGet("/api/accounts/1/syncoptions/NOPE", tok).oauthErr(t, 404, "not_found")
	desc := e.bssGet("/api/accounts/abc", tok).oauthErr(t, 400, "invalid_request")
	if !strings.Contains(desc, `parameter "accountId" in path has an error`) {
		t.Errorf("description %q: want kin-openapi's message", desc)
	}
}

func TestBSSTokenExpiresOnTheSandboxClock(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	tok := e.bssToken()
	e.clock.Advance(1799*time.Second - time.Millisecond)
	if r := e.bssGet("/api/accounts/1", tok); r.status != 200 {
		t.Fatalf("just before expiry: %d", r.status)
	}
	e.clock.Advance(time.Millisecond)
	e.bssGet("/api/accounts/1", tok).oauthErr(t, 401, "invalid_token")
}

func TestBSSConfiguredLifetimeAndAPIVersion(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.BSSOptions{TokenLifetime: time.Minute, APIVersion: "3.1"}}})
	r := e.bssTokenResult()
	if m := r.json(t); m["expires_in"] != float64(60) {
		t.Errorf("expires_in %v, want 60", m["expires_in"])
	}
	tok := r.json(t)["access_token"].(string)
	if r := e.do("GET", e.v("bss").BaseURL+"/api/accounts/1", "", "Accept", "application/json", "X-Api-Version", "3.1", "Authorization", "Bearer "+tok); r.status != 200 {
		t.Errorf("configured version: %d", r.status)
	}
	e.bssGet("/api/accounts/1", tok).oauthErr(t, 400, "invalid_request") // sends "latest"
}
