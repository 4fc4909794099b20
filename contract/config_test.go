package contract_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/specs"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/vendors"
	"github.com/vendorkit/vendorkit/contract"
	"github.com/vendorkit/vendorkit/sandbox"
)

func none(string) (string, bool) { return "", false }

// Missing lists what the suite needs: every variable a client requires
// (read from each vendor's Open), and the headless grant's. The four
// documented vendors' lists are pinned exactly.
func TestMissing(t *testing.T) {
	want := map[string][]string{
		"bss":       {"VENDORKIT_BSS_BASE_URL", "VENDORKIT_BSS_CLIENT_KEY", "VENDORKIT_BSS_CLIENT_SECRET", "VENDORKIT_BSS_USERNAME", "VENDORKIT_BSS_PASSWORD"},
		"blueprint": {"VENDORKIT_BLUEPRINT_BASE_URL", "VENDORKIT_BLUEPRINT_USERNAME", "VENDORKIT_BLUEPRINT_PASSWORD"},
		"decisiv":   {"VENDORKIT_DECISIV_BASE_URL", "VENDORKIT_DECISIV_CONSUMER_KEY", "VENDORKIT_DECISIV_CONSUMER_SECRET"},
		// The suite logs in headlessly: username and password are required.
		"ioffice": {"VENDORKIT_IOFFICE_BASE_URL", "VENDORKIT_IOFFICE_CLIENT_ID", "VENDORKIT_IOFFICE_REDIRECT_URI", "VENDORKIT_IOFFICE_SCOPE", "VENDORKIT_IOFFICE_USERNAME", "VENDORKIT_IOFFICE_PASSWORD"},
	}
	if !slices.Equal(contract.Vendors(), specs.Vendors()) {
		t.Errorf("Vendors() = %v", contract.Vendors())
	}
	for _, v := range contract.Vendors() {
		got := contract.Missing(v, none)
		if w, ok := want[v]; ok && !slices.Equal(got, w) {
			t.Errorf("Missing(%s) = %v, want %v", v, got, w)
		}
		if len(got) == 0 {
			t.Errorf("Missing(%s) with nothing set is empty", v)
			continue
		}
		// Every variable the client requires is one the suite asks for.
		d, _ := vendors.Find(v)
		_, err := d.Open(none)
		if !errors.Is(err, client.ErrMissingEnv) {
			t.Fatalf("%s: Open: %v", v, err)
		}
		for _, name := range strings.Split(err.Error()[strings.LastIndex(err.Error(), ": ")+2:], ", ") {
			if !slices.Contains(got, name) {
				t.Errorf("%s: the client requires %s, Missing does not list it", v, name)
			}
		}
		// All set (empty counts as unset): nothing missing.
		all := map[string]string{}
		for _, name := range got {
			all[name] = "x"
		}
		if m := contract.Missing(v, mapLookup(all)); len(m) != 0 {
			t.Errorf("Missing(%s) with everything set = %v", v, m)
		}
		all[got[0]] = ""
		if m := contract.Missing(v, mapLookup(all)); !slices.Equal(m, got[:1]) {
			t.Errorf("Missing(%s) with an empty variable = %v", v, m)
		}
	}
	if contract.Missing("nope", none) != nil || contract.Checks("nope") != nil {
		t.Error("unknown vendor")
	}
}

// A vendor without variables is skipped, every check, naming them.
func TestRunNotConfigured(t *testing.T) {
	results := contract.Run(context.Background(), contract.Target{Vendor: "ioffice", Lookup: none})
	var checks []string
	for _, r := range results {
		checks = append(checks, r.Check)
		if r.Status != contract.Skip || !strings.Contains(r.Message, "VENDORKIT_IOFFICE_BASE_URL") || !strings.Contains(r.Message, "VENDORKIT_IOFFICE_PASSWORD") {
			t.Errorf("%+v", r)
		}
	}
	if !slices.Equal(checks, contract.Checks("ioffice")) {
		t.Errorf("checks %v", checks)
	}
	if contract.Failed(results) {
		t.Error("skips are not failures")
	}
}

func TestRunUnknownVendor(t *testing.T) {
	// Not a valid vendor name: it can never become a real vendor.
	results := contract.Run(context.Background(), contract.Target{Vendor: "not a vendor", Lookup: none})
	if len(results) != 1 || results[0].Status != contract.Fail || !strings.Contains(results[0].Message, `got "not a vendor"`) || !contract.Failed(results) {
		t.Errorf("%+v", results)
	}
}

// A configuration the client refuses fails the token check with the
// client's reason (never a value) and skips the rest; nothing is sent.
func TestRunInvalidConfiguration(t *testing.T) {
	env := map[string]string{
		"VENDORKIT_DECISIV_BASE_URL":        "http://api.staging.decisiv.net", // plain http, no WithInsecureHTTP
		"VENDORKIT_DECISIV_CONSUMER_KEY":    "key",
		"VENDORKIT_DECISIV_CONSUMER_SECRET": "s3cret-value",
	}
	results := contract.Run(context.Background(), contract.Target{Vendor: "decisiv", Lookup: mapLookup(env)})
	tok := find(t, results, contract.CheckToken)
	wantFailure(t, tok, decisivToken, "a configuration the client accepts", "plain http to a non-loopback host")
	for _, r := range results[1:] {
		if r.Status != contract.Skip {
			t.Errorf("%s: %+v", r.Check, r)
		}
	}
	for _, r := range results {
		if strings.Contains(r.Message, "s3cret-value") {
			t.Errorf("secret in %q", r.Message)
		}
	}
}

