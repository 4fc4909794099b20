# vendorkit's build entry points. A fresh machine needs only Go, gcc (for
# -race), make and git: every tool below comes from go.mod.
GO ?= go
export CGO_ENABLED := 1

.PHONY: all generate check-generated lint test bench

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

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...
