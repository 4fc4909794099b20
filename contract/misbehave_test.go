package contract_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vendorkit/vendorkit/client/vendors"

	"github.com/vendorkit/vendorkit/contract"
	"github.com/vendorkit/vendorkit/sandbox"
)

// Operations as the results name them.
// pinned are the vendors whose misbehaviours these tables spell out; a
// vendor added later is left out of them, not failed by them.
var pinned = []string{"bss", "blueprint", "decisiv", "ioffice"}

const (
	bssToken       = "POST /oauth/token (requestToken)"
	blueprintLogin = "POST /account/login (login)"
	decisivToken   = "POST /platform_api/oauth2/token (requestToken)"
	iofficeAuth    = "POST /external/api/oauth2/auth (requestAuthCode)"
	iofficeToken   = "POST /external/api/oauth2/token (requestToken)"
	iofficeMe      = "GET /external/api/rest/v2/users/me (getCurrentUser)"
	iofficeRevoke  = "POST /external/api/oauth2/revoke (revokeToken)"
)

// failureWant is one expected failure.
type failureWant struct {
	vendor, check, op, expected, got string
}

// runAll runs every vendor of sb and returns the results by vendor.
func runAll(t *testing.T, sb *sandbox.Sandbox) map[string][]contract.Result {
	t.Helper()
	out := map[string][]contract.Result{}
	var all []contract.Result
	for _, v := range sb.Vendors() {
		rs := contract.Run(context.Background(), target(v))
		out[v.Name] = rs
		all = append(all, rs...)
	}
	scanResults(t, sb, all)
	return out
}

