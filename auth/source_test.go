package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newTestSource(t *testing.T, flow Flow, opts SourceOptions) *Source {
	t.Helper()
	s := NewSource(flow, opts)
	t.Cleanup(func() { s.Close() })
	return s
}

// 1,000 goroutines on a cold cache → exactly one token-endpoint request.
func TestColdCacheSingleFetch(t *testing.T) {
	ts := newTokenServer(t)
	ts.gate = make(chan struct{})
	clock := newFakeClock()
	flow := &passwordFlow{vendor: "bss", endpoint: ts.srv.URL + "/token", clock: clock, password: testPassword,
		client: NewHTTPClient(HTTPOptions{Vendor: "bss", Base: testTransport(t), MaxResponseBytes: MaxTokenResponseBytes})}
	src := newTestSource(t, flow, SourceOptions{Vendor: "bss", Clock: clock})

	const n = 1000
	var wg sync.WaitGroup
	toks := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			tok, err := src.Token(context.Background())
			errs[i] = err
			if tok != nil {
				toks[i] = tok.AccessToken
			}
		})
	}
	eventually(t, "token request", func() bool { return ts.requests.Load() == 1 })
	time.Sleep(20 * time.Millisecond) // let the rest pile up on the flight
	close(ts.gate)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || toks[i] != "AT-SECRET-1" {
			t.Fatalf("caller %d: %q %v", i, toks[i], errs[i])
		}
	}
	if got := ts.requests.Load(); got != 1 {
		t.Fatalf("token requests = %d, want 1", got)
	}
	if st := src.Stats(); st.Fetches != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// No lock is held during the fetch: Invalidate, Stats and a fresh-token
// read are not blocked while a fetch is stuck.
func TestNoLockHeldDuringFetch(t *testing.T) {
	clock := newFakeClock()
	gate := make(chan struct{})
	ff := &fakeFlow{clock: clock, life: time.Hour}
	ff.tokenFn = func(ctx context.Context) (*Token, error) { <-gate; return ff.mint("p"), nil }
	src := newTestSource(t, ff, SourceOptions{Clock: clock})
	done := make(chan struct{})
	go func() { defer close(done); src.Token(context.Background()) }()
	eventually(t, "fetch started", func() bool { return ff.tokens.Load() == 1 })
	src.Invalidate("nothing")
	_ = src.Stats()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := src.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiter: %v", err)
	}
	close(gate)
	<-done
}

