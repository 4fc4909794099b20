package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/internal/storetest"
	"github.com/vendorkit/vendorkit/auth/redisstore"
)

// cancelOnSend returns a context cancelled once the server receives its
// next command: the call is then blocked on it.
func (f *fakeRedis) cancelOnSend(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	next := f.arrival()
	go func() {
		select {
		case <-next:
		case <-ctx.Done():
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
	srv := startFakeRedis(t, func([]string) string { return noReply })
	rdb := redis.NewClient(&redis.Options{Addr: srv.ln.Addr().String(),
		DialTimeout: time.Hour, ReadTimeout: time.Hour, WriteTimeout: time.Hour})
	t.Cleanup(func() { rdb.Close() })
	s, err := redisstore.New(rdb, redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := storetest.ID
	calls := storeCalls(s, id)
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
	next := srv.arrival()
	tokErr := make(chan error, 1)
	go func() { _, err := src.Token(context.Background()); tokErr <- err }()
	<-next
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
