package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// apiClient is an authorizing client for origin, as a vendor client wires
// it.
func apiClient(t *testing.T, src *Source, p Placement, origin string, mod func(*HTTPOptions)) *http.Client {
	t.Helper()
	o := HTTPOptions{Vendor: "test", Source: src, Origin: origin, Placement: p, Base: testTransport(t),
		RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond}
	if mod != nil {
		mod(&o)
	}
	return NewHTTPClient(o)
}

// do sends one request with c and reads the whole response.
func do(t *testing.T, c *http.Client, ctx context.Context, method, url string, body io.Reader) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// 1,000 calls hit 401 after a server-side revocation → exactly one new
// token request, and every call succeeds.
func TestReauthStormAfterRevocation(t *testing.T) {
	ts := newTokenServer(t)
	clock := newFakeClock()
	flow := &passwordFlow{vendor: "bss", endpoint: ts.srv.URL + "/token", clock: clock, password: testPassword,
		client: NewHTTPClient(HTTPOptions{Vendor: "bss", Base: testTransport(t), MaxResponseBytes: MaxTokenResponseBytes})}
	src := newTestSource(t, flow, SourceOptions{Vendor: "bss", Clock: clock})
	c := apiClient(t, src, Bearer(), ts.srv.URL, nil)

	if _, _, err := do(t, c, context.Background(), "GET", ts.srv.URL+"/api/x", nil); err != nil {
		t.Fatal(err)
	}
	ts.revokeAll()
	before := ts.requests.Load()

	const n = 1000
	var wg sync.WaitGroup
	var failures atomic.Int64
	for range n {
		wg.Go(func() {
			resp, _, err := do(t, c, context.Background(), "GET", ts.srv.URL+"/api/x", nil)
			if err != nil || resp.StatusCode != 200 {
				failures.Add(1)
				t.Errorf("call failed: %v %v", resp, err)
			}
		})
	}
	wg.Wait()
	if failures.Load() != 0 {
		t.Fatalf("%d calls failed", failures.Load())
	}
	if got := ts.requests.Load() - before; got != 1 {
		t.Fatalf("new token requests = %d, want exactly 1", got)
	}
	if st := src.Stats(); st.Invalidations != 1 || st.Refreshes != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// A second 401 is returned as a typed error; exactly one re-auth.
func TestSecondUnauthorizedIsTyped(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(401)
		fmt.Fprint(w, `{"message":"nope"}`)
	}))
	defer srv.Close()
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	src := newTestSource(t, ff, SourceOptions{Clock: clock})
	c := apiClient(t, src, Header("x-access-token"), srv.URL, nil)
	_, _, err := do(t, c, context.Background(), "GET", srv.URL+"/x", nil)
	var ae *Error
	if !errors.Is(err, ErrUnauthorized) || !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Vendor != "test" {
		t.Fatalf("err = %v", err)
	}
	if hits.Load() != 2 || ff.tokens.Load() != 2 {
		t.Fatalf("hits %d fetches %d", hits.Load(), ff.tokens.Load())
	}
}

// Re-auth statuses are per vendor: Decisiv's 403 means "endpoint does not
// take bearer" and goes to its CheckResponse hook, never to re-auth.
func TestVendorStatusHookNoReauth(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(403)
	}))
	defer srv.Close()
	errNoBearer := errors.New("decisiv: endpoint does not accept bearer")
	var body io.ReadCloser
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	src := newTestSource(t, ff, SourceOptions{Clock: clock})
	c := apiClient(t, src, Bearer(), srv.URL, func(o *HTTPOptions) {
		o.CheckResponse = func(r *http.Response) error {
			if r.StatusCode == 403 {
				body = r.Body
				return errNoBearer
			}
			return nil
		}
	})
	_, _, err := do(t, c, context.Background(), "GET", srv.URL+"/x", nil)
	if !errors.Is(err, errNoBearer) {
		t.Fatalf("err = %v", err)
	}
	if hits.Load() != 1 || src.Stats().Invalidations != 0 || ff.tokens.Load() != 1 {
		t.Fatalf("hits %d stats %+v", hits.Load(), src.Stats())
	}
	if _, err := body.Read(make([]byte, 1)); err == nil {
		t.Fatal("body not closed")
	}
}

