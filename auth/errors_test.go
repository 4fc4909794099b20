package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestErrorIsMapping(t *testing.T) {
	cases := []struct {
		e    *Error
		want []error
		not  []error
	}{
		{responseError("v", "token", 400, []byte(`{"error":"invalid_grant"}`)), []error{ErrInvalidCredentials}, []error{ErrInvalidGrant, ErrTokenEndpointUnavailable}},
		{responseError("v", "token", 400, []byte(`{"error":"invalid_client"}`)), []error{ErrInvalidCredentials}, nil},
		{responseError("v", "token", 400, []byte(`{"error":"unauthorized_client"}`)), []error{ErrInvalidCredentials}, nil},
		{responseError("v", "token", 401, nil), []error{ErrInvalidCredentials}, nil},
		{responseError("v", "token", 400, []byte(`{"error":"invalid_scope"}`)), nil, []error{ErrInvalidCredentials}},
		{responseError("v", "refresh", 400, []byte(`{"error":"invalid_grant"}`)), []error{ErrInvalidGrant}, []error{ErrInvalidCredentials}},
		{responseError("v", "exchange", 400, []byte(`{"error":"invalid_grant"}`)), []error{ErrInvalidGrant}, []error{ErrInvalidCredentials}},
		{responseError("v", "exchange", 401, []byte(`{"error":"invalid_client"}`)), []error{ErrInvalidCredentials}, []error{ErrInvalidGrant}},
		{responseError("v", "exchange", 503, nil), []error{ErrTokenEndpointUnavailable}, nil},
		{responseError("v", "token", 429, nil), []error{ErrTokenEndpointUnavailable}, nil},
		{responseError("v", "refresh", 503, nil), []error{ErrTokenEndpointUnavailable}, nil},
		{responseError("v", "request", 503, nil), nil, []error{ErrTokenEndpointUnavailable}},
		{&Error{Op: OpToken, Retryable: true, Err: errors.New("dial")}, []error{ErrTokenEndpointUnavailable}, nil},
		{&Error{Op: OpToken, Err: ErrReloginRequired}, []error{ErrReloginRequired}, []error{ErrTokenEndpointUnavailable}},
	}
	for i, c := range cases {
		for _, w := range c.want {
			if !errors.Is(c.e, w) {
				t.Errorf("%d: %v is not %v", i, c.e, w)
			}
			if !errors.Is(fmt.Errorf("wrapped: %w", c.e), w) {
				t.Errorf("%d: wrapped not %v", i, w)
			}
		}
		for _, n := range c.not {
			if errors.Is(c.e, n) {
				t.Errorf("%d: %v is %v", i, c.e, n)
			}
		}
	}
	if e := responseError("v", "token", 503, nil); !e.Retryable {
		t.Fatal("503 not retryable")
	}
}

// Any body — malformed JSON, huge, binary, wrong types — is a typed error,
// never a panic; Body is truncated and scrubbed.
func TestResponseErrorNeverPanics(t *testing.T) {
	bodies := []string{
		"", "{", "null", "[]", `{"error":123,"error_description":{"a":1}}`, `{"error":null}`,
		"<html>502 Bad Gateway</html>", "\xff\xfe\x00binary", strings.Repeat("é", 10000),
		`{"error":"invalid_request","error_description":"` + strings.Repeat("a", 5000) + `"}`,
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		b := make([]byte, r.IntN(600))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		bodies = append(bodies, string(b))
	}
	for _, b := range bodies {
		e := responseError("v", "token", 400, []byte(b))
		if len(e.Body) > maxBodyExcerpt+len("…") || len(e.Description) > maxBodyExcerpt+len("…") {
			t.Fatalf("not truncated: %d", len(e.Body))
		}
		_ = e.Error()
		if _, err := ParseTokenFields("v", "token", 200, []byte(b), nil); err == nil && !strings.HasPrefix(strings.TrimSpace(b), "{") {
			t.Fatalf("accepted %q", b)
		}
	}
	e := responseError("v", "token", 400, []byte(`{"error":"invalid_grant","error_description":"bad"}`))
	if e.Code != "invalid_grant" || e.Description != "bad" || e.Retryable {
		t.Fatalf("%+v", e)
	}
}

