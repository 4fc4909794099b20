package sandbox

import (
	"context"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// faultQueue holds the faults FailNext queued, in order. pending lets the
// resource hot path skip the mutex when nothing is queued.
type faultQueue struct {
	pending atomic.Int64
	mu      sync.Mutex
	q       []queuedFault
}

type queuedFault struct {
	n int
	f Fault
}

func (q *faultQueue) add(n int, f Fault) {
	if n <= 0 {
		return
	}
	q.mu.Lock()
	q.q = append(q.q, queuedFault{n, f})
	q.pending.Add(int64(n))
	q.mu.Unlock()
}

// take returns the fault for this resource call, if one is queued.
func (q *faultQueue) take() (Fault, bool) {
	if q.pending.Load() == 0 {
		return Fault{}, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.q) == 0 {
		return Fault{}, false
	}
	f := q.q[0].f
	if q.q[0].n--; q.q[0].n == 0 {
		q.q = q.q[1:]
	}
	q.pending.Add(-1)
	return f, true
}

// inject answers r with f instead of serving it.
func (v *Vendor) inject(w http.ResponseWriter, f Fault) {
	if f.Drop {
		// Count it here: no status ever reaches the recorder.
		v.stats.rejected.Add(1)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return
		}
		panic(http.ErrAbortHandler) // HTTP/2 or no hijacker: abort the stream instead
	}
	status := f.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	rp := v.parts.fail(status, faultCode(status), "injected fault")
	if f.RetryAfter != "" {
		rp = rp.with("Retry-After", f.RetryAfter)
	}
	if status == http.StatusUnauthorized {
		rp = rp.with("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	rp.write(w)
}

func faultCode(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "invalid_token"
	case http.StatusTooManyRequests:
		return "too_many_requests"
	case http.StatusServiceUnavailable:
		return "temporarily_unavailable"
	}
	if status >= 500 {
		return "server_error"
	}
	return "invalid_request"
}

// delay sleeps the token-endpoint latency, or until ctx ends.
func (v *Vendor) delay(ctx context.Context) error {
	d := time.Duration(v.latency.Load())
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// counters backs Stats. Resource calls touch only atomics.
type counters struct {
	mu            sync.Mutex
	tokens        map[string]int
	resources     atomic.Int64
	rejected      atomic.Int64
	invalidGrants atomic.Int64
}

func (c *counters) token(grant string) {
	if grant == "" {
		grant = "none"
	}
	c.mu.Lock()
	if c.tokens == nil {
		c.tokens = make(map[string]int)
	}
	c.tokens[grant]++
	c.mu.Unlock()
}

func (c *counters) snapshot() Stats {
	c.mu.Lock()
	tokens := maps.Clone(c.tokens)
	c.mu.Unlock()
	if tokens == nil {
		tokens = map[string]int{}
	}
	return Stats{
		TokenRequests:    tokens,
		ResourceRequests: int(c.resources.Load()),
		Rejected:         int(c.rejected.Load()),
		InvalidGrants:    int(c.invalidGrants.Load()),
	}
}
