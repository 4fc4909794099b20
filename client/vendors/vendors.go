// Package vendors lists vendorkit's vendor clients by name, for tools that
// choose a vendor at run time: the vendorkit command and the contract
// suite. Applications that know their vendor import its package directly.
package vendors

import (
	"context"
	"net/http"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/blueprint"
	"github.com/vendorkit/vendorkit/client/bss"
	"github.com/vendorkit/vendorkit/client/decisiv"
	"github.com/vendorkit/vendorkit/client/ioffice"
)

// Client is what every vendor Client offers besides its typed operations
// (client.Session's methods). Assert to the vendor's *Client for those.
type Client interface {
	Token(ctx context.Context) (*auth.Token, error)
	Source() *auth.Source
	Do(ctx context.Context, req *http.Request) (*http.Response, error)
	BaseURL() string
	// Scrub removes the client's credentials and tokens, in every
	// encoding, from server text before it is printed.
	Scrub(text string) string
	Close() error
}

// Lookup reads a VENDORKIT_* variable: os.LookupEnv, or a map.
type Lookup = func(string) (string, bool)

// Vendor is one vendor client package.
type Vendor struct {
	Name string // bss, blueprint, decisiv, ioffice
	// Open builds the client from VENDORKIT_<VENDOR>_* variables read
	// through lookup (nil: the environment).
	Open func(lookup Lookup, opts ...client.Option) (Client, error)
}

// All lists the vendors, sorted by name as specs.Vendors() is.
var All = []Vendor{
	{blueprint.Vendor, func(l Lookup, opts ...client.Option) (Client, error) {
		cfg, err := blueprint.FromLookup(l)
		if err != nil {
			return nil, err
		}
		return open(blueprint.New(cfg, opts...))
	}},
	{bss.Vendor, func(l Lookup, opts ...client.Option) (Client, error) {
		cfg, err := bss.FromLookup(l)
		if err != nil {
			return nil, err
		}
		return open(bss.New(cfg, opts...))
	}},
	{decisiv.Vendor, func(l Lookup, opts ...client.Option) (Client, error) {
		cfg, err := decisiv.FromLookup(l)
		if err != nil {
			return nil, err
		}
		return open(decisiv.New(cfg, opts...))
	}},
	{ioffice.Vendor, func(l Lookup, opts ...client.Option) (Client, error) {
		cfg, err := ioffice.FromLookup(l)
		if err != nil {
			return nil, err
		}
		return open(ioffice.New(cfg, opts...))
	}},
}

// Find returns the named vendor.
func Find(name string) (Vendor, bool) {
	for _, v := range All {
		if v.Name == name {
			return v, true
		}
	}
	return Vendor{}, false
}

// open returns c as a Client, and a nil Client (not a nil *C) on error.
func open[C Client](c C, err error) (Client, error) {
	if err != nil {
		return nil, err
	}
	return c, nil
}
