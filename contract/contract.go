package contract

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/specs"
)

// Check names, stable across releases: CI systems key on them.
const (
	CheckToken           = "token"
	CheckResource        = "resource"
	CheckForgedToken     = "forged-token"
	CheckBearerRefused   = "bearer-refused"
	CheckRefreshRotation = "refresh-rotation"
	CheckRevoke          = "revoke"
	CheckLifetime        = "lifetime"
)

// DefaultTimeout bounds each check when Target.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Target is one vendor deployment to check.
type Target struct {
	// Vendor is the vendor's name (client/vendors, Vendors()).
	Vendor string
	// Lookup reads VENDORKIT_* variables: os.LookupEnv for a live
	// deployment (nil means that), or a sandbox's Env() map.
	Lookup func(string) (string, bool)
	// Options are extra client options, e.g. client.WithInsecureHTTP for a
	// plain-http live host. A WithHTTPClient's transport and timeout are
	// kept: the suite records the exchanges on top of that transport.
	Options []client.Option
	// BearerRefusedPath is an endpoint path that refuses bearer tokens,
	// for a vendor that has such endpoints (its descriptor's
	// BearerRefused). Empty: VENDORKIT_<VENDOR>_BEARER_REFUSED_PATH is read
	// through Lookup; if that is unset too, the bearer-refused check is
	// skipped.
	BearerRefusedPath string
	// Timeout bounds each check (0: DefaultTimeout).
	Timeout time.Duration
	// Spec is the vendor's OpenAPI spec (YAML or JSON) to check against,
	// such as a copy being edited; nil means the embedded
	// specs/<vendor>.yaml. Its token endpoints are the operations it tags
	// "token", as in the embedded specs: a spec that does not parse, or
	// that leaves one of the grant's operations untagged, fails the token
	// check and skips the rest.
	Spec []byte
}

// Status is a check's outcome.
type Status string

// Statuses.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is one check of one vendor. Every string is scrubbed: no
// password, client secret, code or token the suite knows of appears in it.
type Result struct {
	Vendor string
	Check  string // CheckToken, ...
	// Operation is the spec operation the check concerns, e.g.
	// "POST /oauth/token (requestToken)"; for a failure, the one that
	// failed. Paths are the spec's, without the deployment's prefix.
	Operation string
	Status    Status
	// Expected and Got are set for failures.
	Expected string
	Got      string
	// Message says what happened: for a failure "what: expected …, got …,
	// spec: <operation>"; for a skip, why and what would enable the check;
	// for a pass, an optional note.
	Message  string
	Duration time.Duration
}

// Failed reports whether any result failed.
func Failed(results []Result) bool {
	return slices.ContainsFunc(results, func(r Result) bool { return r.Status == Fail })
}

// Vendors are the vendors the suite knows, in the usual order.
func Vendors() []string { return specs.Vendors() }

// Checks returns the checks Run performs for vendor, in order (nil for an
// unknown vendor).
func Checks(vendor string) []string {
	d := definition(vendor)
	if d == nil {
		return nil
	}
	return slices.Clone(d.checks)
}

// Missing returns the VENDORKIT_* variables that are unset or empty and
// that the suite needs for vendor: with them set, Run checks that
// deployment. The suite logs in headlessly, so the variables of the
// primary grant are needed too (iOFFICE's username and password, which
// the client alone could do without, through a browser). lookup nil means
// os.LookupEnv. An unknown vendor returns nil.
func Missing(vendor string, lookup func(string) (string, bool)) []string {
	d := definition(vendor)
	if d == nil {
		return nil
	}
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var out []string
	for _, e := range d.Env {
		name := envName(vendor, e.Field)
		if v, ok := lookup(name); suiteNeeds(e) && (!ok || v == "") {
			out = append(out, name)
		}
	}
	return out
}

// Run checks one vendor deployment and returns one Result per check, in
// the order of Checks(t.Vendor). It never panics on a misbehaving server
// and touches only tokens it obtained itself. A vendor whose variables are
// missing gives a skip for every check, naming the variables; an unknown
// vendor a single failed result.
func Run(ctx context.Context, t Target) []Result {
	results, _ := run(ctx, t, false)
	return results
}

// run is Run, and RunDrift when withDrift is set.
func run(ctx context.Context, t Target, withDrift bool) ([]Result, []Drift) {
	d := definition(t.Vendor)
	if d == nil {
		return []Result{{Vendor: t.Vendor, Check: "config", Status: Fail,
			Expected: "one of " + strings.Join(Vendors(), ", "), Got: fmt.Sprintf("%q", t.Vendor),
			Message: fmt.Sprintf("unknown vendor: expected one of %s, got %q", strings.Join(Vendors(), ", "), t.Vendor)}}, nil
	}
	if t.Lookup == nil {
		t.Lookup = os.LookupEnv
	}
	if t.Timeout <= 0 {
		t.Timeout = DefaultTimeout
	}
	if missing := Missing(d.Name, t.Lookup); len(missing) > 0 {
		msg := "not configured: set " + strings.Join(missing, ", ") + " to run the " + d.Name + " checks"
		out := make([]Result, 0, len(d.checks))
		for _, c := range d.checks {
			out = append(out, Result{Vendor: d.Name, Check: c, Status: Skip, Operation: "", Message: msg})
		}
		return out, nil
	}
	r := newRunner(ctx, t, d)
	defer r.close()
	for _, name := range d.checks {
		r.run(name)
	}
	var drift []Drift
	if withDrift {
		drift = r.drift()
	}
	return r.finish(), drift
}

// scrubResults replaces every secret the suite knows of in every string,
// once all of them are known (a token seen in a later check may have been
// quoted by an earlier one's error). It replaces the values only, like the
// secrets argument of auth.Scrub: what came from the wire (body excerpts,
// kin's reasons) already went through auth.Scrub's patterns, and the
// clients' errors through auth.SafeErrorString, whereas the patterns
// applied to whole messages would blank out the word after every
// "token:" ("bss token: HTTP 400" is how an *auth.Error prints).
func scrubResults(results []Result, secrets []string) []Result {
	scrub := func(s string) string {
		for _, sec := range secrets {
			if sec != "" {
				s = strings.ReplaceAll(s, sec, "REDACTED")
			}
		}
		return s
	}
	for i := range results {
		r := &results[i]
		r.Operation = scrub(r.Operation)
		r.Expected = scrub(r.Expected)
		r.Got = scrub(r.Got)
		r.Message = scrub(r.Message)
	}
	return results
}