func TestTokenResponseParsing(t *testing.T) {
	clock := newFakeClock()
	now := clock.Now()
	for _, tc := range []struct {
		body string
		err  error
	}{
		{"", ErrMalformedResponse}, {"   ", ErrMalformedResponse}, {"null", ErrMalformedResponse},
		{"not json", ErrMalformedResponse}, {"[1,2]", ErrMalformedResponse}, {`{"token_type":"bearer"}`, ErrMalformedResponse},
		{`{"error":"invalid_grant"}`, nil},
	} {
		f, err := ParseTokenFields("v", "token", 200, []byte(tc.body), nil)
		if err == nil {
			_, _, err = f.Token("v", "token", now, time.Second)
		}
		var ae *Error
		if err == nil || !errors.As(err, &ae) || (tc.err != nil && !errors.Is(err, tc.err)) {
			t.Fatalf("%q: %v", tc.body, err)
		}
	}
	// Seconds (most vendors) and milliseconds (iOFFICE); Blueprint extras.
	f, _ := ParseTokenFields("v", "token", 200, []byte(`{"access_token":"a","token_type":"bearer","expires_in":3600,"refresh_token":"r","userName":"jdoe","id":42,".expires":"Tue, 01 Jan 2030 00:00:00 GMT"}`), nil)
	tok, sane, err := f.Token("v", "token", now, time.Second)
	if err != nil || !sane || !tok.Expiry.Equal(now.Add(time.Hour)) || tok.Extra["userName"] != "jdoe" || tok.Extra["id"] != "42" || tok.Extra[".expires"] == "" {
		t.Fatalf("%+v %v %v", tok, sane, err)
	}
	f, _ = ParseTokenFields("v", "token", 200, []byte(`{"access_token":"a","expires_in":"3600000"}`), nil)
	if tok, sane, _ := f.Token("v", "token", now, time.Millisecond); !sane || !tok.Expiry.Equal(now.Add(time.Hour)) {
		t.Fatalf("ms: %v", tok.Expiry)
	}
	for _, absurd := range []string{"-1", "0", "9999999999999999", "1e30", `"soon"`} {
		f, _ = ParseTokenFields("v", "token", 200, []byte(`{"access_token":"a","expires_in":`+absurd+`}`), nil)
		tok, sane, err := f.Token("v", "token", now, time.Second)
		if err != nil || sane {
			t.Fatalf("%s: sane=%v err=%v", absurd, sane, err)
		}
		if !tok.Expiry.IsZero() && !tok.Expiry.Equal(now.Add(MaxLifetime)) {
			t.Fatalf("%s: expiry %v", absurd, tok.Expiry)
		}
	}
}

func TestExpiresIn(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if e, ok := ExpiresIn(now, time.Hour); !ok || !e.Equal(now.Add(time.Hour)) {
		t.Fatal(e, ok)
	}
	for _, d := range []time.Duration{0, -time.Second} {
		if e, ok := ExpiresIn(now, d); ok || !e.IsZero() {
			t.Fatal(d, e, ok)
		}
	}
	if e, ok := ExpiresIn(now, 2*MaxLifetime); ok || !e.Equal(now.Add(MaxLifetime)) {
		t.Fatal(e, ok)
	}
	if e, ok := ExpiresIn(now, MaxLifetime); !ok || !e.Equal(now.Add(MaxLifetime)) {
		t.Fatal(e, ok)
	}
	// iOFFICE announces milliseconds; a flow mistaking them for seconds
	// would get a 1000× lifetime, which the clamp bounds.
	if lifetime(3_600_000, time.Millisecond) != time.Hour || lifetime(1<<62, time.Second) <= MaxLifetime || lifetime(-3, time.Second) >= 0 {
		t.Fatal("lifetime")
	}
}

func TestTokenValidAndRedacted(t *testing.T) {
	now := time.Now()
	tok := &Token{AccessToken: "AT-VALUE", TokenType: "bearer", RefreshToken: "RT-VALUE", Expiry: now.Add(time.Minute),
		Extra: map[string]string{"userName": "jdoe"}}
	if !tok.Valid(now) || tok.Valid(now.Add(time.Minute)) || (*Token)(nil).Valid(now) || (&Token{}).Valid(now) {
		t.Fatal("Valid")
	}
	if !(&Token{AccessToken: "x"}).Valid(now.Add(100 * 365 * 24 * time.Hour)) {
		t.Fatal("zero expiry must stay valid")
	}
	var buf strings.Builder
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("t", "tok", tok, "val", *tok)
	outs := []string{buf.String()}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		outs = append(outs, fmt.Sprintf(f, tok), fmt.Sprintf(f, *tok), fmt.Sprintf(f, []*Token{tok}),
			fmt.Sprintf(f, struct{ T Token }{*tok}))
	}
	for _, o := range outs {
		if strings.Contains(o, "AT-VALUE") || strings.Contains(o, "RT-VALUE") || strings.Contains(o, "jdoe") {
			t.Fatalf("leak: %s", o)
		}
	}
	if !strings.Contains(buf.String(), `"has_refresh":true`) {
		t.Fatal(buf.String())
	}
}

