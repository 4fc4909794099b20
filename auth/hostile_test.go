package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Tests against vendor servers that misbehave on purpose.

// A token endpoint that redirects elsewhere is never followed, whatever
// the status: no credential (header, Basic, form body) reaches the other
// host, and the error names the status and the Location's origin only.
func TestTokenEndpointRedirectNeverFollowed(t *testing.T) {
	var stolen atomic.Int64
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		fmt.Fprint(w, `{"access_token":"THIEF-TOKEN","token_type":"bearer"}`)
	}))
	defer thief.Close()
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, thief.URL+"/steal/path?code=LEAKED-CODE", status)
			}))
			defer vendor.Close()
			client := NewHTTPClient(HTTPOptions{Vendor: "v", Base: testTransport(t), RefuseRedirects: true})
			req, _ := http.NewRequest("POST", vendor.URL+"/oauth/token", strings.NewReader("grant_type=password&password="+url.QueryEscape(testPassword)))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("x-auth-password", testPassword)
			req.SetBasicAuth(testClientID, testClientSecret)
			_, err := doTokenRequest(client, req, "v", "token")

			if stolen.Load() != 0 {
				t.Fatalf("the other host got %d requests", stolen.Load())
			}
			var ae *Error
			if !errors.Is(err, ErrUnexpectedRedirect) || !errors.As(err, &ae) || ae.StatusCode != status || ae.Op != "token" || ae.Retryable {
				t.Fatalf("err = %v (%#v)", err, ae)
			}
			msg := err.Error()
			if !strings.Contains(msg, thief.URL) || strings.Contains(msg, "/steal") || strings.Contains(msg, "LEAKED") ||
				strings.Count(msg, "vendorkit:") != 1 {
				t.Errorf("error text %q: want the origin %s only, once 'vendorkit:'", msg, thief.URL)
			}
		})
	}
	// A 3xx that net/http does not follow (no Location) is refused too.
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(302) }))
	defer vendor.Close()
	client := NewHTTPClient(HTTPOptions{Vendor: "v", Base: testTransport(t), RefuseRedirects: true})
	req, _ := http.NewRequest("POST", vendor.URL, strings.NewReader("x=1"))
	if _, err := doTokenRequest(client, req, "v", "revoke"); !errors.Is(err, ErrUnexpectedRedirect) || !strings.Contains(err.Error(), "no Location") {
		t.Errorf("302 without Location: %v", err)
	}
}

// blackHole accepts connections and never answers; each request it holds
// is released when its client goes away.
func blackHole(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var held atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body: only then does the server watch the connection
		// and cancel r.Context() when the client goes away.
		_, _ = io.Copy(io.Discard, r.Body)
		held.Add(1)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv, &held
}

// hangingFlow sends each of its requests to a server that never answers.
type hangingFlow struct {
	url    string
	client *http.Client
	clock  Clock
	// good makes Token succeed at once (to have something to refresh or
	// revoke); Refresh and Revoke always hang.
	good bool
}

func (f *hangingFlow) post(ctx context.Context, op Op) error {
	req, _ := http.NewRequestWithContext(ctx, "POST", f.url, strings.NewReader("op="+string(op)))
	_, err := doTokenRequest(f.client, req, "v", op)
	return err
}

func (f *hangingFlow) Token(ctx context.Context) (*Token, error) {
	if f.good {
		return &Token{AccessToken: "A", RefreshToken: "R", Expiry: f.clock.Now().Add(time.Hour)}, nil
	}
	return nil, f.post(ctx, "token")
}
func (f *hangingFlow) Refresh(ctx context.Context, _ *Token) (*Token, error) {
	return nil, f.post(ctx, "refresh")
}
func (f *hangingFlow) Revoke(ctx context.Context, _ *Token) error { return f.post(ctx, "revoke") }