// One caller's cancelled context does not cancel the shared fetch.
func TestCancelledCallerDoesNotCancelFetch(t *testing.T) {
	clock := newFakeClock()
	gate := make(chan struct{})
	ff := &fakeFlow{clock: clock, life: time.Hour}
	ff.tokenFn = func(ctx context.Context) (*Token, error) {
		<-gate
		if err := ctx.Err(); err != nil {
			return nil, err // would surface if the fetch had been cancelled
		}
		return ff.mint("p"), nil
	}
	src := newTestSource(t, ff, SourceOptions{Clock: clock})

	ctxA, cancelA := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() { _, err := src.Token(ctxA); errA <- err }()
	eventually(t, "fetch started", func() bool { return ff.tokens.Load() == 1 })
	type res struct {
		tok *Token
		err error
	}
	resB := make(chan res, 1)
	go func() { tok, err := src.Token(context.Background()); resB <- res{tok, err} }()

	cancelA()
	select {
	case err := <-errA:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("A: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("cancelled caller kept waiting")
	}
	close(gate)
	b := <-resB
	if b.err != nil || b.tok.AccessToken != "p-access-1" {
		t.Fatalf("B: %v %v", b.tok, b.err)
	}
	if ff.tokens.Load() != 1 {
		t.Fatalf("fetches = %d", ff.tokens.Load())
	}
}

// The caller's context values reach the flow; its cancellation does not,
// and FetchTimeout bounds the fetch.
func TestFetchTimeoutDetached(t *testing.T) {
	type key struct{}
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock}
	var sawValue atomic.Bool
	ff.tokenFn = func(ctx context.Context) (*Token, error) {
		sawValue.Store(ctx.Value(key{}) == "trace-1")
		<-ctx.Done()
		return nil, ctx.Err()
	}
	src := newTestSource(t, ff, SourceOptions{Vendor: "bss", Clock: clock, FetchTimeout: 20 * time.Millisecond})
	_, err := src.Token(context.WithValue(context.Background(), key{}, "trace-1"))
	if !errors.Is(err, ErrTokenEndpointUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if !sawValue.Load() {
		t.Fatal("context values not passed to the flow")
	}
}

// Stale window: callers get the current token without waiting while exactly
// one background refresh runs (the refresh blocks until released).
func TestStaleWindowBackgroundRefresh(t *testing.T) {
	clock := newFakeClock()
	gate := make(chan struct{})
	ff := &fakeFlow{clock: clock, life: 100 * time.Second}
	ff.refreshFn = func(ctx context.Context, old *Token) (*Token, error) {
		<-gate
		return ff.mint("r"), nil
	}
	src := newTestSource(t, refreshingFlow{ff}, SourceOptions{Clock: clock, StaleWindow: 20 * time.Second})
	first, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(79 * time.Second) // fresh
	if tok, _ := src.Token(context.Background()); tok != first || src.Stats().BackgroundRefreshes != 0 {
		t.Fatal("fresh token should be returned with no refresh")
	}
	clock.Advance(2 * time.Second) // 81s: stale
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			tok, err := src.Token(context.Background())
			if err != nil || tok != first {
				t.Errorf("stale caller got %v %v", tok, err)
			}
		})
	}
	waited := make(chan struct{})
	go func() { wg.Wait(); close(waited) }()
	select {
	case <-waited: // every caller returned while the refresh is still blocked
	case <-time.After(5 * time.Second):
		t.Fatal("callers waited for the background refresh")
	}
	eventually(t, "refresh started", func() bool { return ff.refreshes.Load() == 1 })
	if st := src.Stats(); st.BackgroundRefreshes != 1 {
		t.Fatalf("background refreshes = %d, want 1", st.BackgroundRefreshes)
	}
	close(gate)
	eventually(t, "new token", func() bool {
		tok, _ := src.Token(context.Background())
		return tok.AccessToken == "r-access-2"
	})
	if ff.refreshes.Load() != 1 || ff.tokens.Load() != 1 {
		t.Fatalf("refreshes %d tokens %d", ff.refreshes.Load(), ff.tokens.Load())
	}
}

// Default stale window: 20% of the lifetime plus up to 5% jitter.
func TestDefaultStaleWindow(t *testing.T) {
	clock := newFakeClock()
	src := newTestSource(t, &fakeFlow{clock: clock}, SourceOptions{Clock: clock})
	now := clock.Now()
	for range 100 {
		e := src.newEntry(&Token{AccessToken: "a", Expiry: now.Add(100 * time.Second)}, now)
		w := e.tok.Expiry.Sub(e.staleAt)
		if w < 20*time.Second || w > 25*time.Second {
			t.Fatalf("window %v outside [20s,25s]", w)
		}
	}
	// A configured window longer than the lifetime is clamped to half.
	src2 := newTestSource(t, &fakeFlow{clock: clock}, SourceOptions{Clock: clock, StaleWindow: time.Hour})
	e := src2.newEntry(&Token{AccessToken: "a", Expiry: now.Add(100 * time.Second)}, now)
	if w := e.tok.Expiry.Sub(e.staleAt); w != 50*time.Second {
		t.Fatalf("clamped window = %v", w)
	}
	// Zero expiry: never stale.
	if e := src.newEntry(&Token{AccessToken: "a"}, now); !e.staleAt.IsZero() {
		t.Fatal("zero expiry token has a stale point")
	}
}

