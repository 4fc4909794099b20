package sandbox_test

import (
	"context"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/specs"

	"go.uber.org/goleak"

	"github.com/vendorkit/vendorkit/sandbox"
)

func TestStartServesEveryVendorOnItsOwnLoopbackPort(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	var names []string
	ports := map[string]bool{}
	for _, v := range e.s.Vendors() {
		names = append(names, v.Name)
		u, err := url.Parse(v.BaseURL)
		if err != nil {
			t.Fatal(err)
		}
		if u.Scheme != "http" || u.Hostname() != "127.0.0.1" {
			t.Errorf("%s: BaseURL %s, want http://127.0.0.1:PORT", v.Name, v.BaseURL)
		}
		wantPath := ""
		if v.Name == "bss" {
			wantPath = "/bsssmapi" // the docs' C# posts to bsssmapi/oauth/token
		}
		if u.Path != wantPath {
			t.Errorf("%s: path %q, want %q", v.Name, u.Path, wantPath)
		}
		ports[u.Port()] = true
		if e.s.Vendor(v.Name) != v {
			t.Errorf("Vendor(%q) is not the one Vendors() lists", v.Name)
		}
	}
	if want := specs.Vendors(); !slices.Equal(names, want) {
		t.Errorf("Vendors() = %v, want %v", names, want)
	}
	if len(ports) != len(names) {
		t.Errorf("ports %v: want %d distinct", ports, len(names))
	}
	if e.s.Vendor("nope") != nil {
		t.Error("Vendor(nope) != nil")
	}
}

func TestEnvHasEachVendorsVariables(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	// The documented vendors' variables, pinned (a vendor added later is
	// held to its client's needs by client/vendors' tests).
	want := map[string][]string{
		"bss":       {"BASE_URL", "CLIENT_KEY", "CLIENT_SECRET", "USERNAME", "PASSWORD", "API_VERSION"},
		"blueprint": {"BASE_URL", "USERNAME", "PASSWORD"},
		"decisiv":   {"BASE_URL", "CONSUMER_KEY", "CONSUMER_SECRET"},
		"ioffice":   {"BASE_URL", "CLIENT_ID", "USERNAME", "PASSWORD", "REDIRECT_URI", "SCOPE"},
	}
	for _, v := range e.s.Vendors() {
		env := v.Env()
		prefix := "VENDORKIT_" + strings.ToUpper(v.Name) + "_"
		if fields, ok := want[v.Name]; ok {
			var keys []string
			for _, k := range fields {
				keys = append(keys, prefix+k)
			}
			if got := slices.Sorted(maps.Keys(env)); !slices.Equal(got, slices.Sorted(slices.Values(keys))) {
				t.Errorf("%s: keys %v, want %v", v.Name, got, keys)
			}
		}
		for k := range env {
			if !strings.HasPrefix(k, prefix) {
				t.Errorf("%s: %s is not one of its variables", v.Name, k)
			}
		}
		for k, val := range env {
			if val == "" {
				t.Errorf("%s: %s is empty", v.Name, k)
			}
		}
		if env["VENDORKIT_"+strings.ToUpper(v.Name)+"_BASE_URL"] != v.BaseURL {
			t.Errorf("%s: BASE_URL != BaseURL", v.Name)
		}
		env["x"] = "y" // a copy: must not change the vendor's
		if _, ok := v.Env()["x"]; ok {
			t.Errorf("%s: Env returns the vendor's own map", v.Name)
		}
	}
	// The docs' example values are the defaults.
	bss := e.v("bss").Env()
	for k, want := range map[string]string{
		"VENDORKIT_BSS_CLIENT_KEY": docsKey, "VENDORKIT_BSS_CLIENT_SECRET": docsSecret,
		"VENDORKIT_BSS_USERNAME": "testuser", "VENDORKIT_BSS_PASSWORD": "user123456!",
		"VENDORKIT_BSS_API_VERSION": "latest",
	} {
		if bss[k] != want {
			t.Errorf("%s = %q, want %q", k, bss[k], want)
		}
	}
	bp := e.v("blueprint").Env()
	if bp["VENDORKIT_BLUEPRINT_USERNAME"] != "username" || bp["VENDORKIT_BLUEPRINT_PASSWORD"] != "Qu0te&Config-2014" {
		t.Errorf("Blueprint credentials %v, want the docs' username and a realistic password", bp)
	}
}

