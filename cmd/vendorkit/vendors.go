package main

import (
	"os"
	"strings"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/vendors"
)

// vendorClient is what the CLI needs of every vendor client.
type vendorClient = client.Session

// lookupFunc reads a VENDORKIT_* variable (os.LookupEnv, or a map in the
// demo and the tests).
type lookupFunc = func(string) (string, bool)

// vendorNames lists the vendors for help text and errors.
func vendorNames() string { return strings.Join(vendors.Names(), ", ") }

// namesWhere lists the vendors whose descriptor says has.
func namesWhere(has func(client.Vendor) bool) []string {
	var out []string
	for _, v := range vendors.All() {
		if has(v) {
			out = append(out, v.Name)
		}
	}
	return out
}

// findVendor returns the named vendor's descriptor; the name matches in
// any case.
func findVendor(name string) (client.Vendor, error) {
	if v, ok := vendors.Find(name); ok {
		return v, nil
	}
	if name == "" {
		return client.Vendor{}, usagef("--vendor is required (one of %s)", vendorNames())
	}
	return client.Vendor{}, usagef("unknown vendor %q (one of %s)", name, vendorNames())
}

// envWithBaseURL reads the process environment, with --base-url standing in
// for VENDORKIT_<VENDOR>_BASE_URL when given.
func envWithBaseURL(vendor, baseURL string) lookupFunc {
	key := "VENDORKIT_" + strings.ToUpper(vendor) + "_BASE_URL"
	return func(name string) (string, bool) {
		if name == key && baseURL != "" {
			return baseURL, true
		}
		return os.LookupEnv(name)
	}
}