// A failed early refresh keeps the old token and backs off (Clock based).
func TestFailedEarlyRefreshBacksOff(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: 100 * time.Second}
	ff.refreshFn = func(ctx context.Context, old *Token) (*Token, error) {
		return nil, &Error{Op: OpRefresh, StatusCode: 503, Retryable: true}
	}
	log, logs := newCaptureLogger()
	src := newTestSource(t, refreshingFlow{ff}, SourceOptions{Vendor: "bss", Clock: clock,
		StaleWindow: 20 * time.Second, RefreshBackoff: 10 * time.Second, Logger: log})
	first, _ := src.Token(context.Background())
	clock.Advance(81 * time.Second)

	getOld := func() {
		t.Helper()
		tok, err := src.Token(context.Background())
		if err != nil || tok != first {
			t.Fatalf("got %v %v, want the old token", tok, err)
		}
	}
	getOld()
	eventually(t, "failed refresh", func() bool { return src.Stats().FailedRefreshes == 1 && !src.bgRunning.Load() })
	for range 50 {
		getOld()
	}
	clock.Advance(5 * time.Second) // 86s: inside the backoff
	getOld()
	time.Sleep(5 * time.Millisecond)
	if n := ff.refreshes.Load(); n != 1 {
		t.Fatalf("refresh attempts during backoff = %d, want 1", n)
	}
	clock.Advance(8 * time.Second) // 94s: backoff (10s + ≤20% jitter) over, still stale
	getOld()
	eventually(t, "second attempt", func() bool { return ff.refreshes.Load() == 2 && !src.bgRunning.Load() })
	if !strings.Contains(logs(), "background token refresh failed") {
		t.Fatalf("failure not logged: %s", logs())
	}
	clock.Advance(10 * time.Second) // 104s: expired → callers wait and see the error
	if _, err := src.Token(context.Background()); !errors.Is(err, ErrTokenEndpointUnavailable) {
		t.Fatalf("expired + failing refresh: %v", err)
	}
}

// Refresh-token rotation: the new token (with the new refresh token) is
// saved to the Store before any caller receives it.
type recordingStore struct {
	Store
	mu     sync.Mutex
	events []string
}

func (r *recordingStore) CompareAndSwap(ctx context.Context, id Identity, old, new *Token) (bool, error) {
	ok, err := r.Store.CompareAndSwap(ctx, id, old, new)
	r.mu.Lock()
	defer r.mu.Unlock()
	if new != nil {
		r.events = append(r.events, "saved "+new.AccessToken+" "+new.RefreshToken)
	}
	return ok, err
}

func (r *recordingStore) record(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, s)
}

func TestRotationSavedBeforeReturned(t *testing.T) {
	ts := newTokenServer(t)
	clock := newFakeClock()
	flow := &passwordFlow{vendor: "bp", endpoint: ts.srv.URL + "/token", clock: clock, password: testPassword,
		client: NewHTTPClient(HTTPOptions{Base: testTransport(t)})}
	store := &recordingStore{Store: NewMemoryStore()}
	src := newTestSource(t, flow, SourceOptions{Vendor: "bp", Clock: clock, Store: store})

	t1, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	store.record("returned " + t1.AccessToken)
	if t1.Extra["userName"] != "jdoe" || t1.TokenType != "bearer" {
		t.Fatalf("extra fields: %v", t1)
	}
	clock.Advance(2 * time.Hour) // expired: refresh with RT-1, server rotates to RT-2
	t2, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	store.record("returned " + t2.AccessToken)
	want := []string{
		"saved AT-SECRET-1 RT-SECRET-1", "returned AT-SECRET-1",
		"saved AT-SECRET-2 RT-SECRET-2", "returned AT-SECRET-2",
	}
	if fmt.Sprint(store.events) != fmt.Sprint(want) {
		t.Fatalf("events %q\nwant %q", store.events, want)
	}
	stored, _ := store.Load(context.Background(), Identity{Vendor: "bp"})
	if stored.RefreshToken != "RT-SECRET-2" {
		t.Fatalf("stored refresh token %q", stored.RefreshToken)
	}
	if st := src.Stats(); st.Fetches != 1 || st.Refreshes != 1 {
		t.Fatalf("stats %+v", st)
	}
	// RT-SECRET-1 was rotated away: the old one must never be replayed.
	clock.Advance(2 * time.Hour)
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := src.Stats(); st.Fetches != 1 || st.Refreshes != 2 {
		t.Fatalf("second refresh fell back: %+v", st)
	}
}

