// Package specs embeds the hand-written OpenAPI 3.0 specs, one per vendor, so
// that the sandbox and the contract suite validate requests and responses
// against the very files that gen/ was generated from.
package specs

import (
	"context"
	"embed"
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed *.yaml
var files embed.FS

// Vendors lists the vendors that have a spec (specs/<name>.yaml), sorted,
// by the names used throughout vendorkit (client/<name>,
// VENDORKIT_<NAME>_*, the CLI's --vendor).
func Vendors() []string {
	entries, _ := files.ReadDir(".")
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			out = append(out, name)
		}
	}
	return out // ReadDir sorts by name
}

// Raw returns the spec file of a vendor, as written.
func Raw(vendor string) ([]byte, error) {
	b, err := files.ReadFile(vendor + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("specs: no spec for vendor %q", vendor)
	}
	return b, nil
}

// Load parses and validates a vendor's spec. Every call returns a fresh
// document, so callers may change it (for example its servers) freely.
func Load(vendor string) (*openapi3.T, error) {
	b, err := Raw(vendor)
	if err != nil {
		return nil, err
	}
	return parse(vendor+".yaml", b)
}

// parse loads a spec from YAML or JSON and validates it; name says which
// spec in errors ("bss.yaml").
func parse(name string, data []byte) (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("specs: %s: %w", name, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("specs: %s is not valid OpenAPI: %w", name, err)
	}
	return doc, nil
}
