package sandbox_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/vendorkit/vendorkit/sandbox"
	"github.com/vendorkit/vendorkit/specs"
)

// specRouter builds, independently of the sandbox, a path-only router for
// a vendor's spec.
func specRouter(t *testing.T, vendor, prefix string) routers.Router {
	t.Helper()
	doc, err := specs.Load(vendor)
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = nil
	if prefix != "" {
		doc.Servers = openapi3.Servers{{URL: prefix}}
	}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A request the spec forbids gets 400 whose description is exactly what
// openapi3filter says about it.
func TestValidationErrorCarriesKinsMessage(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	router := specRouter(t, "bss", "/bsssmapi")
	for _, tc := range []struct{ name, body, ct string }{
		{"grant not in the enum", "grant_type=client_credentials&username=testuser&password=x", formURLEnc},
		{"missing password", "grant_type=password&username=testuser", formURLEnc},
		{"JSON body", `{"grant_type":"password"}`, "application/json"},
		{"empty body", "", formURLEnc},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", e.v("bss").BaseURL+"/oauth/token", tc.body, "Content-Type", tc.ct, "Authorization", docsBasic)
			got := r.oauthErr(t, 400, "invalid_request")

			var body io.Reader = http.NoBody
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req := httptest.NewRequest("POST", "/bsssmapi/oauth/token", body)
			req.Header.Set("Content-Type", tc.ct)
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatal(err)
			}
			want := openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
				Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
			})
			if want == nil {
				t.Fatal("kin accepts the request: the test is wrong")
			}
			if got != want.Error() {
				t.Errorf("description %q\nwant kin's %q", got, want.Error())
			}
		})
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	e.do("GET", e.v("bss").BaseURL+"/api/nothing", "").oauthErr(t, 404, "invalid_request")
	e.do("GET", strings.TrimSuffix(e.v("bss").BaseURL, "/bsssmapi")+"/oauth/token", "").oauthErr(t, 404, "invalid_request") // no prefix
	e.do("GET", e.v("bss").BaseURL+"/oauth/token", "").oauthErr(t, 405, "invalid_request")
	if r := e.do("DELETE", e.v("decisiv").BaseURL+"/platform_api/bearer_test", ""); r.status != 405 {
		t.Errorf("decisiv DELETE: %d", r.status)
	}
}

