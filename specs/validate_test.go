package specs_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/vendorkit/vendorkit/specs"
)

func TestRouterStripsThePrefix(t *testing.T) {
	r, err := specs.NewRouter("bss", "/bsssmapi/")
	if err != nil {
		t.Fatal(err)
	}
	if r.Prefix() != "/bsssmapi" || r.Vendor() != "bss" {
		t.Errorf("prefix %q vendor %q", r.Prefix(), r.Vendor())
	}
	for _, tc := range []struct {
		method, url string
		wantOp      string
		wantParams  map[string]string
		wantErr     error
	}{
		// A client sees the full URL, a server only the path: both route.
		{"POST", "http://127.0.0.1:8080/bsssmapi/oauth/token", "requestToken", nil, nil},
		{"POST", "/bsssmapi/oauth/token", "requestToken", nil, nil},
		{"GET", "https://my.interworkscloud.com/bsssmapi/api/accounts/7?x=1", "getAccount", map[string]string{"accountId": "7"}, nil},
		{"GET", "/bsssmapi/api/accounts/1/syncoptions/MSCSP", "getAccountSyncOption", map[string]string{"accountId": "1", "systemCode": "MSCSP"}, nil},
		{"POST", "/oauth/token", "", nil, routers.ErrPathNotFound},             // no prefix
		{"POST", "/bsssmapiX/oauth/token", "", nil, routers.ErrPathNotFound},   // prefix must end at a segment
		{"GET", "/bsssmapi", "", nil, routers.ErrPathNotFound},                 // the prefix alone
		{"GET", "/bsssmapi/api/nothing", "", nil, routers.ErrPathNotFound},     // not in the spec
		{"GET", "/bsssmapi/oauth/token", "", nil, routers.ErrMethodNotAllowed}, // wrong method
	} {
		req := httptest.NewRequest(tc.method, tc.url, nil)
		before := req.URL.String()
		route, params, err := r.FindRoute(req)
		if req.URL.String() != before {
			t.Errorf("%s %s: request URL changed to %s", tc.method, tc.url, req.URL)
		}
		if tc.wantErr != nil {
			if !errors.Is(err, tc.wantErr) || err.Error() != tc.wantErr.Error() {
				t.Errorf("%s %s: err %v, want %v", tc.method, tc.url, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", tc.method, tc.url, err)
			continue
		}
		if route.Operation.OperationID != tc.wantOp {
			t.Errorf("%s %s: operation %s, want %s", tc.method, tc.url, route.Operation.OperationID, tc.wantOp)
		}
		for k, v := range tc.wantParams {
			if params[k] != v {
				t.Errorf("%s %s: param %s=%q, want %q", tc.method, tc.url, k, params[k], v)
			}
		}
	}
}

func TestRouterWithoutPrefix(t *testing.T) {
	r, err := specs.NewRouter("ioffice", "")
	if err != nil {
		t.Fatal(err)
	}
	route, _, err := r.FindRoute(httptest.NewRequest("POST", "https://example.iofficeconnect.com/external/api/oauth2/token", nil))
	if err != nil || route.Operation.OperationID != "requestToken" {
		t.Fatalf("route %v, err %v", route, err)
	}
	if got, want := specs.RouteLabel(route), "POST /external/api/oauth2/token (requestToken)"; got != want {
		t.Errorf("RouteLabel = %q, want %q", got, want)
	}
	if got, want := r.Label("getCurrentUser"), "GET /external/api/rest/v2/users/me (getCurrentUser)"; got != want {
		t.Errorf("Label = %q, want %q", got, want)
	}
	if r.Label("nope") != "" || specs.RouteLabel(nil) != "" {
		t.Error("unknown operations have no label")
	}
	if _, err := specs.NewRouter("nope", ""); err == nil {
		t.Error("NewRouter(nope): no error")
	}
}

func TestPathPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:1/bsssmapi":      "/bsssmapi",
		"https://h.example/bsssmapi/":      "/bsssmapi",
		"https://h.example":                "",
		"https://h.example/":               "",
		"http://api.staging.decisiv.net/x": "/x",
	} {
		if got, err := specs.PathPrefix(in); err != nil || got != want {
			t.Errorf("PathPrefix(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := specs.PathPrefix("http://h\x7f/"); err == nil {
		t.Error("bad URL: no error")
	}
}

const decisivNS = "http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse"

// The docs' document, pretty-printed with the xsi attributes.
const docsXML = `<?xml version="1.0" encoding="UTF-8"?>
<AuthorizationResponse xmlns="` + decisivNS + `"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:schemaLocation="` + decisivNS + `">
    <token>NmIzMDI1NGUtYTVhMC0xMWU1LWJjODAtNDA2YzhmNGQ1ZmUwCg==</token>
    <type>Bearer</type>
</AuthorizationResponse>
`

// With the decoders registered, kin validates Decisiv's XML token response
// against its schema: root element, namespace and required children.
func TestXMLBodyDecoderValidatesDecisivTokens(t *testing.T) {
	specs.RegisterBodyDecoders()
	specs.RegisterBodyDecoders() // idempotent
	r, err := specs.NewRouter("decisiv", "")
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/platform_api/oauth2/token", nil)
	route, params, err := r.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	validate := func(ct, body string) error {
		return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 200,
			Header:                 http.Header{"Content-Type": {ct}},
			Body:                   io.NopCloser(strings.NewReader(body)),
			Options:                &openapi3filter.Options{IncludeResponseStatus: true},
		})
	}
	compact := `<AuthorizationResponse xmlns="` + decisivNS + `"><token>abc</token><type>Bearer</type></AuthorizationResponse>`
	for name, body := range map[string]string{"docs": docsXML, "compact": compact} {
		if err := validate("application/xml", body); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := validate("application/xml; charset=UTF-8", docsXML); err != nil {
		t.Errorf("with charset: %v", err)
	}
	for name, tc := range map[string]struct{ ct, body, want string }{
		"other namespace": {"application/xml", strings.Replace(docsXML, `xmlns="`+decisivNS+`"`, `xmlns="urn:other"`, 1), "root element"},
		"no namespace":    {"application/xml", strings.Replace(docsXML, `xmlns="`+decisivNS+`"`, "", 1), "root element"},
		"other root":      {"application/xml", strings.ReplaceAll(docsXML, "AuthorizationResponse", "Other"), "root element"},
		"no token":        {"application/xml", `<AuthorizationResponse xmlns="` + decisivNS + `"><type>Bearer</type></AuthorizationResponse>`, `"token"`},
		"empty token":     {"application/xml", `<AuthorizationResponse xmlns="` + decisivNS + `"><token></token><type>Bearer</type></AuthorizationResponse>`, "token"},
		"not XML":         {"application/xml", `{"token":"x","type":"Bearer"}`, "decode"},
		"JSON labelled":   {"application/json", `{"token":"x","type":"Bearer"}`, "Content-Type"},
	} {
		err := validate(tc.ct, tc.body)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one mentioning %q", name, err, tc.want)
		}
	}
}

