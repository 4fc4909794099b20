package auth

import (
	"context"
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
