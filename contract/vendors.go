package contract

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/vendors"
)

// BearerRefusedPathField is the VENDORKIT_<VENDOR>_ field naming an
// endpoint (a path under the base URL) that refuses bearer tokens, for a
// vendor whose descriptor has BearerRefused; used when
// Target.BearerRefusedPath is empty. Unset: that check is skipped.
const BearerRefusedPathField = "BEARER_REFUSED_PATH"

// vendorDef is one vendor as the suite knows it: its descriptor, and what
// the suite derives from it. What comes from the spec is the runner's: a
// Target may bring its own.
type vendorDef struct {
	client.Vendor
	// checks are the checks that apply, chosen by capability.
	checks []string
}

// definition returns the named vendor's definition, nil if unknown.
func definition(vendor string) *vendorDef {
	v, ok := vendors.Find(vendor)
	if !ok || v.Name != vendor {
		return nil
	}
	d := &vendorDef{Vendor: v}
	d.checks = []string{CheckToken, CheckResource, CheckForgedToken}
	if v.BearerRefused != nil {
		d.checks = append(d.checks, CheckBearerRefused)
	}
	if v.Refreshes {
		d.checks = append(d.checks, CheckRefreshRotation)
	}
	if v.Revokes {
		d.checks = append(d.checks, CheckRevoke)
	}
	d.checks = append(d.checks, CheckLifetime)
	return d
}

// tokenOperations returns the operations of doc's token endpoints: those
// it tags "token". The grant's operations must be among them, or the
// suite could not tell the token requests it sees.
func tokenOperations(vendor string, doc *openapi3.T, g client.Grant) ([]string, error) {
	var ops []string
	for _, path := range doc.Paths.InMatchingOrder() {
		for _, op := range doc.Paths.Value(path).Operations() {
			if slices.Contains(op.Tags, "token") {
				ops = append(ops, op.OperationID)
			}
		}
	}
	slices.Sort(ops)
	for _, op := range g.Operations {
		if !slices.Contains(ops, op) {
			return nil, fmt.Errorf(`contract: the %s spec has no operation %s tagged "token"; the suite finds the token endpoints by that tag`, vendor, op)
		}
	}
	return ops, nil
}

// suiteNeeds reports whether the suite needs the variable: the client
// requires it, or the headless grant does.
func suiteNeeds(e client.EnvVar) bool { return e.Required || e.Grant }

func envName(vendor, field string) string {
	return "VENDORKIT_" + strings.ToUpper(vendor) + "_" + field
}
