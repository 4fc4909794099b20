package specs_test

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vendorkit/vendorkit/specs"
)

// Every spec must load and validate with kin-openapi: the sandbox and the
// contract suite depend on it, and oapi-codegen is more lenient.
func TestSpecsLoadAndValidate(t *testing.T) {
	for _, v := range specs.Vendors() {
		t.Run(v, func(t *testing.T) {
			doc, err := specs.Load(v)
			if err != nil {
				t.Fatal(err)
			}
			if doc.OpenAPI != "3.0.3" {
				t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
			}
			if len(doc.Servers) == 0 {
				t.Error("no servers")
			}
			if doc.Components == nil || len(doc.Components.SecuritySchemes) == 0 {
				t.Error("no securitySchemes")
			}
		})
	}
}

func TestUnknownVendor(t *testing.T) {
	if _, err := specs.Load("nope"); err == nil {
		t.Fatal("want error for an unknown vendor")
	}
}

func loadSpec(v string) (*openapi3.T, error) { return specs.Load(v) }