// A dead host fails the token check quickly (bounded by the timeout) with
// the transport's error.
func TestRunDeadHost(t *testing.T) {
	env := map[string]string{
		"VENDORKIT_BLUEPRINT_BASE_URL": "http://127.0.0.1:1",
		"VENDORKIT_BLUEPRINT_USERNAME": "u",
		"VENDORKIT_BLUEPRINT_PASSWORD": "p4ssword-dead",
	}
	results := contract.Run(context.Background(), contract.Target{Vendor: "blueprint", Lookup: mapLookup(env),
		Options: []client.Option{client.WithRetry(0, 0, 0)}, Timeout: 5 * time.Second})
	tok := find(t, results, contract.CheckToken)
	wantFailure(t, tok, blueprintLogin, "an access token from the password grant", "connect")
	if r := find(t, results, contract.CheckForgedToken); r.Status != contract.Fail || !strings.Contains(r.Got, "connect") {
		t.Errorf("forged-token: %+v", r)
	}
	if r := find(t, results, contract.CheckLifetime); r.Status != contract.Skip {
		t.Errorf("lifetime: %+v", r)
	}
}

func TestWriteJUnit(t *testing.T) {
	results := []contract.Result{
		{Vendor: "bss", Check: "token", Operation: "POST /oauth/token (requestToken)", Status: contract.Pass, Message: "ok", Duration: 1500 * time.Millisecond},
		{Vendor: "bss", Check: "lifetime", Operation: "POST /oauth/token (requestToken)", Status: contract.Fail,
			Expected: `expires_in < 1 year & "seconds"`, Got: "<none>", Message: `token lifetime: expected expires_in < 1 year & "seconds", got <none>, spec: POST /oauth/token (requestToken)`, Duration: time.Millisecond},
		{Vendor: "decisiv", Check: "bearer-refused", Status: contract.Skip, Message: "skipped: set VENDORKIT_DECISIV_BEARER_REFUSED_PATH"},
		{Vendor: "decisiv", Check: "token", Status: contract.Pass},
	}
	var b bytes.Buffer
	if err := contract.WriteJUnit(&b, results); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "<?xml") {
		t.Errorf("no XML header:\n%s", b.String())
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Skipped  int    `xml:"skipped,attr"`
			Time     string `xml:"time,attr"`
			Cases    []struct {
				Classname string `xml:"classname,attr"`
				Name      string `xml:"name,attr"`
				Time      string `xml:"time,attr"`
				Failure   *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if doc.Tests != 4 || doc.Failures != 1 || doc.Skipped != 1 || len(doc.Suites) != 2 {
		t.Fatalf("totals %+v", doc)
	}
	s := doc.Suites[0]
	if s.Name != "vendorkit/bss" || s.Tests != 2 || s.Failures != 1 || s.Skipped != 0 || s.Time != "1.501" {
		t.Errorf("bss suite %+v", s)
	}
	c := s.Cases[1]
	if c.Classname != "vendorkit.bss" || c.Name != "lifetime" || c.Time != "0.001" || c.Failure == nil ||
		c.Failure.Message != results[1].Message || !strings.Contains(c.Failure.Text, "got: <none>") ||
		!strings.Contains(c.Failure.Text, "spec: POST /oauth/token (requestToken)") {
		t.Errorf("failure case %+v", c)
	}
	if s.Cases[0].SystemOut != "ok" || s.Cases[0].Failure != nil {
		t.Errorf("pass case %+v", s.Cases[0])
	}
	d := doc.Suites[1]
	if d.Name != "vendorkit/decisiv" || d.Tests != 2 || d.Skipped != 1 || d.Cases[0].Skipped == nil ||
		d.Cases[0].Skipped.Message != results[2].Message {
		t.Errorf("decisiv suite %+v", d)
	}
}

// The spec given in Target.Spec is the one the suite reads: the token
// endpoints are the operations it tags "token", so a copy that tags none
// fails the token check saying so, as a copy that does not parse does.
func TestRunSpecFromTarget(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	raw, err := specs.Raw("bss")
	if err != nil {
		t.Fatal(err)
	}
	untagged := bytes.Replace(raw, []byte("tags: [token]"), []byte("tags: [oauth]"), 1)
	if bytes.Equal(untagged, raw) {
		t.Fatal("the bss spec has no tags: [token] to replace")
	}
	for _, tc := range []struct {
		name, op string
		spec     []byte
		got      string
	}{
		{"untagged", "POST /oauth/token (requestToken)", untagged, `has no operation requestToken tagged "token"`},
		{"not a spec", "requestToken", []byte("openapi: [3"), "bss spec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := target(sb.Vendor("bss"))
			tg.Spec = tc.spec
			results := contract.Run(context.Background(), tg)
			tok := find(t, results, contract.CheckToken)
			if tok.Operation != tc.op || tok.Status != contract.Fail || tok.Expected != "an OpenAPI spec the suite can check against" || !strings.Contains(tok.Got, tc.got) {
				t.Errorf("token check %+v", tok)
			}
			for _, r := range results[1:] {
				if r.Status != contract.Skip {
					t.Errorf("%s: %+v", r.Check, r)
				}
			}
		})
	}
}

// Checks and Missing read the vendor's descriptor only: they parse no
// spec (a parse is thousands of allocations).
func TestChecksAndMissingParseNoSpec(t *testing.T) {
	for _, v := range contract.Vendors() {
		allocs := testing.AllocsPerRun(10, func() {
			contract.Checks(v)
			contract.Missing(v, none)
		})
		if allocs > 100 {
			t.Errorf("%s: Checks and Missing allocate %.0f times, want at most 100", v, allocs)
		}
	}
}
