package contract_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vendorkit/vendorkit/client/decisiv"

	"go.uber.org/goleak"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/bss"
	"github.com/vendorkit/vendorkit/client/ioffice"
	"github.com/vendorkit/vendorkit/contract"
	"github.com/vendorkit/vendorkit/sandbox"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// live reports whether the suite runs against the VENDORKIT_* deployments
// instead of the embedded sandbox.
func live() bool { return os.Getenv("VENDORKIT_CONTRACT") == "live" }

// startSandbox starts a sandbox with opts, closed when the test ends.
func startSandbox(t *testing.T, opts sandbox.Options) *sandbox.Sandbox {
	t.Helper()
	sb, err := sandbox.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

// mapLookup reads variables from env.
func mapLookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// target is the sandbox vendor v as a contract target.
func target(v *sandbox.Vendor) contract.Target {
	return contract.Target{Vendor: v.Name, Lookup: mapLookup(v.Env())}
}

// report turns results into subtests, so `go test -v` shows every check.
func report(t *testing.T, results []contract.Result) {
	t.Helper()
	for _, r := range results {
		t.Run(r.Check, func(t *testing.T) {
			switch r.Status {
			case contract.Fail:
				t.Error(r.Message)
			case contract.Skip:
				t.Skip(r.Message)
			default:
				t.Logf("%s: %s (%v)", r.Operation, r.Message, r.Duration)
			}
		})
	}
}

// TestContract runs every check of every vendor: against the embedded
// sandbox, where everything passes (bearer-refused skips: the default
// sandbox has no endpoint that refuses bearer tokens), or, with
// VENDORKIT_CONTRACT=live, against the deployments the VENDORKIT_*
// variables name.
func TestContract(t *testing.T) {
	if live() {
		var opts []client.Option
		if os.Getenv("VENDORKIT_CONTRACT_INSECURE_HTTP") == "1" {
			opts = append(opts, client.WithInsecureHTTP())
		}
		for _, v := range contract.Vendors() {
			t.Run(v, func(t *testing.T) {
				if missing := contract.Missing(v, os.LookupEnv); len(missing) > 0 {
					t.Skipf("%s: set %s to run it against a live deployment", v, strings.Join(missing, ", "))
				}
				report(t, contract.Run(context.Background(), contract.Target{Vendor: v, Lookup: os.LookupEnv, Options: opts}))
			})
		}
		return
	}

	sb := startSandbox(t, sandbox.Options{})
	var all []contract.Result
	for _, v := range sb.Vendors() {
		t.Run(v.Name, func(t *testing.T) {
			results := contract.Run(context.Background(), target(v))
			all = append(all, results...)
			report(t, results)
			var checks []string
			for _, r := range results {
				checks = append(checks, r.Check)
				if r.Vendor != v.Name || r.Operation == "" && r.Status != contract.Skip || r.Duration <= 0 {
					t.Errorf("%s: incomplete result %+v", r.Check, r)
				}
				if r.Status == contract.Skip {
					if v.Name != "decisiv" || r.Check != contract.CheckBearerRefused || !strings.Contains(r.Message, "VENDORKIT_DECISIV_"+contract.BearerRefusedPathField) {
						t.Errorf("unexpected skip %s: %s", r.Check, r.Message)
					}
				}
			}
			if !slices.Equal(checks, contract.Checks(v.Name)) {
				t.Errorf("checks %v, want %v", checks, contract.Checks(v.Name))
			}
		})
	}
	scanResults(t, sb, all)
}

// scanResults fails if any result, or their JUnit XML, contains a secret
// the sandbox knows (passwords, client secrets, every token and code it
// issued), or if a message carries REDACTED (the suite's own prose must
// not trip auth.Scrub's patterns, and no secret should have been quoted).
func scanResults(t *testing.T, sb *sandbox.Sandbox, results []contract.Result) {
	t.Helper()
	var junit bytes.Buffer
	if err := contract.WriteJUnit(&junit, results); err != nil {
		t.Fatal(err)
	}
	texts := []string{junit.String()}
	for _, r := range results {
		texts = append(texts, r.Operation, r.Expected, r.Got, r.Message)
	}
	var secrets []string
	for _, v := range sb.Vendors() {
		secrets = append(secrets, v.Secrets()...)
	}
	if len(secrets) < 10 {
		t.Fatalf("the sandbox reports only %d secrets", len(secrets))
	}
	for _, s := range secrets {
		if len(s) < 6 {
			continue
		}
		for _, text := range texts {
			if strings.Contains(text, s) {
				t.Errorf("secret (%d chars, starts %q) in %q", len(s), s[:3], text)
			}
		}
	}
	for _, text := range texts {
		if strings.Contains(text, "REDACTED") {
			t.Errorf("REDACTED in %q", text)
		}
	}
}

// The suite touches only its own tokens: clients that held tokens before
// it ran keep them, working, without a new token request.
func TestNonDestructive(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	ctx := context.Background()
	bcfg, _ := bss.FromLookup(mapLookup(sb.Vendor("bss").Env()))
	icfg, _ := ioffice.FromLookup(mapLookup(sb.Vendor("ioffice").Env()))
	bc, err := bss.New(bcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close()
	ic, err := ioffice.New(icfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ic.Close()
	bt, err := bc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	it, err := ic.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}

	for _, v := range sb.Vendors() {
		if contract.Failed(contract.Run(ctx, target(v))) {
			t.Fatalf("%s: the suite failed", v.Name)
		}
	}

	if r, err := bc.GetAccountWithResponse(ctx, 1); err != nil || r.StatusCode() != 200 {
		t.Errorf("bystander bss call: %v %v", r, err)
	}
	if r, err := ic.GetCurrentUserWithResponse(ctx); err != nil || r.StatusCode() != 200 {
		t.Errorf("bystander ioffice call: %v %v", r, err)
	}
	if n := bc.Source().Stats().Fetches + ic.Source().Stats().Fetches + ic.Source().Stats().Refreshes; n != 2 {
		t.Errorf("the bystanders needed %d token fetches, want their first 2", n)
	}
	if t2, _ := ic.Token(ctx); t2.AccessToken != it.AccessToken || t2.RefreshToken != it.RefreshToken {
		t.Error("the bystander's iOFFICE tokens changed")
	}
	if t2, _ := bc.Token(ctx); t2.AccessToken != bt.AccessToken {
		t.Error("the bystander's BSS token changed")
	}
}

// A Decisiv endpoint that refuses bearer tokens: the check passes when one
// is configured (field or variable) and fails when the named endpoint takes
// the token after all.
func TestBearerRefused(t *testing.T) {
	const path = "/platform_api/bearer_test"
	ctx := context.Background()
	sb := startSandbox(t, sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.DecisivOptions{BearerRefusedPaths: []string{path}}}})
	v := sb.Vendor("decisiv")

	byField := target(v)
	byField.BearerRefusedPath = path
	env := v.Env()
	env["VENDORKIT_DECISIV_"+contract.BearerRefusedPathField] = path
	for name, tg := range map[string]contract.Target{"field": byField, "variable": {Vendor: "decisiv", Lookup: mapLookup(env)}} {
		t.Run(name, func(t *testing.T) {
			results := contract.Run(ctx, tg)
			r := find(t, results, contract.CheckBearerRefused)
			if r.Status != contract.Pass || r.Operation != "GET /platform_api/bearer_test (bearerTest)" {
				t.Errorf("bearer-refused: %+v", r)
			}
			// The sandbox can refuse only paths its spec routes, so here the
			// sample resource is refused too, and the resource check says so.
			res := find(t, results, contract.CheckResource)
			wantFailure(t, res, "GET /platform_api/bearer_test (bearerTest)", "HTTP 200", "HTTP 403")
			if !strings.Contains(res.Got, "does not support bearer-token authentication") {
				t.Errorf("resource: got %q", res.Got)
			}
		})
	}

	t.Run("endpoint takes the token", func(t *testing.T) {
		plain := startSandbox(t, sandbox.Options{})
		tg := target(plain.Vendor("decisiv"))
		tg.BearerRefusedPath = path
		r := find(t, contract.Run(ctx, tg), contract.CheckBearerRefused)
		wantFailure(t, r, "GET /platform_api/bearer_test (bearerTest)", "an error wrapping "+decisiv.ErrBearerNotSupported.Error(), "HTTP 200")
	})
	t.Run("not in the spec", func(t *testing.T) {
		tg := target(v)
		tg.BearerRefusedPath = "/platform_api/cases"
		r := find(t, contract.Run(ctx, tg), contract.CheckBearerRefused)
		// The sandbox routes by the spec: an unknown path is 404.
		wantFailure(t, r, "GET /platform_api/cases (not in the spec)", "an error wrapping "+decisiv.ErrBearerNotSupported.Error(), "HTTP 404")
	})
}

