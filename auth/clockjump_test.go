package auth

import (
	"context"
	"errors"
	"testing"
	"time"
)

func (c *fakeClock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

// The clock jumping forward and back, and tokens from the store with a
// far-future or past expiry: no refresh storm (each burst of calls makes
// at most one token request), nothing handed out that is known expired.
func TestClockJumps(t *testing.T) {
	clock := newFakeClock()
	ctx := context.Background()
	ff := &fakeFlow{clock: clock, life: time.Hour}
	fail := false
	ff.refreshFn = func(ctx context.Context, _ *Token) (*Token, error) {
		if fail {
			return nil, errors.New("refresh endpoint down")
		}
		return ff.mint("refreshed"), nil
	}
	ms := NewMemoryStore()
	src := NewSource(refreshingFlow{ff}, SourceOptions{Vendor: "v", Store: ms, Clock: clock, RefreshBackoff: time.Minute})
	defer src.Close()
	requests := func() int64 { return ff.tokens.Load() + ff.refreshes.Load() }
	burst := func(what string, max int64) {
		t.Helper()
		before := requests()
		for range 100 {
			tok, err := src.Token(ctx)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if !tok.Expiry.IsZero() && !clock.Now().Before(tok.Expiry) {
				t.Fatalf("%s: handed out a token expired at %v (now %v)", what, tok.Expiry, clock.Now())
			}
		}
		if err := src.WaitIdle(ctx); err != nil {
			t.Fatal(err)
		}
		if n := requests() - before; n > max {
			t.Errorf("%s: %d token requests for 100 calls, want at most %d", what, n, max)
		}
	}
	start := clock.Now()
	burst("cold", 1)
	clock.Set(start.Add(55 * time.Minute)) // stale
	fail = true
	burst("stale, refresh failing", 1)
	clock.Set(start.Add(-2 * time.Hour)) // backward, before the token was issued
	burst("2h back", 0)
	clock.Set(start.Add(56 * time.Minute)) // forward again, still inside the backoff
	burst("forward into the stale window", 1)
	fail = false
	clock.Set(start.Add(10 * 24 * time.Hour)) // far past expiry
	burst("10 days forward", 1)
	clock.Set(start.Add(-365 * 24 * time.Hour)) // a year back: the token now lives a year and an hour
	burst("a year back", 0)

	// From the store: a token expiring in 100 years is clamped to
	// MaxLifetime; one that expired is not adopted but refreshed.
	for _, exp := range []time.Duration{100 * 365 * 24 * time.Hour, -time.Hour} {
		cur, _ := ms.Load(ctx, Identity{Vendor: "v"})
		next := &Token{AccessToken: "stored-" + exp.String(), RefreshToken: "rt", Expiry: clock.Now().Add(exp)}
		if ok, _ := ms.CompareAndSwap(ctx, Identity{Vendor: "v"}, cur, next); !ok {
			t.Fatal("not stored")
		}
		src.Invalidate(src.cur.Load().tok.AccessToken)
		burst("stored expiry "+exp.String(), 1)
		e := src.cur.Load()
		if exp > 0 && (e.tok != next || e.expiry.Sub(clock.Now()) > MaxLifetime) {
			t.Errorf("far-future stored token: current %v expiry %v", e.tok, e.expiry)
		}
		if exp < 0 && e.tok == next {
			t.Error("an expired stored token was adopted")
		}
	}
}
