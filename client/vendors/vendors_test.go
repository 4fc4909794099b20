package vendors_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/vendors"
	"github.com/vendorkit/vendorkit/sandbox"
	"github.com/vendorkit/vendorkit/specs"
)

// unknownVendor can never become a real vendor: it is not a valid name.
const unknownVendor = "no such vendor!"

// Every vendor with a spec has a client, in the same order; Find matches
// without regard to case.
func TestAllMatchesSpecs(t *testing.T) {
	if names := vendors.Names(); !slices.Equal(names, specs.Vendors()) {
		t.Fatalf("vendors %q, specs %q", names, specs.Vendors())
	}
	for _, name := range vendors.Names() {
		if v, ok := vendors.Find(strings.ToUpper(name)); !ok || v.Name != name {
			t.Errorf("Find(%q) = %v, %v", strings.ToUpper(name), v.Name, ok)
		}
	}
	if _, ok := vendors.Find(unknownVendor); ok {
		t.Error("Find found an unknown vendor")
	}
}

// A descriptor's Env is the truth about its variables: Open reads nothing
// it does not declare, fails naming every Required one when all are
// missing, and its grant and sample name operations of the vendor's spec.
func TestDescriptorsAreTrue(t *testing.T) {
	for _, v := range vendors.All() {
		t.Run(v.Name, func(t *testing.T) {
			var mu sync.Mutex
			read := map[string]bool{}
			lookup := func(k string) (string, bool) {
				mu.Lock()
				read[k] = true
				mu.Unlock()
				return "", false
			}
			_, err := v.Open(lookup)
			if !errors.Is(err, client.ErrMissingEnv) {
				t.Fatalf("Open with no variables: %v, want ErrMissingEnv", err)
			}
			prefix := "VENDORKIT_" + strings.ToUpper(v.Name) + "_"
			declared := map[string]client.EnvVar{}
			for _, e := range v.Env {
				declared[prefix+e.Field] = e
				if e.Required && !strings.Contains(err.Error(), prefix+e.Field) {
					t.Errorf("%s is Required but the error does not name it: %v", prefix+e.Field, err)
				}
			}
			for k := range read {
				if _, ok := declared[k]; !ok {
					t.Errorf("Open reads %s, which Env does not declare", k)
				}
			}
			doc, err := specs.Load(v.Name)
			if err != nil {
				t.Fatal(err)
			}
			ops := map[string]bool{}
			for _, item := range doc.Paths.Map() {
				for _, op := range item.Operations() {
					ops[op.OperationID] = true
				}
			}
			for _, op := range append(slices.Clone(v.Grant.Operations), v.Grant.TokenOperation, v.SampleOperation) {
				if !ops[op] {
					t.Errorf("operation %q is not in specs/%s.yaml", op, v.Name)
				}
			}
		})
	}
}

// Open and the sample call work against the sandbox for every vendor, and
// the capabilities the descriptor declares are the flow's.
func TestOpenAndSampleAgainstTheSandbox(t *testing.T) {
	sb, err := sandbox.Start(context.Background(), sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	for _, v := range vendors.All() {
		env := sb.Vendor(v.Name).Env()
		lookup := func(k string) (string, bool) { s, ok := env[k]; return s, ok }
		c, err := v.Open(lookup)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		status, summary, err := v.Sample(context.Background(), c, lookup)
		_, refreshes := c.Source().Flow().(auth.Refresher)
		_, revokes := c.Source().Flow().(auth.Revoker)
		if refreshes != v.Refreshes || revokes != v.Revokes {
			t.Errorf("%s: flow refreshes %v, revokes %v; the descriptor says %v, %v", v.Name, refreshes, revokes, v.Refreshes, v.Revokes)
		}
		if _, browser := c.(vendors.BrowserLogin); browser != v.BrowserLogin {
			t.Errorf("%s: the client is a BrowserLogin: %v; the descriptor says %v", v.Name, browser, v.BrowserLogin)
		}
		if v.Placement.Name == "" {
			t.Errorf("%s: the descriptor names no placement", v.Name)
		}
		c.Close()
		if err != nil || status != http.StatusOK || summary == "" {
			t.Errorf("%s: sample: %d %q %v", v.Name, status, summary, err)
		}
	}
}

// Every browser-login vendor's ParseLoginRedirect reports a wrong or
// missing state with the generic sentinels IsStateMismatch and
// IsMissingState test, and accepts a matching one.
func TestBrowserLoginStateErrors(t *testing.T) {
	sb, err := sandbox.Start(context.Background(), sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	n := 0
	for _, v := range vendors.All() {
		if !v.BrowserLogin {
			continue
		}
		n++
		env := sb.Vendor(v.Name).Env()
		c, err := v.Open(func(k string) (string, bool) { s, ok := env[k]; return s, ok })
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		bl := c.(vendors.BrowserLogin)
		_, _, err = bl.ParseLoginRedirect("#code=c1&appCode=a1&state=other", "mine", false)
		if !errors.Is(err, client.ErrStateMismatch) || !vendors.IsStateMismatch(err) || vendors.IsMissingState(err) {
			t.Errorf("%s: wrong state: %v", v.Name, err)
		}
		_, _, err = bl.ParseLoginRedirect("#code=c1&appCode=a1", "mine", false)
		if !errors.Is(err, client.ErrMissingState) || !vendors.IsMissingState(err) || vendors.IsStateMismatch(err) {
			t.Errorf("%s: missing state: %v", v.Name, err)
		}
		if code, _, err := bl.ParseLoginRedirect("#code=c1&appCode=a1&state=mine", "mine", false); err != nil || code != "c1" {
			t.Errorf("%s: matching state: %q %v", v.Name, code, err)
		}
		c.Close()
	}
	if n == 0 {
		t.Fatal("no vendor declares BrowserLogin")
	}
}