// Retries are re-signed with the current token, not the one the first
// attempt carried.
func TestRetryResignsWithCurrentToken(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	src := newTestSource(t, ff, SourceOptions{Clock: clock})
	var seen []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("x-access-token"))
		first := len(seen) == 1
		mu.Unlock()
		if first {
			// A refresh happened elsewhere while this call was in flight.
			src.Put(context.Background(), &Token{AccessToken: "newer", Expiry: clock.Now().Add(time.Hour)})
			w.WriteHeader(503)
			return
		}
	}))
	defer srv.Close()
	c := apiClient(t, src, Header("x-access-token"), srv.URL, nil)
	resp, _, err := do(t, c, context.Background(), "GET", srv.URL+"/x", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(resp, err)
	}
	if fmt.Sprint(seen) != "[primary-access-1 newer]" {
		t.Fatalf("seen %v", seen)
	}
}

func TestBackoffAndRetryAfter(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"86400", 24 * time.Hour, true},
		{"2", 2 * time.Second, true},
		{"0", 0, true},
		{"99999999999999999999", 0, false}, // overflow: ignored
		{"-5", 0, false},
		{"soon", 0, false},
		{"", 0, false},
		{now.Add(10 * time.Second).UTC().Format(http.TimeFormat), 10 * time.Second, true},
		{now.Add(-time.Hour).UTC().Format(http.TimeFormat), 0, true},
	} {
		got, ok := parseRetryAfter(tc.header, now)
		if ok != tc.ok || (ok && (got > tc.want || got < tc.want-time.Second)) {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
	// Exponential with full jitter, bounded by max, no overflow.
	min, max := 100*time.Millisecond, 5*time.Second
	for attempt := range 100 {
		ceil := min << uint(minInt(attempt, 10))
		if ceil > max {
			ceil = max
		}
		for range 20 {
			if d := backoff(min, max, attempt); d < min || d > ceil {
				t.Fatalf("attempt %d: %v not in [%v,%v]", attempt, d, min, ceil)
			}
		}
	}
}

// A Retry-After within the cap is honoured; one beyond it (seconds or an
// HTTP-date) means the server will not be ready soon: the caller gets the
// response at once, after one request. A wait that would outlast the
// caller's deadline is not started either.
func TestRetryAfterBeyondCapReturnsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name       string
		retryAfter string
		cap        time.Duration
		ctxTimeout time.Duration
		wantHits   int64
		wantStatus int
	}{
		{"within cap", "0", 30 * time.Second, 0, 2, 200},
		{"86400 s", "86400", 30 * time.Second, 0, 1, 429},
		{"date two days ahead", time.Now().Add(48 * time.Hour).UTC().Format(http.TimeFormat), 30 * time.Second, 0, 1, 429},
		{"beyond the caller's deadline", "3600", 2 * time.Hour, time.Minute, 1, 429},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if hits.Add(1) == 1 {
					w.Header().Set("Retry-After", tc.retryAfter)
					w.WriteHeader(429)
				}
			}))
			defer srv.Close()
			c := NewHTTPClient(HTTPOptions{Base: testTransport(t), MaxRetryAfter: tc.cap})
			ctx := context.Background()
			if tc.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctxTimeout)
				defer cancel()
			}
			resp, _, err := do(t, c, ctx, "GET", srv.URL, nil)
			if err != nil || resp.StatusCode != tc.wantStatus || hits.Load() != tc.wantHits {
				t.Fatalf("got %v %v after %d requests; want %d after %d", resp, err, hits.Load(), tc.wantStatus, tc.wantHits)
			}
		})
	}
}

