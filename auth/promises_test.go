package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
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

// Tests pinning documented behaviour that hand-made mutation testing found
// unpinned: each names the promise it holds.

// RefreshBackoff: "or the token endpoint's Retry-After when longer". A
// background refresh failing with Retry-After 15s (backoff 10s + ≤20%
// jitter) starts no other refresh for 15s.
func TestBackgroundBackoffHonoursLongerRetryAfter(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: 100 * time.Second}
	ff.refreshFn = func(ctx context.Context, old *Token) (*Token, error) {
		return nil, &Error{Op: OpRefresh, StatusCode: 503, Retryable: true, RetryAfter: 15 * time.Second}
	}
	src := newTestSource(t, refreshingFlow{ff}, SourceOptions{Clock: clock,
		StaleWindow: 20 * time.Second, RefreshBackoff: 10 * time.Second})
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock.Advance(81 * time.Second) // stale
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "failed refresh", func() bool { return src.Stats().FailedRefreshes == 1 && !src.bgRunning.Load() })
	clock.Advance(13 * time.Second) // 94s: past 10s+20%, inside Retry-After
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := src.Stats().BackgroundRefreshes; n != 1 {
		t.Fatalf("background refreshes 13s after a Retry-After of 15s = %d, want 1", n)
	}
	clock.Advance(3 * time.Second) // 97s: Retry-After over, token still valid
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := src.Stats().BackgroundRefreshes; n != 2 {
		t.Fatalf("background refreshes after the Retry-After = %d, want 2", n)
	}
	eventually(t, "second attempt", func() bool { return ff.refreshes.Load() == 2 && !src.bgRunning.Load() })
}

// refreshRejected: "any non-retryable 400/401 from the refresh endpoint"
// is a rejected refresh token, so the Source falls back to the primary
// grant; a refresh endpoint answering 401 without invalid_grant included.
func TestRefresh401FallsBackToPrimary(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Minute}
	ff.refreshFn = func(ctx context.Context, old *Token) (*Token, error) {
		return nil, &Error{Op: OpRefresh, StatusCode: 401, Code: "unauthorized"}
	}
	src := newTestSource(t, refreshingFlow{ff}, SourceOptions{Clock: clock})
	first, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)
	got, err := src.Token(context.Background())
	if err != nil {
		t.Fatalf("refresh answered 401: %v, want a fallback to the primary grant", err)
	}
	if got == first || ff.refreshes.Load() != 1 || ff.tokens.Load() != 2 {
		t.Fatalf("refreshes %d, primary grants %d; want 1 and 2", ff.refreshes.Load(), ff.tokens.Load())
	}
}

// Revoke "revokes what the Source holds and clears the Store": when the
// Store holds another process's token and memory an older one, both are
// revoked, the stored one first, and the Store is cleared.
func TestRevokeRevokesStoredAndHeldTokens(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	var mu sync.Mutex
	var revoked []string
	ff.revokeFn = func(ctx context.Context, tk *Token) error {
		mu.Lock()
		defer mu.Unlock()
		revoked = append(revoked, tk.AccessToken)
		return nil
	}
	store := NewMemoryStore()
	src := newTestSource(t, refreshingFlow{ff}, SourceOptions{Clock: clock, Store: store})
	held, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	other := &Token{AccessToken: "other-process-access", RefreshToken: "other-process-refresh", Expiry: clock.Now().Add(time.Hour)}
	if ok, err := store.CompareAndSwap(context.Background(), src.Identity(), held, other); !ok || err != nil {
		t.Fatalf("swap: %v %v", ok, err)
	}
	if err := src.Revoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []string{other.AccessToken, held.AccessToken}; fmt.Sprint(revoked) != fmt.Sprint(want) {
		t.Fatalf("revoked %v, want %v", revoked, want)
	}
	if st, _ := store.Load(context.Background(), src.Identity()); st != nil {
		t.Fatal("store not cleared")
	}
}