func TestScrub(t *testing.T) {
	cases := []string{
		`{"access_token":"SECRET1","token_type":"bearer"}`,
		`{"refresh_token" : "SECRET1"}`,
		`grant_type=password&username=u&password=SECRET1&x=1`,
		`GET /x?access_token=SECRET1&a=b`,
		`Authorization: Bearer SECRET1`,
		`authorization: bearer SECRET1`,
		`Authorization: Basic SECRET1==`,
		`x-access-token: SECRET1`,
		`{"client_secret":"SECRET1 with spaces"}`,
		`{"password":"SEC\"RET1"}`,
		`token=SECRET1`,
		`the value SECRET1 appears in free text`,
	}
	for _, c := range cases {
		if got := Scrub(c, "SECRET1"); strings.Contains(got, "SECRET1") || strings.Contains(got, "RET1") {
			t.Errorf("%q → %q", c, got)
		}
		if got := Scrub(c); strings.Contains(got, "SECRET1") && !strings.Contains(c, "free text") {
			t.Errorf("shape not recognised: %q → %q", c, got)
		}
	}
	if got := Scrub(`{"error":"invalid_grant","error_code":7}`); got != `{"error":"invalid_grant","error_code":7}` {
		t.Errorf("over-scrubbed: %q", got)
	}
}

func TestRedactURL(t *testing.T) {
	u, _ := url.Parse("https://user:pw@api.example.com/p?a=1&access_token=SECRET&code=SECRET&Refresh_Token=SECRET&b=2#access_token=SECRET")
	got := RedactURL(u)
	if strings.Contains(got, "SECRET") || strings.Contains(got, ":pw@") || !strings.Contains(got, "a=1&access_token=REDACTED") || !strings.Contains(got, "b=2") {
		t.Fatal(got)
	}
	if RedactURL(nil) != "" {
		t.Fatal("nil")
	}
}

func TestPlacement(t *testing.T) {
	req, _ := http.NewRequest("GET", "https://x/p?a=1&b=2", nil)
	Bearer().apply(req, "tok")
	if req.Header.Get("Authorization") != "Bearer tok" || Bearer().from(req) != "tok" {
		t.Fatal(req.Header)
	}
	req.Header.Set("Authorization", "bearer lower")
	if Bearer().from(req) != "lower" {
		t.Fatal("case-insensitive prefix")
	}
	Bearer().remove(req)
	if Bearer().from(req) != "" {
		t.Fatal("remove")
	}
	Header("x-access-token").apply(req, "raw")
	if req.Header.Get("X-Access-Token") != "raw" || Header("x-access-token").from(req) != "raw" {
		t.Fatal(req.Header)
	}
	q := Query("access_token")
	q.apply(req, "a/b c")
	q.apply(req, "t2")
	if req.URL.RawQuery != "a=1&b=2&access_token=t2" || q.from(req) != "t2" {
		t.Fatal(req.URL.RawQuery)
	}
	q.remove(req)
	if req.URL.RawQuery != "a=1&b=2" {
		t.Fatal(req.URL.RawQuery)
	}
	// The vendor says "bearer"; we send "Bearer", and a token source
	// error is the call's error, before anything is sent.
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Hour, tokenFn: func(context.Context) (*Token, error) { return nil, errors.New("down") }}
	src := newTestSource(t, ff, SourceOptions{Clock: clock})
	c := NewHTTPClient(HTTPOptions{Source: src, Origin: "https://h.example", Placement: Bearer(), Base: cannedBearer{t}})
	if _, err := c.Get("https://h.example/x"); err == nil || !strings.Contains(err.Error(), "down") {
		t.Fatalf("token source error swallowed: %v", err)
	}
	ff.tokenFn = nil
	if resp, err := c.Get("https://h.example/x"); err != nil || resp.StatusCode != 200 {
		t.Fatal(resp, err)
	}
}

// cannedBearer answers 200 to a request that carries "Bearer primary-…".
type cannedBearer struct{ t *testing.T }

func (c cannedBearer) RoundTrip(req *http.Request) (*http.Response, error) {
	if a := req.Header.Get("Authorization"); !strings.HasPrefix(a, "Bearer primary-access-") {
		c.t.Errorf("Authorization %q", a)
	}
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}