// A sandbox told to misbehave makes exactly the right checks fail, each
// with the operation, what was expected and what came back.
func TestMisbehavingSandbox(t *testing.T) {
	for _, tc := range []struct {
		name  string
		m     sandbox.Misbehaviour
		fails []failureWant
	}{
		{"wrong content type", sandbox.Misbehaviour{WrongContentType: true}, []failureWant{
			{"bss", "token", bssToken, "Content-Type application/json", `Content-Type "text/html;charset=UTF-8"`},
			{"blueprint", "token", blueprintLogin, "Content-Type application/json", `Content-Type "text/html`},
			{"decisiv", "token", decisivToken, "Content-Type application/xml", `Content-Type "text/html`},
			// iOFFICE's first token-endpoint answer is the code.
			{"ioffice", "token", iofficeAuth, "Content-Type application/json", `Content-Type "text/html`},
			{"ioffice", "refresh-rotation", iofficeToken, "Content-Type application/json", `Content-Type "text/html`},
		}},
		{"missing expires_in", sandbox.Misbehaviour{OmitField: "expires_in"}, []failureWant{
			{"bss", "token", bssToken, "required: access_token, token_type, expires_in", `property "expires_in" is missing`},
			{"bss", "lifetime", bssToken, "expires_in, an integer in seconds", "no integer expires_in"},
			{"blueprint", "token", blueprintLogin, "#/components/schemas/TokenResponse", `property "expires_in" is missing`},
			{"blueprint", "lifetime", blueprintLogin, "expires_in, an integer in seconds", "no integer expires_in"},
			{"ioffice", "token", iofficeToken, "required: token_type, access_token, expires_in, refresh_token", `property "expires_in" is missing`},
			{"ioffice", "refresh-rotation", iofficeToken, "#/components/schemas/TokenResponse", `property "expires_in" is missing`},
			{"ioffice", "lifetime", iofficeToken, "expires_in, an integer in milliseconds", "no integer expires_in"},
		}},
		{"missing access_token", sandbox.Misbehaviour{OmitField: "access_token"}, []failureWant{
			{"bss", "token", bssToken, "#/components/schemas/TokenResponse", `property "access_token" is missing`},
			{"bss", "resource", bssToken, "#/components/schemas/TokenResponse", `property "access_token" is missing`},
			{"blueprint", "token", blueprintLogin, "#/components/schemas/TokenResponse", `property "access_token" is missing`},
			{"blueprint", "resource", blueprintLogin, "#/components/schemas/TokenResponse", `property "access_token" is missing`},
			{"ioffice", "token", iofficeToken, "#/components/schemas/TokenResponse", `property "access_token" is missing`},
			{"ioffice", "resource", iofficeToken, "#/components/schemas/TokenResponse", `property "access_token" is missing`},
		}},
		{"missing XML token", sandbox.Misbehaviour{OmitField: "token"}, []failureWant{
			{"decisiv", "token", decisivToken, "#/components/schemas/AuthorizationResponse (required: token, type)", `property "token" is missing`},
			{"decisiv", "resource", decisivToken, "#/components/schemas/AuthorizationResponse", `property "token" is missing`},
		}},
		{"iOFFICE expires_in in seconds", sandbox.Misbehaviour{}, []failureWant{
			{"ioffice", "lifetime", iofficeToken, "expires_in in milliseconds, at least 60000", "expires_in 3600, which as milliseconds is 3.6s: this looks like seconds"},
		}},
		{"iOFFICE refresh token not rotated", sandbox.Misbehaviour{}, []failureWant{
			{"ioffice", "refresh-rotation", iofficeToken, "a new refresh token", "the same refresh token back"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := sandbox.Options{Misbehave: tc.m}
			// A vendor's own misbehaviours are its options.
			if v, ok := map[string]sandbox.VendorOptions{
				"iOFFICE expires_in in seconds":     sandbox.IOfficeOptions{ExpiresInSeconds: true},
				"iOFFICE refresh token not rotated": sandbox.IOfficeOptions{NoRotation: true},
			}[tc.name]; ok {
				opts.Vendors = []sandbox.VendorOptions{v}
			}
			byVendor := runAll(t, startSandbox(t, opts))
			for vendor, results := range byVendor {
				if !slices.Contains(pinned, vendor) {
					continue // the table pins the documented vendors' wire facts
				}
				for _, r := range results {
					var want *failureWant
					for i, f := range tc.fails {
						if f.vendor == vendor && f.check == r.Check {
							want = &tc.fails[i]
						}
					}
					switch {
					case want != nil:
						wantFailure(t, r, want.op, want.expected, want.got)
					case r.Status == contract.Fail:
						t.Errorf("%s %s failed unexpectedly: %s", vendor, r.Check, r.Message)
					}
				}
			}
			if strings.Contains(tc.name, "access_token") || strings.Contains(tc.name, "XML token") {
				// The client could not get a token either, and says why.
				for _, f := range tc.fails {
					r := find(t, byVendor[f.vendor], f.check)
					// iOFFICE's failing step is the code exchange ("exchange").
					if !strings.Contains(r.Message, "the client said: vendorkit: "+f.vendor+" ") ||
						!strings.Contains(r.Message, "malformed token response") {
						t.Errorf("%s %s: message %q lacks the client's error", f.vendor, f.check, r.Message)
					}
				}
			}
		})
	}
}

// proxy serves base through a reverse proxy whose responses modify can
// change, and returns the target for vendor with the proxy as base URL.
func proxy(t *testing.T, v *sandbox.Vendor, modify func(*http.Response) error) contract.Target {
	t.Helper()
	u, err := url.Parse(v.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	origin := *u
	origin.Path = ""
	rp := httputil.NewSingleHostReverseProxy(&origin)
	rp.ModifyResponse = modify
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	env := v.Env()
	env["VENDORKIT_"+strings.ToUpper(v.Name)+"_BASE_URL"] = srv.URL + u.Path
	return contract.Target{Vendor: v.Name, Lookup: mapLookup(env)}
}

// replaceBody swaps a response's body.
func replaceBody(resp *http.Response, body []byte) {
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
}

// A server that announces a new refresh token but keeps accepting the old
// one fails refresh-rotation on the probe of the old one. (The sandbox does
// not rotate, and a proxy rewrites each refresh answer's refresh_token.)
func TestOldRefreshTokenStillAccepted(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.IOfficeOptions{NoRotation: true}}})
	tg := proxy(t, sb.Vendor("ioffice"), func(resp *http.Response) error {
		if resp.Request.Header.Get("x-grant-type") != "refresh_token" || resp.StatusCode != 200 {
			return nil
		}
		var m map[string]any
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		var r [16]byte
		rand.Read(r[:])
		m["refresh_token"] = "fake-rotated-" + base64.RawURLEncoding.EncodeToString(r[:])
		b, _ = json.Marshal(m)
		replaceBody(resp, b)
		return nil
	})
	results := contract.Run(context.Background(), tg)
	wantFailure(t, find(t, results, contract.CheckRefreshRotation), iofficeToken, "HTTP 400 or 401 (refused)", "HTTP 200: the old refresh token still works")
	scanResults(t, sb, results)
}