// With a token, refresh or revoke endpoint that accepts the connection
// and never answers, every caller returns at its own deadline, Revoke at
// FetchTimeout, and Close at once, with no goroutine left (goleak in
// TestMain). No lock is held across the hanging request: callers that
// need no fetch are not blocked by it. The watchdog only keeps a
// regression from hanging the suite.
func TestNeverAnsweringEndpoints(t *testing.T) {
	for _, kind := range []string{"token", "refresh", "revoke"} {
		t.Run(kind, func(t *testing.T) {
			watchdog, stop := context.WithTimeout(context.Background(), 20*time.Second)
			defer stop()
			srv, held := blackHole(t)
			clock := newFakeClock()
			flow := &hangingFlow{url: srv.URL, clock: clock, good: kind != "token",
				client: NewHTTPClient(HTTPOptions{Vendor: "v", Base: testTransport(t), RefuseRedirects: true})}
			src := NewSource(flow, SourceOptions{Vendor: "v", Clock: clock, FetchTimeout: 300 * time.Millisecond, StaleWindow: time.Minute})
			if kind != "token" {
				if _, err := src.Token(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			done := make(chan string, 16)
			callers := 8
			switch kind {
			case "token":
				// Cold cache: every caller waits on the hanging fetch,
				// each bounded by its own deadline.
				for range callers {
					go func() {
						ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
						defer cancel()
						_, err := src.Token(ctx)
						done <- fmt.Sprint(errors.Is(err, context.DeadlineExceeded))
					}()
				}
			case "refresh":
				// Expired token: callers wait on the hanging refresh.
				clock.Advance(2 * time.Hour)
				for range callers {
					go func() {
						ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
						defer cancel()
						_, err := src.Token(ctx)
						done <- fmt.Sprint(errors.Is(err, context.DeadlineExceeded))
					}()
				}
			case "revoke":
				// Revoke hangs; meanwhile callers are not blocked by it:
				// they fetch anew (a Revoke clears the current token).
				go func() {
					err := src.Revoke(context.Background())
					done <- fmt.Sprint(errors.Is(err, context.DeadlineExceeded))
				}()
				eventually(t, "the revoke request to reach the server", func() bool { return held.Load() == 1 })
				for range callers - 1 {
					go func() {
						_, err := src.Token(watchdog)
						done <- fmt.Sprint(err == nil)
					}()
				}
			}
			for range callers {
				select {
				case ok := <-done:
					if ok != "true" {
						t.Fatalf("%s: a caller did not return as bounded", kind)
					}
				case <-watchdog.Done():
					t.Fatalf("%s: callers still blocked", kind)
				}
			}
			closed := make(chan error, 1)
			go func() { closed <- src.Close() }()
			select {
			case <-closed:
			case <-watchdog.Done():
				t.Fatal("Close did not return")
			}
			if kind == "revoke" {
				return
			}
			// After Close, Revoke returns at once too.
			if err := src.Revoke(context.Background()); !errors.Is(err, ErrClosed) {
				t.Errorf("Revoke after Close: %v", err)
			}
		})
	}
}

// Revoke takes no lock across its request: a Token call that finds a
// fresh token while a Revoke hangs on a dead endpoint is answered at once.
// (Before, Revoke held the publish lock for the whole request.)
func TestRevokeHoldsNoLockAcrossIO(t *testing.T) {
	srv, held := blackHole(t)
	clock := newFakeClock()
	flow := &hangingFlow{url: srv.URL, clock: clock, good: true,
		client: NewHTTPClient(HTTPOptions{Vendor: "v", Base: testTransport(t), RefuseRedirects: true})}
	src := newTestSource(t, flow, SourceOptions{Vendor: "v", Clock: clock, FetchTimeout: time.Hour})
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = src.Revoke(ctx) })
	defer wg.Wait()
	defer cancel()
	watchdog, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	eventually(t, "the revoke request", func() bool { return held.Load() == 1 })
	// Publishing a fetched token needs the publish lock.
	if _, err := src.Token(watchdog); err != nil {
		t.Fatalf("Token while Revoke hangs: %v", err)
	}
}

