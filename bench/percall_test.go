package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Servers of rows 1 and 4:
//
//   - minimal: serves the sandbox's exact bytes with the same token, Accept
//     and X-Api-Version checks, without the sandbox's per-request OpenAPI
//     routing and validation, which costs the server more than any client
//     layer costs the client (against the sandbox the ratios are
//     diluted).
//   - sandbox: the sandbox itself.
//   - memory (row 1b, BenchmarkClientOnly, and the paired ratio): no
//     network; an in-memory RoundTripper answers with the same bytes, so
//     only the clients' own CPU and allocations are measured.
//
// minimal and sandbox run in the child process (see remoteServers).
var serverKinds = []string{"minimal", "sandbox"}

// setupCaller builds kind's client for server ("minimal", "sandbox" or
// "memory") and warms it (token, connection). Cleanup closes it.
func setupCaller(b *testing.B, kind, server string) *caller {
	b.Helper()
	ctx := context.Background()
	eps := remoteServers(b)
	var rt http.RoundTripper
	base := eps.Minimal
	if server == "memory" {
		rt = memory(b)
	} else {
		t := newTransport()
		b.Cleanup(t.CloseIdleConnections)
		rt, base = t, eps.base(server)
	}
	c, err := newCaller(ctx, kind, base, rt)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.close)
	for range 4 {
		opts, err := c.call(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(opts) == 0 {
			b.Fatal("no sync options decoded")
		}
	}
	return c
}

// BenchmarkPerCall is row 1: one typed, authenticated GET of the ~1 KiB
// syncoptions resource per op, sequentially, token cached (steady state).
// cpu-ns/op is this process's CPU per op: the client's alone, since the
// servers run in the child process.
func BenchmarkPerCall(b *testing.B) {
	for _, srv := range serverKinds {
		b.Run("server="+srv, func(b *testing.B) {
			for _, kind := range clientKinds {
				b.Run("client="+kind, func(b *testing.B) {
					c := setupCaller(b, kind, srv)
					ctx := context.Background()
					b.ReportAllocs()
					cpu0 := processCPU()
					for b.Loop() {
						if _, err := c.call(ctx); err != nil {
							b.Fatal(err)
						}
					}
					reportCPU(b, cpu0)
				})
			}
		})
	}
}

