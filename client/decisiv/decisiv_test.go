package decisiv_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/decisiv"
	"github.com/vendorkit/vendorkit/client/internal/wiretest"
)

// docsXML is the docs' token response, pretty-printed, with the token
// numbered.
const docsXML = `<?xml version="1.0" encoding="UTF-8"?>
<AuthorizationResponse xmlns="http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:schemaLocation="http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse">
    <token>NmIzMDI1NGUtYTVhMC0xMWU1LWJjODAtNDA2YzhmNGQ1ZmUwCg==-%d</token>
    <type>Bearer</type>
</AuthorizationResponse>
`

const tokPrefix = "NmIzMDI1NGUtYTVhMC0xMWU1LWJjODAtNDA2YzhmNGQ1ZmUwCg==-"

type fakeDecisiv struct {
	rec wiretest.Recorder
	// tokenReply, when set, answers token requests.
	tokenReply func(w http.ResponseWriter, n int)
	// resource, when set, answers /platform_api/bearer_test for a valid token.
	resource func(w http.ResponseWriter)

	mu      sync.Mutex
	issued  int
	revoked map[string]bool
	all401  bool
}

func newFake(t *testing.T) (*fakeDecisiv, *httptest.Server) {
	f := &fakeDecisiv{revoked: map[string]bool{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeDecisiv) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := f.rec.Capture(r)
	switch req.Path {
	case "/platform_api/oauth2/token":
		f.mu.Lock()
		f.issued++
		n := f.issued
		f.mu.Unlock()
		if f.tokenReply != nil {
			f.tokenReply(w, n)
			return
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		fmt.Fprintf(w, docsXML, n)
	case "/platform_api/bearer_test":
		tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		ok = ok && strings.HasPrefix(tok, tokPrefix) && !f.revoked[tok] && !f.all401
		f.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if f.resource != nil {
			f.resource(w)
			return
		}
		w.WriteHeader(http.StatusOK)
	default:
		http.NotFound(w, r)
	}
}

func newClient(t *testing.T, cfg decisiv.Config, opts ...client.Option) *decisiv.Client {
	t.Helper()
	c, err := decisiv.New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func cfg(base string) decisiv.Config {
	return decisiv.Config{BaseURL: base, ConsumerKey: "consumer_key", ConsumerSecret: "consumer_secret"}
}

// The token request as the docs' raw HTTP (plus curl's Accept), the XML
// decoded, the bearer test request as the docs show it.
func TestWire(t *testing.T) {
	f, srv := newFake(t)
	c := newClient(t, cfg(srv.URL))
	resp, err := c.BearerTestWithResponse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != 200 {
		t.Fatalf("status %d", resp.StatusCode())
	}
	all := f.rec.All()
	if len(all) != 2 {
		t.Fatalf("%d requests", len(all))
	}
	tr := all[0]
	if tr.Method != "POST" || tr.Path != "/platform_api/oauth2/token" || tr.RawQuery != "" {
		t.Errorf("token request %s %s?%s", tr.Method, tr.Path, tr.RawQuery)
	}
	wiretest.ExactHeaders(t, "token request", tr.Header, map[string]string{
		"Authorization":  "Basic " + base64.StdEncoding.EncodeToString([]byte("consumer_key:consumer_secret")),
		"Content-Type":   "application/x-www-form-urlencoded;charset=UTF-8",
		"Accept":         "application/xml",
		"Content-Length": "29",
	})
	if tr.Body != "grant_type=client_credentials" {
		t.Errorf("body %q", tr.Body)
	}
	br := all[1]
	if br.Method != "GET" || br.Path != "/platform_api/bearer_test" {
		t.Errorf("bearer test %s %s", br.Method, br.Path)
	}
	wiretest.ExactHeaders(t, "bearer test", br.Header, map[string]string{
		"Authorization": "Bearer " + tokPrefix + "1",
	})
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != tokPrefix+"1" || tok.TokenType != "Bearer" || !tok.Expiry.IsZero() || tok.RefreshToken != "" {
		t.Errorf("token %v", tok)
	}
}

// No expiry: however much time passes, the token is kept until a 401.
func TestNoExpiry(t *testing.T) {
	f, srv := newFake(t)
	clk := wiretest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c := newClient(t, cfg(srv.URL), client.WithClock(clk))
	ctx := context.Background()
	for range 3 {
		if _, err := c.BearerTestWithResponse(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Advance(400 * 24 * time.Hour)
	}
	if n := f.rec.Count("/platform_api/oauth2/token"); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}

// Other spellings of the same document are accepted.
func TestXMLVariants(t *testing.T) {
	for name, tc := range map[string]struct{ ct, body string }{
		"compact":             {"application/xml", `<AuthorizationResponse xmlns="http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse"><token>` + tokPrefix + `1</token><type>Bearer</type></AuthorizationResponse>`},
		"prefixed namespace":  {"text/xml", `<?xml version="1.0"?><d:AuthorizationResponse xmlns:d="http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse"><d:token>` + tokPrefix + `1</d:token><d:type>Bearer</d:type></d:AuthorizationResponse>`},
		"unlabelled":          {"application/octet-stream", fmt.Sprintf(docsXML, 1)},
		"whitespace in token": {"application/xml", `<AuthorizationResponse xmlns="http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse"><token>` + "\n   " + tokPrefix + "1\n" + `</token></AuthorizationResponse>`},
	} {
		t.Run(name, func(t *testing.T) {
			f, srv := newFake(t)
			f.tokenReply = func(w http.ResponseWriter, _ int) {
				w.Header().Set("Content-Type", tc.ct)
				fmt.Fprint(w, tc.body)
			}
			c := newClient(t, cfg(srv.URL))
			tok, err := c.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken != tokPrefix+"1" {
				t.Errorf("token %q", tok.AccessToken)
			}
		})
	}
}

func TestMalformedXML(t *testing.T) {
	for name, body := range map[string]string{
		"wrong root":      `<Error xmlns="http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse"><token>x</token></Error>`,
		"wrong namespace": `<AuthorizationResponse xmlns="http://example.com/other"><token>x</token><type>Bearer</type></AuthorizationResponse>`,
		"no namespace":    `<AuthorizationResponse><token>x</token><type>Bearer</type></AuthorizationResponse>`,
		"empty token":     `<AuthorizationResponse xmlns="http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse"><token>  </token><type>Bearer</type></AuthorizationResponse>`,
		"json":            `{"access_token":"x"}`,
		"empty":           ``,
	} {
		t.Run(name, func(t *testing.T) {
			f, srv := newFake(t)
			f.tokenReply = func(w http.ResponseWriter, _ int) {
				w.Header().Set("Content-Type", "application/xml")
				fmt.Fprint(w, body)
			}
			c := newClient(t, cfg(srv.URL))
			_, err := c.BearerTestWithResponse(context.Background())
			if !errors.Is(err, auth.ErrMalformedResponse) {
				t.Errorf("err = %v, want ErrMalformedResponse", err)
			}
			if n := f.rec.Count("/platform_api/bearer_test"); n != 0 {
				t.Errorf("resource called %d times", n)
			}
		})
	}
}

// 401 → exactly one new token and one retry; a second 401 is an error.
func TestReauthOn401(t *testing.T) {
	f, srv := newFake(t)
	c := newClient(t, cfg(srv.URL))
	ctx := context.Background()
	if _, err := c.Token(ctx); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.revoked[tokPrefix+"1"] = true
	f.mu.Unlock()
	resp, err := c.BearerTestWithResponse(ctx)
	if err != nil || resp.StatusCode() != 200 {
		t.Fatalf("%v %v", err, resp)
	}
	if n := f.rec.Count("/platform_api/oauth2/token"); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
	bt := f.rec.Path("/platform_api/bearer_test")
	if len(bt) != 2 || bt[1].Header.Get("Authorization") != "Bearer "+tokPrefix+"2" {
		t.Errorf("bearer_test requests: %d", len(bt))
	}

	f.mu.Lock()
	f.all401 = true
	f.mu.Unlock()
	_, err = c.BearerTestWithResponse(ctx)
	if !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("err = %v, want ErrUnauthorized", err)
	}
	if n := f.rec.Count("/platform_api/oauth2/token"); n != 3 {
		t.Errorf("%d token requests, want 3 (one more re-auth, no loop)", n)
	}
}

// 403 is "bearer not supported here": a typed error, never a re-auth, even
// when 403 is configured as a re-auth status.
func TestForbiddenIsNotReauth(t *testing.T) {
	for name, opts := range map[string][]client.Option{
		"default":                     nil,
		"WithReauthStatuses(401,403)": {client.WithReauthStatuses(401, 403)},
	} {
		t.Run(name, func(t *testing.T) {
			f, srv := newFake(t)
			f.resource = func(w http.ResponseWriter) {
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, "Forbidden")
			}
			c := newClient(t, cfg(srv.URL), opts...)
			resp, err := c.BearerTestWithResponse(context.Background())
			if err == nil {
				t.Fatalf("no error, status %d", resp.StatusCode())
			}
			if !errors.Is(err, decisiv.ErrBearerNotSupported) {
				t.Errorf("err = %v, want ErrBearerNotSupported", err)
			}
			var ae *auth.Error
			if !errors.As(err, &ae) || ae.StatusCode != 403 || ae.Vendor != "decisiv" {
				t.Errorf("*auth.Error %#v", ae)
			}
			if errors.Is(err, auth.ErrUnauthorized) || errors.Is(err, auth.ErrInvalidCredentials) {
				t.Errorf("403 classified as a token problem: %v", err)
			}
			if n := f.rec.Count("/platform_api/oauth2/token"); n != 1 {
				t.Errorf("%d token requests, want 1", n)
			}
			if n := f.rec.Count("/platform_api/bearer_test"); n != 1 {
				t.Errorf("%d bearer_test requests, want 1", n)
			}
			if st := c.Source().Stats(); st.Invalidations != 0 {
				t.Errorf("token invalidated on 403: %+v", st)
			}
		})
	}
}

func TestBadCredentials(t *testing.T) {
	const secret = "s3cr3t/consumer+secret="
	f, srv := newFake(t)
	f.tokenReply = func(w http.ResponseWriter, _ int) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, "bad consumer secret "+secret)
	}
	var logs wiretest.Logs
	c := newClient(t, decisiv.Config{BaseURL: srv.URL, ConsumerKey: "consumer_key", ConsumerSecret: secret},
		client.WithLogger(logs.Logger()))
	_, err := c.BearerTestWithResponse(context.Background())
	if !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Fatalf("err = %v, want ErrInvalidCredentials", err)
	}
	basic := base64.StdEncoding.EncodeToString([]byte("consumer_key:" + secret))
	wiretest.NoSecrets(t, "error", err.Error(), secret, basic)
	wiretest.NoSecrets(t, "logs", logs.String(), secret, basic)
}

