package specs_test

// Wire tests for the generated clients: each documented fact in
// ../shared/vendor-docs that a spec encodes is pinned here against a server
// that captures the raw request. They prove the specs, through oapi-codegen,
// produce the vendors' bytes; the vendor client packages add the pieces the
// specs cannot carry (Basic credentials, form field order, static headers).

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/internal/gen/blueprintfull"
	"github.com/vendorkit/vendorkit/internal/gen/bssfull"
	"github.com/vendorkit/vendorkit/internal/gen/decisivfull"
	"github.com/vendorkit/vendorkit/internal/gen/iofficefull"
	"github.com/vendorkit/vendorkit/specs/decisivxml"
)

// captured is one request as the server saw it.
type captured struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   string
}

// canned is the answer the capture server gives.
type canned struct {
	Status      int
	ContentType string
	Body        string
}

// captureServer records every request and answers with reply.
func captureServer(t *testing.T, reply canned) (*httptest.Server, func() []captured) {
	t.Helper()
	var mu sync.Mutex
	var got []captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, captured{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(b)})
		mu.Unlock()
		if reply.ContentType != "" {
			w.Header().Set("Content-Type", reply.ContentType)
		}
		status := reply.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		io.WriteString(w, reply.Body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []captured {
		mu.Lock()
		defer mu.Unlock()
		return append([]captured(nil), got...)
	}
}

func only(t *testing.T, reqs []captured) captured {
	t.Helper()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

func wantHeader(t *testing.T, h http.Header, name, want string) {
	t.Helper()
	if got := h.Values(name); len(got) != 1 || got[0] != want {
		t.Errorf("header %s = %q, want exactly [%q]", name, got, want)
	}
}

func noHeader(t *testing.T, h http.Header, name string) {
	t.Helper()
	if got := h.Values(name); len(got) != 0 {
		t.Errorf("header %s = %q, want none", name, got)
	}
}

var ctx = context.Background()

// The docs' example credentials (interworks-bss.txt).
const (
	bssKey      = "23230e67-6c95-4f83-a176-d969b95ee601"
	bssSecret   = "HCHlt6XPXxOveEx4QjECVB4ChgKiLJF65U7qy/xe46k="
	bssUser     = "testuser"
	bssPassword = "user123456!"
	// base64 of UTF-8 "key:secret", as the docs' C# computes it.
	bssBasic = "MjMyMzBlNjctNmM5NS00ZjgzLWExNzYtZDk2OWI5NWVlNjAxOkhDSGx0NlhQWHhPdmVFeDRRakVDVkI0Q2hnS2lMSkY2NVU3cXkveGU0Nms9"
)

// TestBSSBasicCredentialBytes pins how the docs build the Basic credential:
// base64 over the raw "key:secret" (C#: Convert.ToBase64String(
// Encoding.UTF8.GetBytes(key + ":" + secret))). Go's SetBasicAuth does the
// same; the RFC 6749 §2.3.1 form-encoding that golang.org/x/oauth2 applies
// would change the secret's "/" and "=" and produce different bytes.
func TestBSSBasicCredentialBytes(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPost, "http://x/oauth/token", nil)
	req.SetBasicAuth(bssKey, bssSecret)
	if got, want := req.Header.Get("Authorization"), "Basic "+bssBasic; got != want {
		t.Fatalf("Authorization = %q\nwant            %q", got, want)
	}
	formEncoded := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(bssKey) + ":" + url.QueryEscape(bssSecret)))
	if formEncoded == bssBasic {
		t.Fatal("form-encoding the docs' secret must change the credential; the test values lost their '/' or '='")
	}
	// The request the docs print under the C# example carries a credential for
	// other example values; its bytes are still base64 of raw "key:secret".
	const docsHeader = "NDJmZjVkYWQzYzI3NGM5N2EzYTdjM2Q0NGI2N2JiNDI6Y2xpZW50MTIzNDU2"
	raw, err := base64.StdEncoding.DecodeString(docsHeader)
	if err != nil || string(raw) != "42ff5dad3c274c97a3a7c3d44b67bb42:client123456" {
		t.Fatalf("docs' printed credential decodes to %q, %v", raw, err)
	}
	req.SetBasicAuth("42ff5dad3c274c97a3a7c3d44b67bb42", "client123456")
	if got := req.Header.Get("Authorization"); got != "Basic "+docsHeader {
		t.Fatalf("re-encoding the docs' printed credential gave %q", got)
	}
}

