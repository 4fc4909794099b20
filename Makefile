# vendorkit's build entry points. A fresh machine needs only Go, gcc (for
# -race), make and git: every tool below comes from go.mod.
GO ?= go
export CGO_ENABLED := 1

.PHONY: all generate check-generated lint test bench benchstat

all: test

# Regenerate gen/ from specs/ (oapi-codegen, pinned in tools.go / go.mod).
generate:
	$(GO) generate ./specs/

# Regenerate from the specs on disk and fail if gen/ differs; gen/ is left
# exactly as it was found either way.
check-generated:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp -R gen "$$tmp/before"; \
	find gen -name '*.gen.go' -delete; \
	if ! $(GO) generate ./specs/; then rm -rf gen; cp -R "$$tmp/before" gen; exit 1; fi; \
	if ! diff -r "$$tmp/before" gen; then \
		rm -rf gen; cp -R "$$tmp/before" gen; \
		echo "check-generated: gen/ does not match specs/; run 'make generate' and commit the result" >&2; exit 1; \
	fi; \
	echo "check-generated: gen/ matches specs/"

lint:
	@out=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt: not formatted:" >&2; echo "$$out" >&2; exit 1; fi
	$(GO) vet ./...

test: check-generated lint
	$(GO) test -race -count=1 ./...

# Benchmarks (bench/; read BENCHMARKS.md). The raw output goes to
# $(BENCH_OUT), then benchstat summarizes it (make benchstat re-prints the
# tables). Rows 1, 1b, 2 and 4 run $(BENCH_COUNT) times, as benchstat
# needs; row 3 is a real-time load scenario, run once (-benchtime 1x) for
# $(BENCH_REFRESH). benchstat comes through the module proxy at a pinned
# version with `go run pkg@version`, so go.mod is untouched (x/perf's
# current go.mod would raise the go directive). About 5 minutes on 2 cores.
BENCH_COUNT   ?= 6
BENCH_TIME    ?= 0.5s
BENCH_REFRESH ?= 10s
BENCH_OUT     ?= bench/results/latest.txt
BENCHSTAT     ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20250909190841-7e13e04d9366
BENCH_FLAGS    = -run='^$$' -benchmem -cpu=2

bench:
	@set -e; tmp=bench/latest.txt.tmp; trap 'rm -f "$$tmp"' EXIT; \
	{ echo "# make bench $$(date -u +%Y-%m-%dT%H:%MZ): $$($(GO) version), $$(uname -m), $$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //'), $$(nproc 2>/dev/null) cores"; \
	  echo "# loadavg at start: $$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"; } >"$$tmp"; \
	$(GO) test $(BENCH_FLAGS) -bench='^Benchmark(PerCall|ClientOnly|PerCallPaired|Parallel|ParallelPaired)$$' -benchtime=$(BENCH_TIME) -count=$(BENCH_COUNT) ./bench/ | tee -a "$$tmp"; \
	$(GO) test $(BENCH_FLAGS) -bench='^BenchmarkTokenStorm$$' -benchtime=1x -count=$(BENCH_COUNT) ./bench/ | tee -a "$$tmp"; \
	$(GO) test $(BENCH_FLAGS) -bench='^BenchmarkRefreshHidden$$' -benchtime=1x -count=1 ./bench/ -vkbench.refresh=$(BENCH_REFRESH) | tee -a "$$tmp"; \
	$(GO) test $(BENCH_FLAGS) -bench=. -count=$(BENCH_COUNT) ./auth/ | tee -a "$$tmp"; \
	echo "# loadavg at end: $$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)" >>"$$tmp"; \
	mkdir -p "$$(dirname $(BENCH_OUT))"; mv "$$tmp" $(BENCH_OUT); trap - EXIT; \
	echo; echo "== raw output: $(BENCH_OUT)"; \
	$(MAKE) --no-print-directory benchstat BENCH_OUT=$(BENCH_OUT)

benchstat:
	@echo "== Row 1: per-call overhead, separate runs (vs base = vs raw net/http)"
	@$(BENCHSTAT) -filter '.name:PerCall' -col /client $(BENCH_OUT)
	@echo; echo "== Row 1: paired wall-time ratio to raw net/http (x-raw; memory = no network)"
	@$(BENCHSTAT) -filter '.name:PerCallPaired .unit:(x-raw OR client-ns/call)' -row /server,/client $(BENCH_OUT)
	@echo; echo "== Row 1b: client-only CPU and allocations (in-memory transport)"
	@$(BENCHSTAT) -filter '.name:ClientOnly' -col /client $(BENCH_OUT)
	@echo; echo "== Row 2: token storm, 1,000 goroutines (token requests counted by the sandbox)"
	@$(BENCHSTAT) -filter '.name:TokenStorm .unit:(cold-token-reqs/op OR revoke-token-reqs/op OR revoke-failed-calls/op)' -col /client $(BENCH_OUT)
	@echo; echo "== Row 3: refresh latency hidden (one run; lifetime 1h = steady state)"
	@$(BENCHSTAT) -filter '.name:RefreshHidden .unit:(p50-ns OR p99-ns OR max-ns OR waited-calls OR token-reqs OR calls/s)' -col /lifetime -row /client $(BENCH_OUT)
	@echo; echo "== Row 4: parallel throughput, GOMAXPROCS=2 (vs base = vs raw net/http)"
	@$(BENCHSTAT) -filter '.name:Parallel' -col /client $(BENCH_OUT)
	@echo; echo "== Row 4: paired parallel ratio to raw net/http (x-raw = mean call time / raw's)"
	@$(BENCHSTAT) -filter '.name:ParallelPaired .unit:(x-raw OR client-ns/call)' -row /server,/client $(BENCH_OUT)
	@echo; echo "== auth: Source hot path"
	@$(BENCHSTAT) -filter 'pkg:"github.com/vendorkit/vendorkit/auth"' $(BENCH_OUT)
