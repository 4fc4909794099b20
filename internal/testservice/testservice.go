// Package testservice starts the real components vendorkit's tests use
// (redis-server, chromium) as throwaway instances on free loopback ports,
// and stops them when the test ends; FreePorts finds such ports for the
// tests' own servers. scripts/test-deps.sh, run by `make test`, installs
// the components.
//
// A test that needs a missing component fails under CI=true and skips,
// with one line saying what to install, elsewhere: CI never skips silently.
package testservice

import (
	"os"
	"testing"
)

// missing fails (CI=true) or skips the test because what is not installed.
func missing(t testing.TB, what, install string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true and was not found (%s)", what, install)
	}
	t.Skipf("%s not found; skipping (%s, or run make test as root)", what, install)
}
