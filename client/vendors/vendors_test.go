package vendors_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/vendors"
	"github.com/vendorkit/vendorkit/specs"
)

// Every vendor with a spec has a client, in the same order.
func TestAllMatchesSpecs(t *testing.T) {
	var names []string
	for _, v := range vendors.All {
		names = append(names, v.Name)
	}
	if !slices.Equal(names, specs.Vendors()) {
		t.Fatalf("vendors %q, specs %q", names, specs.Vendors())
	}
	if _, ok := vendors.Find("acme"); ok {
		t.Error("Find found an unknown vendor")
	}
}

// Open reads through the lookup it is given and names what is missing.
func TestOpenUsesTheLookup(t *testing.T) {
	empty := func(string) (string, bool) { return "", false }
	for _, v := range vendors.All {
		if _, err := v.Open(empty); !errors.Is(err, client.ErrMissingEnv) {
			t.Errorf("%s: Open with no variables: %v, want ErrMissingEnv", v.Name, err)
		}
	}
}