// A refresh response without a refresh token keeps the old one.
func TestRefreshWithoutRotationKeepsRefreshToken(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Minute}
	ff.refreshFn = func(ctx context.Context, old *Token) (*Token, error) {
		return &Token{AccessToken: "new", Expiry: clock.Now().Add(time.Minute)}, nil
	}
	src := newTestSource(t, refreshingFlow{ff}, SourceOptions{Clock: clock})
	t1, _ := src.Token(context.Background())
	clock.Advance(2 * time.Minute)
	t2, err := src.Token(context.Background())
	if err != nil || t2.AccessToken != "new" || t2.RefreshToken != t1.RefreshToken {
		t.Fatalf("got %+v %v", t2, err)
	}
}

// invalid_grant on refresh → fall back to the primary grant.
func TestInvalidGrantFallsBackToPrimary(t *testing.T) {
	ts := newTokenServer(t)
	clock := newFakeClock()
	flow := &passwordFlow{vendor: "bp", endpoint: ts.srv.URL + "/token", clock: clock, password: testPassword,
		client: NewHTTPClient(HTTPOptions{Base: testTransport(t)})}
	src := newTestSource(t, flow, SourceOptions{Vendor: "bp", Clock: clock})
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts.mu.Lock()
	clear(ts.refresh) // server-side: refresh tokens revoked
	ts.mu.Unlock()
	clock.Advance(2 * time.Hour)
	tok, err := src.Token(context.Background())
	if err != nil || tok.AccessToken != "AT-SECRET-2" {
		t.Fatalf("got %v %v", tok, err)
	}
	if st := src.Stats(); st.Fetches != 2 || st.Refreshes != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// invalid_grant and the flow cannot run its primary grant → typed
// re-login-required error.
func TestReloginRequired(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Minute}
	src := newTestSource(t, refreshingFlow{ff}, SourceOptions{Vendor: "iofc", Clock: clock})
	if err := src.Put(context.Background(), &Token{AccessToken: "browser", RefreshToken: "rt", Expiry: clock.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	ff.refreshFn = func(ctx context.Context, old *Token) (*Token, error) {
		return nil, responseError("", "refresh", 400, []byte(`{"error":"invalid_grant"}`))
	}
	ff.tokenFn = func(ctx context.Context) (*Token, error) {
		return nil, fmt.Errorf("browser code cannot be replayed: %w", ErrReloginRequired)
	}
	if tok, _ := src.Token(context.Background()); tok.AccessToken != "browser" {
		t.Fatal("Put token not used")
	}
	clock.Advance(2 * time.Minute)
	_, err := src.Token(context.Background())
	var ae *Error
	if !errors.Is(err, ErrReloginRequired) || !errors.As(err, &ae) || ae.Vendor != "iofc" || ae.Retryable {
		t.Fatalf("err = %#v", err)
	}
	if errors.Is(err, ErrTokenEndpointUnavailable) {
		t.Fatal("relogin must not look transient")
	}
}

// A transient refresh failure does not fall back to the primary grant.
func TestTransientRefreshErrorNoFallback(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Minute}
	ff.refreshFn = func(ctx context.Context, old *Token) (*Token, error) {
		return nil, responseError("", "refresh", 502, []byte("<html>bad gateway</html>"))
	}
	src := newTestSource(t, refreshingFlow{ff}, SourceOptions{Clock: clock})
	src.Token(context.Background())
	clock.Advance(2 * time.Minute)
	if _, err := src.Token(context.Background()); !errors.Is(err, ErrTokenEndpointUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if ff.tokens.Load() != 1 {
		t.Fatal("fell back on a transient error")
	}
}

// Compare-and-invalidate: only the current token is invalidated, once.
func TestCompareAndInvalidate(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	src := newTestSource(t, ff, SourceOptions{Clock: clock})
	t1, _ := src.Token(context.Background())
	if src.Invalidate("someone-else") || src.Invalidate("") {
		t.Fatal("invalidated a token that is not current")
	}
	var wins atomic.Int64
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() {
			if src.Invalidate(t1.AccessToken) {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || src.Stats().Invalidations != 1 {
		t.Fatalf("wins %d", wins.Load())
	}
	var wg2 sync.WaitGroup
	for range 1000 {
		wg2.Go(func() {
			src.Invalidate(t1.AccessToken) // late 401s for the old token
			if tok, err := src.Token(context.Background()); err != nil || tok.AccessToken == t1.AccessToken {
				t.Errorf("got %v %v", tok, err)
			}
		})
	}
	wg2.Wait()
	if ff.tokens.Load() != 2 {
		t.Fatalf("fetches = %d, want 2", ff.tokens.Load())
	}
}

// Zero expiry: valid until rejected, never refetched on its own.
func TestZeroExpiryToken(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock} // life 0 → zero Expiry
	src := newTestSource(t, ff, SourceOptions{Clock: clock})
	t1, _ := src.Token(context.Background())
	clock.Advance(10 * 365 * 24 * time.Hour)
	if t2, _ := src.Token(context.Background()); t2 != t1 || ff.tokens.Load() != 1 {
		t.Fatal("zero-expiry token refetched")
	}
}

// A token another process put in a shared Store is adopted instead of
// fetching.
func TestAdoptsTokenFromSharedStore(t *testing.T) {
	clock := newFakeClock()
	store := NewMemoryStore()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	src := newTestSource(t, ff, SourceOptions{Clock: clock, Store: store})
	t1, _ := src.Token(context.Background())
	other := &Token{AccessToken: "from-other-process", Expiry: clock.Now().Add(time.Hour)}
	if ok, _ := store.CompareAndSwap(context.Background(), Identity{}, t1, other); !ok {
		t.Fatal("cas")
	}
	src.Invalidate(t1.AccessToken)
	if tok, _ := src.Token(context.Background()); tok.AccessToken != "from-other-process" || ff.tokens.Load() != 1 {
		t.Fatalf("got %v after %d fetches", tok, ff.tokens.Load())
	}
}

// hangingStore's CompareAndSwap blocks until its context ends, as a file
// store whose lock a stopped process holds: it reports each call and
// returns the context's error.
type hangingStore struct {
	entered chan struct{}
	ended   chan error
}

func (h *hangingStore) Load(context.Context, Identity) (*Token, error) { return nil, nil }

func (h *hangingStore) CompareAndSwap(ctx context.Context, _ Identity, _, _ *Token) (bool, error) {
	h.entered <- struct{}{}
	<-ctx.Done()
	h.ended <- ctx.Err()
	return false, ctx.Err()
}

// Put's store I/O is bounded like a fetch's: a Store that never answers
// fails the Put with FetchTimeout's deadline error (not the token made
// current), Close cancels a Put in progress and waits for it, and a Put
// after Close fails with ErrClosed.
func TestPutBoundedByFetchTimeoutAndClose(t *testing.T) {
	clock := newFakeClock()
	tok := &Token{AccessToken: "seeded", Expiry: clock.Now().Add(time.Hour)}
	put := func(src *Source) <-chan error {
		done := make(chan error, 1)
		go func() { done <- src.Put(context.Background(), tok) }()
		return done
	}
	// A hang guard only: Put is expected back after FetchTimeout (50ms).
	wait := func(what string, done <-chan error) error {
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Put still blocked on the store", what)
			return nil
		}
	}

	hs := &hangingStore{entered: make(chan struct{}, 2), ended: make(chan error, 2)}
	ff := &fakeFlow{clock: clock, life: time.Hour}
	src := newTestSource(t, ff, SourceOptions{Clock: clock, Store: hs, FetchTimeout: 50 * time.Millisecond})
	err := wait("FetchTimeout", put(src))
	var ae *Error
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &ae) || ae.Op != OpToken {
		t.Fatalf("Put = %v, want an *Error wrapping context.DeadlineExceeded", err)
	}
	if len(hs.entered) != 1 || <-hs.ended != context.DeadlineExceeded {
		t.Fatalf("store calls %d: want one, ended by the deadline", len(hs.entered))
	}
	<-hs.entered
	if e := src.cur.Load(); e != nil {
		t.Fatalf("a token the store did not take became current: %v", e.tok)
	}

	hs2 := &hangingStore{entered: make(chan struct{}, 2), ended: make(chan error, 2)}
	src2 := NewSource(ff, SourceOptions{Clock: clock, Store: hs2})
	done := put(src2)
	<-hs2.entered
	src2.Close()
	if err := wait("Close", done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put during Close = %v, want context.Canceled", err)
	}
	if err := src2.Put(context.Background(), tok); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close = %v, want ErrClosed", err)
	}
	if ff.tokens.Load() != 0 {
		t.Fatalf("Put fetched: %d token requests", ff.tokens.Load())
	}
}