// The default stale window is 20% of the lifetime "plus up to 5% jitter":
// Sources started together do not refresh at the same instant.
func TestDefaultStaleWindowJittered(t *testing.T) {
	clock := newFakeClock()
	src := newTestSource(t, &fakeFlow{clock: clock}, SourceOptions{Clock: clock})
	now := clock.Now()
	seen := map[time.Duration]bool{}
	for range 20 {
		e := src.newEntry(&Token{AccessToken: "a", Expiry: now.Add(time.Hour)}, now)
		seen[e.tok.Expiry.Sub(e.staleAt)] = true
	}
	if len(seen) < 2 {
		t.Fatalf("20 entries of a 1h token share the stale window %v: no jitter", seen)
	}
}

// raceStore is a MemoryStore whose first CompareAndSwap of a token the
// Source fetched loses to another process, which stores racer just before.
type raceStore struct {
	Store
	racer  *Token
	raced  atomic.Bool
	loads  atomic.Int64
	swaps  atomic.Int64
	failed atomic.Bool // every call fails (an outage)
}

func (r *raceStore) Load(ctx context.Context, id Identity) (*Token, error) {
	r.loads.Add(1)
	if r.failed.Load() {
		return nil, errStoreDown
	}
	return r.Store.Load(ctx, id)
}

func (r *raceStore) CompareAndSwap(ctx context.Context, id Identity, old, new *Token) (bool, error) {
	r.swaps.Add(1)
	if r.failed.Load() {
		return false, errStoreDown
	}
	if new != nil && r.racer != nil && r.raced.CompareAndSwap(false, true) {
		cur, _ := r.Store.Load(ctx, id)
		if _, err := r.Store.CompareAndSwap(ctx, id, cur, r.racer); err != nil {
			return false, err
		}
	}
	return r.Store.CompareAndSwap(ctx, id, old, new)
}

// save: when another process stored a usable token meanwhile, it wins and
// the token this Source fetched is revoked "rather than left alive".
func TestLostSaveRaceRevokesFetchedToken(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	var revoked []string
	ff.revokeFn = func(ctx context.Context, tk *Token) error { revoked = append(revoked, tk.AccessToken); return nil }
	racer := &Token{AccessToken: "racer-access", Expiry: clock.Now().Add(time.Hour)}
	store := &raceStore{Store: NewMemoryStore(), racer: racer}
	src := newTestSource(t, refreshingFlow{ff}, SourceOptions{Clock: clock, Store: store})
	got, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken != racer.AccessToken {
		t.Fatalf("got %q, want the racer's token", got.AccessToken)
	}
	if want := []string{"primary-access-1"}; fmt.Sprint(revoked) != fmt.Sprint(want) {
		t.Fatalf("revoked %v, want %v (the fetched token, unused)", revoked, want)
	}
}

// save never adopts the rejected token: a process that writes the token a
// 401 just rejected back into the Store during the fetch does not win;
// the new token replaces it.
func TestLostSaveRaceNeverAdoptsRejectedToken(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	mem := NewMemoryStore()
	store := &raceStore{Store: mem}
	src := newTestSource(t, primaryOnly{ff}, SourceOptions{Clock: clock, Store: store})
	bad, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !src.Invalidate(bad.AccessToken) {
		t.Fatal("not invalidated")
	}
	// The store is emptied (say, by an operator), and a stale process
	// writes the rejected token back while this one fetches.
	if ok, _ := mem.CompareAndSwap(context.Background(), src.Identity(), bad, nil); !ok {
		t.Fatal("clear failed")
	}
	c := *bad
	store.racer = &c
	got, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken == bad.AccessToken {
		t.Fatal("the Source adopted the token the server rejected")
	}
	if st, _ := mem.Load(context.Background(), src.Identity()); st == nil || st.AccessToken != got.AccessToken {
		t.Fatalf("store holds %v, want the new token", st)
	}
}

