package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// leaseStore is an in-process Store + Leaser for the Source's logic (the
// cross-process behaviour is tested with real processes and real stores
// in internal/sharetest). down makes every call fail, as an unreachable
// store would.
type leaseStore struct {
	Store
	down atomic.Bool

	mu      sync.Mutex
	holder  bool
	changed chan struct{} // closed and replaced on every release
	leases  atomic.Int64
	loads   atomic.Int64
}

var errStoreDown = errors.New("store unreachable: dial tcp 10.0.0.1:6379: connection refused")

func newLeaseStore() *leaseStore {
	return &leaseStore{Store: NewMemoryStore(), changed: make(chan struct{})}
}

func (l *leaseStore) Load(ctx context.Context, id Identity) (*Token, error) {
	l.loads.Add(1)
	if l.down.Load() {
		return nil, errStoreDown
	}
	return l.Store.Load(ctx, id)
}

func (l *leaseStore) CompareAndSwap(ctx context.Context, id Identity, old, new *Token) (bool, error) {
	if l.down.Load() {
		return false, errStoreDown
	}
	return l.Store.CompareAndSwap(ctx, id, old, new)
}

func (l *leaseStore) TryLease(ctx context.Context, id Identity) (func(), bool, error) {
	if l.down.Load() {
		return nil, false, errStoreDown
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holder {
		return nil, false, nil
	}
	l.holder = true
	l.leases.Add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			l.holder = false
			close(l.changed)
			l.changed = make(chan struct{})
			l.mu.Unlock()
		})
	}, true, nil
}