// BenchmarkClientOnly is row 1b: row 1's call on the in-memory transport
// (memTransport): what each client costs in CPU and allocations by itself,
// without loopback I/O and scheduling.
func BenchmarkClientOnly(b *testing.B) {
	for _, kind := range clientKinds {
		b.Run("client="+kind, func(b *testing.B) {
			c := setupCaller(b, kind, "memory")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.call(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPerCallPaired is row 1's ratio, measured so that the machine's
// drift cancels out: each op makes one call with raw and one with the
// client under test, alternating which goes first, on the same server,
// and times each. On a shared 2-core VM the wall time of separate
// benchmarks drifts by ±20% between runs (other processes, CPU steal),
// more than the overhead being measured; within one op both clients see
// the same machine. It reports the ratio of the summed wall times (x-raw)
// and each side's mean (raw-ns/call, client-ns/call); ns/op is the pair.
func BenchmarkPerCallPaired(b *testing.B) {
	for _, srv := range []string{"memory", "minimal", "sandbox"} {
		b.Run("server="+srv, func(b *testing.B) {
			for _, kind := range clientKinds[1:] {
				b.Run("client="+kind, func(b *testing.B) {
					raw := setupCaller(b, "raw", srv)
					c := setupCaller(b, kind, srv)
					ctx := context.Background()
					var rawNs, cNs time.Duration
					i := 0
					for b.Loop() {
						first, second := raw, c
						if i&1 == 1 {
							first, second = c, raw
						}
						t0 := time.Now()
						_, err1 := first.call(ctx)
						t1 := time.Now()
						_, err2 := second.call(ctx)
						t2 := time.Now()
						if err1 != nil || err2 != nil {
							b.Fatal(err1, err2)
						}
						if i&1 == 0 {
							rawNs, cNs = rawNs+t1.Sub(t0), cNs+t2.Sub(t1)
						} else {
							cNs, rawNs = cNs+t1.Sub(t0), rawNs+t2.Sub(t1)
						}
						i++
					}
					b.ReportMetric(float64(cNs)/float64(rawNs), "x-raw")
					b.ReportMetric(float64(rawNs.Nanoseconds())/float64(i), "raw-ns/call")
					b.ReportMetric(float64(cNs.Nanoseconds())/float64(i), "client-ns/call")
				})
			}
		})
	}
}

// BenchmarkParallel is row 4: the same call from b.RunParallel's
// GOMAXPROCS goroutines (run with -cpu 2), reported as calls/s.
func BenchmarkParallel(b *testing.B) {
	for _, srv := range serverKinds {
		b.Run("server="+srv, func(b *testing.B) {
			for _, kind := range []string{"raw", "oauth2", "vendorkit"} {
				b.Run("client="+kind, func(b *testing.B) {
					c := setupCaller(b, kind, srv)
					b.ReportAllocs()
					cpu0 := processCPU()
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						ctx := context.Background()
						for pb.Next() {
							if _, err := c.call(ctx); err != nil {
								b.Error(err)
								return
							}
						}
					})
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
					reportCPU(b, cpu0)
				})
			}
		})
	}
}

// BenchmarkParallelPaired is row 4's ratio, drift-proof like
// BenchmarkPerCallPaired: each op runs a 50 ms burst of raw and a 50 ms
// burst of the client under test (alternating which goes first), each
// burst with GOMAXPROCS goroutines calling back to back, as RunParallel
// does. Both clients thus see the same machine, 100 ms apart. It reports
// each side's throughput and tput-x-raw, the client's calls/s as a
// multiple of raw's (below 1: slower).
func BenchmarkParallelPaired(b *testing.B) {
	for _, srv := range serverKinds {
		b.Run("server="+srv, func(b *testing.B) {
			for _, kind := range []string{"oauth2", "vendorkit"} {
				b.Run("client="+kind, func(b *testing.B) {
					raw := setupCaller(b, "raw", srv)
					c := setupCaller(b, kind, srv)
					g := runtime.GOMAXPROCS(0)
					var rawCalls, cCalls int64
					var rawTime, cTime time.Duration
					i := 0
					for b.Loop() {
						for j := range 2 {
							isRaw := (i+j)&1 == 0
							who := c
							if isRaw {
								who = raw
							}
							n, d, err := burst(who, g, 50*time.Millisecond)
							if err != nil {
								b.Fatal(err)
							}
							if isRaw {
								rawCalls, rawTime = rawCalls+n, rawTime+d
							} else {
								cCalls, cTime = cCalls+n, cTime+d
							}
						}
						i++
					}
					rawTput := float64(rawCalls) / rawTime.Seconds()
					cTput := float64(cCalls) / cTime.Seconds()
					b.ReportMetric(cTput/rawTput, "tput-x-raw")
					b.ReportMetric(rawTput, "raw-calls/s")
					b.ReportMetric(cTput, "client-calls/s")
				})
			}
		})
	}
}

// burst has g goroutines call c back to back for d and returns the calls
// made, the time until the last one returned, and the first error.
func burst(c *caller, g int, d time.Duration) (int64, time.Duration, error) {
	var (
		wg    sync.WaitGroup
		calls atomic.Int64
		once  sync.Once
		first error
		start = time.Now()
		end   = start.Add(d)
	)
	for range g {
		wg.Go(func() {
			ctx := context.Background()
			for time.Now().Before(end) {
				if _, err := c.call(ctx); err != nil {
					once.Do(func() { first = err })
					return
				}
				calls.Add(1)
			}
		})
	}
	wg.Wait()
	return calls.Load(), time.Since(start), first
}

// reportCPU reports the process CPU time since cpu0 per op (cpu-ns/op).
func reportCPU(b *testing.B, cpu0 int64) {
	if cpu0 > 0 && b.N > 0 {
		b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

var mem struct {
	once sync.Once
	mt   *memTransport
	err  error
}

// memory returns the in-memory transport, serving the payload fetched once
// from the child's minimal server (the sandbox's bytes).
func memory(b *testing.B) *memTransport {
	b.Helper()
	mem.once.Do(func() {
		ctx := context.Background()
		base := remoteServers(b).Minimal
		hc := &http.Client{Timeout: 10 * time.Second}
		tok, err := passwordToken(ctx, hc, base)
		if err != nil {
			mem.err = err
			return
		}
		body, ctype, err := fetchPayload(ctx, hc, base, tok)
		mem.mt, mem.err = &memTransport{body: body, ctype: ctype}, err
	})
	if mem.err != nil {
		b.Fatal(mem.err)
	}
	return mem.mt
}

// memTransport answers like the minimal server without a network: the
// token endpoint issues memToken, the resource returns the payload to
// requests carrying it (401 otherwise).
type memTransport struct {
	body  []byte
	ctype string
}

const memToken = "mem-token"

func (m *memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	status, body := http.StatusOK, m.body
	switch {
	case strings.HasSuffix(req.URL.Path, tokenPath):
		body = []byte(`{"access_token":"` + memToken + `","token_type":"bearer","expires_in":86400}`)
	case req.Header.Get("Authorization") != "Bearer "+memToken:
		status, body = http.StatusUnauthorized, []byte(`{"error":"invalid_token"}`)
	}
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {m.ctype}, "Content-Length": {strconv.Itoa(len(body))}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}