// All the waits of one call share RetryBudget: with 40 ms waits and a
// 100 ms budget, two waits fit and the third is not started (three
// requests, not RetryMax+1). -v (debug) says each wait and why, and why
// it stopped.
func TestRetryBudgetSharedByWaits(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(503)
	}))
	defer srv.Close()
	log, logs := newCaptureLogger()
	c := NewHTTPClient(HTTPOptions{Base: testTransport(t), RetryMax: 10,
		RetryWaitMin: 40 * time.Millisecond, RetryWaitMax: 40 * time.Millisecond,
		RetryBudget: 100 * time.Millisecond, Logger: log})
	resp, _, err := do(t, c, context.Background(), "GET", srv.URL, nil)
	if err != nil || resp.StatusCode != 503 || hits.Load() != 3 {
		t.Fatalf("got %v %v after %d requests; want the 503 after 3", resp, err, hits.Load())
	}
	out := logs()
	if n := strings.Count(out, "vendorkit: retrying"); n != 2 {
		t.Errorf("%d retry lines, want 2:\n%s", n, out)
	}
	for _, want := range []string{"reason=\"HTTP 503, backoff\"", "wait=40ms", "vendorkit: not retrying", "retry budget of 100ms would be exceeded"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// Every wait respects the context: cancelling during a backoff returns.
func TestCancelDuringBackoff(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(503)
	}))
	defer srv.Close()
	c := NewHTTPClient(HTTPOptions{Base: testTransport(t), MaxRetryAfter: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, _, err := do(t, c, ctx, "GET", srv.URL, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("took %v", el)
	}
}

func statusServer(t *testing.T, status int, hits *atomic.Int64) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if string(b) != "" && string(b) != "payload" {
			t.Errorf("body %q", b)
		}
		if hits.Add(1) == 1 {
			w.WriteHeader(status)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// POST is retried only when the server provably did not process it.
func TestNonIdempotentRetryRules(t *testing.T) {
	cases := []struct {
		method  string
		status  int
		retried bool
	}{
		{"POST", 502, false}, {"POST", 504, false}, {"PATCH", 502, false},
		{"POST", 503, true}, {"POST", 429, true}, {"PATCH", 503, true},
		{"GET", 502, true}, {"GET", 504, true}, {"PUT", 502, true}, {"DELETE", 503, true},
		{"GET", 500, false}, {"GET", 404, false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s_%d", tc.method, tc.status), func(t *testing.T) {
			var hits atomic.Int64
			srv := statusServer(t, tc.status, &hits)
			c := NewHTTPClient(HTTPOptions{Base: testTransport(t), RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond})
			resp, _, err := do(t, c, context.Background(), tc.method, srv.URL, strings.NewReader("payload"))
			if err != nil {
				t.Fatal(err)
			}
			wantHits, wantStatus := int64(1), tc.status
			if tc.retried {
				wantHits, wantStatus = 2, 200
			}
			if hits.Load() != wantHits || resp.StatusCode != wantStatus {
				t.Fatalf("hits %d status %d", hits.Load(), resp.StatusCode)
			}
		})
	}
	// An Idempotency-Key makes a POST safe to retry on 502.
	var hits atomic.Int64
	srv := statusServer(t, 502, &hits)
	c := NewHTTPClient(HTTPOptions{Base: testTransport(t), RetryWaitMin: time.Millisecond})
	req, _ := http.NewRequest("POST", srv.URL, strings.NewReader("payload"))
	req.Header.Set("Idempotency-Key", "k1")
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != 200 || hits.Load() != 2 {
		t.Fatal(resp, err, hits.Load())
	}
	resp.Body.Close()
}

// An ambiguous failure (connection dropped after the request was sent) is
// not replayed for POST, and is for GET.
func TestAmbiguousErrorRetryRules(t *testing.T) {
	for _, method := range []string{"POST", "GET"} {
		var hits atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.ReadAll(r.Body)
			if hits.Add(1) == 1 {
				conn, _, _ := w.(http.Hijacker).Hijack()
				conn.Close()
			}
		}))
		c := NewHTTPClient(HTTPOptions{Base: testTransport(t), RetryWaitMin: time.Millisecond})
		resp, _, err := do(t, c, context.Background(), method, srv.URL, strings.NewReader("payload"))
		if method == "POST" {
			if err == nil || hits.Load() != 1 {
				t.Fatalf("POST replayed: hits %d err %v", hits.Load(), err)
			}
		} else if err != nil || resp.StatusCode != 200 || hits.Load() != 2 {
			t.Fatalf("GET not retried: %v %v %d", resp, err, hits.Load())
		}
		srv.Close()
	}
}