func TestBSSTokenRequestWire(t *testing.T) {
	srv, reqs := captureServer(t, canned{ContentType: "application/json;charset=UTF-8", Body: `{
    "access_token": "ydbP24rMOATt7TK3dBCjluD2F5LcLkoX8ud39X135x0a1LEvOgsPf0ekm4Lyu2a06Rv_Z105GRZT",
    "token_type": "bearer",
    "expires_in": 1799
}`})
	c, err := bssfull.NewClientWithResponses(srv.URL + "/bsssmapi")
	if err != nil {
		t.Fatal(err)
	}
	basic := func(_ context.Context, r *http.Request) error { r.SetBasicAuth(bssKey, bssSecret); return nil }
	resp, err := c.RequestTokenWithFormdataBodyWithResponse(ctx, bssfull.RequestTokenFormdataRequestBody{
		GrantType: bssfull.Password, Username: bssUser, Password: bssPassword,
	}, basic)
	if err != nil {
		t.Fatal(err)
	}
	r := only(t, reqs())
	if r.Method != http.MethodPost || r.Path != "/bsssmapi/oauth/token" || r.RawQuery != "" {
		t.Errorf("request line = %s %s?%s, want POST /bsssmapi/oauth/token", r.Method, r.Path, r.RawQuery)
	}
	wantHeader(t, r.Header, "Content-Type", "application/x-www-form-urlencoded")
	wantHeader(t, r.Header, "Authorization", "Basic "+bssBasic)
	form, err := url.ParseQuery(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"grant_type": {"password"}, "username": {"testuser"}, "password": {"user123456!"}}
	if form.Encode() != want.Encode() {
		t.Errorf("form = %q, want the fields of %q", r.Body, want.Encode())
	}
	for _, k := range []string{"client_id", "client_secret"} {
		if form.Has(k) {
			t.Errorf("form carries %s: BSS takes client credentials only as Basic", k)
		}
	}
	if !strings.Contains(r.Body, "password=user123456%21") {
		t.Errorf("form body %q: the docs' password must be sent form-encoded (! → %%21)", r.Body)
	}
	tok := resp.JSON200
	if tok == nil {
		t.Fatalf("JSON200 is nil for the docs' response (status %d, body %q)", resp.StatusCode(), resp.Body)
	}
	if tok.AccessToken != "ydbP24rMOATt7TK3dBCjluD2F5LcLkoX8ud39X135x0a1LEvOgsPf0ekm4Lyu2a06Rv_Z105GRZT" || tok.TokenType != "bearer" || tok.ExpiresIn != 1799 {
		t.Errorf("decoded %+v", *tok)
	}
}

