package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
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

// A Source waiting for another process's lease subscribes once, however
// many poll intervals the holder holds it (each poll used to open a new
// pubsub connection), and a subscription confirmation slower than a poll
// interval is a poll, not a store failure: no "store unavailable", no
// fetch without the lease, the holder's token adopted.
func TestLeaseWaitSubscribesOnce(t *testing.T) {
	srv := testservice.StartRedis(t)
	ctx := context.Background()
	for _, stall := range []bool{false, true} {
		t.Run(map[bool]string{false: "held", true: "slow confirmation"}[stall], func(t *testing.T) {
			rdb := client(t, srv.Addr)
			if err := rdb.FlushAll(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			const poll = 20 * time.Millisecond
			holder, _ := redisstore.New(rdb, redisstore.Options{PollInterval: poll})
			conns := &watchedConns{}
			conns.stall.Store(stall)
			wrdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, Dialer: conns.dial})
			t.Cleanup(func() { wrdb.Close() })
			waiter, _ := redisstore.New(wrdb, redisstore.Options{PollInterval: poll})

			id := storetest.ID
			release, ok, err := holder.TryLease(ctx, id)
			if !ok || err != nil {
				t.Fatal(ok, err)
			}
			var logs syncBuffer
			flow := &countingFlow{}
			src := auth.NewSource(flow, auth.SourceOptions{Vendor: id.Vendor, Identity: id, Store: waiter,
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			defer src.Close()
			type result struct {
				tok *auth.Token
				err error
			}
			got := make(chan result, 1)
			go func() {
				tok, err := src.Token(ctx)
				got <- result{tok, err}
			}()
			// Hold the lease for several polls: the waiter checks it
			// (EXISTS) once subscribed and then once per poll.
			for conns.exists.Load() < 5 {
				select {
				case r := <-got:
					release()
					t.Fatalf("the waiter stopped waiting: %v %v; %d subscriptions; stats %+v; logs:\n%s",
						r.tok, r.err, conns.subscribes.Load(), src.Stats(), logs.String())
				case <-time.After(time.Millisecond):
				}
			}
			holderTok := storetest.Tok("holder")
			if ok, err := holder.CompareAndSwap(ctx, id, nil, holderTok); !ok || err != nil {
				t.Fatal(ok, err)
			}
			release()
			r := <-got
			if r.err != nil || r.tok.AccessToken != holderTok.AccessToken {
				t.Fatalf("Token = %v, %v; want the holder's token", r.tok, r.err)
			}
			st := src.Stats()
			if flow.n.Load() != 0 || st.StoreErrors != 0 || st.LeaseWaits != 1 || st.Adopted != 1 {
				t.Errorf("fetches %d, stats %+v: want no fetch, no store error, one lease wait, one adoption", flow.n.Load(), st)
			}
			if strings.Contains(logs.String(), "unavailable") {
				t.Errorf("a lease wait logged a store failure:\n%s", logs.String())
			}
			if n := conns.subscribes.Load(); n != 1 {
				t.Errorf("%d SUBSCRIBE commands for one wait over %d polls, want 1", n, conns.exists.Load())
			}
			if stall && conns.stalled.Load() == 0 {
				t.Error("no read was stalled: the slow confirmation was not simulated")
			}
			if n := conns.dials.Load(); n != 2 {
				t.Errorf("the waiter opened %d connections, want 2 (commands, the subscription)", n)
			}
		})
	}
}

// countingFlow mints tokens and counts the requests.
type countingFlow struct{ n atomic.Int64 }

func (f *countingFlow) Token(context.Context) (*auth.Token, error) {
	return &auth.Token{AccessToken: fmt.Sprintf("fetched-%d", f.n.Add(1))}, nil
}

// watchedConns dials Redis and counts connections and the SUBSCRIBE and
// EXISTS commands written on them. With stall set, the reply to the first
// SUBSCRIBE misses the first read deadline set after it, as from a slow
// server: every read under that deadline times out.
type watchedConns struct {
	dials, subscribes, exists, stalled atomic.Int64
	stall                              atomic.Bool
}

func (w *watchedConns) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	w.dials.Add(1)
	return &watchedConn{Conn: c, w: w}, nil
}

type watchedConn struct {
	net.Conn
	w        *watchedConns
	mu       sync.Mutex
	armed    bool // a stalled SUBSCRIBE was written: stall the next deadline
	stalling bool // reads under the current deadline time out
}

func (c *watchedConn) Write(p []byte) (int, error) {
	lp := bytes.ToLower(p)
	if bytes.Contains(lp, []byte("\r\nsubscribe\r\n")) {
		c.w.subscribes.Add(1)
		if c.w.stall.CompareAndSwap(true, false) {
			c.mu.Lock()
			c.armed = true
			c.mu.Unlock()
		}
	}
	if bytes.Contains(lp, []byte("\r\nexists\r\n")) {
		c.w.exists.Add(1)
	}
	return c.Conn.Write(p)
}

func (c *watchedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.stalling, c.armed = c.armed, false
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

func (c *watchedConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	stalling := c.stalling
	c.mu.Unlock()
	if stalling {
		c.w.stalled.Add(1)
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	}
	return c.Conn.Read(p)
}

// syncBuffer is a bytes.Buffer safe for a logger and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
