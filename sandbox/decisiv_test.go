package sandbox_test

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/sandbox"
)

// decisivDoc is the docs' AuthorizationResponse. The XMLName tag makes
// encoding/xml reject a document in another namespace.
type decisivDoc struct {
	XMLName        xml.Name `xml:"http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse AuthorizationResponse"`
	SchemaLocation string   `xml:"http://www.w3.org/2001/XMLSchema-instance schemaLocation,attr"`
	Token          string   `xml:"token"`
	Type           string   `xml:"type"`
}

func decodeDecisiv(t testing.TB, body []byte) decisivDoc {
	t.Helper()
	var d decisivDoc
	if err := xml.Unmarshal(body, &d); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return d
}

const decisivNS = "http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse"

// The docs' curl: -u consumer_key:consumer_secret, grant_type=client_credentials,
// Accept: application/xml.
func TestDecisivTokenAnswersTheDocsXML(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	r := e.decisivTokenResult("Accept", "application/xml")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/xml" {
		t.Errorf("Content-Type %q", ct)
	}
	d := decodeDecisiv(t, r.body)
	if d.Type != "Bearer" || len(d.Token) < 32 || d.SchemaLocation != decisivNS {
		t.Errorf("decoded %+v", d)
	}
	// The docs' exact document, token aside.
	want := `<?xml version="1.0" encoding="UTF-8"?>
<AuthorizationResponse xmlns="http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:schemaLocation="http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse">
    <token>` + d.Token + `</token>
    <type>Bearer</type>
</AuthorizationResponse>
`
	if string(r.body) != want {
		t.Errorf("body\n%s\nwant\n%s", r.body, want)
	}
	// Another namespace must not decode: the struct above really checks it.
	other := strings.Replace(string(r.body), `xmlns="`+decisivNS+`"`, `xmlns="urn:other"`, 1)
	var d2 decisivDoc
	if err := xml.Unmarshal([]byte(other), &d2); err == nil {
		t.Error("a document in another namespace decoded")
	}
}

func TestDecisivCompactXML(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.DecisivOptions{CompactXML: true}}})
	r := e.decisivTokenResult()
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	body := strings.TrimSuffix(string(r.body), "\n")
	if strings.Contains(body, "\n") || strings.Contains(body, "    ") {
		t.Errorf("not compact: %q", body)
	}
	if d := decodeDecisiv(t, r.body); d.Type != "Bearer" || d.Token == "" {
		t.Errorf("decoded %+v", d)
	}
}

func TestDecisivTokenHonoursAccept(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	for _, tc := range []struct {
		accept string
		status int
	}{
		{"", 200},
		{"application/xml", 200},
		{"*/*", 200},
		{"application/*", 200},
		{"text/html, application/xml;q=0.9", 200},
		{"application/json", 406},
		{"application/json, application/xml;q=0", 406},
	} {
		t.Run(tc.accept, func(t *testing.T) {
			var h []string
			if tc.accept != "" {
				h = []string{"Accept", tc.accept}
			}
			if r := e.decisivTokenResult(h...); r.status != tc.status {
				t.Errorf("status %d, want %d", r.status, tc.status)
			}
		})
	}
}

func TestDecisivTokenNeedsTheConsumerKeyAsBasic(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	u := e.v("decisiv").BaseURL + "/platform_api/oauth2/token"
	env := e.v("decisiv").Env()
	inBody := "grant_type=client_credentials&client_id=" + env["VENDORKIT_DECISIV_CONSUMER_KEY"] +
		"&client_secret=" + env["VENDORKIT_DECISIV_CONSUMER_SECRET"]
	for _, tc := range []struct {
		name, body string
		headers    []string
		status     int
	}{
		{"no Authorization", "grant_type=client_credentials", []string{"Content-Type", formURLEnc}, 401},
		{"wrong secret", "grant_type=client_credentials", []string{"Content-Type", formURLEnc, "Authorization", "Basic " + b64(env["VENDORKIT_DECISIV_CONSUMER_KEY"]+":x")}, 401},
		{"credentials in the body only", inBody, []string{"Content-Type", formURLEnc}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", u, tc.body, tc.headers...)
			if r.status != tc.status || len(r.body) != 0 {
				t.Errorf("%d %q, want %d and no body (the docs show a bare status)", r.status, r.body, tc.status)
			}
		})
	}
	// A grant the spec does not allow is a 400 with kin's message.
	r := e.do("POST", u, "grant_type=password", "Content-Type", formURLEnc, "Authorization", e.decisivBasic())
	r.oauthErr(t, 400, "invalid_request")
}

func TestDecisivBearerTest(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	tok := e.decisivToken()
	if r := e.decisivTest(tok); r.status != 200 {
		t.Errorf("valid token: %d", r.status)
	}
	for name, h := range map[string][]string{
		"unknown token":  {"Authorization", "Bearer LLPmMJBrJV7OJgRfZMy44alqohy82kokVH56BYOLiE"},
		"no header":      nil,
		"raw token":      {"Authorization", tok},
		"token as Basic": {"Authorization", "Basic " + tok},
	} {
		r := e.do("GET", e.v("decisiv").BaseURL+"/platform_api/bearer_test", "", h...)
		if r.status != 401 {
			t.Errorf("%s: %d, want 401", name, r.status)
		}
	}
}

// A bearer on an endpoint that does not take one: 403, checked before the
// token, so a brand new token still gets it.
func TestDecisivRefusedPathAnswers403EvenForAFreshToken(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.DecisivOptions{BearerRefusedPaths: []string{"/platform_api/bearer_test"}}}})
	tok := e.decisivToken()
	for _, tk := range []string{tok, "unknown"} {
		if r := e.decisivTest(tk); r.status != 403 {
			t.Errorf("token %q: %d, want 403", tk, r.status)
		}
	}
}

func TestDecisivTokensDoNotExpireByDefault(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	tok := e.decisivToken()
	e.clock.Advance(10 * 365 * 24 * time.Hour)
	if r := e.decisivTest(tok); r.status != 200 {
		t.Errorf("after ten years: %d, want 200 (the docs give no expiry)", r.status)
	}
}

func TestDecisivOptionalLifetime(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.DecisivOptions{TokenLifetime: time.Hour}}})
	tok := e.decisivToken()
	e.clock.Advance(time.Hour)
	if r := e.decisivTest(tok); r.status != 401 {
		t.Errorf("after the lifetime: %d, want 401", r.status)
	}
}
