package redisstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/internal/storetest"
	"github.com/vendorkit/vendorkit/auth/redisstore"
	"github.com/vendorkit/vendorkit/internal/testservice"
)

// gatedFlow mints a token once released, after telling that it started.
type gatedFlow struct {
	started chan struct{}
	release chan struct{}
	n       int
}

func (f *gatedFlow) Token(ctx context.Context) (*auth.Token, error) {
	f.n++
	f.started <- struct{}{}
	select {
	case <-f.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &auth.Token{AccessToken: fmt.Sprintf("minted-%d", f.n)}, nil
}

// redis-server killed (SIGKILL) while a fetch is about to save its token,
// and while the Source waits for another process's lease, then restarted
// empty: the Token call still gets its token, nothing is lost (the token
// is written back to the restarted server), later calls work, and each
// outage is one warning.
func TestRedisKilledMidFetch(t *testing.T) {
	for _, during := range []string{"save", "lease wait"} {
		t.Run(during, func(t *testing.T) {
			srv := testservice.StartRedis(t)
			ctx := context.Background()
			rdb := client(t, srv.Addr)
			s, _ := redisstore.New(rdb, redisstore.Options{PollInterval: 20 * time.Millisecond})
			id := storetest.ID
			var logs syncBuffer
			flow := &gatedFlow{started: make(chan struct{}, 1), release: make(chan struct{})}
			src := auth.NewSource(flow, auth.SourceOptions{Vendor: id.Vendor, Identity: id, Store: s,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			defer src.Close()

			var holderRelease func()
			if during == "lease wait" {
				holder, _ := redisstore.New(client(t, srv.Addr), redisstore.Options{})
				rel, ok, err := holder.TryLease(ctx, id)
				if !ok || err != nil {
					t.Fatal(ok, err)
				}
				holderRelease = rel
			}
			got := make(chan error, 1)
			var tok *auth.Token
			go func() {
				var err error
				tok, err = src.Token(ctx)
				got <- err
			}()
			switch during {
			case "save":
				<-flow.started
				srv.Kill()
				close(flow.release)
			case "lease wait":
				for src.Stats().LeaseWaits == 0 {
					time.Sleep(time.Millisecond)
				}
				srv.Kill()
				<-flow.started
				close(flow.release)
			}
			if err := <-got; err != nil {
				t.Fatalf("Token: %v", err)
			}
			if holderRelease != nil {
				holderRelease() // against a dead server: bounded, returns
			}
			srv.Restart(t)
			// Written back within the Source's probe backoff (1s, 2s...).
			deadline := time.Now().Add(20 * time.Second)
			for {
				st, err := s.Load(ctx, id)
				if err == nil && st != nil {
					if st.AccessToken != tok.AccessToken {
						t.Fatalf("store holds %v, want the token fetched during the outage", st)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("token not written back after the restart: %v %v\n%s", st, err, logs.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			again, err := src.Token(ctx)
			if err != nil || again.AccessToken != tok.AccessToken || flow.n != 1 {
				t.Fatalf("after the outage: %v %v, %d fetches", again, err, flow.n)
			}
			if n := strings.Count(logs.String(), "token store unavailable"); n != 1 {
				t.Errorf("%d outage warnings, want 1:\n%s", n, logs.String())
			}
			if strings.Count(logs.String(), "level=WARN") != 1 {
				t.Errorf("other warnings:\n%s", logs.String())
			}
		})
	}
}
