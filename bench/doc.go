// Package bench holds vendorkit's published benchmarks (BENCHMARKS.md): Go
// benchmarks (testing.B) comparing vendorkit's full client stack with raw
// net/http and golang.org/x/oauth2 on the same loopback server and payload.
// It has no non-test code. `make bench` runs it and summarizes the results
// with benchstat; `sh bench/benchstat.sh` re-prints the tables.
//
// Rows (BENCHMARKS.md has the results and their reading):
//
//  1. BenchmarkPerCall: one typed authenticated GET of the ~1 KiB BSS
//     syncoptions resource per op, against the sandbox and against a
//     minimal server serving the identical bytes; BenchmarkPerCallPaired
//     measures each client's wall-time ratio to raw net/http call by
//     call, which cancels the machine's drift; BenchmarkClientOnly (1b)
//     runs the same call on an in-memory transport: the clients' own CPU
//     and allocations.
//  2. BenchmarkTokenStorm: 1,000 goroutines on a cold cache, then after a
//     server-side revoke-all; token requests counted by the sandbox.
//  3. BenchmarkRefreshHidden: a real-time load scenario (token lifetime
//     2 s, token endpoint latency 300 ms, 16 goroutines for
//     -vkbench.refresh, default 10s; run it with -benchtime 1x).
//  4. BenchmarkParallel: b.RunParallel throughput (calls/s) at -cpu 2;
//     BenchmarkParallelPaired alternates 50 ms bursts of raw and the
//     client for a drift-proof throughput ratio.
//  5. BenchmarkSharedStore: 8 processes (this binary re-executed with
//     VKBENCH_SHARE_CHILD) calling iOFFICE for -vkbench.share with 2 s
//     tokens and 300 ms token latency, sharing a file store, a Redis store,
//     or nothing (x/oauth2 in each); token requests counted by the sandbox.
//  6. BenchmarkStoreToken: the latency a memory, file or Redis store adds
//     to Source.Token, fresh and at a refresh.
//
// Rows 1 and 4 talk to servers in a child process (this test binary
// re-executed with VKBENCH_SERVE=1), so that B/op, allocs/op, cpu-ns/op
// and -cpuprofile/-memprofile are the client's alone; VKBENCH_INPROC=1
// runs them in-process instead (one profile of both sides). Rows 2 and 3
// need the sandbox's controls (revoke-all, latency, lifetime, counters)
// and run it in-process. A plain `go test` runs only the package's quick
// tests, never a benchmark's setup.
package bench