// Revoke needs a Revoker, revokes the current token and clears the store.
func TestRevoke(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	plain := newTestSource(t, primaryOnly{ff}, SourceOptions{Clock: clock})
	if err := plain.Revoke(context.Background()); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("err = %v", err)
	}
	store := NewMemoryStore()
	var revoked string
	ff.revokeFn = func(ctx context.Context, tk *Token) error { revoked = tk.AccessToken; return nil }
	src := newTestSource(t, refreshingFlow{ff}, SourceOptions{Clock: clock, Store: store})
	t1, _ := src.Token(context.Background())
	if err := src.Revoke(context.Background()); err != nil {
		t.Fatal(err)
	}
	if revoked != t1.AccessToken {
		t.Fatal("wrong token revoked")
	}
	if st, _ := store.Load(context.Background(), Identity{}); st != nil {
		t.Fatal("store not cleared")
	}
	if t2, _ := src.Token(context.Background()); t2.AccessToken == t1.AccessToken {
		t.Fatal("revoked token still handed out")
	}
}

// Close waits for background refreshes and then refuses to fetch.
func TestCloseStopsBackgroundWork(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: 100 * time.Second}
	ff.refreshFn = func(ctx context.Context, old *Token) (*Token, error) {
		<-ctx.Done() // only Close can end it
		return nil, ctx.Err()
	}
	src := NewSource(refreshingFlow{ff}, SourceOptions{Clock: clock, StaleWindow: 50 * time.Second})
	src.Token(context.Background())
	clock.Advance(60 * time.Second)
	src.Token(context.Background())
	eventually(t, "refresh running", func() bool { return ff.refreshes.Load() == 1 })
	src.Close()
	if src.bgRunning.Load() {
		t.Fatal("background refresh outlived Close")
	}
	clock.Advance(time.Hour)
	if _, err := src.Token(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// A panicking flow becomes an error, not a crash, and the panic value (which
// may hold secrets) is not in it.
func TestFlowPanic(t *testing.T) {
	ff := &fakeFlow{clock: newFakeClock()}
	ff.tokenFn = func(ctx context.Context) (*Token, error) { panic("password=hunter2") }
	src := newTestSource(t, ff, SourceOptions{})
	_, err := src.Token(context.Background())
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v", err)
	}
}

