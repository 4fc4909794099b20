package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vendorkit/vendorkit/contract"
	"github.com/vendorkit/vendorkit/sandbox"
)

// junitDoc is what CI systems read of the --junit file.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) (junitDoc, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("--junit file is not XML: %v\n%s", err, b)
	}
	outputs.Lock()
	outputs.all = append(outputs.all, string(b)) // scanned for secrets too
	outputs.Unlock()
	return doc, string(b)
}

// The default target is the embedded sandbox: every check passes
// (Decisiv's bearer-refused skips), the table shows each, the JUnit file
// counts them, and no secret is printed.
func TestContractCommandOnTheSandbox(t *testing.T) {
	t.Setenv("VENDORKIT_CONTRACT", "")
	var secrets []string
	contractSandboxHook = func(sb *sandbox.Sandbox) {
		for _, v := range sb.Vendors() {
			secrets = append(secrets, v.Secrets()...)
		}
	}
	t.Cleanup(func() { contractSandboxHook = nil })
	path := filepath.Join(t.TempDir(), "contract.xml")

	r := vk(t, "", "contract", "--junit", path)
	if r.code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if len(secrets) < 10 {
		t.Fatalf("the contract sandbox reported only %d secrets", len(secrets))
	}
	doc, raw := readJUnit(t, path)
	for _, s := range secrets {
		if len(s) >= 6 && (strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) || strings.Contains(raw, s)) {
			t.Errorf("secret (%d chars, starts %q) printed", len(s), s[:3])
		}
	}
	// Every check of every vendor passes but the one that needs an
	// endpoint refusing bearer tokens, which the default sandbox lacks.
	total := 0
	for _, v := range contract.Vendors() {
		total += len(contract.Checks(v))
	}
	for _, want := range []string{"against the embedded sandbox", "VENDOR", "OPERATION", "refresh-rotation", "POST /oauth/token (requestToken)",
		"VENDORKIT_DECISIV_BEARER_REFUSED_PATH", fmt.Sprintf("contract: %d passed, 0 failed, 1 skipped", total-1)} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "FAIL") {
		t.Errorf("a check failed:\n%s", r.stdout)
	}

	if doc.Tests != total || doc.Failures != 0 || doc.Skipped != 1 || len(doc.Suites) != len(contract.Vendors()) {
		t.Fatalf("junit totals: %d tests, %d failures, %d skipped, %d suites", doc.Tests, doc.Failures, doc.Skipped, len(doc.Suites))
	}
	for i, v := range contract.Vendors() {
		s := doc.Suites[i]
		wantSkipped := 0
		if v == "decisiv" {
			wantSkipped = 1
		}
		if s.Name != "vendorkit/"+v || s.Tests != len(contract.Checks(v)) || s.Failures != 0 || s.Skipped != wantSkipped {
			t.Errorf("suite %d: %s tests=%d failures=%d skipped=%d", i, s.Name, s.Tests, s.Failures, s.Skipped)
		}
		for j, c := range s.Cases {
			if c.Classname != "vendorkit."+v || c.Name != contract.Checks(v)[j] {
				t.Errorf("%s case %d: %s %s", v, j, c.Classname, c.Name)
			}
		}
	}
}

// --live (or VENDORKIT_CONTRACT=live) reads the VENDORKIT_* environment:
// here a sandbox that does not rotate iOFFICE refresh tokens, so the
// command fails with exit 1 and says why; an unconfigured vendor is one
// skipped row naming its variables.
func TestContractCommandLive(t *testing.T) {
	sb, err := sandbox.Start(context.Background(), sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.IOfficeOptions{NoRotation: true}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		scanSecrets(t, sb)
		sb.Close()
	})
	for _, v := range sb.Vendors() {
		for k, val := range v.Env() {
			t.Setenv(k, val)
		}
	}
	t.Setenv("VENDORKIT_BLUEPRINT_BASE_URL", "")
	path := filepath.Join(t.TempDir(), "live.xml")

	r := vk(t, "", "contract", "--live", "--vendor", "ioffice", "--junit", path)
	if r.code != exitHTTP {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, exitHTTP, r.stdout, r.stderr)
	}
	for _, want := range []string{"against live deployments", "refresh-rotation", "FAIL", "POST /external/api/oauth2/token (requestToken)",
		"expected a new refresh token", "got the same refresh token back", "contract: 5 passed, 1 failed, 0 skipped"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.stderr != "" {
		t.Errorf("stderr: %q", r.stderr)
	}
	doc, _ := readJUnit(t, path)
	if doc.Tests != 6 || doc.Failures != 1 || len(doc.Suites) != 1 || doc.Suites[0].Failures != 1 {
		t.Errorf("junit: %+v", doc)
	}
	for _, c := range doc.Suites[0].Cases {
		if (c.Failure != nil) != (c.Name == contract.CheckRefreshRotation) {
			t.Errorf("case %s failure %v", c.Name, c.Failure)
		}
		if c.Failure != nil && !strings.Contains(c.Failure.Message, "spec: POST /external/api/oauth2/token (requestToken)") {
			t.Errorf("failure message %q", c.Failure.Message)
		}
	}

	t.Setenv("VENDORKIT_CONTRACT", "live")
	r = vk(t, "", "contract", "--vendor", "blueprint")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"blueprint  (all)  skip", "not configured: set VENDORKIT_BLUEPRINT_BASE_URL to run the blueprint checks", "0 passed, 0 failed, 4 skipped"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestContractCommandUsage(t *testing.T) {
	t.Setenv("VENDORKIT_CONTRACT", "")
	r := vk(t, "", "contract", "--vendor", "nope")
	if r.code != exitUsage || !strings.Contains(r.stderr, `unknown vendor "nope"`) || r.stdout != "" {
		t.Errorf("--vendor nope: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = vk(t, "", "contract", "extra")
	if r.code != exitUsage {
		t.Errorf("positional argument: exit %d %q", r.code, r.stderr)
	}
	r = vk(t, "", "contract", "--vendor", "bss", "--junit", filepath.Join(t.TempDir(), "no", "such", "dir.xml"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "--junit") {
		t.Errorf("unwritable --junit: exit %d %q", r.code, r.stderr)
	}
	r = vk(t, "", "contract", "--help")
	if r.code != exitOK {
		t.Errorf("--help: exit %d", r.code)
	}
	for _, want := range []string{"Examples:", "--junit FILE", "--live", "VENDORKIT_CONTRACT=live", "exits 0 when no check failed"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--help lacks %q:\n%s", want, r.stdout)
		}
	}
}