func TestBSSTokenErrorDecodes(t *testing.T) {
	srv, _ := captureServer(t, canned{Status: 400, ContentType: "application/json;charset=UTF-8",
		Body: `{"error":"invalid_grant","error_description":"The user name or password is incorrect."}`})
	c, _ := bssfull.NewClientWithResponses(srv.URL)
	resp, err := c.RequestTokenWithFormdataBodyWithResponse(ctx, bssfull.RequestTokenFormdataRequestBody{GrantType: bssfull.Password, Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON400 == nil || resp.JSON400.Error != "invalid_grant" || resp.JSON400.ErrorDescription == nil {
		t.Fatalf("JSON400 = %+v", resp.JSON400)
	}
}

func TestBSSResourcePaths(t *testing.T) {
	srv, reqs := captureServer(t, canned{ContentType: "application/json", Body: `{"id":1,"name":"Acme"}`})
	c, _ := bssfull.NewClientWithResponses(srv.URL + "/bsssmapi/")
	if resp, err := c.GetAccountWithResponse(ctx, 1); err != nil || resp.JSON200 == nil || resp.JSON200.Id != 1 {
		t.Fatalf("GetAccount: %v %+v", err, resp)
	}
	// Only the request lines matter below: the raw calls skip decoding.
	for _, call := range []func() (*http.Response, error){
		func() (*http.Response, error) { return c.ListAccountSyncOptions(ctx, 1) },
		func() (*http.Response, error) { return c.GetAccountSyncOption(ctx, 1, "SAP B1/x") },
	} {
		resp, err := call()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	got := reqs()
	want := []string{
		"GET /bsssmapi/api/accounts/1",
		"GET /bsssmapi/api/accounts/1/syncoptions",
		"GET /bsssmapi/api/accounts/1/syncoptions/SAP B1/x", // decoded form of the escaped segment below
	}
	if len(got) != len(want) {
		t.Fatalf("saw %d requests, want %d", len(got), len(want))
	}
	for i, w := range want {
		if g := got[i].Method + " " + got[i].Path; g != w {
			t.Errorf("request %d = %q, want %q", i, g, w)
		}
	}
}

// The spec says every BSS resource needs Bearer AND X-Api-Version (one
// security requirement with both schemes), and the docs' value is "latest".
func TestBSSResourceSecurityRequirement(t *testing.T) {
	doc, err := loadSpec("bss")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/api/accounts/{accountId}", "/api/accounts/{accountId}/syncoptions", "/api/accounts/{accountId}/syncoptions/{systemCode}"} {
		op := doc.Paths.Find(p).Get
		sec := doc.Security
		if op.Security != nil {
			sec = *op.Security
		}
		if len(sec) != 1 || sec[0]["bearerAuth"] == nil || sec[0]["apiVersion"] == nil {
			t.Errorf("%s: security = %v, want one requirement with bearerAuth and apiVersion", p, sec)
		}
	}
	s := doc.Components.SecuritySchemes["apiVersion"].Value
	if s.Type != "apiKey" || s.In != "header" || s.Name != "X-Api-Version" || !strings.Contains(s.Description, "`latest`") {
		t.Errorf("apiVersion scheme = %+v", s)
	}
	tok := doc.Paths.Find("/oauth/token").Post
	if tok.Security == nil || len(*tok.Security) != 1 || (*tok.Security)[0]["clientBasic"] == nil {
		t.Errorf("token endpoint security = %v, want clientBasic only", tok.Security)
	}
	if b := doc.Components.SecuritySchemes["clientBasic"].Value; b.Type != "http" || b.Scheme != "basic" {
		t.Errorf("clientBasic = %+v", b)
	}
	if ei := doc.Components.Schemas["TokenResponse"].Value.Properties["expires_in"].Value; !strings.Contains(ei.Description, "SECONDS") {
		t.Errorf("expires_in unit not stated: %q", ei.Description)
	}
}

func TestBlueprintLoginWire(t *testing.T) {
	// The docs' response, verbatim.
	srv, reqs := captureServer(t, canned{ContentType: "application/json;charset=UTF-8", Body: `{
    "access_token":"imSXTs2OqSrGWzsFQhIXziFCO3rF...",
    "token_type":"bearer",
    "expires_in":1209599,
    "id":"c8dcd36f-8f07-5e20-a8cd-8b72051bc374",
    "userName":"username",
    "firstName":"First",
    "lastName":"Last",
    ".issued":"Wed, 01 Oct 2014 01:22:33 GMT",
    ".expires":"Wed, 15 Oct 2014 01:22:33 GMT"
}`})
	c, _ := blueprintfull.NewClientWithResponses(srv.URL)
	resp, err := c.LoginWithFormdataBodyWithResponse(ctx, blueprintfull.LoginFormdataRequestBody{
		GrantType: blueprintfull.Password, Username: "username", Password: "password",
	})
	if err != nil {
		t.Fatal(err)
	}
	r := only(t, reqs())
	if r.Method != http.MethodPost || r.Path != "/account/login" {
		t.Errorf("request line = %s %s", r.Method, r.Path)
	}
	noHeader(t, r.Header, "Authorization") // no client authentication
	if f, _ := url.ParseQuery(r.Body); f.Get("grant_type") != "password" || f.Get("username") != "username" || f.Get("password") != "password" || len(f) != 3 {
		t.Errorf("form = %q", r.Body)
	}
	if len(r.Body) != 55 {
		t.Errorf("body is %d bytes; the docs' is 55 (Content-Length: 55)", len(r.Body))
	}
	tok := resp.JSON200
	if tok == nil {
		t.Fatalf("JSON200 nil: %d %q", resp.StatusCode(), resp.Body)
	}
	if tok.Id != "c8dcd36f-8f07-5e20-a8cd-8b72051bc374" || tok.UserName != "username" || *tok.FirstName != "First" || *tok.LastName != "Last" || tok.ExpiresIn != 1209599 {
		t.Errorf("decoded %+v", *tok)
	}
	issued, err1 := time.Parse(time.RFC1123, tok.Issued)
	expires, err2 := time.Parse(time.RFC1123, tok.Expires)
	if err1 != nil || err2 != nil {
		t.Fatalf(".issued %q / .expires %q do not parse as RFC 1123: %v %v", tok.Issued, tok.Expires, err1, err2)
	}
	if !issued.Equal(time.Date(2014, 10, 1, 1, 22, 33, 0, time.UTC)) || expires.Sub(issued) != 14*24*time.Hour {
		t.Errorf(".issued %v .expires %v", issued, expires)
	}
	// expires_in is one second short of .expires - .issued (1209599 s).
	if d := expires.Sub(issued) - time.Duration(tok.ExpiresIn)*time.Second; d != time.Second {
		t.Errorf("expires_in vs dates differ by %v, want 1s as in the docs", d)
	}
}

func TestBlueprintPagesWire(t *testing.T) {
	srv, reqs := captureServer(t, canned{Status: 401, ContentType: "application/json",
		Body: `{"Message":"Authorization has been denied for this request."}`})
	c, _ := blueprintfull.NewClientWithResponses(srv.URL)
	resp, err := c.ListPagesWithResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r := only(t, reqs()); r.Method != http.MethodGet || r.Path != "/pages" {
		t.Errorf("request line = %s %s", r.Method, r.Path)
	}
	if resp.StatusCode() != 401 || resp.JSON401 == nil || resp.JSON401.Message == nil {
		t.Errorf("401 not decoded: %d %+v", resp.StatusCode(), resp.JSON401)
	}
}

// The docs' XML response, verbatim.
const decisivDocsXML = `<?xml version="1.0" encoding="UTF-8"?>
<AuthorizationResponse xmlns="http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:schemaLocation="http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse">
    <token>NmIzMDI1NGUtYTVhMC0xMWU1LWJjODAtNDA2YzhmNGQ1ZmUwCg==</token>
    <type>Bearer</type>
</AuthorizationResponse>`

func TestDecisivTokenWire(t *testing.T) {
	srv, reqs := captureServer(t, canned{ContentType: "application/xml", Body: decisivDocsXML})
	c, _ := decisivfull.NewClientWithResponses(srv.URL)
	accept := func(_ context.Context, r *http.Request) error {
		r.SetBasicAuth("consumer_key", "consumer_secret")
		r.Header.Set("Accept", "application/xml")
		return nil
	}
	resp, err := c.RequestTokenWithFormdataBodyWithResponse(ctx, decisivfull.RequestTokenFormdataRequestBody{GrantType: decisivfull.ClientCredentials}, accept)
	if err != nil {
		t.Fatal(err)
	}
	r := only(t, reqs())
	if r.Method != http.MethodPost || r.Path != "/platform_api/oauth2/token" {
		t.Errorf("request line = %s %s", r.Method, r.Path)
	}
	if r.Body != "grant_type=client_credentials" {
		t.Errorf("body = %q", r.Body)
	}
	// curl -u consumer_key:consumer_secret
	wantHeader(t, r.Header, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("consumer_key:consumer_secret")))
	if resp.XML200 == nil {
		t.Fatalf("XML200 nil: the docs' XML did not decode (status %d)", resp.StatusCode())
	}
	if resp.XML200.Token != "NmIzMDI1NGUtYTVhMC0xMWU1LWJjODAtNDA2YzhmNGQ1ZmUwCg==" || resp.XML200.Type != "Bearer" {
		t.Errorf("decoded %+v", *resp.XML200)
	}
	if resp.XML200.XMLName.Space != decisivxml.Namespace {
		t.Errorf("namespace = %q", resp.XML200.XMLName.Space)
	}
}

// A document that is not Decisiv's AuthorizationResponse must fail to decode,
// not decode to an empty token (the oapi-codegen #486 trap).
func TestDecisivXMLRejectsOtherDocuments(t *testing.T) {
	cases := map[string]string{
		"no namespace":    `<AuthorizationResponse><token>t</token><type>Bearer</type></AuthorizationResponse>`,
		"other namespace": `<AuthorizationResponse xmlns="http://example.com/x"><token>t</token><type>Bearer</type></AuthorizationResponse>`,
		"other root":      `<Error xmlns="http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse"><token>t</token></Error>`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			srv, _ := captureServer(t, canned{ContentType: "application/xml", Body: body})
			c, _ := decisivfull.NewClientWithResponses(srv.URL)
			resp, err := c.RequestTokenWithFormdataBodyWithResponse(ctx, decisivfull.RequestTokenFormdataRequestBody{GrantType: decisivfull.ClientCredentials})
			if err == nil && resp.XML200 != nil {
				t.Fatalf("decoded %+v from a foreign document", *resp.XML200)
			}
		})
	}
	// And the compact form of the right document decodes.
	var v decisivxml.AuthorizationResponse
	compact := `<AuthorizationResponse xmlns="` + decisivxml.Namespace + `"><token>abc</token><type>Bearer</type></AuthorizationResponse>`
	if err := xml.Unmarshal([]byte(compact), &v); err != nil || v.Token != "abc" {
		t.Fatalf("compact XML: %v %+v", err, v)
	}
}