// A failed Load marks the store down: the same fetch does not pay a
// second store timeout on its CompareAndSwap; the token is kept in memory
// for the write-back.
func TestFailedLoadSkipsTheSave(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	store := &raceStore{Store: NewMemoryStore()}
	store.failed.Store(true)
	src := newTestSource(t, primaryOnly{ff}, SourceOptions{Clock: clock, Store: store})
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if l, s, e := store.loads.Load(), store.swaps.Load(), src.Stats().StoreErrors; l != 1 || s != 0 || e != 1 {
		t.Fatalf("loads %d, swaps %d, store errors %d; want 1, 0, 1", l, s, e)
	}
	if src.unsaved.Load() == nil {
		t.Fatal("token not kept for the write-back")
	}
}

// writeBack: a valid token another process stored during the outage wins;
// the write-back does not overwrite it.
func TestWriteBackLeavesAnotherProcessTokenAlone(t *testing.T) {
	clock := newFakeClock()
	store := NewMemoryStore()
	src := newTestSource(t, primaryOnly{&fakeFlow{clock: clock, life: time.Hour}}, SourceOptions{Clock: clock, Store: store})
	other := &Token{AccessToken: "other-access", Expiry: clock.Now().Add(time.Hour)}
	if ok, _ := store.CompareAndSwap(context.Background(), src.Identity(), nil, other); !ok {
		t.Fatal("seed failed")
	}
	mine := &Token{AccessToken: "mine-access", Expiry: clock.Now().Add(time.Hour)}
	src.unsaved.Store(mine)
	if !src.writeBack() {
		t.Fatal("write-back not done")
	}
	if st, _ := store.Load(context.Background(), src.Identity()); st == nil || st.AccessToken != other.AccessToken {
		t.Fatalf("store holds %v, want the other process's token", st)
	}
	if src.unsaved.Load() != nil {
		t.Fatal("superseded token still pending")
	}
	// An expired stored token is replaced.
	other.Expiry = clock.Now().Add(-time.Second)
	src.unsaved.Store(mine)
	if !src.writeBack() {
		t.Fatal("write-back not done")
	}
	if st, _ := store.Load(context.Background(), src.Identity()); st == nil || st.AccessToken != mine.AccessToken {
		t.Fatalf("store holds %v, want the written-back token", st)
	}
}

// MaxRetryAfter caps an honoured Retry-After on its own, whatever
// RetryBudget allows: Retry-After 2 with a 1s cap and a 1h budget is not
// waited for.
func TestRetryAfterCapIndependentOfBudget(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(503)
		}
	}))
	defer srv.Close()
	c := NewHTTPClient(HTTPOptions{Base: testTransport(t), MaxRetryAfter: time.Second, RetryBudget: time.Hour})
	resp, _, err := do(t, c, context.Background(), "GET", srv.URL, nil)
	if err != nil || resp.StatusCode != 503 || hits.Load() != 1 {
		t.Fatalf("got %v %v after %d requests; want the 503 after 1", resp, err, hits.Load())
	}
}

// A hostile Retry-After too large for a Duration saturates (and is then
// over the cap): it never overflows into a negative or short wait.
func TestParseRetryAfterSaturates(t *testing.T) {
	now := time.Now()
	for _, v := range []string{"9223372036854775807", "18446744073", "31536001"} {
		d, ok := parseRetryAfter(v, now)
		if !ok || d != MaxLifetime {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v", v, d, ok, MaxLifetime)
		}
	}
	if d, ok := parseRetryAfter("120", now); !ok || d != 2*time.Minute {
		t.Errorf("parseRetryAfter(120) = %v, %v", d, ok)
	}
}