func TestTextHTMLDecoder(t *testing.T) {
	specs.RegisterBodyDecoders()
	if openapi3filter.RegisteredBodyDecoder("text/html") == nil || openapi3filter.RegisteredBodyDecoder("application/xml") == nil {
		t.Fatal("decoders not registered")
	}
}

// NewRouterFromData loads and validates as Load does: the embedded spec's
// bytes route like NewRouter; bytes that are not a spec, or a spec that is
// not valid OpenAPI, are errors naming the vendor.
func TestNewRouterFromData(t *testing.T) {
	raw, err := specs.Raw("bss")
	if err != nil {
		t.Fatal(err)
	}
	r, err := specs.NewRouterFromData("bss", "/bsssmapi", raw)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/bsssmapi/oauth/token", nil)
	if route, _, err := r.FindRoute(req); err != nil || route.Operation.OperationID != "requestToken" {
		t.Errorf("FindRoute: %v", err)
	}
	for _, tc := range []struct{ data, want string }{
		{"{not yaml: [", "specs: bss spec: "},
		{"openapi: 3.0.3\ninfo: {}\npaths: {}\n", "specs: bss spec is not valid OpenAPI: "},
	} {
		if _, err := specs.NewRouterFromData("bss", "", []byte(tc.data)); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error starting %q", tc.data, err, tc.want)
		}
	}
}
