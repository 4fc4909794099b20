// Package vendors is the one list of vendorkit's vendor clients, for tools
// that choose a vendor at run time: the vendorkit command, its demo, the
// contract suite. Each entry is the vendor package's own descriptor.
// Applications that know their vendor import its package directly.
package vendors

import (
	"slices"
	"strings"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/blueprint"
	"github.com/vendorkit/vendorkit/client/bss"
	"github.com/vendorkit/vendorkit/client/decisiv"
	"github.com/vendorkit/vendorkit/client/ioffice"
)

// All returns every vendor's descriptor, sorted by name as
// specs.Vendors() is.
func All() []client.Vendor {
	all := []client.Vendor{ // any order: sorted below
		blueprint.Descriptor(),
		bss.Descriptor(),
		decisiv.Descriptor(),
		ioffice.Descriptor(),
	}
	slices.SortFunc(all, func(a, b client.Vendor) int { return strings.Compare(a.Name, b.Name) })
	return all
}

// Find returns the named vendor; the name matches without regard to case.
func Find(name string) (client.Vendor, bool) {
	for _, v := range All() {
		if strings.EqualFold(v.Name, name) {
			return v, true
		}
	}
	return client.Vendor{}, false
}

// Names returns the vendors' names, in All's order.
func Names() []string {
	var out []string
	for _, v := range All() {
		out = append(out, v.Name)
	}
	return out
}