// CheckResponse sees "responses from Origin" only: a response from another
// origin, which carried no credential, is the caller's.
func TestCheckResponseOnlyForOrigin(t *testing.T) {
	var checked atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("credential sent to another origin")
		}
		w.WriteHeader(403)
		io.WriteString(w, "forbidden")
	}))
	defer other.Close()
	ours := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(403) }))
	defer ours.Close()
	clock := newFakeClock()
	src := newTestSource(t, primaryOnly{&fakeFlow{clock: clock, life: time.Hour}}, SourceOptions{Clock: clock})
	sentinel := errors.New("vendor sentinel")
	c := apiClient(t, src, Bearer(), ours.URL, func(o *HTTPOptions) {
		o.CheckResponse = func(*http.Response) error { checked.Add(1); return sentinel }
	})
	resp, body, err := do(t, c, context.Background(), "GET", other.URL+"/x", nil)
	if err != nil || resp.StatusCode != 403 || string(body) != "forbidden" || checked.Load() != 0 {
		t.Fatalf("other origin: %v %v %q, CheckResponse calls %d; want the plain 403 and none", resp, err, body, checked.Load())
	}
	if _, _, err := do(t, c, context.Background(), "GET", ours.URL+"/x", nil); !errors.Is(err, sentinel) || checked.Load() != 1 {
		t.Fatalf("our origin: %v, CheckResponse calls %d; want the sentinel and 1", err, checked.Load())
	}
}

// A CheckResponse error's body excerpt is scrubbed of the token the
// request carried, even when the Source has moved on to another token by
// the time the response arrives.
func TestCheckResponseErrorScrubsCarriedToken(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	src := newTestSource(t, primaryOnly{ff}, SourceOptions{Clock: clock})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		carried := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		// Another caller's 401 replaces the token while this response is
		// on its way.
		src.Invalidate(carried)
		if _, err := src.Token(r.Context()); err != nil {
			t.Errorf("refetch: %v", err)
		}
		w.WriteHeader(403)
		fmt.Fprintf(w, "denied for %s", carried)
	}))
	defer srv.Close()
	sentinel := errors.New("vendor sentinel")
	c := apiClient(t, src, Bearer(), srv.URL, func(o *HTTPOptions) {
		o.CheckResponse = func(r *http.Response) error {
			if r.StatusCode == 403 {
				return sentinel
			}
			return nil
		}
	})
	_, _, err := do(t, c, context.Background(), "GET", srv.URL+"/x", nil)
	var ae *Error
	if !errors.As(err, &ae) || !errors.Is(err, sentinel) {
		t.Fatalf("err = %v", err)
	}
	if ff.tokens.Load() != 2 {
		t.Fatalf("primary grants %d, want 2", ff.tokens.Load())
	}
	if strings.Contains(ae.Body, "primary-access-1") || strings.Contains(fmt.Sprint(err), "primary-access-1") {
		t.Fatalf("carried token in the error: body %q, error %v", ae.Body, err)
	}
	if ae.Body != "denied for REDACTED" {
		t.Fatalf("body %q", ae.Body)
	}
}

// A hop that leaves the origin loses Referer (net/http would put the
// previous URL there, query and all); a same-origin hop keeps what
// net/http sends.
func TestRedirectCrossOriginDropsReferer(t *testing.T) {
	var mu sync.Mutex
	referers := map[string][]string{}
	record := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			referers[name] = r.Header.Values("Referer")
			mu.Unlock()
		}
	}
	other := httptest.NewServer(record("other"))
	defer other.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/cross", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
	})
	mux.HandleFunc("/same", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/landing", http.StatusFound)
	})
	mux.HandleFunc("/landing", record("same"))
	ours := httptest.NewServer(mux)
	defer ours.Close()
	clock := newFakeClock()
	src := newTestSource(t, &fakeFlow{clock: clock, life: time.Hour}, SourceOptions{Clock: clock})
	c := apiClient(t, src, Bearer(), ours.URL, nil)
	for _, path := range []string{"/cross", "/same"} {
		if _, _, err := do(t, c, context.Background(), "GET", ours.URL+path+"?account=42", nil); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if r := referers["other"]; len(r) != 0 {
		t.Errorf("cross-origin hop carried Referer %q", r)
	}
	if r := referers["same"]; len(r) != 1 || r[0] != ours.URL+"/same?account=42" {
		t.Errorf("same-origin hop Referer %q", r)
	}
}

