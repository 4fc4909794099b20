// Package examples holds runnable programs that use vendorkit as an
// application would, each in its own directory. They read their
// configuration from the VENDORKIT_* variables (vendorkit sandbox prints a
// set), so `go run ./examples/bss` works against the sandbox or a live
// deployment alike. `make test` builds and runs every one against the
// embedded sandbox (examples_test.go).
//
//   - bss, blueprint, decisiv, ioffice: the typed client of each vendor.
//   - byospec: "bring your own spec": a small OpenAPI file of your own,
//     generated with the pinned oapi-codegen, sent through the vendor
//     client's authorized HTTPClient.
//   - oauth2: the golang.org/x/oauth2 adapter, and its limits.
package examples