// failingDial fails the first n round trips with a dial error.
type failingDial struct {
	n         atomic.Int64
	next      http.RoundTripper
	lastQuery atomic.Pointer[string] // of the last request it saw
}

func (f *failingDial) RoundTrip(r *http.Request) (*http.Response, error) {
	q := r.URL.RawQuery
	f.lastQuery.Store(&q)
	if f.n.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return f.next.RoundTrip(r)
}

func TestPostRetriedOnDialError(t *testing.T) {
	var hits atomic.Int64
	srv := statusServer(t, 200, &hits)
	fd := &failingDial{next: testTransport(t)}
	fd.n.Store(2)
	c := NewHTTPClient(HTTPOptions{Base: fd, RetryWaitMin: time.Millisecond})
	resp, _, err := do(t, c, context.Background(), "POST", srv.URL, strings.NewReader("payload"))
	if err != nil || resp.StatusCode != 200 || hits.Load() != 1 {
		t.Fatal(resp, err, hits.Load())
	}
	// Retry budget: RetryMax transient retries, then the error.
	fd.n.Store(100)
	_, _, err = do(t, c, context.Background(), "POST", srv.URL, strings.NewReader("payload"))
	var op *net.OpError
	if !errors.As(err, &op) || fd.n.Load() != 100-4 {
		t.Fatalf("err %v, attempts %d", err, 100-fd.n.Load())
	}
}

// Credentials never follow a redirect to another origin; same-origin
// redirects keep them. Go itself would forward x-access-token cross-host.
func TestRedirectStripsCredentials(t *testing.T) {
	var mu sync.Mutex
	got := map[string]http.Header{}
	gotQuery := map[string]string{}
	record := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			got[name] = r.Header.Clone()
			gotQuery[name] = r.URL.RawQuery
			mu.Unlock()
		}
	}
	other := httptest.NewServer(record("other"))
	defer other.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/cross", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/landing?"+r.URL.RawQuery, http.StatusFound)
	})
	mux.HandleFunc("/same", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/landing?"+r.URL.RawQuery, http.StatusFound)
	})
	mux.HandleFunc("/landing", record("same"))
	origin := httptest.NewServer(mux)
	defer origin.Close()

	clock := newFakeClock()
	src := newTestSource(t, &fakeFlow{clock: clock, life: time.Hour}, SourceOptions{Clock: clock})
	tok, _ := src.Token(context.Background())
	for _, p := range []Placement{Header("x-access-token"), Bearer(), Query("access_token")} {
		c := apiClient(t, src, p, origin.URL, nil)
		for _, path := range []string{"/cross", "/same"} {
			if _, _, err := do(t, c, context.Background(), "GET", origin.URL+path+"?q=1", nil); err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		h, q := got["other"], gotQuery["other"]
		if strings.Contains(fmt.Sprint(h), tok.AccessToken) || strings.Contains(q, tok.AccessToken) {
			t.Errorf("%v: credential sent cross-origin: %v %q", p, h, q)
		}
		if !strings.Contains(q, "q=1") {
			t.Errorf("%v: other params lost: %q", p, q)
		}
		h, q = got["same"], gotQuery["same"]
		if !strings.Contains(fmt.Sprint(h), tok.AccessToken) && !strings.Contains(q, tok.AccessToken) {
			t.Errorf("%v: credential not kept on same-origin redirect: %v %q", p, h, q)
		}
		mu.Unlock()
	}
}

// fakeHosts answers by host name in memory and records what it saw.
type fakeHosts struct {
	mu   sync.Mutex
	seen map[string]http.Header
	hits atomic.Int64
	h    func(r *http.Request) *http.Response
}