func (l *leaseStore) WaitLease(ctx context.Context, id Identity) error {
	l.mu.Lock()
	ch, held := l.changed, l.holder
	l.mu.Unlock()
	if !held {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Two Sources (two processes, in effect) share a leasing store: the one
// that takes the lease fetches, the other waits for it and adopts what it
// stored. One primary grant between them.
func TestLeaseOneFetchAcrossSources(t *testing.T) {
	clock := newFakeClock()
	store := newLeaseStore()
	release := make(chan struct{})
	started := make(chan struct{})
	f1 := &fakeFlow{clock: clock, life: time.Hour}
	f1.tokenFn = func(ctx context.Context) (*Token, error) {
		close(started)
		<-release
		return f1.mint("one"), nil
	}
	f2 := &fakeFlow{clock: clock, life: time.Hour}
	s1 := newTestSource(t, f1, SourceOptions{Clock: clock, Store: store})
	s2 := newTestSource(t, f2, SourceOptions{Clock: clock, Store: store})

	got1 := make(chan *Token, 1)
	go func() { t1, _ := s1.Token(context.Background()); got1 <- t1 }()
	<-started // s1 holds the lease and is fetching
	got2 := make(chan *Token, 1)
	go func() { t2, _ := s2.Token(context.Background()); got2 <- t2 }()
	eventually(t, "s2 waiting for the lease", func() bool { return s2.Stats().LeaseWaits == 1 })
	close(release)
	t1, t2 := <-got1, <-got2
	if t1 == nil || t2 == nil || t1.AccessToken != t2.AccessToken {
		t.Fatalf("tokens %v %v", t1, t2)
	}
	if f1.tokens.Load() != 1 || f2.tokens.Load() != 0 {
		t.Fatalf("primary grants: %d + %d, want 1 + 0", f1.tokens.Load(), f2.tokens.Load())
	}
	if st := s2.Stats(); st.Adopted != 1 || st.LeaseWaits != 1 || st.Fetches != 0 {
		t.Fatalf("s2 stats %+v", st)
	}
}

// Waiting for another holder's lease is bounded by FetchTimeout and
// returns a typed, retryable error; nothing is fetched meanwhile.
func TestLeaseWaitBoundedByFetchTimeout(t *testing.T) {
	clock := newFakeClock()
	store := newLeaseStore()
	rel, _, _ := store.TryLease(context.Background(), Identity{}) // a holder that never finishes
	defer rel()
	f := &fakeFlow{clock: clock, life: time.Hour}
	src := newTestSource(t, f, SourceOptions{Clock: clock, Store: store, FetchTimeout: 50 * time.Millisecond})
	_, err := src.Token(context.Background())
	var ae *Error
	if !errors.As(err, &ae) || !ae.Retryable || !errors.Is(err, context.DeadlineExceeded) ||
		!strings.Contains(err.Error(), errLeaseWaitText) {
		t.Fatalf("err = %v", err)
	}
	if f.tokens.Load() != 0 {
		t.Fatal("fetched while another process held the lease")
	}
}

// Under the lease the store is read again: a token another process
// stored while this one waited is adopted, not refreshed over.
func TestRereadUnderLease(t *testing.T) {
	clock := newFakeClock()
	store := newLeaseStore()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	src := newTestSource(t, refreshingFlow{ff}, SourceOptions{Clock: clock, Store: store, StaleWindow: time.Minute})
	t1, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Another process takes the lease and, while holding it, stores t2.
	rel, _, _ := store.TryLease(context.Background(), Identity{})
	clock.Advance(time.Hour) // t1 expired: callers must wait
	done := make(chan *Token, 1)
	go func() { tok, _ := src.Token(context.Background()); done <- tok }()
	eventually(t, "waiting for the lease", func() bool { return src.Stats().LeaseWaits == 1 })
	t2 := &Token{AccessToken: "other-process", RefreshToken: "other-refresh", Expiry: clock.Now().Add(time.Hour)}
	if ok, _ := store.CompareAndSwap(context.Background(), Identity{}, t1, t2); !ok {
		t.Fatal("swap")
	}
	rel()
	if got := <-done; got == nil || got.AccessToken != "other-process" {
		t.Fatalf("got %v", got)
	}
	if ff.refreshes.Load() != 0 || ff.tokens.Load() != 1 {
		t.Fatalf("refreshes %d, grants %d", ff.refreshes.Load(), ff.tokens.Load())
	}
}

// A refresh rejected with invalid_grant re-reads the store before falling
// back to the primary grant: another process's newer token wins.
func TestInvalidGrantAdoptsNewerStoredToken(t *testing.T) {
	clock := newFakeClock()
	store := NewMemoryStore()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	var other *Token
	ff.refreshFn = func(ctx context.Context, t *Token) (*Token, error) {
		// The other process refreshed with the same refresh token first.
		other = &Token{AccessToken: "other-process", RefreshToken: "other-refresh", Expiry: clock.Now().Add(time.Hour)}
		if ok, _ := store.CompareAndSwap(ctx, Identity{}, t, other); !ok {
			return nil, errors.New("setup: swap failed")
		}
		return nil, &Error{Op: OpRefresh, StatusCode: 400, Code: "invalid_grant"}
	}
	src := newTestSource(t, refreshingFlow{ff}, SourceOptions{Clock: clock, Store: store})
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	got, err := src.Token(context.Background())
	if err != nil || got.AccessToken != "other-process" {
		t.Fatalf("got %v %v", got, err)
	}
	if st := src.Stats(); st.Fetches != 1 || st.Refreshes != 1 || st.Adopted != 1 {
		t.Fatalf("stats %+v (no second login expected)", st)
	}
}

// A store that fails: calls keep working in memory with one warning per
// outage; the token is written back when the store returns; the next
// outage warns again.
func TestStoreOutageKeepsWorkingAndWritesBack(t *testing.T) {
	clock := newFakeClock()
	store := newLeaseStore()
	log, logs := newCaptureLogger()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	src := newTestSource(t, refreshingFlow{ff}, SourceOptions{Clock: clock, Store: store, Logger: log})
	store.down.Store(true)
	for range 5 {
		if _, err := src.Token(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(2 * time.Hour) // every call fetches
	}
	if n := strings.Count(logs(), "token store unavailable"); n != 1 {
		t.Fatalf("%d outage warnings, want 1:\n%s", n, logs())
	}
	if src.Stats().StoreErrors == 0 {
		t.Fatal("StoreErrors not counted")
	}
	cur, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	store.down.Store(false)
	// Stored, and the write-back goroutine done: it logs after the store
	// has the token.
	eventually(t, "write-back", func() bool {
		st, _ := store.Store.Load(context.Background(), Identity{})
		return st != nil && st.AccessToken == cur.AccessToken && !src.wbRunning.Load()
	})
	if !strings.Contains(logs(), "token written back") {
		t.Fatalf("no write-back log:\n%s", logs())
	}
	store.down.Store(true)
	clock.Advance(2 * time.Hour)
	time.Sleep(storeProbe) // let the Source try the store again (real time)
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs(), "token store unavailable"); n != 2 {
		t.Fatalf("%d outage warnings after a second outage, want 2", n)
	}
	for _, sec := range []string{"access-", "refresh-"} {
		if strings.Contains(logs(), sec) {
			t.Fatalf("logs contain a token:\n%s", logs())
		}
	}
}

// A bad stored entry counts as empty with one warning, and the next good
// token replaces it.
func TestBadStoredEntryCountsAsEmpty(t *testing.T) {
	clock := newFakeClock()
	log, logs := newCaptureLogger()
	store := &badStore{Store: NewMemoryStore()}
	store.bad.Store(true)
	ff := &fakeFlow{clock: clock, life: time.Hour}
	src := newTestSource(t, ff, SourceOptions{Clock: clock, Store: store, Logger: log})
	for range 3 {
		if _, err := src.Token(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(2 * time.Hour)
	}
	if n := strings.Count(logs(), "ignoring the stored token"); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, logs())
	}
	if store.overwrites.Load() == 0 {
		t.Fatal("the bad entry was not overwritten")
	}
	if st := src.Stats(); st.StoreErrors != 0 {
		t.Fatalf("a bad entry is not a store error: %+v", st)
	}
}

// badStore reports its entry as unusable until something is stored over it.
type badStore struct {
	Store
	bad        atomic.Bool
	overwrites atomic.Int64
}

func (b *badStore) Load(ctx context.Context, id Identity) (*Token, error) {
	if b.bad.Load() {
		return nil, fmt.Errorf("%w: truncated", ErrBadStoredToken)
	}
	return b.Store.Load(ctx, id)
}

func (b *badStore) CompareAndSwap(ctx context.Context, id Identity, old, new *Token) (bool, error) {
	if b.bad.Load() {
		if old != nil {
			return false, nil
		}
		b.bad.Store(false)
		b.overwrites.Add(1)
	}
	return b.Store.CompareAndSwap(ctx, id, old, new)
}

// The token-change hook sees every change with its reason and the new
// token's expiry, never a token.
func TestTokenChangeHook(t *testing.T) {
	clock := newFakeClock()
	store := NewMemoryStore()
	var mu sync.Mutex
	var events []string
	hook := func(ev TokenEvent) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, fmt.Sprintf("%s %s %v", ev.Vendor, ev.Reason, ev.HasRefresh))
		if s := fmt.Sprintf("%+v", ev); strings.Contains(s, "access-") || strings.Contains(s, "refresh-") {
			t.Errorf("event carries a token: %s", s)
		}
	}
	ff := &fakeFlow{clock: clock, life: time.Hour}
	rotate := true
	ff.refreshFn = func(ctx context.Context, t *Token) (*Token, error) {
		nt := ff.mint("refreshed")
		if !rotate {
			nt.RefreshToken = ""
		}
		return nt, nil
	}
	src := newTestSource(t, refreshingFlow{ff}, SourceOptions{Vendor: "v", Clock: clock, Store: store, OnTokenChange: hook})
	ctx := context.Background()
	t1, _ := src.Token(ctx) // new
	clock.Advance(2 * time.Hour)
	src.Token(ctx) // rotation
	rotate = false
	clock.Advance(2 * time.Hour)
	t3, _ := src.Token(ctx) // refresh
	src.Invalidate(t3.AccessToken)
	// Another process stores a token: adopted at the next fetch.
	other := &Token{AccessToken: "from-elsewhere", Expiry: clock.Now().Add(time.Hour)}
	store.CompareAndSwap(ctx, Identity{Vendor: "v"}, t3, other)
	src.Token(ctx) // adopted
	src.Revoke(ctx)
	_ = t1
	want := []string{"v new true", "v rotation true", "v refresh true", "v invalidation false", "v adopted false", "v revoke false"}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(events) != fmt.Sprint(want) {
		t.Fatalf("events\n%q\nwant\n%q", events, want)
	}
}

// A panicking hook is logged, not fatal.
func TestTokenChangeHookPanic(t *testing.T) {
	clock := newFakeClock()
	log, logs := newCaptureLogger()
	src := newTestSource(t, &fakeFlow{clock: clock, life: time.Hour}, SourceOptions{Clock: clock, Logger: log,
		OnTokenChange: func(TokenEvent) { panic("hook bug") }})
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs(), "hook panicked") {
		t.Fatalf("logs:\n%s", logs())
	}
}

// The hot path makes no store call: a fresh token is served from memory.
func TestFreshTokenNoStoreCall(t *testing.T) {
	clock := newFakeClock()
	store := newLeaseStore()
	src := newTestSource(t, &fakeFlow{clock: clock, life: time.Hour}, SourceOptions{Clock: clock, Store: store})
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	loads, leases := store.loads.Load(), store.leases.Load()
	for range 1000 {
		if _, err := src.Token(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if store.loads.Load() != loads || store.leases.Load() != leases {
		t.Fatalf("fresh Token calls touched the store: %d loads, %d leases", store.loads.Load()-loads, store.leases.Load()-leases)
	}
}
