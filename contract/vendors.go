package contract

import (
	"strings"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/vendors"
	"github.com/vendorkit/vendorkit/specs"
)

// BearerRefusedPathField is the VENDORKIT_<VENDOR>_ field naming an
// endpoint (a path under the base URL) that refuses bearer tokens, for a
// vendor whose descriptor has BearerRefused; used when
// Target.BearerRefusedPath is empty. Unset: that check is skipped.
const BearerRefusedPathField = "BEARER_REFUSED_PATH"

// vendorDef is one vendor as the suite knows it: its descriptor, and what
// the suite derives from it and from its spec.
type vendorDef struct {
	client.Vendor
	// tokenOps are the operations of the token endpoints: those the spec
	// tags "token".
	tokenOps []string
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
	if doc, err := specs.Load(v.Name); err == nil {
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				for _, tag := range op.Tags {
					if tag == "token" {
						d.tokenOps = append(d.tokenOps, op.OperationID)
					}
				}
			}
		}
	}
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

// suiteNeeds reports whether the suite needs the variable: the client
// requires it, or the headless grant does.
func suiteNeeds(e client.EnvVar) bool { return e.Required || e.Grant }

func envName(vendor, field string) string {
	return "VENDORKIT_" + strings.ToUpper(vendor) + "_" + field
}