// Flows returning garbage are typed errors.
func TestFlowReturnsEmptyToken(t *testing.T) {
	ff := &fakeFlow{clock: newFakeClock()}
	ff.tokenFn = func(ctx context.Context) (*Token, error) { return &Token{}, nil }
	src := newTestSource(t, ff, SourceOptions{})
	if _, err := src.Token(context.Background()); !errors.Is(err, ErrMalformedResponse) {
		t.Fatalf("err = %v", err)
	}
	if err := src.Put(context.Background(), nil); !errors.Is(err, ErrMalformedResponse) {
		t.Fatalf("Put(nil) = %v", err)
	}
}

// The oauth2 adapter maps fields and always says "Bearer".
func TestOAuth2Adapter(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	src := newTestSource(t, ff, SourceOptions{Clock: clock})
	ot, err := src.OAuth2(context.Background()).Token()
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := src.Token(context.Background())
	if ot.AccessToken != tok.AccessToken || ot.TokenType != "Bearer" || !ot.Expiry.Equal(tok.Expiry) || ot.RefreshToken != tok.RefreshToken {
		t.Fatalf("%+v", ot)
	}
	req, _ := http.NewRequest("GET", "https://example.com", nil)
	ot.SetAuthHeader(req)
	if req.Header.Get("Authorization") != "Bearer "+tok.AccessToken {
		t.Fatal(req.Header)
	}
}