func (f *fakeHosts) RoundTrip(r *http.Request) (*http.Response, error) {
	f.hits.Add(1)
	f.mu.Lock()
	if f.seen == nil {
		f.seen = map[string]http.Header{}
	}
	f.seen[r.URL.Host] = r.Header.Clone()
	f.mu.Unlock()
	if r.Body != nil {
		r.Body.Close()
	}
	resp := f.h(r)
	resp.Request = r
	if resp.Body == nil {
		resp.Body = http.NoBody
	}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	return resp, nil
}

// net/http keeps Authorization on a redirect to a subdomain; we do not.
func TestRedirectToSubdomainStripped(t *testing.T) {
	fh := &fakeHosts{h: func(r *http.Request) *http.Response {
		if r.URL.Host == "api.example.com" {
			return &http.Response{StatusCode: 302, Header: http.Header{"Location": {"https://files.api.example.com/x"}}}
		}
		return &http.Response{StatusCode: 200}
	}}
	clock := newFakeClock()
	src := newTestSource(t, &fakeFlow{clock: clock, life: time.Hour}, SourceOptions{Clock: clock})
	c := apiClient(t, src, Bearer(), "https://api.example.com", func(o *HTTPOptions) { o.Base = fh })
	if _, _, err := do(t, c, context.Background(), "GET", "https://api.example.com/r", nil); err != nil {
		t.Fatal(err)
	}
	if a := fh.seen["files.api.example.com"].Get("Authorization"); a != "" {
		t.Fatalf("Authorization forwarded to subdomain: %q", a)
	}
	if fh.seen["api.example.com"].Get("Authorization") == "" {
		t.Fatal("origin request not signed")
	}
}

// A hop that leaves the origin loses every header the caller set whose
// name is a credential's, whatever the vendor calls it, and keeps the
// others; a hop back to the origin gets them again from the caller's
// request (but those net/http strips for the rest of the chain).
func TestRedirectStripsCallerCredentialHeaders(t *testing.T) {
	fh := &fakeHosts{h: func(r *http.Request) *http.Response {
		switch r.URL.Host {
		case "api.example.com":
			if r.URL.Path == "/back" {
				return &http.Response{StatusCode: 200}
			}
			return &http.Response{StatusCode: 302, Header: http.Header{"Location": {"https://files.example.net/x"}}}
		default:
			return &http.Response{StatusCode: 302, Header: http.Header{"Location": {"https://api.example.com/back"}}}
		}
	}}
	clock := newFakeClock()
	src := newTestSource(t, &fakeFlow{clock: clock, life: time.Hour}, SourceOptions{Clock: clock})
	c := apiClient(t, src, Header("x-access-token"), "https://api.example.com", func(o *HTTPOptions) { o.Base = fh })
	req, _ := http.NewRequest("GET", "https://api.example.com/r", nil)
	caller := map[string]string{
		"X-Api-Key": "caller-key", "X-Vendor-Session": "caller-session", "X-Auth-Password": "caller-pw",
		"Cookie": "sid=caller-cookie", "Proxy-Authorization": "Basic caller", "X-Trace": "trace-1",
	}
	for k, v := range caller {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(resp, err)
	}
	resp.Body.Close()
	fh.mu.Lock()
	defer fh.mu.Unlock()
	away, back := fh.seen["files.example.net"], fh.seen["api.example.com"]
	for k, v := range caller {
		if k == "X-Trace" {
			if away.Get(k) != v {
				t.Errorf("%s not kept across origins: %v", k, away)
			}
			continue
		}
		if away.Get(k) != "" {
			t.Errorf("%s sent to another origin: %q", k, away.Get(k))
		}
		// net/http itself keeps Cookie and Proxy-Authorization off every
		// hop after one that left the domain.
		if k != "Cookie" && k != "Proxy-Authorization" && back.Get(k) != v {
			t.Errorf("%s not restored on the hop back to the origin: %v", k, back)
		}
	}
	if away.Get("X-Access-Token") != "" || back.Get("X-Access-Token") == "" {
		t.Errorf("the placed token: away %q, back %q", away.Get("X-Access-Token"), back.Get("X-Access-Token"))
	}
}

