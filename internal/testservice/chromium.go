package testservice

import (
	"os"
	"os/exec"
	"testing"
)

// chromiumNames are the binaries Chromium looks for on PATH, in order;
// scripts/test-deps.sh accepts the same (TestDepsScript holds it to them).
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome"}

// Chromium returns the path of a Chromium or Chrome binary for headless
// browser tests ($VENDORKIT_TEST_CHROMIUM, else chromium, chromium-browser
// or google-chrome on PATH). It fails or skips t (see package doc) when
// there is none.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("VENDORKIT_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	missing(t, "chromium", "apt-get install chromium")
	return ""
}
