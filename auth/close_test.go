package auth

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Close while a fetch waits for a lease another process holds, a Revoke
// waits for its revoke request and a background refresh waits for the
// token endpoint: every call returns, with an error, no goroutine is left,
// the revoke request was sent once, and the stored token is kept (the
// Revoke did not finish, so it can be called again).
func TestCloseWithEverythingInFlight(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clock := newFakeClock()
	ctx := context.Background()

	// src: a lease store whose lease "another process" holds.
	ls := newLeaseStore()
	other, ok, _ := ls.TryLease(ctx, Identity{Vendor: "v"})
	if !ok {
		t.Fatal("lease not taken")
	}
	defer other()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	revoking := make(chan struct{}, 1)
	ff.revokeFn = func(ctx context.Context, tok *Token) error {
		revoking <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}
	src := NewSource(refreshingFlow{ff}, SourceOptions{Vendor: "v", Store: ls, Clock: clock, FetchTimeout: time.Hour})
	seed := ff.mint("seed")
	if err := src.Put(ctx, seed); err != nil {
		t.Fatal(err)
	}
	src.Invalidate(seed.AccessToken) // the next Token call fetches, and waits for the lease

	// bg: a background refresh the token endpoint never answers.
	bgFlow := &fakeFlow{clock: clock, life: 100 * time.Second}
	refreshing := make(chan struct{}, 1)
	bgFlow.refreshFn = func(ctx context.Context, _ *Token) (*Token, error) {
		refreshing <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	bg := NewSource(refreshingFlow{bgFlow}, SourceOptions{Vendor: "bg", Clock: clock, FetchTimeout: time.Hour, StaleWindow: 50 * time.Second})
	if _, err := bg.Token(ctx); err != nil {
		t.Fatal(err)
	}

	errs := make(chan error, 2)
	go func() { _, err := src.Token(ctx); errs <- err }()
	eventually(t, "the lease wait", func() bool { return src.Stats().LeaseWaits == 1 })
	go func() { errs <- src.Revoke(ctx) }()
	<-revoking
	clock.Advance(60 * time.Second)
	if _, err := bg.Token(ctx); err != nil { // stale: returned, refresh started
		t.Fatal(err)
	}
	<-refreshing

	closed := make(chan struct{})
	go func() { defer close(closed); src.Close(); bg.Close() }()
	select {
	case <-closed:
	case <-time.After(20 * time.Second): // hang guard, not a measure
		t.Fatal("Close did not return")
	}
	for range 2 {
		if err := <-errs; err == nil {
			t.Error("a call in flight at Close succeeded")
		}
	}
	if n := ff.revokes.Load(); n != 1 {
		t.Errorf("%d revoke requests, want 1", n)
	}
	if n := ff.tokens.Load() + ff.refreshes.Load(); n != 0 {
		t.Errorf("%d token requests while another process held the lease", n)
	}
	if st, _ := ls.Store.Load(ctx, Identity{Vendor: "v"}); st == nil || st.AccessToken != seed.AccessToken {
		t.Errorf("stored %v after an unfinished Revoke, want the seed kept", st)
	}
}
