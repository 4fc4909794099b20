package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/internal/storetest"
	"github.com/vendorkit/vendorkit/auth/redisstore"
	"github.com/vendorkit/vendorkit/internal/testservice"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func client(t *testing.T, addr string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func TestContract(t *testing.T) {
	srv := testservice.StartRedis(t)
	rdb := client(t, srv.Addr)
	ctx := context.Background()
	store := func(t *testing.T, key []byte) *redisstore.Store {
		s, err := redisstore.New(rdb, redisstore.Options{Key: key, Prefix: "test:"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	storetest.Run(t, storetest.Harness{
		Reset: func(t *testing.T) {
			if err := rdb.FlushAll(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		},
		New: func(t *testing.T, key []byte) auth.Store { return store(t, key) },
		Raw: func(t *testing.T, id auth.Identity) []byte {
			v, err := rdb.Get(ctx, store(t, nil).EntryKey(id)).Result()
			if errors.Is(err, redis.Nil) {
				return nil
			}
			if err != nil {
				t.Fatal(err)
			}
			return []byte(v)
		},
		Put: func(t *testing.T, id auth.Identity, raw []byte) {
			if err := rdb.Set(ctx, store(t, nil).EntryKey(id), raw, 0).Err(); err != nil {
				t.Fatal(err)
			}
		},
	})
}

// Keys sit under the prefix and reveal no identity field: no vendor, URL,
// user or client key, only hashes.
func TestKeysHashedUnderPrefix(t *testing.T) {
	srv := testservice.StartRedis(t)
	rdb := client(t, srv.Addr)
	ctx := context.Background()
	s, err := redisstore.New(rdb, redisstore.Options{Prefix: "app1:"})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.CompareAndSwap(ctx, storetest.ID, nil, storetest.Tok("k")); !ok || err != nil {
		t.Fatal(ok, err)
	}
	rel, ok, err := s.TryLease(ctx, storetest.ID)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	keys, err := rdb.Keys(ctx, "*").Result()
	rel()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("keys %q, want entry and lease", keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "app1:{"+storetest.ID.Key()+"}") {
			t.Errorf("key %q", k)
		}
		for _, f := range []string{"ioffice", "example", "alice", "client-key"} {
			if strings.Contains(k, f) {
				t.Errorf("key %q reveals %q", k, f)
			}
		}
	}
}

// A key holding another Redis type is not ours: it counts as empty and is
// replaced by the next good token.
func TestWrongTypeCountsAsEmpty(t *testing.T) {
	srv := testservice.StartRedis(t)
	rdb := client(t, srv.Addr)
	ctx := context.Background()
	s, _ := redisstore.New(rdb, redisstore.Options{})
	if err := rdb.HSet(ctx, s.EntryKey(storetest.ID), "a", "b").Err(); err != nil {
		t.Fatal(err)
	}
	if tok, err := s.Load(ctx, storetest.ID); tok != nil || !errors.Is(err, auth.ErrBadStoredToken) {
		t.Fatal(tok, err)
	}
	if ok, err := s.CompareAndSwap(ctx, storetest.ID, nil, storetest.Tok("w")); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if tok, err := s.Load(ctx, storetest.ID); err != nil || tok.AccessToken != storetest.Tok("w").AccessToken {
		t.Fatal(tok, err)
	}
}

// Key TTLs: an access-only token leaves Redis a minute after its expiry;
// one with a refresh token, or without expiry, stays (or lives
// RefreshTokenTTL).
func TestEntryTTL(t *testing.T) {
	srv := testservice.StartRedis(t)
	rdb := client(t, srv.Addr)
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := fixedClock(now)
	s, _ := redisstore.New(rdb, redisstore.Options{Clock: clock})
	withTTL, _ := redisstore.New(rdb, redisstore.Options{Clock: clock, RefreshTokenTTL: 30 * 24 * time.Hour, Prefix: "r:"})
	accessOnly := &auth.Token{AccessToken: "a", Expiry: now.Add(time.Hour)}
	refresh := &auth.Token{AccessToken: "b", Expiry: now.Add(time.Hour), RefreshToken: "r"}
	forever := &auth.Token{AccessToken: "c"}
	cases := []struct {
		s    *redisstore.Store
		id   auth.Identity
		tok  *auth.Token
		want time.Duration // -1: no TTL
	}{
		{s, storetest.Others[0], accessOnly, time.Hour + time.Minute},
		{s, storetest.Others[1], refresh, -1},
		{s, storetest.Others[2], forever, -1},
		{withTTL, storetest.Others[1], refresh, 30 * 24 * time.Hour},
		{withTTL, storetest.Others[2], forever, 30 * 24 * time.Hour},
	}
	for i, c := range cases {
		if ok, err := c.s.CompareAndSwap(ctx, c.id, nil, c.tok); !ok || err != nil {
			t.Fatal(i, ok, err)
		}
		got, err := rdb.PTTL(ctx, c.s.EntryKey(c.id)).Result()
		if err != nil {
			t.Fatal(err)
		}
		if c.want < 0 && got != -1*time.Millisecond && got != -1 {
			t.Errorf("case %d: TTL %v, want none", i, got)
		}
		if c.want > 0 && (got > c.want || got < c.want-time.Minute) {
			t.Errorf("case %d: TTL %v, want about %v", i, got, c.want)
		}
	}
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// A holder that dies (here: never releases nor renews, its client gone)
// blocks the others for at most the lease TTL; a live holder's lease is
// renewed past it.
func TestLeaseTTLAndRenewal(t *testing.T) {
	srv := testservice.StartRedis(t)
	ctx := context.Background()
	ttl := 300 * time.Millisecond
	live, _ := redisstore.New(client(t, srv.Addr), redisstore.Options{LeaseTTL: ttl})
	other, _ := redisstore.New(client(t, srv.Addr), redisstore.Options{LeaseTTL: ttl})
	rel, ok, err := live.TryLease(ctx, storetest.ID)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	// Renewed: after several TTLs it is still held. (Counted in renewals
	// observed through PTTL, not in elapsed time: wait until the TTL has
	// been reset at least 3 times.)
	rdb := client(t, srv.Addr)
	lk := live.EntryKey(storetest.ID) + ":lease"
	resets, prev := 0, time.Duration(0)
	for resets < 3 {
		p, err := rdb.PTTL(ctx, lk).Result()
		if err != nil || p <= 0 {
			t.Fatalf("lease gone while its holder lives: %v %v", p, err)
		}
		if prev > 0 && p > prev {
			resets++
		}
		prev = p
		time.Sleep(10 * time.Millisecond)
	}
	if _, ok, _ := other.TryLease(ctx, storetest.ID); ok {
		t.Fatal("a renewed lease was taken")
	}
	rel()

	// A dead holder: take the lease with a raw SET (no renewal, no release).
	if err := rdb.Set(ctx, lk, "dead-holder", ttl).Err(); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*ttl)
	defer cancel()
	for {
		if rel, ok, err := other.TryLease(wctx, storetest.ID); err != nil {
			t.Fatal(err)
		} else if ok {
			rel()
			break
		}
		if err := other.WaitLease(wctx, storetest.ID); err != nil {
			t.Fatalf("the dead holder's lease did not expire: %v", err)
		}
	}
}