// Every answer the sandbox gives, success or documented error, passes
// kin's response validation against the spec, Decisiv's XML included
// (which needs the XML body decoder the sandbox registers).
func TestResponsesMatchTheSpecs(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.DecisivOptions{BearerRefusedPaths: []string{"/nowhere"}}}})
	bss, bp, dec := e.bssToken(), e.blueprintToken(), e.decisivToken()
	ioTok, _ := e.iofficeTokens()
	ioEnv := e.v("ioffice").Env()
	type call struct {
		vendor, method, path, body string
		headers                    []string
		status                     int
	}
	bssH := func(tok string) []string {
		return []string{"Accept", "application/json", "X-Api-Version", "latest", "Authorization", "Bearer " + tok}
	}
	calls := []call{
		{"bss", "POST", "/oauth/token", docsBSSBody, []string{"Content-Type", formURLEnc, "Authorization", docsBasic}, 200},
		{"bss", "POST", "/oauth/token", "grant_type=password&username=testuser&password=x", []string{"Content-Type", formURLEnc, "Authorization", docsBasic}, 400},
		{"bss", "POST", "/oauth/token", docsBSSBody, []string{"Content-Type", formURLEnc}, 401},
		{"bss", "GET", "/api/accounts/1", "", bssH(bss), 200},
		{"bss", "GET", "/api/accounts/1/syncoptions", "", bssH(bss), 200},
		{"bss", "GET", "/api/accounts/1/syncoptions/MSCSP", "", bssH(bss), 200},
		{"bss", "GET", "/api/accounts/1", "", bssH("nope"), 401},
		{"bss", "GET", "/api/accounts/7", "", bssH(bss), 404},
		{"blueprint", "POST", "/account/login", blueprintDoc, []string{"Content-Type", blueprintCT}, 200},
		{"blueprint", "POST", "/account/login", "grant_type=password&username=username&password=x", []string{"Content-Type", blueprintCT}, 400},
		{"blueprint", "GET", "/pages", "", []string{"Authorization", "Bearer " + bp}, 200},
		{"blueprint", "GET", "/pages", "", nil, 401},
		{"decisiv", "POST", "/platform_api/oauth2/token", "grant_type=client_credentials", []string{"Content-Type", formURLEnc, "Accept", "application/xml", "Authorization", e.decisivBasic()}, 200},
		{"decisiv", "POST", "/platform_api/oauth2/token", "grant_type=client_credentials", []string{"Content-Type", formURLEnc}, 401},
		{"decisiv", "GET", "/platform_api/bearer_test", "", []string{"Authorization", "Bearer " + dec}, 200},
		{"decisiv", "GET", "/platform_api/bearer_test", "", []string{"Authorization", "Bearer nope"}, 401},
		{"ioffice", "GET", "/login.html?" + e.iofficeLoginParams().Encode(), "", nil, 200},
		{"ioffice", "POST", "/external/api/oauth2/auth", "", []string{"Content-Type", "application/json", "x-auth-username", ioEnv["VENDORKIT_IOFFICE_USERNAME"], "x-auth-password", ioEnv["VENDORKIT_IOFFICE_PASSWORD"], "x-client-id", ioEnv["VENDORKIT_IOFFICE_CLIENT_ID"]}, 200},
		{"ioffice", "POST", "/external/api/oauth2/auth", "", []string{"Content-Type", "application/json", "x-auth-username", "x", "x-auth-password", "y", "x-client-id", ioEnv["VENDORKIT_IOFFICE_CLIENT_ID"]}, 401},
		{"ioffice", "POST", "/external/api/oauth2/token", "", []string{"Content-Type", "application/json", "x-grant-type", "authorization_code", "x-redirect-uri", ioEnv["VENDORKIT_IOFFICE_REDIRECT_URI"], "x-client-id", ioEnv["VENDORKIT_IOFFICE_CLIENT_ID"], "x-scope", "email", "x-auth-code", e.iofficeCode()}, 200},
		{"ioffice", "POST", "/external/api/oauth2/token", "", []string{"Content-Type", "application/json", "x-grant-type", "authorization_code", "x-redirect-uri", ioEnv["VENDORKIT_IOFFICE_REDIRECT_URI"], "x-client-id", ioEnv["VENDORKIT_IOFFICE_CLIENT_ID"], "x-scope", "email", "x-auth-code", "used"}, 400},
		{"ioffice", "POST", "/external/api/oauth2/revoke", "", []string{"x-token", "whatever"}, 200},
		{"ioffice", "GET", "/external/api/rest/v2/users/me", "", []string{"x-access-token", ioTok}, 200},
		{"ioffice", "GET", "/external/api/rest/v2/users/me", "", nil, 401},
	}
	routers := map[string]routers.Router{}
	for _, v := range e.s.Vendors() {
		u, _ := url.Parse(v.BaseURL)
		routers[v.Name] = specRouter(t, v.Name, u.Path)
	}
	for _, c := range calls {
		t.Run(c.vendor+" "+c.method+" "+c.path, func(t *testing.T) {
			base := e.v(c.vendor).BaseURL
			r := e.do(c.method, base+c.path, c.body, c.headers...)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			u, _ := url.Parse(base + c.path)
			req := httptest.NewRequest(c.method, u.RequestURI(), nil)
			route, params, err := routers[c.vendor].FindRoute(req)
			if err != nil {
				t.Fatal(err)
			}
			err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
				Status:                 r.status,
				Header:                 r.header,
				Body:                   io.NopCloser(bytes.NewReader(r.body)),
				Options:                &openapi3filter.Options{IncludeResponseStatus: true},
			})
			if err != nil {
				t.Errorf("response does not match the spec: %v\n%s", err, r.body)
			}
		})
	}
}

// The XML decoder checks the root element and namespace the schema names,
// so response validation catches a Decisiv answer in the wrong namespace.
func TestXMLDecoderChecksTheNamespace(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{}) // registers the decoder
	r := e.decisivTokenResult()
	router := specRouter(t, "decisiv", "")
	req := httptest.NewRequest("POST", "/platform_api/oauth2/token", nil)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	validate := func(body string) error {
		return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 200,
			Header:                 http.Header{"Content-Type": {"application/xml"}},
			Body:                   io.NopCloser(strings.NewReader(body)),
			Options:                &openapi3filter.Options{},
		})
	}
	if err := validate(string(r.body)); err != nil {
		t.Fatalf("the sandbox's own document: %v", err)
	}
	for name, body := range map[string]string{
		"other namespace": strings.Replace(string(r.body), `xmlns="`+decisivNS+`"`, `xmlns="urn:other"`, 1),
		"no namespace":    strings.Replace(string(r.body), `xmlns="`+decisivNS+`"`, ``, 1),
		"other root":      strings.ReplaceAll(string(r.body), "AuthorizationResponse", "Other"),
		"no token":        `<AuthorizationResponse xmlns="` + decisivNS + `"><type>Bearer</type></AuthorizationResponse>`,
		"not XML":         `{"token":"x","type":"Bearer"}`,
	} {
		if err := validate(body); err == nil {
			t.Errorf("%s: validated", name)
		}
	}
}
