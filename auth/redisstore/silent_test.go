package redisstore_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/internal/storetest"
	"github.com/vendorkit/vendorkit/auth/redisstore"
)

// silentRedis accepts connections and reads what is sent, never
// answering: a hung server, or a port that is not Redis's. got counts the
// bytes received.
type silentRedis struct {
	ln    net.Listener
	got   atomic.Int64
	mu    sync.Mutex
	conns []net.Conn
}

func startSilentRedis(t *testing.T) *silentRedis {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &silentRedis{ln: ln}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := make([]byte, 4096)
				for {
					n, err := c.Read(b)
					s.got.Add(int64(n))
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		wg.Wait()
	})
	return s
}

// cancelOnSend returns a context cancelled once the server has received
// more than it had: the call is then blocked on it.
func (s *silentRedis) cancelOnSend(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	before := s.got.Load()
	go func() {
		for s.got.Load() == before && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	return ctx
}

// returns fails the test if done does not close: a hang guard (the client's
// timeouts are an hour), not a measure of speed.
func returns(t *testing.T, what string, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s still blocked on a silent Redis after its context was cancelled", what)
	}
}

// Against a Redis that accepts connections and never answers, every call
// returns its context's error once the context is cancelled, whatever the
// client's own timeouts; a Source using the store closes promptly.
func TestSilentRedisBoundedByContext(t *testing.T) {
	srv := startSilentRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.ln.Addr().String(),
		DialTimeout: time.Hour, ReadTimeout: time.Hour, WriteTimeout: time.Hour})
	t.Cleanup(func() { rdb.Close() })
	s, err := redisstore.New(rdb, redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := storetest.ID
	calls := map[string]func(ctx context.Context) error{
		"Load": func(ctx context.Context) error { _, err := s.Load(ctx, id); return err },
		"CompareAndSwap": func(ctx context.Context) error {
			_, err := s.CompareAndSwap(ctx, id, nil, storetest.Tok("new"))
			return err
		},
		"TryLease":  func(ctx context.Context) error { _, _, err := s.TryLease(ctx, id); return err },
		"WaitLease": func(ctx context.Context) error { return s.WaitLease(ctx, id) },
		"List":      func(ctx context.Context) error { _, err := s.List(ctx); return err },
	}
	for name, call := range calls {
		ctx := srv.cancelOnSend(t)
		done := make(chan struct{})
		var err error
		go func() { defer close(done); err = call(ctx) }()
		returns(t, name, done)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want context.Canceled", name, err)
		}
	}

	src := auth.NewSource(&countingFlow{}, auth.SourceOptions{Vendor: id.Vendor, Identity: id, Store: s,
		FetchTimeout: time.Hour})
	before := srv.got.Load()
	tokErr := make(chan error, 1)
	go func() { _, err := src.Token(context.Background()); tokErr <- err }()
	for srv.got.Load() == before {
		time.Sleep(time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { defer close(closed); src.Close() }()
	returns(t, "Source.Close", closed)
	select {
	case err := <-tokErr:
		if err == nil {
			t.Error("Token succeeded after Close ended its fetch")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Token still blocked after Close")
	}
}
