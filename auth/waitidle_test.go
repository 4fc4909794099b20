package auth

import (
	"context"
	"strings"
	"testing"
	"time"
)

// WaitIdle "returns when no token fetch runs, background refresh
// included": also when it is called right after the Token call that
// started the refresh, before the refresh's goroutine has run. (Each
// round is a fresh Source, so that a round does not depend on scheduling
// luck; before the fix most rounds saw no refresh at all.)
func TestWaitIdleRightAfterBackgroundStart(t *testing.T) {
	ctx := context.Background()
	for round := range 50 {
		clock := newFakeClock()
		ff := &fakeFlow{clock: clock, life: 100 * time.Second}
		src := NewSource(refreshingFlow{ff}, SourceOptions{Clock: clock, StaleWindow: 20 * time.Second})
		if _, err := src.Token(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Advance(81 * time.Second) // stale: this call starts a background refresh
		if _, err := src.Token(ctx); err != nil {
			t.Fatal(err)
		}
		if err := src.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		n, st := ff.refreshes.Load(), src.Stats()
		cur := src.cur.Load().tok.AccessToken
		src.Close()
		if n != 1 || st.BackgroundRefreshes != 1 || cur != "refreshed-access-2" {
			t.Fatalf("round %d: WaitIdle returned with %d refreshes of %d started, current %q; want the refresh done",
				round, n, st.BackgroundRefreshes, cur)
		}
	}
}

// WaitIdle waits for a failed background refresh to be handled, not only
// for its flight: when it returns, the backoff is set and the warning
// logged. (Before, the flight's end let WaitIdle return while the
// refresh's goroutine had still to log: the line was missing in about
// half the rounds.)
func TestWaitIdleAfterFailedBackgroundRefresh(t *testing.T) {
	ctx := context.Background()
	for round := range 50 {
		clock := newFakeClock()
		ff := &fakeFlow{clock: clock, life: 100 * time.Second}
		ff.refreshFn = func(context.Context, *Token) (*Token, error) {
			return nil, &Error{Op: OpRefresh, StatusCode: 503, Retryable: true}
		}
		log, logs := newCaptureLogger()
		src := NewSource(refreshingFlow{ff}, SourceOptions{Clock: clock, StaleWindow: 20 * time.Second,
			RefreshBackoff: 10 * time.Second, Logger: log})
		if _, err := src.Token(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Advance(81 * time.Second) // stale: this call starts a background refresh, which fails
		if _, err := src.Token(ctx); err != nil {
			t.Fatal(err)
		}
		if err := src.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		logged := strings.Contains(logs(), "background token refresh failed")
		backoff := src.bgNotUntil.Load() != 0
		src.Close()
		if !logged || !backoff {
			t.Fatalf("round %d: WaitIdle returned with the failure logged %v, its backoff set %v; want both", round, logged, backoff)
		}
	}
}
