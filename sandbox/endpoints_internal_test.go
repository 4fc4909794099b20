package sandbox

import (
	"strings"
	"testing"

	"github.com/vendorkit/vendorkit/specs"
)

// A vendor file's endpoints must match its spec's "token" tags both ways.
func TestCheckEndpoints(t *testing.T) {
	router, err := specs.NewRouter("ioffice", "")
	if err != nil {
		t.Fatal(err)
	}
	doc := router.Doc()
	full := map[string]endpoint{
		"loginPage": {kind: pageOp}, "requestAuthCode": {kind: tokenOp},
		"requestToken": {kind: tokenOp}, "revokeToken": {kind: tokenOp},
	}
	if err := checkEndpoints(doc, full); err != nil {
		t.Errorf("iOFFICE's endpoints: %v", err)
	}
	missing := map[string]endpoint{"loginPage": {kind: pageOp}, "requestToken": {kind: tokenOp}, "revokeToken": {kind: tokenOp}}
	if err := checkEndpoints(doc, missing); err == nil || !strings.Contains(err.Error(), "requestAuthCode") {
		t.Errorf("a token operation left out: %v", err)
	}
	full["getCurrentUser"] = endpoint{kind: tokenOp}
	if err := checkEndpoints(doc, full); err == nil || !strings.Contains(err.Error(), "getCurrentUser") {
		t.Errorf("a resource listed as a token endpoint: %v", err)
	}
}
