package specs_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vendorkit/vendorkit/gen/blueprintapi"
	"github.com/vendorkit/vendorkit/gen/bssapi"
	"github.com/vendorkit/vendorkit/gen/decisivapi"
	"github.com/vendorkit/vendorkit/gen/iofficeapi"
	"github.com/vendorkit/vendorkit/specs"
)

// The public generated clients carry the resource operations and none of
// the operations tagged "token": calling a token endpoint with a bearer
// token (and getting a 401 and four token requests) is impossible.
func TestPublicClientsHaveNoTokenOperations(t *testing.T) {
	clients := map[string]any{
		"bss":       &bssapi.ClientWithResponses{},
		"blueprint": &blueprintapi.ClientWithResponses{},
		"decisiv":   &decisivapi.ClientWithResponses{},
		"ioffice":   &iofficeapi.ClientWithResponses{},
	}
	for _, vendor := range specs.Vendors() {
		c, ok := clients[vendor]
		if !ok {
			t.Errorf("%s: no public client in this test; add gen/%sapi", vendor, vendor)
			continue
		}
		doc, err := specs.Load(vendor)
		if err != nil {
			t.Fatal(err)
		}
		typ := reflect.TypeOf(c)
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				name := strings.ToUpper(op.OperationID[:1]) + op.OperationID[1:] + "WithResponse"
				_, has := typ.MethodByName(name)
				token := len(op.Tags) > 0 && op.Tags[0] == "token"
				if token && has {
					t.Errorf("%s: the public client has the token operation %s", vendor, name)
				}
				if !token && !has {
					t.Errorf("%s: the public client lacks the resource operation %s", vendor, name)
				}
			}
		}
	}
}