// Plain http to a non-loopback host is refused before any byte leaves,
// including after a redirect downgrade; loopback and opt-in are allowed.
func TestInsecureHTTPRefused(t *testing.T) {
	fh := &fakeHosts{h: func(r *http.Request) *http.Response {
		if r.URL.Path == "/downgrade" {
			return &http.Response{StatusCode: 302, Header: http.Header{"Location": {"http://api.example.com/x"}}}
		}
		return &http.Response{StatusCode: 200}
	}}
	c := NewHTTPClient(HTTPOptions{Vendor: "bss", Base: fh})
	for _, u := range []string{"http://api.example.com/x", "http://10.0.0.1/x", "https://api.example.com/downgrade"} {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("x-access-token", "tok")
		_, err := c.Do(req)
		if !errors.Is(err, ErrInsecureTransport) {
			t.Fatalf("%s: err = %v", u, err)
		}
	}
	if fh.hits.Load() != 1 { // only the https request left
		t.Fatalf("requests sent: %d", fh.hits.Load())
	}
	for _, u := range []string{"http://localhost/x", "http://127.0.0.5/x", "http://[::1]/x"} {
		if _, _, err := do(t, c, context.Background(), "GET", u, nil); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
	}
	c = NewHTTPClient(HTTPOptions{Base: fh, AllowInsecureHTTP: true})
	if _, _, err := do(t, c, context.Background(), "GET", "http://api.example.com/x", nil); err != nil {
		t.Fatal(err)
	}
}

func TestResponseTooLarge(t *testing.T) {
	big := strings.Repeat("x", 2<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // no Content-Length
		}
		io.WriteString(w, big)
	}))
	defer srv.Close()
	c := NewHTTPClient(HTTPOptions{Base: testTransport(t), MaxResponseBytes: MaxTokenResponseBytes})
	for _, path := range []string{"/sized", "/chunked"} {
		_, _, err := do(t, c, context.Background(), "GET", srv.URL+path, nil)
		if !errors.Is(err, ErrResponseTooLarge) {
			t.Fatalf("%s: err = %v", path, err)
		}
	}
	// Exactly at the cap is fine.
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		io.WriteString(w, big[:MaxTokenResponseBytes])
	}))
	defer srv2.Close()
	if _, b, err := do(t, c, context.Background(), "GET", srv2.URL, nil); err != nil || len(b) != MaxTokenResponseBytes {
		t.Fatal(len(b), err)
	}
}

// Query placement: the token goes in the URL only by explicit choice, on
// the attempt's own copy of the request, so net/http's *url.Error (which
// quotes the caller's URL) never holds it.
func TestQueryPlacementErrorsRedacted(t *testing.T) {
	clock := newFakeClock()
	src := newTestSource(t, &fakeFlow{clock: clock, life: time.Hour}, SourceOptions{Clock: clock})
	tok, _ := src.Token(context.Background())
	fd := &failingDial{next: testTransport(t)}
	fd.n.Store(100)
	c := apiClient(t, src, Query("access_token"), "https://api.example.com", func(o *HTTPOptions) { o.Base = fd; o.RetryMax = -1 })
	req, _ := http.NewRequest("GET", "https://api.example.com/x?a=1", nil)
	_, err := c.Do(req)
	if err == nil || strings.Contains(err.Error(), tok.AccessToken) || req.URL.RawQuery != "a=1" {
		t.Fatalf("err = %v, caller's query %q", err, req.URL.RawQuery)
	}
	var op *net.OpError
	if !errors.As(err, &op) {
		t.Fatal("cause lost")
	}
	if got := fd.lastQuery.Load(); got == nil || *got != "a=1&access_token="+tok.AccessToken {
		t.Fatalf("the attempt's query %v, want a=1&access_token=<token>", got)
	}
}