// An authorizing client stops after 10 redirects (10 requests), with an
// error, rather than following a redirect loop on its own origin.
func TestRedirectLoopStopsAfterTen(t *testing.T) {
	var hits atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, fmt.Sprintf("/hop%d", hits.Add(1)), http.StatusFound)
	}))
	defer srv.Close()
	clock := newFakeClock()
	src := newTestSource(t, &fakeFlow{clock: clock, life: time.Hour}, SourceOptions{Clock: clock})
	c := apiClient(t, src, Bearer(), srv.URL, nil)
	_, _, err := do(t, c, context.Background(), "GET", srv.URL+"/start", nil)
	if err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") || hits.Load() != 10 {
		t.Fatalf("err %v after %d requests; want a stop after 10", err, hits.Load())
	}
}

// WithBasic knows the Basic credential with both parts form-encoded
// first (RFC 6749 §2.3.1), not only the raw one.
func TestSecretsWithBasicFormEncoded(t *testing.T) {
	const key, secret = "23230e67-key", "HCHlt6XP/xe+46k="
	sec := NewSecrets().WithBasic(key, secret)
	form := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(key) + ":" + url.QueryEscape(secret)))
	raw := base64.StdEncoding.EncodeToString([]byte(key + ":" + secret))
	for _, v := range []string{form, raw, strings.TrimRight(form, "="), base64.URLEncoding.EncodeToString([]byte(url.QueryEscape(key) + ":" + url.QueryEscape(secret)))} {
		if got := sec.Scrub("echo " + v + " end"); got != "echo REDACTED end" {
			t.Errorf("Scrub(%q) = %q", v, got)
		}
	}
}

// The longest secret wins where one secret is a prefix of another: no
// tail of the longer one is left behind.
func TestSecretsLongestFirst(t *testing.T) {
	sec := NewSecrets("tok", "tok-and-then-the-rest")
	if got := sec.Scrub("a tok-and-then-the-rest b tok c"); got != "a REDACTED b REDACTED c" {
		t.Fatalf("Scrub = %q", got)
	}
}

// PHP's htmlspecialchars(ENT_QUOTES) writes ' as &#039;: an echoed
// password in that style is scrubbed too.
func TestSecretsPHPHTMLEscape(t *testing.T) {
	const pw = `p&ss<w>"o'rd`
	sec := NewSecrets(pw)
	if got := sec.Scrub(`<td>p&amp;ss&lt;w&gt;&quot;o&#039;rd</td>`); got != "<td>REDACTED</td>" {
		t.Fatalf("Scrub = %q", got)
	}
}

// Error prints Body "only for non-2xx statuses".
func TestErrorBodyOnlyForNon2xx(t *testing.T) {
	ok := &Error{Vendor: "v", Op: OpToken, StatusCode: 200, Body: "some body", Err: ErrMalformedResponse}
	if s := ok.Error(); strings.Contains(s, "some body") {
		t.Fatalf("2xx error prints its body: %s", s)
	}
	bad := &Error{Vendor: "v", Op: OpToken, StatusCode: 502, Body: "some body"}
	if s := bad.Error(); s != `vendorkit: v token: HTTP 502: body "some body"` {
		t.Fatalf("502 error = %s", s)
	}
}

// responseError: "Retryable is set for 429 and 5xx", and nothing else.
func TestResponseErrorRetryable(t *testing.T) {
	for status, want := range map[int]bool{429: true, 500: true, 503: true, 400: false, 401: false, 404: false} {
		if got := NewSecrets().responseError("v", OpToken, status, nil).Retryable; got != want {
			t.Errorf("status %d: Retryable %v, want %v", status, got, want)
		}
	}
}

// Excerpts replace control characters (log injection): CR, LF, ESC, NUL,
// DEL become spaces.
func TestExcerptReplacesControlCharacters(t *testing.T) {
	if got := NewSecrets().Excerpt("a\r\nb\x1b[31mc\x00d\x7fe", 100); got != "a  b [31mc d e" {
		t.Fatalf("Excerpt = %q", got)
	}
}

