package blueprint_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/blueprint"
	"github.com/vendorkit/vendorkit/client/internal/wiretest"
)

// docsLogin is the docs' login response, with the token numbered.
const docsLogin = `{
    "access_token":"imSXTs2OqSrGWzsFQhIXziFCO3rF-%d",
    "token_type":"bearer",
    "expires_in":1209599,
    "id":"c8dcd36f-8f07-5e20-a8cd-8b72051bc374",
    "userName":"username",
    "firstName":"First",
    "lastName":"Last",
    ".issued":"Wed, 01 Oct 2014 01:22:33 GMT",
    ".expires":"Wed, 15 Oct 2014 01:22:33 GMT"
}`

type fakeBlueprint struct {
	rec    wiretest.Recorder
	prefix string
	login  func(w http.ResponseWriter, n int) // nil: docsLogin

	mu      sync.Mutex
	issued  int
	revoked map[string]bool
}

func newFake(t *testing.T, prefix string) (*fakeBlueprint, *httptest.Server) {
	f := &fakeBlueprint{prefix: prefix, revoked: map[string]bool{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeBlueprint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := f.rec.Capture(r)
	switch req.Path {
	case f.prefix + "/account/login":
		f.mu.Lock()
		f.issued++
		n := f.issued
		f.mu.Unlock()
		if f.login != nil {
			f.login(w, n)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		fmt.Fprintf(w, docsLogin, n)
	case f.prefix + "/pages":
		tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		ok = ok && strings.HasPrefix(tok, "imSXTs2OqSrGWzsFQhIXziFCO3rF-") && !f.revoked[tok]
		f.mu.Unlock()
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"Message":"Authorization has been denied for this request."}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[{"id":"home","name":"Home"}]`)
	default:
		http.NotFound(w, r)
	}
}

func newClient(t *testing.T, cfg blueprint.Config, opts ...client.Option) *blueprint.Client {
	t.Helper()
	c, err := blueprint.New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var t0 = time.Date(2014, 10, 1, 1, 22, 36, 0, time.UTC)

// The login request and an authenticated request as the docs show them,
// the user parsed, expiry from expires_in seconds.
func TestWire(t *testing.T) {
	f, srv := newFake(t, "")
	clk := wiretest.NewClock(t0)
	c := newClient(t, blueprint.Config{BaseURL: srv.URL, Username: "username", Password: "password"}, client.WithClock(clk))
	ctx := context.Background()

	resp, err := c.ListPagesWithResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != 200 || resp.JSON200 == nil || (*resp.JSON200)[0].Id != "home" {
		t.Fatalf("ListPages: %d %s", resp.StatusCode(), resp.Body)
	}
	all := f.rec.All()
	if len(all) != 2 {
		t.Fatalf("%d requests, want 2", len(all))
	}
	lr := all[0]
	if lr.Method != "POST" || lr.Path != "/account/login" || lr.RawQuery != "" {
		t.Errorf("login: %s %s?%s", lr.Method, lr.Path, lr.RawQuery)
	}
	// The docs' Content-Length of 55 is this very body. X-Requested-With
	// is the docs' too (not their browser's Accept, User-Agent, Referer).
	wiretest.ExactHeaders(t, "login", lr.Header, map[string]string{
		"Content-Type":     "application/x-www-form-urlencoded; charset=UTF-8",
		"Content-Length":   "55",
		"X-Requested-With": "XMLHttpRequest",
	})
	if want := "grant_type=password&username=username&password=password"; lr.Body != want {
		t.Errorf("login body %q, want %q", lr.Body, want)
	}
	pr := all[1]
	if pr.Method != "GET" || pr.Path != "/pages" {
		t.Errorf("pages: %s %s", pr.Method, pr.Path)
	}
	wiretest.ExactHeaders(t, "pages", pr.Header, map[string]string{
		"Authorization":    "Bearer imSXTs2OqSrGWzsFQhIXziFCO3rF-1",
		"X-Requested-With": "XMLHttpRequest",
	})

	tok, err := c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(1209599 * time.Second); !tok.Expiry.Equal(want) {
		t.Errorf("expiry %v, want %v (expires_in seconds)", tok.Expiry, want)
	}
	u, err := c.User(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := blueprint.User{
		ID: "c8dcd36f-8f07-5e20-a8cd-8b72051bc374", UserName: "username", FirstName: "First", LastName: "Last",
		Issued:  time.Date(2014, 10, 1, 1, 22, 33, 0, time.UTC),
		Expires: time.Date(2014, 10, 15, 1, 22, 33, 0, time.UTC),
	}
	if !u.Issued.Equal(want.Issued) || !u.Expires.Equal(want.Expires) {
		t.Errorf("dates %v %v, want %v %v", u.Issued, u.Expires, want.Issued, want.Expires)
	}
	u.Issued, u.Expires, want.Issued, want.Expires = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if u != want {
		t.Errorf("user %+v, want %+v", u, want)
	}
	if tok.Extra[".issued"] != "Wed, 01 Oct 2014 01:22:33 GMT" || tok.Extra["id"] != want.ID {
		t.Errorf("Extra %v", tok.Extra)
	}
	if n := f.rec.Count("/account/login"); n != 1 {
		t.Errorf("%d logins, want 1", n)
	}
}

// User logs in when there is no token yet; special characters in the
// credentials are form-encoded and arrive intact; a path prefix and a
// trailing slash on BaseURL work.
func TestUserLogsInAndEncoding(t *testing.T) {
	f, srv := newFake(t, "/cpq")
	const pass = "p@ss w&rd!=é"
	c := newClient(t, blueprint.Config{BaseURL: srv.URL + "/cpq/", Username: "jo+doe@example.com", Password: pass})
	u, err := c.User(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if u.UserName != "username" {
		t.Errorf("user %+v", u)
	}
	lr := f.rec.Path("/cpq/account/login")
	if len(lr) != 1 {
		t.Fatalf("%d logins", len(lr))
	}
	want := "grant_type=password&username=jo%2Bdoe%40example.com&password=p%40ss+w%26rd%21%3D%C3%A9"
	if lr[0].Body != want {
		t.Errorf("body %q, want %q", lr[0].Body, want)
	}
	v, _ := url.ParseQuery(lr[0].Body)
	if v.Get("username") != "jo+doe@example.com" || v.Get("password") != pass {
		t.Errorf("decoded %v", v)
	}
}

// Without expires_in the ".expires" date is the expiry; dates in other
// HTTP formats are tolerated, unparseable ones are zero.
func TestExpiresFallbackAndDates(t *testing.T) {
	f, srv := newFake(t, "")
	f.login = func(w http.ResponseWriter, n int) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"imSXTs2OqSrGWzsFQhIXziFCO3rF-%d","token_type":"bearer","id":"x",
			".issued":"Wednesday, 01-Oct-14 01:22:33 GMT",".expires":"Wed, 01 Oct 2014 02:22:33 GMT"}`, n)
	}
	c := newClient(t, blueprint.Config{BaseURL: srv.URL, Username: "u", Password: "p"}, client.WithClock(wiretest.NewClock(t0)))
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2014, 10, 1, 2, 22, 33, 0, time.UTC); !tok.Expiry.Equal(want) {
		t.Errorf("expiry %v, want %v", tok.Expiry, want)
	}
	u := blueprint.UserFromToken(tok)
	if want := time.Date(2014, 10, 1, 1, 22, 33, 0, time.UTC); !u.Issued.Equal(want) {
		t.Errorf("RFC 850 issued %v, want %v", u.Issued, want)
	}
	if got := blueprint.UserFromToken(&auth.Token{Extra: map[string]string{".issued": "yesterday"}}); !got.Issued.IsZero() {
		t.Errorf("garbage date parsed as %v", got.Issued)
	}
}