// A token no request could carry (a control character in the access or
// refresh token, JSON or any other flow) is a malformed response: never
// cached, never handed out, so the next call asks the flow again instead
// of failing locally until expiry.
func TestUnsendableTokenNeverCached(t *testing.T) {
	for _, bad := range []*Token{
		{AccessToken: "abc\r\nX-Injected: 1"},
		{AccessToken: "abc\x00"},
		{AccessToken: "abc\x1b[31m"},
		{AccessToken: "ok", RefreshToken: "r\n"},
		{AccessToken: "abc\x7f"},
	} {
		flow := &fakeFlow{clock: newFakeClock()}
		flow.tokenFn = func(context.Context) (*Token, error) { return bad, nil }
		src := newTestSource(t, primaryOnly{flow}, SourceOptions{Vendor: "v", Clock: flow.clock})
		for range 2 {
			_, err := src.Token(context.Background())
			var ae *Error
			if !errors.Is(err, ErrMalformedResponse) || !errors.As(err, &ae) || ae.Retryable {
				t.Fatalf("%q: err = %v", bad.AccessToken, err)
			}
			if strings.ContainsAny(err.Error(), "\r\n\x00\x1b") {
				t.Errorf("error text carries the control character: %q", err.Error())
			}
		}
		if flow.tokens.Load() != 2 {
			t.Errorf("%q: flow called %d times, want 2 (nothing cached)", bad.AccessToken, flow.tokens.Load())
		}
		if err := src.Put(context.Background(), bad); !errors.Is(err, ErrMalformedResponse) {
			t.Errorf("Put(%q) = %v", bad.AccessToken, err)
		}
	}
	// A stored one (another process, an old file) is ignored, not served.
	store := NewMemoryStore()
	_, _ = store.CompareAndSwap(context.Background(), Identity{Vendor: "v"}, nil, &Token{AccessToken: "bad\nstored"})
	flow := &fakeFlow{clock: newFakeClock()}
	src := newTestSource(t, primaryOnly{flow}, SourceOptions{Vendor: "v", Clock: flow.clock, Store: store})
	if tok, err := src.Token(context.Background()); err != nil || strings.ContainsAny(tok.AccessToken, "\n") {
		t.Fatalf("stored unsendable token: %v %v", tok, err)
	}
}

// countingTransport counts RoundTrip calls on its base.
type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

