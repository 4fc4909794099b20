package specs

// `make generate` (go generate ./specs/) runs the pinned oapi-codegen over
// every spec here: gen/<vendor>api (resource operations, for
// applications) and internal/gen/<vendor>full (every operation: the
// flows' token requests, the sandbox's server). See internal/generate.
//go:generate go run ./internal/generate