// A token arriving already expired (server clock ahead) is used until
// rejected instead of being refetched on every call.
func TestAlreadyExpiredTokenNotRefetchedEachCall(t *testing.T) {
	clock := newFakeClock()
	ff := &fakeFlow{clock: clock}
	ff.tokenFn = func(context.Context) (*Token, error) {
		return &Token{AccessToken: fmt.Sprint("skewed-", ff.tokens.Load()), Expiry: clock.Now().Add(-time.Minute)}, nil
	}
	log, logs := newCaptureLogger()
	src := newTestSource(t, ff, SourceOptions{Clock: clock, Logger: log})
	for range 10 {
		if tok, err := src.Token(context.Background()); err != nil || tok.AccessToken != "skewed-1" {
			t.Fatal(tok, err)
		}
	}
	if ff.tokens.Load() != 1 || !strings.Contains(logs(), "already expired") {
		t.Fatalf("fetches %d", ff.tokens.Load())
	}
	src.Invalidate("skewed-1") // the 401 path still re-authenticates
	if tok, _ := src.Token(context.Background()); tok.AccessToken != "skewed-2" {
		t.Fatal(tok)
	}
	// Beyond MaxLifetime: clamped.
	e := src.newEntry(&Token{AccessToken: "x", Expiry: clock.Now().Add(10 * MaxLifetime)}, clock.Now())
	if !e.expiry.Equal(clock.Now().Add(MaxLifetime)) {
		t.Fatal(e.expiry)
	}
}

// A valid token left in the Store by a previous run is used at once, even
// when stale, and refreshed in the background.
func TestWarmStartFromStore(t *testing.T) {
	clock := newFakeClock()
	store := NewMemoryStore()
	prev := &Token{AccessToken: "prev-run", RefreshToken: "rt", Expiry: clock.Now().Add(10 * time.Second)}
	store.CompareAndSwap(context.Background(), Identity{}, nil, prev)
	ff := &fakeFlow{clock: clock, life: time.Hour}
	src := newTestSource(t, refreshingFlow{ff}, SourceOptions{Clock: clock, Store: store, StaleWindow: time.Minute})
	if tok, _ := src.Token(context.Background()); tok.AccessToken != "prev-run" {
		t.Fatal(tok)
	}
	clock.Advance(6 * time.Second)  // stale (window clamped to half of the 10 s left)
	src.Token(context.Background()) // → background refresh
	eventually(t, "background refresh", func() bool {
		tok, _ := src.Token(context.Background())
		return tok.AccessToken == "refreshed-access-1"
	})
	if ff.tokens.Load() != 0 || ff.refreshes.Load() != 1 {
		t.Fatalf("tokens %d refreshes %d", ff.tokens.Load(), ff.refreshes.Load())
	}
}

// Stats.Waits counts the Token calls that had to wait for a fetch: a cold
// cache, an invalidated token, an expired one; never a fresh or stale
// token (the stale window's point is that nobody waits).
func TestStatsWaits(t *testing.T) {
	clock := newFakeClock()
	gate := make(chan struct{})
	ff := &fakeFlow{clock: clock, life: 100 * time.Second}
	src := newTestSource(t, primaryOnly{ff}, SourceOptions{Clock: clock, StaleWindow: 20 * time.Second})
	ctx := context.Background()
	waits := func() uint64 { return src.Stats().Waits }

	first, err := src.Token(ctx) // cold
	if err != nil {
		t.Fatal(err)
	}
	if w := waits(); w != 1 {
		t.Fatalf("after cold fetch: waits = %d, want 1", w)
	}
	clock.Advance(50 * time.Second) // fresh
	src.Token(ctx)
	ff.tokenFn = func(context.Context) (*Token, error) { <-gate; return ff.mint("bg"), nil }
	clock.Advance(35 * time.Second) // stale: returned at once, refresh in the background
	if tok, _ := src.Token(ctx); tok != first {
		t.Fatal("stale token not returned")
	}
	if w := waits(); w != 1 {
		t.Fatalf("fresh and stale calls: waits = %d, want 1", w)
	}
	close(gate)
	eventually(t, "background refresh", func() bool {
		tok, _ := src.Token(ctx)
		return tok != first
	})
	if w := waits(); w != 1 {
		t.Fatalf("after background refresh: waits = %d, want 1", w)
	}
	ff.tokenFn = nil
	cur, _ := src.Token(ctx)
	src.Invalidate(cur.AccessToken)
	src.Token(ctx)
	if w := waits(); w != 2 {
		t.Fatalf("after invalidate: waits = %d, want 2", w)
	}
	clock.Advance(200 * time.Second) // expired
	src.Token(ctx)
	if w := waits(); w != 3 {
		t.Fatalf("after expiry: waits = %d, want 3", w)
	}
}

