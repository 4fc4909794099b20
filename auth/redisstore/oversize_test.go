package redisstore_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/internal/storetest"
	"github.com/vendorkit/vendorkit/auth/redisstore"
	"github.com/vendorkit/vendorkit/internal/testservice"
)

// countedConns dials Redis and counts the bytes read and written.
type countedConns struct{ read, written atomic.Int64 }

func (c *countedConns) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: conn, c: c}, nil
}

func (c *countedConns) total() int64 { return c.read.Load() + c.written.Load() }

type countedConn struct {
	net.Conn
	c *countedConns
}

func (c *countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.c.read.Add(int64(n))
	return n, err
}

func (c *countedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.c.written.Add(int64(n))
	return n, err
}

// A huge value under an identity's key (another tool's, a runaway writer)
// is a bad entry read no further than one byte past the largest entry the
// store writes: Load, CompareAndSwap and List each move a few hundred
// KiB, not the value (GET read all of it, and the compare-and-swap sent it
// back to Redis as the value to compare), and the next good token still
// replaces it.
func TestOversizeEntryNotRead(t *testing.T) {
	const huge = 64 << 20
	const most = 1 << 20 // per call: 256 KiB + 1 and the protocol
	srv := testservice.StartRedis(t)
	ctx := context.Background()
	conns := &countedConns{}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, Dialer: conns.dial})
	t.Cleanup(func() { rdb.Close() })
	s, err := redisstore.New(rdb, redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := storetest.ID
	if err := client(t, srv.Addr).Set(ctx, s.EntryKey(id), strings.Repeat("x", huge), 0).Err(); err != nil {
		t.Fatal(err)
	}
	moved := func(what string, f func()) {
		t.Helper()
		before := conns.total()
		f()
		if n := conns.total() - before; n > most {
			t.Errorf("%s moved %d bytes for a %d-byte entry, want at most %d", what, n, huge, most)
		}
	}
	moved("Load", func() {
		if tok, err := s.Load(ctx, id); tok != nil || !errors.Is(err, auth.ErrBadStoredToken) {
			t.Errorf("Load = %v, %v; want ErrBadStoredToken", tok, err)
		}
	})
	moved("List", func() {
		es, err := s.List(ctx)
		if err != nil || len(es) != 1 || !errors.Is(es[0].Err, auth.ErrBadStoredToken) {
			t.Errorf("List = %+v, %v; want one bad entry", es, err)
		}
	})
	moved("CompareAndSwap from a token", func() {
		if ok, err := s.CompareAndSwap(ctx, id, storetest.Tok("other"), storetest.Tok("good")); ok || err != nil {
			t.Errorf("CompareAndSwap(old other) = %v, %v; want false", ok, err)
		}
	})
	moved("CompareAndSwap from nil", func() {
		if ok, err := s.CompareAndSwap(ctx, id, nil, storetest.Tok("good")); !ok || err != nil {
			t.Errorf("CompareAndSwap(old nil) = %v, %v; want the bad entry replaced", ok, err)
		}
	})
	if tok, err := s.Load(ctx, id); err != nil || tok == nil || tok.AccessToken != storetest.Tok("good").AccessToken {
		t.Fatalf("after the swap: %v, %v", tok, err)
	}

	// An empty value is a bad entry too (GETRANGE answers "" for it as for
	// a missing key), replaced by the first token.
	if err := client(t, srv.Addr).Set(ctx, s.EntryKey(id), "", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if tok, err := s.Load(ctx, id); tok != nil || !errors.Is(err, auth.ErrBadStoredToken) {
		t.Fatalf("Load of an empty value = %v, %v; want ErrBadStoredToken", tok, err)
	}
	if ok, err := s.CompareAndSwap(ctx, id, nil, storetest.Tok("after-empty")); !ok || err != nil {
		t.Fatalf("CompareAndSwap over an empty value = %v, %v", ok, err)
	}
}

// BenchmarkLoad: Load of a real entry against a raw GET of the same key,
// in the same run, on a local redis-server.
func BenchmarkLoad(b *testing.B) {
	srv := testservice.StartRedis(b)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	b.Cleanup(func() { rdb.Close() })
	s, _ := redisstore.New(rdb, redisstore.Options{})
	if ok, err := s.CompareAndSwap(ctx, storetest.ID, nil, storetest.Tok("bench")); !ok || err != nil {
		b.Fatal(ok, err)
	}
	b.Run("raw GET", func(b *testing.B) {
		for b.Loop() {
			if err := rdb.Get(ctx, s.EntryKey(storetest.ID)).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Load", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Load(ctx, storetest.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CompareAndSwap", func(b *testing.B) {
		cur, err := s.Load(ctx, storetest.ID)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; b.Loop(); i++ {
			next := storetest.Tok(strconv.Itoa(i % 2))
			if ok, err := s.CompareAndSwap(ctx, storetest.ID, cur, next); !ok || err != nil {
				b.Fatal(ok, err)
			}
			cur = next
		}
	})
}