// find returns the result of check.
func find(t *testing.T, results []contract.Result, check string) contract.Result {
	t.Helper()
	for _, r := range results {
		if r.Check == check {
			return r
		}
	}
	t.Fatalf("no %s result in %+v", check, results)
	return contract.Result{}
}

// wantFailure asserts r failed about op, expecting something containing
// expected and getting something containing got, and that its message
// says all three.
func wantFailure(t *testing.T, r contract.Result, op, expected, got string) {
	t.Helper()
	if r.Status != contract.Fail {
		t.Errorf("%s %s: status %s, want fail (%s)", r.Vendor, r.Check, r.Status, r.Message)
		return
	}
	if r.Operation != op {
		t.Errorf("%s %s: operation %q, want %q", r.Vendor, r.Check, r.Operation, op)
	}
	if !strings.Contains(r.Expected, expected) {
		t.Errorf("%s %s: expected %q, want it to contain %q", r.Vendor, r.Check, r.Expected, expected)
	}
	if !strings.Contains(r.Got, got) {
		t.Errorf("%s %s: got %q, want it to contain %q", r.Vendor, r.Check, r.Got, got)
	}
	for _, part := range []string{"expected " + r.Expected, "got " + r.Got, "spec: " + op} {
		if !strings.Contains(r.Message, part) {
			t.Errorf("%s %s: message %q lacks %q", r.Vendor, r.Check, r.Message, part)
		}
	}
}

// countingTransport counts the requests that reach it.
type countingTransport struct {
	mu sync.Mutex
	n  int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// A WithHTTPClient in Target.Options keeps its transport: the recorder sits
// on top of it.
func TestOptionsTransportIsKept(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	ct := &countingTransport{}
	tg := target(sb.Vendor("blueprint"))
	tg.Options = []client.Option{client.WithHTTPClient(&http.Client{Transport: ct})}
	results := contract.Run(context.Background(), tg)
	if contract.Failed(results) {
		t.Fatalf("%+v", results)
	}
	// login, pages, forged pages
	if ct.n != 3 {
		t.Errorf("the caller's transport saw %d requests, want 3", ct.n)
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}