// A server that takes any token fails forged-token, and, for a vendor
// whose flow revokes, revoke (the revoked token still works).
func TestServerAcceptsAnyToken(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	var all []contract.Result
	for _, v := range sb.Vendors() {
		if !slices.Contains(pinned, v.Name) {
			continue // the bodies below are the documented vendors'
		}
		tg := proxy(t, v, func(resp *http.Response) error {
			if resp.Request.Method != http.MethodGet || resp.StatusCode != http.StatusUnauthorized {
				return nil
			}
			body := map[string]string{
				"bss": `{"id":1,"name":"Contoso"}`, "blueprint": `[]`, "decisiv": ``, "ioffice": `{"id":1}`,
			}[v.Name]
			resp.StatusCode, resp.Status = 200, "200 OK"
			resp.Header.Del("WWW-Authenticate")
			if body != "" {
				resp.Header.Set("Content-Type", "application/json")
			} else {
				resp.Header.Del("Content-Type")
			}
			replaceBody(resp, []byte(body))
			return nil
		})
		results := contract.Run(context.Background(), tg)
		all = append(all, results...)
		op := map[string]string{
			"bss":       "GET /api/accounts/{accountId} (getAccount)",
			"blueprint": "GET /pages (listPages)",
			"decisiv":   "GET /platform_api/bearer_test (bearerTest)",
			"ioffice":   iofficeMe,
		}[v.Name]
		wantFailure(t, find(t, results, contract.CheckForgedToken), op, "HTTP 401", "HTTP 200")
		if d, _ := vendors.Find(v.Name); d.Revokes {
			wantFailure(t, find(t, results, contract.CheckRevoke), op, "HTTP 401", "HTTP 200: the revoked token still works")
		}
	}
	scanResults(t, sb, all)
}

// An undocumented status is named as such.
func TestUndocumentedStatus(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	tg := proxy(t, sb.Vendor("blueprint"), func(resp *http.Response) error {
		if resp.Request.URL.Path == "/pages" && resp.StatusCode == 200 {
			resp.StatusCode, resp.Status = http.StatusTeapot, "418 I'm a teapot"
		}
		return nil
	})
	r := find(t, contract.Run(context.Background(), tg), contract.CheckResource)
	wantFailure(t, r, "GET /pages (listPages)", "one of the documented statuses 200, 401", "HTTP 418")
}

func TestRevokeEndpointMissing(t *testing.T) {
	// A deployment whose revoke endpoint is missing (404): revoke fails,
	// naming the operation and the client's error.
	sb := startSandbox(t, sandbox.Options{})
	tg := proxy(t, sb.Vendor("ioffice"), func(resp *http.Response) error {
		if resp.Request.URL.Path == "/external/api/oauth2/revoke" {
			resp.StatusCode, resp.Status = http.StatusNotFound, "404 Not Found"
		}
		return nil
	})
	r := find(t, contract.Run(context.Background(), tg), contract.CheckRevoke)
	wantFailure(t, r, iofficeRevoke, "one of the documented statuses 200, 400", "HTTP 404")
}
