package sandbox_test

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/sandbox"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// The docs' request (form, charset=UTF-8, no client auth) and response.
func TestBlueprintLoginAnswersAsTheDocsShow(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	r := e.blueprintLogin()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != jsonCT {
		t.Errorf("Content-Type %q, want %q", ct, jsonCT)
	}
	m := r.json(t)
	want := []string{".expires", ".issued", "access_token", "expires_in", "firstName", "id", "lastName", "token_type", "userName"}
	if keys := slices.Sorted(maps.Keys(m)); !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	for k, v := range map[string]any{
		"token_type": "bearer", "expires_in": float64(1209599),
		"id": "c8dcd36f-8f07-5e20-a8cd-8b72051bc374", "userName": "username",
		"firstName": "First", "lastName": "Last",
		// The fake clock starts at the docs' issue time; RFC 1123 in GMT,
		// exactly the docs' format.
		".issued":  "Wed, 01 Oct 2014 01:22:33 GMT",
		".expires": "Wed, 15 Oct 2014 01:22:32 GMT",
	} {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	issued, err := time.Parse(time.RFC1123, m[".issued"].(string))
	if err != nil {
		t.Fatal(err)
	}
	expires, err := time.Parse(time.RFC1123, m[".expires"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if !issued.Equal(e.clock.Now()) {
		t.Errorf(".issued %v, want the sandbox clock %v", issued, e.clock.Now())
	}
	if d := expires.Sub(issued); d != 1209599*time.Second {
		t.Errorf(".expires - .issued = %v, want expires_in", d)
	}
}

// The docs' literal request, with the docs' literal credentials.
func TestBlueprintDocsCredentialsWhenConfigured(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.BlueprintOptions{Password: "password"}}})
	r := e.do("POST", e.v("blueprint").BaseURL+"/account/login", "grant_type=password&username=username&password=password",
		"Content-Type", blueprintCT)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
}

// A password with "&" must arrive form-encoded; sent raw it is cut short.
func TestBlueprintPasswordMustBeFormEncoded(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	r := e.do("POST", e.v("blueprint").BaseURL+"/account/login", "grant_type=password&username=username&password=Qu0te&Config-2014",
		"Content-Type", blueprintCT)
	r.oauthErr(t, 400, "invalid_grant")
}

func TestBlueprintLoginAcceptsFormWithoutCharset(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	r := e.do("POST", e.v("blueprint").BaseURL+"/account/login", blueprintDoc, "Content-Type", formURLEnc)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
}

func TestBlueprintLoginRejections(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	u := e.v("blueprint").BaseURL + "/account/login"
	e.do("POST", u, "grant_type=password&username=username&password=nope", "Content-Type", blueprintCT).
		oauthErr(t, 400, "invalid_grant")
	// "The grant type will always be 'password'": anything else breaks the spec.
	e.do("POST", u, "grant_type=client_credentials&username=username&password=password", "Content-Type", blueprintCT).
		oauthErr(t, 400, "invalid_request")
	e.do("POST", u, `{"grant_type":"password","username":"username","password":"password"}`, "Content-Type", "application/json").
		oauthErr(t, 400, "invalid_request")
}

func TestBlueprintPagesNeedsABearerToken(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	tok := e.blueprintToken()
	r := e.blueprintPages(tok)
	if r.status != 200 {
		t.Fatalf("valid token: %d %s", r.status, r.body)
	}
	var pages []map[string]any
	if err := json.Unmarshal(r.body, &pages); err != nil || len(pages) == 0 {
		t.Errorf("pages %s: %v", r.body, err)
	}
	for name, h := range map[string][]string{
		"no header":     nil,
		"invalid token": {"Authorization", "Bearer imSXTs2OqSrGWzsFQhIXziFCO3rF..."},
		"raw token":     {"Authorization", tok},
	} {
		r := e.do("GET", e.v("blueprint").BaseURL+"/pages", "", h...)
		if r.status != 401 || r.header.Get("Content-Type") != jsonCT {
			t.Errorf("%s: %d %q, want 401 JSON", name, r.status, r.header.Get("Content-Type"))
			continue
		}
		if m := r.json(t); m["Message"] != "Authorization has been denied for this request." || len(m) != 1 {
			t.Errorf("%s: body %s", name, r.body)
		}
	}
}

func TestBlueprintTokenExpires(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	tok := e.blueprintToken()
	e.clock.Advance(1209599 * time.Second)
	if r := e.blueprintPages(tok); r.status != 401 {
		t.Errorf("after expires_in: %d, want 401", r.status)
	}
}