func TestDecisivBearerTestStatuses(t *testing.T) {
	for _, status := range []int{200, 401, 403} {
		srv, reqs := captureServer(t, canned{Status: status})
		c, _ := decisivfull.NewClientWithResponses(srv.URL)
		resp, err := c.BearerTestWithResponse(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r := only(t, reqs()); r.Method != http.MethodGet || r.Path != "/platform_api/bearer_test" {
			t.Errorf("request line = %s %s", r.Method, r.Path)
		}
		if resp.StatusCode() != status {
			t.Errorf("status %d, want %d", resp.StatusCode(), status)
		}
	}
	doc, err := loadSpec("decisiv")
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []int{401, 403} {
		if doc.Paths.Find("/platform_api/bearer_test").Get.Responses.Status(code) == nil {
			t.Errorf("bearer_test lacks the documented %d", code)
		}
	}
}

func TestIOfficeAuthCodeWire(t *testing.T) {
	srv, reqs := captureServer(t, canned{ContentType: "application/json", Body: `{"code":"c0de"}`})
	c, _ := iofficefull.NewClientWithResponses(srv.URL)
	resp, err := c.RequestAuthCodeWithResponse(ctx, &iofficefull.RequestAuthCodeParams{
		XAuthUsername: "jane", XAuthPassword: "s3cret!", XClientId: "client-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	r := only(t, reqs())
	if r.Method != http.MethodPost || r.Path != "/external/api/oauth2/auth" || r.Body != "" {
		t.Errorf("request = %s %s body %q", r.Method, r.Path, r.Body)
	}
	wantHeader(t, r.Header, "X-Auth-Username", "jane")
	wantHeader(t, r.Header, "X-Auth-Password", "s3cret!")
	wantHeader(t, r.Header, "X-Client-Id", "client-1")
	if resp.JSON200 == nil || resp.JSON200.Code != "c0de" {
		t.Errorf("code not decoded: %+v", resp.JSON200)
	}
}

func TestIOfficeTokenWire(t *testing.T) {
	body := `{"token_type":"Bearer","access_token":"at","expires_in":3000,"refresh_token":"rt2"}`
	code, refresh := "c0de", "rt1"
	cases := []struct {
		name   string
		params iofficefull.RequestTokenParams
		want   map[string]string
	}{
		{"authorization_code", iofficefull.RequestTokenParams{XGrantType: iofficefull.AuthorizationCode, XRedirectUri: "https://app.example.com/cb", XClientId: "client-1", XScope: "email", XAuthCode: &code},
			map[string]string{"X-Grant-Type": "authorization_code", "X-Redirect-Uri": "https://app.example.com/cb", "X-Client-Id": "client-1", "X-Scope": "email", "X-Auth-Code": "c0de"}},
		{"refresh_token", iofficefull.RequestTokenParams{XGrantType: iofficefull.RefreshToken, XRedirectUri: "https://app.example.com/cb", XClientId: "client-1", XScope: "email", XRefreshToken: &refresh},
			map[string]string{"X-Grant-Type": "refresh_token", "X-Redirect-Uri": "https://app.example.com/cb", "X-Client-Id": "client-1", "X-Scope": "email", "X-Refresh-Token": "rt1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, reqs := captureServer(t, canned{ContentType: "application/json", Body: body})
			c, _ := iofficefull.NewClientWithResponses(srv.URL)
			resp, err := c.RequestTokenWithResponse(ctx, &tc.params)
			if err != nil {
				t.Fatal(err)
			}
			r := only(t, reqs())
			if r.Method != http.MethodPost || r.Path != "/external/api/oauth2/token" {
				t.Errorf("request line = %s %s", r.Method, r.Path)
			}
			for k, v := range tc.want {
				wantHeader(t, r.Header, k, v)
			}
			tok := resp.JSON200
			if tok == nil || tok.AccessToken != "at" || tok.RefreshToken != "rt2" || tok.ExpiresIn != 3000 {
				t.Fatalf("decoded %+v", tok)
			}
		})
	}
	doc, err := loadSpec("ioffice")
	if err != nil {
		t.Fatal(err)
	}
	if d := doc.Components.Schemas["TokenResponse"].Value.Properties["expires_in"].Value.Description; !strings.Contains(d, "MILLISECONDS") {
		t.Errorf("expires_in unit not stated as milliseconds: %q", d)
	}
}

// oapi-codegen trap: nil params silently drop every required header. The
// client packages must never pass nil; this test documents why.
func TestIOfficeNilParamsDropHeaders(t *testing.T) {
	srv, reqs := captureServer(t, canned{ContentType: "application/json", Body: `{}`})
	c, _ := iofficefull.NewClientWithResponses(srv.URL)
	if _, err := c.RequestTokenWithResponse(ctx, nil); err != nil {
		t.Fatal(err)
	}
	r := only(t, reqs())
	for _, h := range []string{"X-Grant-Type", "X-Client-Id", "X-Redirect-Uri", "X-Scope"} {
		if r.Header.Get(h) != "" {
			t.Fatalf("%s sent with nil params; the trap this test documents is gone, revisit the client guard", h)
		}
	}
}

func TestIOfficeRevokeAndResourceWire(t *testing.T) {
	srv, reqs := captureServer(t, canned{ContentType: "application/json", Body: `{"id":7,"name":"Jane"}`})
	c, _ := iofficefull.NewClientWithResponses(srv.URL)
	if _, err := c.RevokeTokenWithResponse(ctx, &iofficefull.RevokeTokenParams{XToken: "at"}); err != nil {
		t.Fatal(err)
	}
	resp, err := c.GetCurrentUserWithResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := reqs()
	if len(got) != 2 {
		t.Fatalf("saw %d requests", len(got))
	}
	if got[0].Method != http.MethodPost || got[0].Path != "/external/api/oauth2/revoke" {
		t.Errorf("revoke = %s %s", got[0].Method, got[0].Path)
	}
	wantHeader(t, got[0].Header, "X-Token", "at")
	if got[1].Method != http.MethodGet || got[1].Path != "/external/api/rest/v2/users/me" {
		t.Errorf("users/me = %s %s", got[1].Method, got[1].Path)
	}
	if resp.JSON200 == nil || resp.JSON200.Id != 7 {
		t.Errorf("user not decoded: %+v", resp.JSON200)
	}
	doc, err := loadSpec("ioffice")
	if err != nil {
		t.Fatal(err)
	}
	h, q := doc.Components.SecuritySchemes["accessTokenHeader"].Value, doc.Components.SecuritySchemes["accessTokenQuery"].Value
	if h.In != "header" || h.Name != "x-access-token" || q.In != "query" || q.Name != "access_token" {
		t.Errorf("placements: header %s/%s, query %s/%s", h.In, h.Name, q.In, q.Name)
	}
	if len(doc.Security) != 2 {
		t.Errorf("resources must accept either placement; security = %v", doc.Security)
	}
}

func TestIOfficeLoginPageURL(t *testing.T) {
	srv, reqs := captureServer(t, canned{ContentType: "text/html", Body: "<html></html>"})
	c, _ := iofficefull.NewClientWithResponses(srv.URL)
	_, err := c.LoginPageWithResponse(ctx, &iofficefull.LoginPageParams{
		ResponseType: iofficefull.Code, ClientId: "client-1", RedirectUri: "https://app.example.com/cb", Scope: "email", State: "xyz",
	})
	if err != nil {
		t.Fatal(err)
	}
	r := only(t, reqs())
	q, _ := url.ParseQuery(r.RawQuery)
	want := url.Values{"response_type": {"code"}, "client_id": {"client-1"}, "redirect_uri": {"https://app.example.com/cb"}, "scope": {"email"}, "state": {"xyz"}}
	if r.Path != "/login.html" || q.Encode() != want.Encode() {
		t.Errorf("GET %s?%s, want /login.html?%s", r.Path, r.RawQuery, want.Encode())
	}
}