func TestUserAgentAndTransportSecurity(t *testing.T) {
	f, srv := newFake(t)
	c := newClient(t, cfg(srv.URL), client.WithUserAgent("Application Name"))
	if _, err := c.BearerTestWithResponse(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.rec.All() {
		if ua := r.Header.Get("User-Agent"); ua != "Application Name" {
			t.Errorf("%s: User-Agent %q", r.Path, ua)
		}
	}

	// The docs' host over plain http: refused unless opted in.
	_, err := decisiv.New(cfg("http://api.staging.decisiv.net"))
	if !errors.Is(err, client.ErrInvalidConfig) || !strings.Contains(err.Error(), "Config.BaseURL") {
		t.Errorf("plain http accepted: %v", err)
	}
	c2, err := decisiv.New(cfg("http://api.staging.decisiv.net"), client.WithInsecureHTTP())
	if err != nil {
		t.Fatal(err)
	}
	c2.Close()
}

func TestNewValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg   decisiv.Config
		field string
	}{
		{decisiv.Config{ConsumerKey: "k", ConsumerSecret: "s"}, "Config.BaseURL"},
		{decisiv.Config{BaseURL: "https://api.staging.decisiv.net", ConsumerSecret: "s"}, "Config.ConsumerKey"},
		{decisiv.Config{BaseURL: "https://api.staging.decisiv.net", ConsumerKey: "k"}, "Config.ConsumerSecret"},
	} {
		if _, err := decisiv.New(tc.cfg); !errors.Is(err, client.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("err = %v, want one naming %s", err, tc.field)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("VENDORKIT_DECISIV_BASE_URL", "https://api.staging.decisiv.net")
	t.Setenv("VENDORKIT_DECISIV_CONSUMER_KEY", "consumer_key")
	t.Setenv("VENDORKIT_DECISIV_CONSUMER_SECRET", "")
	_, err := decisiv.FromEnv()
	if !errors.Is(err, client.ErrMissingEnv) || !strings.Contains(err.Error(), "VENDORKIT_DECISIV_CONSUMER_SECRET") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "CONSUMER_KEY") || strings.Contains(err.Error(), "consumer_key") {
		t.Errorf("error mentions a set variable or a value: %v", err)
	}
	t.Setenv("VENDORKIT_DECISIV_CONSUMER_SECRET", "consumer_secret")
	got, err := decisiv.FromEnv()
	if err != nil || got != cfg("https://api.staging.decisiv.net") {
		t.Errorf("%+v %v", got, err)
	}
}