// Errors net/http makes locally, before any byte is sent (an invalid
// header value), fail the same way every time: never retried.
func TestLocalErrorsNeverRetried(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	ct := &countingTransport{base: testTransport(t)}
	c := NewHTTPClient(HTTPOptions{Base: ct, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Authorization", "Bearer abc\r\nX-Injected: 1")
	if _, err := c.Do(req); err == nil {
		t.Fatal("no error")
	}
	if ct.n.Load() != 1 || hits.Load() != 0 {
		t.Errorf("%d attempts and %d requests served; want 1 attempt, 0 served", ct.n.Load(), hits.Load())
	}
}

// The error of a resource call that failed (a second 401, a vendor's
// CheckResponse) carries the status and a body excerpt, scrubbed of the
// client's secrets and of the token the request carried, even when the
// server echoes them back in any encoding.
func TestResourceErrorScrubsTokenInUse(t *testing.T) {
	var token atomic.Pointer[string]
	echo := func(w http.ResponseWriter, r *http.Request, status int) {
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"message":"token %s rejected; json %q; url %s; secret %s"}`,
			got, got+"/", url.QueryEscape(got), testClientSecret)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/always401":
			echo(w, r, 401)
		case "/forbidden":
			echo(w, r, 403)
		}
	}))
	defer srv.Close()
	flow := &fakeFlow{clock: newFakeClock()}
	flow.tokenFn = func(context.Context) (*Token, error) {
		n := flow.seq.Add(1)
		s := fmt.Sprintf("TOKEN/+%d-%s", n, strings.Repeat("x", 300)) // longer than the excerpt
		token.Store(&s)
		return &Token{AccessToken: s}, nil
	}
	src := newTestSource(t, primaryOnly{flow}, SourceOptions{Vendor: "v", Clock: flow.clock})
	errForbidden := errors.New("forbidden sentinel")
	c := apiClient(t, src, Bearer(), srv.URL, func(o *HTTPOptions) {
		o.Secrets = NewSecrets(testClientSecret)
		o.CheckResponse = func(r *http.Response) error {
			if r.StatusCode == 403 {
				return errForbidden
			}
			return nil
		}
	})
	for _, tc := range []struct {
		path   string
		status int
		cause  error
	}{{"/always401", 401, ErrUnauthorized}, {"/forbidden", 403, errForbidden}} {
		_, _, err := do(t, c, context.Background(), "GET", srv.URL+tc.path, nil)
		var ae *Error
		if !errors.Is(err, tc.cause) || !errors.As(err, &ae) || ae.StatusCode != tc.status || ae.Body == "" {
			t.Fatalf("%s: err = %v", tc.path, err)
		}
		tok := *token.Load()
		for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), ae.Body} {
			for _, leak := range []string{tok[:40], url.QueryEscape(tok)[:40], testClientSecret} {
				if strings.Contains(s, leak) {
					t.Errorf("%s: %q leaks %q", tc.path, s, leak)
				}
			}
		}
	}
}

// *Error prints no secret under any verb, whatever its cause holds.
func TestErrorVerbsNeverPrintSecrets(t *testing.T) {
	cause := &url.Error{Op: "Get", URL: "https://h/x?access_token=SECRET-AT", Err: errors.New("boom")}
	e := &Error{Vendor: "v", Op: OpRequest, StatusCode: 400, Description: "see SECRET-AT", Body: `{"password":"SECRET-PW"}`, Err: cause}
	e.Description = Scrub(e.Description, "SECRET-AT")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		s := fmt.Sprintf(verb, e)
		if strings.Contains(s, "SECRET") || strings.Contains(s, "5345435245") { // %x of "SECRE"
			t.Errorf("%s: %s", verb, s)
		}
	}
	wrapped := fmt.Errorf("outer: %w", e)
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		if s := fmt.Sprintf(verb, wrapped); strings.Contains(s, "SECRET") && verb != "%#v" {
			t.Errorf("wrapped %s: %s", verb, s)
		}
	}
}

// The scrubber knows a secret in every encoding a server might echo it in,
// and the credential shapes the issue found getting through.
func TestSecretsEncodings(t *testing.T) {
	const key, secret, pw = "23230e67-key", "HCHlt6XP/xe+46k=", `p&ss<w>"o'rd/1`
	sec := NewSecrets(pw).WithBasic(key, secret)
	b64 := "MjMyMzBlNjcta2V5OkhDSGx0NlhQL3hlKzQ2az0=" // base64("key:secret")
	cases := []string{
		b64,                          // bare Basic value
		"Authorization=Basic " + b64, // k=v log line
		"authorization=Basic+" + b64, // form-encoded
		`{"pw":"p\u0026ss\u003cw\u003e\"o'rd\/1"}`,   // JSON with \u and \/
		`{"pw":"p\u0026ss\u003Cw\u003E\"o'rd/1"}`,    // upper-case hex
		`<b>p&amp;ss&lt;w&gt;&#34;o&#39;rd/1</b>`,    // Go's html.EscapeString
		`p&amp;ss&lt;w&gt;&quot;o&#x27;rd/1`,         // Python's html.escape
		"pw=" + url.QueryEscape(pw),                  // query escaping
		"pw=" + strings.ToLower(url.QueryEscape(pw)), // lower-case hex
		"path/" + url.PathEscape(pw),
		"x-auth-password: whatever-it-is",
		"X-Refresh-Token: rt-value",
		"x-token: tok-value",
		`{"accessToken":"at-value","refreshToken":"rt-value"}`,
		`<token>xml-token-value</token>`,
	}
	for _, c := range cases {
		got := sec.Scrub(c)
		for _, leak := range []string{b64[:12], "ss<w>", "ss\\u003", "ss&lt;", "ss%3C", "ss%3c", "whatever", "rt-value", "tok-value", "at-value", "xml-token-value"} {
			if strings.Contains(got, leak) {
				t.Errorf("%q → %q still holds %q", c, got, leak)
			}
		}
	}
	// Scrub first, cut after: a secret at the cut is gone, not halved.
	body := strings.Repeat("a", 250) + pw
	if got := sec.Excerpt(body, 256); strings.Contains(got, pw[:5]) {
		t.Errorf("excerpt keeps half a secret: %q", got)
	}
}

// FuzzScrub puts the client's secrets, in random encodings, at random
// places of random text, and checks that no encoding survives Scrub or
// Excerpt. `go test` runs the seed corpus; fuzz with
// `go test -run '^$' -fuzz FuzzScrub -fuzztime 30s ./auth/`.
func FuzzScrub(f *testing.F) {
	const key, secret, pw, at = "client-key-1", "S3cr/t+==", `pa$$ w&rd<"'>/é`, "eyJ.access-token_~+/x="
	sec := NewSecrets(pw, at).WithBasic(key, secret)
	var all []string
	for _, v := range []string{pw, at, secret} {
		all = append(all, encodings(v)...)
	}
	all = append(all, base64s(key+":"+secret)...)
	all = append(all, base64s(url.QueryEscape(key)+":"+url.QueryEscape(secret))...)
	f.Add("", "", uint16(0), uint16(0), uint16(0))
	f.Add(`{"error":"invalid_grant","error_description":"`, `"}`, uint16(3), uint16(7), uint16(256))
	f.Add("password=", "&x=1", uint16(1), uint16(12), uint16(20))
	f.Add(strings.Repeat("z", 250), "tail", uint16(40), uint16(2), uint16(256))
	f.Fuzz(func(t *testing.T, prefix, suffix string, a, b, cut uint16) {
		ea, eb := all[int(a)%len(all)], all[int(b)%len(all)]
		text := prefix + ea + suffix + eb + prefix
		got := sec.Scrub(text)
		ex := sec.Excerpt(text, int(cut)%512+1)
		for _, e := range all {
			if len(e) < 6 {
				continue // too short to mean anything on its own
			}
			if strings.Contains(got, e) || strings.Contains(ex, e) {
				t.Fatalf("encoding %q survived:\nin:  %q\nout: %q\nexcerpt: %q", e, text, got, ex)
			}
		}
	})
}

// A server that echoes the request's URL (its "return to" parameter) or a
// credential into a Location on another origin: stripping the placement
// cannot take the credential out of the new URL, so the redirect is not
// followed. The other host gets nothing; the error names the origin only.
func TestRedirectEchoingCredentialNotFollowed(t *testing.T) {
	var stolen atomic.Int64
	var got atomic.Pointer[string]
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		s := r.URL.String()
		got.Store(&s)
	}))
	defer other.Close()
	clock := newFakeClock()
	src := newTestSource(t, &fakeFlow{clock: clock, life: time.Hour}, SourceOptions{Clock: clock})
	tok, _ := src.Token(context.Background())
	secrets := NewSecrets(testClientSecret)
	for _, tc := range []struct {
		name     string
		p        Placement
		location func(r *http.Request) string
	}{
		{"query echoed in return-to", Query("access_token"), func(r *http.Request) string {
			return other.URL + "/sso?return=" + url.QueryEscape("https://vendor.example"+r.URL.RequestURI())
		}},
		{"bearer in path", Bearer(), func(r *http.Request) string {
			return other.URL + "/x/" + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		}},
		{"header token base64", Header("x-access-token"), func(r *http.Request) string {
			return other.URL + "/x?t=" + base64.URLEncoding.EncodeToString([]byte(r.Header.Get("x-access-token")))
		}},
		{"client secret", Bearer(), func(r *http.Request) string {
			return other.URL + "/x?s=" + url.QueryEscape(testClientSecret)
		}},
		{"caller's own api key", Bearer(), func(r *http.Request) string {
			return other.URL + "/x?k=" + r.Header.Get("X-Api-Key")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stolen.Store(0)
			vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, tc.location(r), http.StatusFound)
			}))
			defer vendor.Close()
			c := apiClient(t, src, tc.p, vendor.URL, func(o *HTTPOptions) { o.Secrets = secrets })
			req, _ := http.NewRequest("GET", vendor.URL+"/api/x?a=1", nil)
			req.Header.Set("X-Api-Key", "callers-own-key-0042")
			resp, err := c.Do(req)
			if resp != nil {
				resp.Body.Close()
			}
			if n := stolen.Load(); n != 0 {
				t.Fatalf("the other host got %d requests: %s", n, *got.Load())
			}
			var ae *Error
			if !errors.Is(err, ErrUnexpectedRedirect) || !errors.As(err, &ae) || ae.StatusCode != http.StatusFound {
				t.Fatalf("err = %v", err)
			}
			msg := SafeErrorString(err)
			if !strings.Contains(msg, other.URL) || strings.Contains(msg, tok.AccessToken) || strings.Contains(msg, "/x") {
				t.Errorf("error text %q: want the origin %s only", msg, other.URL)
			}
		})
	}
	// Without a credential in it, the hop is followed (stripped).
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/landing?a=1", http.StatusFound)
	}))
	defer vendor.Close()
	stolen.Store(0)
	if _, _, err := do(t, apiClient(t, src, Query("access_token"), vendor.URL, nil), context.Background(), "GET", vendor.URL+"/x", nil); err != nil || stolen.Load() != 1 {
		t.Fatalf("a clean cross-origin redirect: %v, %d hits", err, stolen.Load())
	}
}