// 401 → one new login and one retry.
func TestReauthOn401(t *testing.T) {
	f, srv := newFake(t, "")
	c := newClient(t, blueprint.Config{BaseURL: srv.URL, Username: "username", Password: "password"})
	ctx := context.Background()
	if _, err := c.Token(ctx); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.revoked["imSXTs2OqSrGWzsFQhIXziFCO3rF-1"] = true
	f.mu.Unlock()
	resp, err := c.ListPagesWithResponse(ctx)
	if err != nil || resp.StatusCode() != 200 {
		t.Fatalf("ListPages: %v %v", err, resp)
	}
	if n := f.rec.Count("/account/login"); n != 2 {
		t.Errorf("%d logins, want 2", n)
	}
	pages := f.rec.Path("/pages")
	if len(pages) != 2 || pages[1].Header.Get("Authorization") != "Bearer imSXTs2OqSrGWzsFQhIXziFCO3rF-2" {
		t.Errorf("pages requests %d", len(pages))
	}
	// The re-login and the retry are XMLHttpRequests too: ASP.NET answers
	// those 401, not a 302 to its login page.
	for _, r := range f.rec.All() {
		if got := r.Header.Values("X-Requested-With"); len(got) != 1 || got[0] != "XMLHttpRequest" {
			t.Errorf("%s %s: X-Requested-With %q", r.Method, r.Path, got)
		}
	}
}

