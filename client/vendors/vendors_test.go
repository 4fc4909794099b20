package vendors_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/internal/wiretest"
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

// recorder is a transport that keeps every request's headers and query
// and the expires_in of every JSON token response.
type recorder struct {
	mu        sync.Mutex
	reqs      []*http.Request
	expiresIn []float64
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var m map[string]any
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	if json.Unmarshal(body, &m) == nil && m["access_token"] != nil {
		if e, ok := m["expires_in"].(float64); ok {
			r.expiresIn = append(r.expiresIn, e)
		}
	}
	return resp, nil
}

// A descriptor's Placement and Grant.LifetimeUnit are the client's: the
// sample call carries the token where Placement says, and the token's
// expiry is the token response's expires_in counted in LifetimeUnit (none
// when the unit is 0).
func TestDescriptorPlacementAndUnitAreTheClients(t *testing.T) {
	clk := wiretest.NewClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	sb, err := sandbox.Start(context.Background(), sandbox.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	for _, v := range vendors.All() {
		t.Run(v.Name, func(t *testing.T) {
			env := sb.Vendor(v.Name).Env()
			rec := &recorder{}
			c, err := v.Open(func(k string) (string, bool) { s, ok := env[k]; return s, ok },
				client.WithHTTPClient(&http.Client{Transport: rec}), client.WithClock(clk))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if status, _, err := v.Sample(context.Background(), c, nil); err != nil || status != http.StatusOK {
				t.Fatalf("sample: %d %v", status, err)
			}
			tok, err := c.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			want, placed := v.Placement.Prefix+tok.AccessToken, 0
			for _, r := range rec.reqs {
				var got string
				if v.Placement.In == auth.InQuery {
					got = r.URL.Query().Get(v.Placement.Name)
				} else {
					got = r.Header.Get(v.Placement.Name)
				}
				if got == want {
					placed++
				}
			}
			if placed != 1 {
				t.Errorf("%d requests carry the token at %+v, want 1 (the sample call)", placed, v.Placement)
			}
			switch {
			case v.Grant.LifetimeUnit == 0:
				if !tok.Expiry.IsZero() || len(rec.expiresIn) != 0 {
					t.Errorf("no lifetime unit, yet expiry %v and expires_in %v", tok.Expiry, rec.expiresIn)
				}
			case len(rec.expiresIn) != 1:
				t.Errorf("token responses with expires_in: %v, want one", rec.expiresIn)
			default:
				life := time.Duration(rec.expiresIn[0]) * v.Grant.LifetimeUnit
				if !tok.Expiry.Equal(clk.Now().Add(life)) {
					t.Errorf("expiry %v, want now + expires_in %v × %v = %v", tok.Expiry, rec.expiresIn[0], v.Grant.LifetimeUnit, clk.Now().Add(life))
				}
			}
		})
	}
}