// Secret scan: run failing and succeeding flows with debug logging and
// collect every log line and error string; none may contain a password,
// client secret, access or refresh token.
func TestSecretScan(t *testing.T) {
	log, logs := newCaptureLogger()
	var mu sync.Mutex
	var errs []string
	keep := func(err error) {
		if err != nil {
			mu.Lock()
			errs = append(errs, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
			mu.Unlock()
		}
	}
	ts := newTokenServer(t)
	clock := newFakeClock()
	tokenClient := NewHTTPClient(HTTPOptions{Vendor: "bss", Base: testTransport(t), Logger: log, MaxResponseBytes: MaxTokenResponseBytes})
	newFlow := func(pw string) *passwordFlow {
		return &passwordFlow{vendor: "bss", endpoint: ts.srv.URL + "/token", clock: clock, password: pw, client: tokenClient}
	}

	// Wrong password: the server echoes it back in error_description.
	bad := newTestSource(t, newFlow("wrong-"+testPassword), SourceOptions{Vendor: "bss", Clock: clock, Logger: log})
	_, err := bad.Token(context.Background())
	if !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	keep(err)

	// Success, API calls, revocation storm, expiry with rotation.
	src := newTestSource(t, newFlow(testPassword), SourceOptions{Vendor: "bss", Clock: clock, Logger: log})
	for _, p := range []Placement{Bearer(), Header("x-access-token"), Query("access_token")} {
		c := apiClient(t, src, p, ts.srv.URL, func(o *HTTPOptions) { o.Logger = log })
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ts.mu.Lock()
			ok := ts.live[p.from(r)]
			ts.mu.Unlock()
			if !ok {
				w.WriteHeader(401)
			}
		})
		ts.resource.Store(&h)
		for range 3 {
			_, _, err := do(t, c, context.Background(), "GET", ts.srv.URL+"/api/x?a=1", nil)
			keep(err)
			ts.revokeAll()
		}
		// Transport errors (the token placed in the URL, with Query).
		fd := &failingDial{next: testTransport(t)}
		fd.n.Store(100)
		c2 := apiClient(t, src, p, "https://api.example.com", func(o *HTTPOptions) { o.Logger = log; o.Base = fd; o.RetryMax = 1 })
		req, _ := http.NewRequest("GET", "https://api.example.com/x?a=1", nil)
		_, err := c2.Do(req)
		keep(err)
		log.Info("token", "tok", mustToken(t, src))
	}
	ts.resource.Store(nil)

	// Refresh token revoked server-side: the server echoes it back.
	clock.Advance(2 * time.Hour)
	ts.mu.Lock()
	clear(ts.refresh)
	ts.mu.Unlock()
	_, err = src.Token(context.Background())
	keep(err)

	// No fallback possible: re-login required.
	relog := newTestSource(t, newFlow(""), SourceOptions{Vendor: "bss", Clock: clock, Logger: log})
	relog.Put(context.Background(), &Token{AccessToken: "AT-SECRET-put", RefreshToken: "RT-SECRET-put", Expiry: clock.Now().Add(-time.Second)})
	_, err = relog.Token(context.Background())
	if !errors.Is(err, ErrReloginRequired) {
		t.Fatalf("relogin: %v", err)
	}
	keep(err)

	// Background refresh failure, logged.
	ff := &fakeFlow{clock: clock, life: 100 * time.Second}
	ff.refreshFn = func(ctx context.Context, old *Token) (*Token, error) {
		return nil, responseError("", "refresh", 500, []byte(`{"refresh_token":"`+old.RefreshToken+`","access_token":"`+old.AccessToken+`"}`))
	}
	bg := newTestSource(t, refreshingFlow{ff}, SourceOptions{Vendor: "bss", Clock: clock, Logger: log, StaleWindow: 50 * time.Second})
	first, _ := bg.Token(context.Background())
	clock.Advance(60 * time.Second)
	bg.Token(context.Background())
	// The refresh's goroutine done: it logs after counting the failure.
	eventually(t, "bg failure", func() bool { return bg.Stats().FailedRefreshes == 1 && !bg.bgRunning.Load() })

	// Token endpoint returning a 500 that quotes tokens, and a 200 that is
	// not a token response but contains one.
	for _, body := range []string{`{"access_token":"AT-SECRET-x","refresh_token":"RT-SECRET-x"}`, `{"token":"AT-SECRET-y"}`} {
		for _, status := range []int{200, 500} {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status); fmt.Fprint(w, body) })
			ts.override.Store(&h)
			f, err := doTokenRequest(tokenClient, mustReq(t, ts.srv.URL), "bss", "token")
			ts.override.Store(nil)
			if err == nil {
				_, _, err = f.Token("bss", "token", clock.Now(), time.Second)
			}
			if status == 200 && strings.Contains(body, "access_token") {
				continue // a valid response
			}
			if err == nil {
				t.Fatalf("%d %s: no error", status, body)
			}
			keep(err)
		}
	}

	all := logs() + strings.Join(errs, "\n")
	for _, secret := range []string{testPassword, testClientSecret, "AT-SECRET", "RT-SECRET", first.AccessToken, first.RefreshToken} {
		if strings.Contains(all, secret) {
			i := strings.Index(all, secret)
			t.Errorf("secret %q leaked: …%s…", secret, all[max(0, i-200):min(len(all), i+50)])
		}
	}
	if len(errs) < 10 || !strings.Contains(logs(), "REDACTED") || !strings.Contains(logs(), "re-authenticating") {
		t.Fatalf("scan saw too little: %d errors\n%s", len(errs), logs())
	}
}