// A Revoke that overlaps an in-flight refresh: the token the refresh got
// (minted from the refresh token being revoked) is revoked too and never
// published; the fetch starts over with the primary grant.
func TestRevokeDuringFetchLeavesNoTokenBehind(t *testing.T) {
	clock := newFakeClock()
	f := &fakeFlow{clock: clock, life: time.Hour}
	inRefresh, release := make(chan struct{}), make(chan struct{})
	f.refreshFn = func(ctx context.Context, _ *Token) (*Token, error) {
		close(inRefresh)
		<-release
		return f.mint("refreshed"), nil
	}
	var mu sync.Mutex
	var revoked []string
	f.revokeFn = func(_ context.Context, t *Token) error {
		mu.Lock()
		revoked = append(revoked, t.AccessToken)
		mu.Unlock()
		return nil
	}
	src := NewSource(refreshingFlow{f}, SourceOptions{Clock: clock})
	defer src.Close()
	ctx := context.Background()

	first, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	src.Invalidate(first.AccessToken) // the next call refreshes and waits
	got := make(chan *Token, 1)
	go func() {
		tok, err := src.Token(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- tok
	}()
	<-inRefresh
	revokeDone := make(chan error, 1)
	go func() { revokeDone <- src.Revoke(ctx) }()
	// Revoke runs (it does not wait for the fetch); then the refresh lands.
	if err := <-revokeDone; err != nil {
		t.Fatal(err)
	}
	close(release)
	tok := <-got

	mu.Lock()
	defer mu.Unlock()
	want := []string{first.AccessToken, "refreshed-access-2"}
	if !slices.Equal(revoked, want) {
		t.Fatalf("revoked %q, want %q (the current token, then the one fetched across the Revoke)", revoked, want)
	}
	if tok == nil || !strings.HasPrefix(tok.AccessToken, "primary-") || tok.AccessToken == first.AccessToken {
		t.Fatalf("caller got %v, want a fresh primary-grant token", tok)
	}
	if n := f.tokens.Load(); n != 2 {
		t.Errorf("primary grants: %d, want 2 (first login, then the fetch starting over)", n)
	}
}

// WaitIdle waits for a background refresh to finish (a process about to
// exit must not cancel a rotation the server already made), returns at
// once when nothing runs, and gives up with ctx.
func TestWaitIdle(t *testing.T) {
	clock := newFakeClock()
	gate := make(chan struct{})
	ff := &fakeFlow{clock: clock, life: 100 * time.Second}
	ff.refreshFn = func(ctx context.Context, old *Token) (*Token, error) {
		<-gate
		return ff.mint("r"), nil
	}
	src := newTestSource(t, refreshingFlow{ff}, SourceOptions{Clock: clock, StaleWindow: 20 * time.Second})
	if err := src.WaitIdle(context.Background()); err != nil {
		t.Fatalf("idle source: %v", err)
	}
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock.Advance(81 * time.Second) // stale: a background refresh starts, blocked on gate
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "refresh started", func() bool { return ff.refreshes.Load() == 1 })
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := src.WaitIdle(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitIdle during the refresh: %v, want the context's deadline", err)
	}
	done := make(chan error, 1)
	go func() { done <- src.WaitIdle(context.Background()) }()
	close(gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if tok, _ := src.Token(context.Background()); tok.AccessToken != "r-access-2" {
		t.Fatalf("after WaitIdle the refreshed token is current: got %q", tok.AccessToken)
	}
	if ff.refreshes.Load() != 1 {
		t.Fatalf("refreshes %d, want 1", ff.refreshes.Load())
	}
}