// ReadTokenResponse: any 3xx, 300 included, is ErrUnexpectedRedirect.
func TestReadTokenResponseAny3xxIsRedirect(t *testing.T) {
	for _, status := range []int{300, 301, 304, 307, 399} {
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(""))}
		_, _, err := ReadTokenResponse("v", OpToken, resp, nil, nil)
		if !errors.Is(err, ErrUnexpectedRedirect) {
			t.Errorf("status %d: %v", status, err)
		}
	}
}

// ParseTokenFields: an OAuth error object in a 200 is the *Error of that
// OAuth error (so a refresh's invalid_grant is ErrInvalidGrant), with no
// body excerpt.
func TestParseTokenFieldsErrorIn200(t *testing.T) {
	_, err := ParseTokenFields("v", OpRefresh, 200, []byte(`{"error":"invalid_grant","error_description":"expired"}`), nil)
	var ae *Error
	if !errors.As(err, &ae) || !errors.Is(err, ErrInvalidGrant) || ae.Code != "invalid_grant" || ae.Description != "expired" || ae.Body != "" || ae.StatusCode != 200 {
		t.Fatalf("err = %#v", err)
	}
}

// lifetime: negative expires_in becomes -1 whatever its size, never a
// product that overflows into a positive lifetime.
func TestNegativeExpiresInNeverOverflows(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []string{"-1", "-3000", "-9223372036854775807", "-9223372036854", "-18446744073709"} {
		for _, unit := range []time.Duration{time.Second, time.Millisecond} {
			f := TokenFields{"access_token": "a", "expires_in": json.Number(n)}
			tok, sane, err := f.Token("v", OpToken, now, unit)
			if err != nil || sane || !tok.Expiry.IsZero() {
				t.Errorf("expires_in %s (%v): expiry %v sane %v err %v; want zero, false", n, unit, tok.Expiry, sane, err)
			}
		}
	}
}

// Static Headers fill in what a request lacks; a header the caller set is
// kept.
func TestStaticHeadersNeverOverrideCaller(t *testing.T) {
	// The static headers as a literal may spell names in any case.
	for _, static := range []http.Header{
		{"Accept": {"application/json"}, "X-Api-Version": {"latest"}},
		{"accept": {"application/json"}, "x-api-version": {"latest"}},
	} {
		var got atomic.Pointer[http.Header]
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := r.Header.Clone()
			got.Store(&h)
		}))
		defer srv.Close()
		clock := newFakeClock()
		src := newTestSource(t, primaryOnly{&fakeFlow{clock: clock, life: time.Hour}}, SourceOptions{Clock: clock})
		c := apiClient(t, src, Bearer(), srv.URL, func(o *HTTPOptions) { o.Headers = static })
		req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
		req.Header.Set("X-Api-Version", "2.1")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := *got.Load()
		if v := h.Values("X-Api-Version"); len(v) != 1 || v[0] != "2.1" {
			t.Errorf("%v: X-Api-Version %q, want the caller's 2.1", static, v)
		}
		if v := h.Values("Accept"); len(v) != 1 || v[0] != "application/json" {
			t.Errorf("%v: Accept %q", static, v)
		}
	}
}

// ReadTokenResponse keeps the token endpoint's Retry-After in the *Error
// (the background refresh's backoff honours it).
func TestReadTokenResponseKeepsRetryAfter(t *testing.T) {
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"7"}}, Body: io.NopCloser(strings.NewReader(`{"error":"slow_down"}`))}
	_, _, err := ReadTokenResponse("v", OpRefresh, resp, nil, nil)
	var ae *Error
	if !errors.As(err, &ae) || ae.RetryAfter != 7*time.Second || !ae.Retryable || !errors.Is(err, ErrTokenEndpointUnavailable) {
		t.Fatalf("err = %v", err)
	}
}
