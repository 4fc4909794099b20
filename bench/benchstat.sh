#!/bin/sh
# Prints BENCHMARKS.md's benchstat tables from a `make bench` output file
# (default bench/results/latest.txt): sh bench/benchstat.sh [file].
# benchstat comes through the module proxy at a pinned version (go run
# pkg@version, so go.mod is untouched: current x/perf requires go 1.26,
# which would raise the module's go directive; this version's go.mod says
# go 1.24.0).
set -e
out=${1:-bench/results/latest.txt}
GO=${GO:-go}
bs() { "$GO" run golang.org/x/perf/cmd/benchstat@v0.0.0-20250909190841-7e13e04d9366 "$@" "$out"; }

echo "== Row 1: per-call overhead, separate runs (vs base = vs raw net/http)"
bs -filter '.name:PerCall' -col /client
echo; echo "== Row 1: paired wall-time ratio to raw net/http (x-raw; memory = in-memory transport, no network)"
bs -filter '.name:PerCallPaired .unit:x-raw' -row /server,/client
echo; echo "== Row 1b: client-only CPU and allocations (in-memory transport)"
bs -filter '.name:ClientOnly' -col /client
echo; echo "== Row 2: token storm, 1,000 goroutines (token requests counted by the sandbox)"
bs -filter '.name:TokenStorm .unit:(cold-token-reqs/op OR revoke-token-reqs/op OR revoke-failed-calls/op)' -col /client
echo; echo "== Row 3: refresh latency hidden (one run; lifetime 1h = steady state)"
bs -filter '.name:RefreshHidden .unit:(p50-ns OR p99-ns OR max-ns OR waited-calls OR token-reqs OR calls/s)' -col /lifetime -row /client
echo; echo "== Row 4: parallel throughput, GOMAXPROCS=2 (vs base = vs raw net/http)"
bs -filter '.name:Parallel' -col /client
echo; echo "== Row 4: alternating 50 ms bursts, throughput as a multiple of raw net/http's (tput-x-raw)"
bs -filter '.name:ParallelPaired .unit:(tput-x-raw OR client-calls/s)' -row /server,/client
echo; echo "== Row 5: 8 processes sharing tokens (one run; token requests counted by the sandbox)"
bs -filter '.name:SharedStore .unit:(token-reqs OR token-reqs/expiry OR invalid-grants OR caller-errors OR calls/s)' -col /store
echo; echo "== Row 6: latency a store adds to Source.Token (fresh, and at a refresh)"
bs -filter '.name:StoreToken .unit:sec/op' -col /store -row /phase
echo; echo "== auth: Source hot path"
bs -filter 'pkg:"github.com/vendorkit/vendorkit/auth"'