// Query placement under names RedactURL does not know (accessToken, a
// vendor's own "auth"): no log line, debug included, and no error holds
// the token in any encoding Secrets knows, whether the server rejects it
// once (the re-auth and its log lines), the connection fails (the
// attempt's *url.Error quotes the attempt's URL, token included), a
// transport's error quotes that URL, or a server echoes the token into a
// cross-origin redirect's Location.
func TestQueryPlacementNeverLogged(t *testing.T) {
	for _, name := range []string{"accessToken", "auth"} {
		t.Run(name, func(t *testing.T) {
			log, logs := newCaptureLogger()
			clock := newFakeClock()
			ff := &fakeFlow{clock: clock, life: time.Hour}
			var mu sync.Mutex
			var minted []string
			ff.tokenFn = func(context.Context) (*Token, error) {
				tok := ff.mint("QTOKEN")
				mu.Lock()
				minted = append(minted, tok.AccessToken)
				mu.Unlock()
				return tok, nil
			}
			src := newTestSource(t, ff, SourceOptions{Clock: clock})
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			defer other.Close()
			var hits atomic.Int64
			var sent []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/cross" {
					http.Redirect(w, r, other.URL+"/landing?echo="+url.QueryEscape(r.URL.Query().Get(name)), http.StatusFound)
					return
				}
				if r.URL.Path == "/cross-clean" {
					http.Redirect(w, r, other.URL+"/landing?"+r.URL.RawQuery, http.StatusFound)
					return
				}
				mu.Lock()
				sent = append(sent, r.URL.Query().Get(name))
				mu.Unlock()
				if hits.Add(1) == 1 {
					w.WriteHeader(http.StatusUnauthorized)
				}
			}))
			defer srv.Close()
			c := apiClient(t, src, Query(name), srv.URL, func(o *HTTPOptions) { o.Logger = log })
			resp, _, err := do(t, c, context.Background(), "GET", srv.URL+"/x?a=1", nil)
			if err != nil || resp.StatusCode != 200 || hits.Load() != 2 {
				t.Fatalf("401 then 200: %v %v, %d hits", resp, err, hits.Load())
			}
			// A Location that echoes the token is not followed (its
			// error's URL is net/http's: only SafeErrorString is ours);
			// one that only repeats the placement loses it.
			_, _, err = do(t, c, context.Background(), "GET", srv.URL+"/cross", nil)
			if !errors.Is(err, ErrUnexpectedRedirect) {
				t.Fatalf("echoing redirect: %v", err)
			}
			crossErr := SafeErrorString(err)
			if _, _, err := do(t, c, context.Background(), "GET", srv.URL+"/cross-clean", nil); err != nil {
				t.Fatal(err)
			}

			var errs []error
			fd := &failingDial{next: testTransport(t)}
			fd.n.Store(100)
			quoting := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return nil, fmt.Errorf("instrumented transport: %s: %w", r.URL, syscall.ECONNREFUSED)
			})
			for _, base := range []http.RoundTripper{fd, quoting} {
				c2 := apiClient(t, src, Query(name), "https://api.example.com", func(o *HTTPOptions) {
					o.Logger, o.Base, o.RetryMax = log, base, 1
				})
				req, _ := http.NewRequest("GET", "https://api.example.com/x?a=1", nil)
				_, err := c2.Do(req)
				var op *net.OpError
				if !errors.As(err, &op) && !errors.Is(err, syscall.ECONNREFUSED) {
					t.Fatalf("connection error: cause lost: %v", err)
				}
				errs = append(errs, err)
			}

			mu.Lock()
			defer mu.Unlock()
			if len(minted) != 2 || fmt.Sprint(sent) != fmt.Sprint(minted) {
				t.Fatalf("tokens minted %v, sent %v: want each sent once", minted, sent)
			}
			if got := fd.lastQuery.Load(); got == nil || !strings.Contains(*got, minted[1]) {
				t.Fatalf("the failing attempt carried no token: %v", got)
			}
			text := logs() + "\n" + crossErr
			for _, err := range errs {
				text += "\n" + err.Error() + "\n" + fmt.Sprintf("%+v %#v", err, err) + "\n" + SafeErrorString(err)
			}
			for _, tok := range minted {
				for _, enc := range encodings(tok) {
					if i := strings.Index(text, enc); i >= 0 {
						t.Errorf("token (as %q) leaked: …%s…", enc, text[max(0, i-150):min(len(text), i+len(enc)+20)])
						break
					}
				}
			}
			for _, line := range []string{"re-authenticating after rejected token", "vendorkit: response",
				"vendorkit: request failed", "credentials stripped on cross-origin redirect", "instrumented transport", "a=1"} {
				if !strings.Contains(text, line) {
					t.Errorf("logs and errors lack %q:\n%s", line, text)
				}
			}
		})
	}
}

