package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/sandbox"
)

const (
	stormCallers = 1000
	// stormTokenLatency keeps the one fetch in flight while all 1,000
	// callers arrive, so the count proves single flight rather than luck.
	stormTokenLatency = 50 * time.Millisecond
)

// storm releases n goroutines at once, each making one call, and returns
// how many calls failed and the first error.
func storm(ctx context.Context, c *caller, n int) (failed int, firstErr error) {
	var (
		ready, done sync.WaitGroup
		start       = make(chan struct{})
		fails       atomic.Int64
		once        sync.Once
	)
	for range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			if _, err := c.call(ctx); err != nil {
				fails.Add(1)
				once.Do(func() { firstErr = err })
			}
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return int(fails.Load()), firstErr
}

// BenchmarkTokenStorm is row 2. Each op: a new client (cold cache), 1,000
// goroutines call at once; then the sandbox revokes every token and 1,000
// goroutines call at once again. Token requests are the sandbox's count
// (server-side truth), per storm.
func BenchmarkTokenStorm(b *testing.B) {
	for _, kind := range []string{"vendorkit", "oauth2"} {
		b.Run("client="+kind, func(b *testing.B) {
			ctx := context.Background()
			sb, err := sandbox.Start(ctx, bssOptions(0))
			if err != nil {
				b.Fatal(err)
			}
			defer sb.Close()
			v := sb.Vendor("bss")
			v.SetTokenLatency(stormTokenLatency)
			tokenReqs := func() int { return v.Stats().TokenRequests["password"] }
			var coldReqs, coldFails, revokeReqs, revokeFails int
			for b.Loop() {
				rt := newTransport()
				c, err := newCaller(ctx, kind, v.BaseURL, rt)
				if err != nil {
					b.Fatal(err)
				}
				n0 := tokenReqs()
				f, ferr := storm(ctx, c, stormCallers)
				n1 := tokenReqs()
				if f > 0 {
					b.Logf("cold storm: %d of %d calls failed, first: %v", f, stormCallers, ferr)
				}
				coldReqs, coldFails = coldReqs+n1-n0, coldFails+f
				v.RevokeAll()
				f, ferr = storm(ctx, c, stormCallers)
				n2 := tokenReqs()
				if f > 0 {
					b.Logf("after revoke-all: %d of %d calls failed, first: %v", f, stormCallers, ferr)
				}
				revokeReqs, revokeFails = revokeReqs+n2-n1, revokeFails+f
				c.close()
				rt.CloseIdleConnections()
			}
			n := float64(b.N)
			b.ReportMetric(float64(coldReqs)/n, "cold-token-reqs/op")
			b.ReportMetric(float64(coldFails)/n, "cold-failed-calls/op")
			b.ReportMetric(float64(revokeReqs)/n, "revoke-token-reqs/op")
			b.ReportMetric(float64(revokeFails)/n, "revoke-failed-calls/op")
		})
	}
}