func mustToken(t *testing.T, s *Source) *Token {
	tok, err := s.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func mustReq(t *testing.T, u string) *http.Request {
	req, err := http.NewRequest("POST", u+"/token", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// doTokenRequest caps the body whatever the client, and a body that never
// ends is bounded by the context (the Source's FetchTimeout).
func TestDoTokenRequestLimits(t *testing.T) {
	ts := newTokenServer(t)
	huge := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"`+strings.Repeat("a", MaxTokenResponseBytes)+`"}`)
	})
	ts.override.Store(&huge)
	plain := &http.Client{Transport: testTransport(t)}
	_, err := doTokenRequest(plain, mustReq(t, ts.srv.URL), "bss", "token")
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("huge: %v", err)
	}
	release := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"access_token":`)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	ts.override.Store(&slow)
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	req := mustReq(t, ts.srv.URL).WithContext(ctx)
	_, err = doTokenRequest(plain, req, "bss", "token")
	var ae *Error
	if !errors.As(err, &ae) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow: %v", err)
	}
}

// An ambiguous refresh (connection dropped after the request was sent) is
// not replayed: the server may already have rotated the refresh token.
func TestAmbiguousRefreshNotReplayed(t *testing.T) {
	ts := newTokenServer(t)
	clock := newFakeClock()
	flow := &passwordFlow{vendor: "bp", endpoint: ts.srv.URL + "/token", clock: clock, password: testPassword,
		client: NewHTTPClient(HTTPOptions{Base: testTransport(t), RetryWaitMin: time.Millisecond})}
	src := newTestSource(t, flow, SourceOptions{Vendor: "bp", Clock: clock})
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	drop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	})
	ts.override.Store(&drop)
	clock.Advance(2 * time.Hour)
	before := ts.requests.Load()
	_, err := src.Token(context.Background())
	if err == nil || !errors.Is(err, ErrTokenEndpointUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if n := ts.requests.Load() - before; n != 1 {
		t.Fatalf("refresh sent %d times", n)
	}
	if st := src.Stats(); st.Fetches != 1 {
		t.Fatalf("an ambiguous failure must not fall back to the primary grant: %+v", st)
	}
}

// An *Error says "vendorkit:" once, and scrubbing it again (as
// SafeErrorString does for a wrapped *Error) leaves its text intact.
func TestErrorTextSurvivesRescrubbing(t *testing.T) {
	e := &Error{Vendor: "bss", Op: OpToken, Err: ErrMalformedResponse}
	if got, want := e.Error(), "vendorkit: bss token: malformed token response"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	wrapped := fmt.Errorf("calling BSS: %w", &Error{Vendor: "bss", Op: OpToken, StatusCode: 400, Code: "invalid_grant"})
	if got, want := SafeErrorString(wrapped), "calling BSS: vendorkit: bss token: HTTP 400: invalid_grant"; got != want {
		t.Errorf("SafeErrorString = %q, want %q", got, want)
	}
	// Header dumps are still scrubbed, at the start of any line.
	dump := "GET /x HTTP/1.1\nx-access-token: s3cr3tvalue\nAuthorization: Bearer abcdefgh12345678"
	got := Scrub(dump)
	if strings.Contains(got, "s3cr3tvalue") || strings.Contains(got, "abcdefgh12345678") {
		t.Errorf("header dump not scrubbed: %q", got)
	}
}