func TestBadCredentials(t *testing.T) {
	const pass = "s3cr3t-Pa55!"
	f, srv := newFake(t, "")
	f.login = func(w http.ResponseWriter, _ int) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"invalid_grant","error_description":"The user name or password is incorrect: s3cr3t-Pa55!"}`)
	}
	var logs wiretest.Logs
	c := newClient(t, blueprint.Config{BaseURL: srv.URL, Username: "username", Password: pass}, client.WithLogger(logs.Logger()))
	_, err := c.ListPagesWithResponse(context.Background())
	if !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Fatalf("err = %v, want ErrInvalidCredentials", err)
	}
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Code != "invalid_grant" {
		t.Errorf("*auth.Error %#v", ae)
	}
	wiretest.NoSecrets(t, "error", err.Error(), pass, url.QueryEscape(pass))
	wiretest.NoSecrets(t, "logs", logs.String(), pass, url.QueryEscape(pass))
	if _, err := c.User(context.Background()); !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Errorf("User: %v", err)
	}
	if n := f.rec.Count("/pages"); n != 0 {
		t.Errorf("pages called %d times", n)
	}
}

func TestNewValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg   blueprint.Config
		field string
	}{
		{blueprint.Config{Username: "u", Password: "p"}, "Config.BaseURL"},
		{blueprint.Config{BaseURL: "https://ofd-api.blueprintcpq.net", Password: "p"}, "Config.Username"},
		{blueprint.Config{BaseURL: "https://ofd-api.blueprintcpq.net", Username: "u"}, "Config.Password"},
		{blueprint.Config{BaseURL: "ofd-api.blueprintcpq.net", Username: "u", Password: "p"}, "Config.BaseURL"},
	} {
		_, err := blueprint.New(tc.cfg)
		if !errors.Is(err, client.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%+v: err = %v, want one naming %s", tc.cfg, err, tc.field)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("VENDORKIT_BLUEPRINT_BASE_URL", "https://ofd-api.blueprintcpq.net")
	t.Setenv("VENDORKIT_BLUEPRINT_USERNAME", "username")
	t.Setenv("VENDORKIT_BLUEPRINT_PASSWORD", "hunter2")
	cfg, err := blueprint.FromEnv()
	if err != nil || cfg != (blueprint.Config{BaseURL: "https://ofd-api.blueprintcpq.net", Username: "username", Password: "hunter2"}) {
		t.Fatalf("%+v %v", cfg, err)
	}
	t.Setenv("VENDORKIT_BLUEPRINT_BASE_URL", "")
	_, err = blueprint.FromEnv()
	if !errors.Is(err, client.ErrMissingEnv) || !strings.Contains(err.Error(), "VENDORKIT_BLUEPRINT_BASE_URL") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "PASSWORD") {
		t.Errorf("names a variable that is set: %v", err)
	}
	wiretest.NoSecrets(t, "env error", err.Error(), "hunter2", "username")
}