// roundTripFunc is a RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func minInt(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// RoundTrip authorizes a copy: neither the caller's request, its Header
// map nor its URL is modified, also when a 401 makes the call re-sign and
// retry and a 503 makes it retry again, and the body is replayed intact.
func TestRoundTripLeavesRequestUntouched(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	src := newTestSource(t, ff, SourceOptions{Clock: clock})
	var n atomic.Int32
	var bodies sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies.Store(n.Load(), string(b))
		switch n.Add(1) % 3 {
		case 1:
			w.WriteHeader(http.StatusUnauthorized) // re-auth: invalidate, re-sign, retry
		case 2:
			w.WriteHeader(http.StatusServiceUnavailable) // transient retry
		}
	}))
	defer srv.Close()
	c := apiClient(t, src, Bearer(), srv.URL, nil)
	for _, method := range []string{"GET", "PUT"} {
		var body io.Reader
		if method == "PUT" {
			body = strings.NewReader("payload")
		}
		req, err := http.NewRequest(method, srv.URL+"/x?a=1", body)
		if err != nil {
			t.Fatal(err)
		}
		hdr, u := req.Header, req.URL
		before, rawURL := fmt.Sprint(req.Header), req.URL.String()
		resp, err := c.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", method, resp, err)
		}
		resp.Body.Close()
		if fmt.Sprint(req.Header) != before || req.URL.String() != rawURL {
			t.Errorf("%s: request modified: header %v (was %v), URL %s (was %s)", method, req.Header, before, req.URL, rawURL)
		}
		if fmt.Sprintf("%p", req.Header) != fmt.Sprintf("%p", hdr) || req.URL != u {
			t.Errorf("%s: request's Header or URL replaced", method)
		}
	}
	if n.Load() != 6 {
		t.Fatalf("server saw %d requests, want 3 per call", n.Load())
	}
	for i := int32(3); i < 6; i++ {
		if b, _ := bodies.Load(i); b != "payload" {
			t.Errorf("PUT attempt %d sent body %q", i-2, b)
		}
	}
}

// An authorizing client refuses plain http to a non-loopback host only for
// requests to its origin, which would carry the token; a request to
// another origin carries no credential and is sent as net/http would.
func TestInsecureHTTPRefusedOnlyForOurOrigin(t *testing.T) {
	fh := &fakeHosts{h: func(*http.Request) *http.Response { return &http.Response{StatusCode: 200} }}
	clock := newFakeClock()
	src := newTestSource(t, &fakeFlow{clock: clock, life: time.Hour}, SourceOptions{Clock: clock})
	c := apiClient(t, src, Bearer(), "http://api.example.com", func(o *HTTPOptions) { o.Base = fh })
	if _, _, err := do(t, c, context.Background(), "GET", "http://api.example.com/r", nil); !errors.Is(err, ErrInsecureTransport) {
		t.Fatalf("our origin over http: err = %v", err)
	}
	if _, _, err := do(t, c, context.Background(), "GET", "http://files.example.net/x", nil); err != nil {
		t.Fatalf("another origin over http: %v", err)
	}
	if n := fh.hits.Load(); n != 1 {
		t.Fatalf("requests sent: %d, want 1", n)
	}
	if a := fh.seen["files.example.net"].Get("Authorization"); a != "" {
		t.Fatalf("Authorization sent to another origin: %q", a)
	}
}
