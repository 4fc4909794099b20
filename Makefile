# vendorkit's build entry points. A fresh machine needs only Go, gcc (for
# -race), make and git: every tool below comes from go.mod.
GO ?= go
export CGO_ENABLED := 1

.PHONY: all generate check-generated check-breaking release-specs lint test test-deps bench

all: test

# Regenerate gen/ (public: resource operations) and internal/gen/ (every
# operation) from specs/, and the bring-your-own-spec example, with the
# oapi-codegen pinned in go.mod.
generate:
	$(GO) generate ./specs/ ./examples/...

# Regenerate from the specs on disk and fail if anything generated
# differs; it is left exactly as it was found either way.
GENERATED = gen internal/gen examples/byospec
check-generated:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for d in $(GENERATED); do mkdir -p "$$tmp/before/$$d"; cp -R "$$d/." "$$tmp/before/$$d"; done; \
	restore() { for d in $(GENERATED); do rm -rf "$$d"; mkdir -p "$$d"; cp -R "$$tmp/before/$$d/." "$$d"; done; }; \
	find $(GENERATED) -name '*.gen.go' -delete; \
	if ! $(GO) generate ./specs/ ./examples/...; then restore; exit 1; fi; \
	for d in $(GENERATED); do \
		if ! diff -r "$$tmp/before/$$d" "$$d"; then restore; \
			echo "check-generated: $$d/ does not match specs/; run 'make generate' and commit the result" >&2; exit 1; fi; \
	done; \
	echo "check-generated: $(GENERATED) match their specs"

# Compare each spec, and the Go API of gen/ and client/, with the specs as
# last released (specs/released/): a breaking change fails unless
# specs/BREAKING.md acknowledges it. The tool is the nested module tools/
# (oasdiff, x/exp/apidiff: pinned there, kept out of vendorkit's go.mod).
# BREAKING_JUNIT=FILE also writes JUnit XML. gen/ must match the specs
# first: the comparison reads it.
BREAKING_JUNIT ?=
check-breaking: check-generated
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(GO) build -C tools -o "$$tmp/check-breaking" ./cmd/check-breaking; \
	"$$tmp/check-breaking" -root "$(CURDIR)" -go "$(GO)" -generate "$(MAKE) --no-print-directory generate" \
		$(if $(BREAKING_JUNIT),-junit "$(abspath $(BREAKING_JUNIT))")

# Move the baseline forward once check-breaking passes: specs/*.yaml to
# specs/released/, and the acknowledgements into a dated section.
release-specs: check-generated
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(GO) build -C tools -o "$$tmp/check-breaking" ./cmd/check-breaking; \
	"$$tmp/check-breaking" -root "$(CURDIR)" -go "$(GO)" -generate "$(MAKE) --no-print-directory generate" -release

lint:
	@out=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt: not formatted:" >&2; echo "$$out" >&2; exit 1; fi
	$(GO) vet ./...
	cd tools && $(GO) vet ./...

# The real components some tests use (redis-server, chromium): installed
# with apt-get when missing; the tests start and stop their own instances.
test-deps:
	@bash scripts/test-deps.sh

test: check-generated lint check-breaking test-deps
	$(GO) test -race -count=1 ./...
	@# Allocation pins (files tagged !race): the race detector drops pooled objects.
	$(GO) test -count=1 -run Allocs ./auth/ ./client/internal/kit/
	cd tools && $(GO) test -race -count=1 ./...

# Benchmarks (bench/; read BENCHMARKS.md). The raw output goes to
# $(BENCH_OUT), then bench/benchstat.sh prints the benchstat tables (run it
# alone to re-print them). Rows 1, 1b, 2, 4 and 6 run $(BENCH_COUNT) times, as
# benchstat needs; rows 3 and 5 are real-time load scenarios, run once
# (-benchtime 1x) for $(BENCH_REFRESH) and 3 x $(BENCH_SHARE). About 7
# minutes on 2 cores.
BENCH_COUNT   ?= 6
BENCH_TIME    ?= 0.5s
BENCH_REFRESH ?= 10s
BENCH_SHARE   ?= 15s
BENCH_OUT     ?= bench/results/latest.txt
BENCH_FLAGS    = -run='^$$' -benchmem -cpu=2

bench:
	@set -e; tmp=bench/latest.txt.tmp; trap 'rm -f "$$tmp"' EXIT; \
	{ echo "# make bench $$(date -u +%Y-%m-%dT%H:%MZ): $$($(GO) version), $$(uname -m), $$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //'), $$(nproc 2>/dev/null) cores"; \
	  echo "# loadavg at start: $$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"; } >"$$tmp"; \
	$(GO) test $(BENCH_FLAGS) -bench='^Benchmark(PerCall|ClientOnly|PerCallPaired|Parallel|ParallelPaired)$$' -benchtime=$(BENCH_TIME) -count=$(BENCH_COUNT) ./bench/ | tee -a "$$tmp"; \
	$(GO) test $(BENCH_FLAGS) -bench='^BenchmarkTokenStorm$$' -benchtime=1x -count=$(BENCH_COUNT) ./bench/ | tee -a "$$tmp"; \
	$(GO) test $(BENCH_FLAGS) -bench='^BenchmarkRefreshHidden$$' -benchtime=1x -count=1 ./bench/ -vkbench.refresh=$(BENCH_REFRESH) | tee -a "$$tmp"; \
	$(GO) test $(BENCH_FLAGS) -bench='^BenchmarkSharedStore$$' -benchtime=1x -count=1 ./bench/ -vkbench.share=$(BENCH_SHARE) | tee -a "$$tmp"; \
	$(GO) test $(BENCH_FLAGS) -bench='^BenchmarkStoreToken$$' -benchtime=$(BENCH_TIME) -count=$(BENCH_COUNT) ./bench/ | tee -a "$$tmp"; \
	$(GO) test $(BENCH_FLAGS) -bench=. -count=$(BENCH_COUNT) ./auth/ | tee -a "$$tmp"; \
	echo "# loadavg at end: $$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)" >>"$$tmp"; \
	if grep -Eq '^(FAIL|--- FAIL|panic:)' "$$tmp"; then \
		trap - EXIT; echo "make bench: a benchmark failed; output kept in $$tmp" >&2; exit 1; \
	fi; \
	mkdir -p "$$(dirname $(BENCH_OUT))"; mv "$$tmp" $(BENCH_OUT); trap - EXIT; \
	echo; echo "== raw output: $(BENCH_OUT)"; \
	GO="$(GO)" sh bench/benchstat.sh $(BENCH_OUT)