func TestOptionsOverrideCredentials(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.BSSOptions{Username: "alice", Password: "s3cret"}}})
	env := e.v("bss").Env()
	if env["VENDORKIT_BSS_USERNAME"] != "alice" || env["VENDORKIT_BSS_PASSWORD"] != "s3cret" {
		t.Fatalf("env %v", env)
	}
	r := e.do("POST", e.v("bss").BaseURL+"/oauth/token", "grant_type=password&username=alice&password=s3cret",
		"Content-Type", formURLEnc, "Authorization", docsBasic)
	if r.status != 200 {
		t.Fatalf("configured user: %d %s", r.status, r.body)
	}
	if r := e.bssTokenResult(); r.status != 400 {
		t.Fatalf("docs' user after override: %d, want 400", r.status)
	}
}

// Close must free everything, even with keep-alive connections open and a
// token request stuck in a long latency.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, err := sandbox.Start(context.Background(), sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	e := &env{t: t, s: s, clock: newFakeClock(), hc: &http.Client{Transport: tr}}
	tok := e.bssToken()
	if r := e.bssGet("/api/accounts/1", tok); r.status != 200 {
		t.Fatalf("account: %d", r.status)
	}
	s.Vendor("bss").SetTokenLatency(time.Hour)
	stuck := make(chan error, 1)
	go func() {
		_, err := e.try(context.Background(), "POST", s.Vendor("bss").BaseURL+"/oauth/token", docsBSSBody,
			"Content-Type", formURLEnc, "Authorization", docsBasic)
		stuck <- err
	}()
	waitFor(t, func() bool { return s.Vendor("bss").Stats().TokenRequests["password"] == 2 })

	began := time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
	<-stuck // the stuck request ends (with an error or an empty answer)
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for _, v := range s.Vendors() {
		if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(strings.TrimSuffix(v.BaseURL, "/bsssmapi"), "http://"), time.Second); err == nil {
			conn.Close()
			t.Errorf("%s still listening after Close", v.Name)
		}
	}
}

func TestContextCancelShutsDown(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithCancel(context.Background())
	s, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(s.Vendor("decisiv").BaseURL, "http://")
	cancel()
	waitFor(t, func() bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
		}
		return err != nil
	})
	if err := s.Close(); err != nil {
		t.Fatalf("Close after cancel: %v", err)
	}
}

func TestStartFailsCleanlyOnABadAddr(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	if s, err := sandbox.Start(context.Background(), sandbox.Options{Addr: "203.0.113.1"}); err == nil {
		s.Close()
		t.Fatal("Start on an address this host does not have: want error")
	}
}

// foreignOptions claims a vendor's name without being its settings type.
type foreignOptions struct{ name string }

func (f foreignOptions) Vendor() string { return f.name }

// Settings Start could not apply are an error, not silently dropped: for
// a vendor the sandbox does not serve, of a type that is not the vendor's
// own (a pointer included), nil, or a vendor's given twice (which would
// win?). Nothing is left listening.
func TestStartRefusesVendorOptionsItCannotApply(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for name, tc := range map[string]struct {
		vendors []sandbox.VendorOptions
		want    string
	}{
		"unknown vendor": {[]sandbox.VendorOptions{foreignOptions{"not a vendor"}}, `sandbox: Options.Vendors[0] (sandbox_test.foreignOptions) is for vendor "not a vendor"; the sandbox serves ` + strings.Join(specs.Vendors(), ", ")},
		"foreign type":   {[]sandbox.VendorOptions{foreignOptions{"bss"}}, "sandbox: Options.Vendors[0] is a sandbox_test.foreignOptions; bss's settings are a sandbox.BSSOptions"},
		"pointer":        {[]sandbox.VendorOptions{sandbox.DecisivOptions{}, &sandbox.IOfficeOptions{}}, "sandbox: Options.Vendors[1] is a *sandbox.IOfficeOptions; ioffice's settings are a sandbox.IOfficeOptions"},
		"nil":            {[]sandbox.VendorOptions{nil}, "sandbox: Options.Vendors[0] is nil"},
		"twice":          {[]sandbox.VendorOptions{sandbox.BSSOptions{Username: "a"}, sandbox.DecisivOptions{}, sandbox.BSSOptions{Username: "b"}}, "sandbox: Options.Vendors[2] gives bss's settings again (first at [0])"},
	} {
		s, err := sandbox.Start(context.Background(), sandbox.Options{Vendors: tc.vendors})
		if err == nil {
			s.Close()
			t.Errorf("%s: Start succeeded", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: %v\nwant %s", name, err, tc.want)
		}
	}
	// One of each is fine.
	var all []sandbox.VendorOptions
	all = append(all, sandbox.BSSOptions{}, sandbox.BlueprintOptions{}, sandbox.DecisivOptions{}, sandbox.IOfficeOptions{})
	s, err := sandbox.Start(context.Background(), sandbox.Options{Vendors: all})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// waitFor polls cond for up to 5 s (real time: goroutines, not the clock).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
