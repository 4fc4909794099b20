package main

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vendorkit/vendorkit/sandbox"
	"github.com/vendorkit/vendorkit/specs"
)

// contract --drift against a live deployment (a sandbox started with
// vendorkit sandbox's --undocumented-* flags): the table names the
// undocumented property and header, --drift=fail turns them into exit 1
// and a failed JUnit testcase, and the --drift-patch file merged into a
// copy of the spec (--specs) leaves nothing to report.
func TestContractDrift(t *testing.T) {
	t.Setenv("VENDORKIT_CONTRACT", "")
	undoc := undocumentedFlags{
		props:   []string{`plan={"tier":"gold","seats":3}`, `session_token="st-never-printed"`},
		headers: []string{"X-Vendor-Trace: t-1"},
	}
	m, err := undoc.misbehaviour()
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.Start(context.Background(), sandbox.Options{Misbehave: m})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		scanSecrets(t, sb)
		sb.Close()
	})
	for k, val := range sb.Vendor("bss").Env() {
		t.Setenv(k, val)
	}
	dir := t.TempDir()
	patch, junit := filepath.Join(dir, "drift.yaml"), filepath.Join(dir, "contract.xml")

	r := vk(t, "", "contract", "--live", "--vendor", "bss", "--drift", "--drift-patch", patch, "--junit", junit)
	if r.code != exitOK || r.stderr != "" {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, re := range []string{
		`(?m)^VENDOR +OPERATION +STATUS +KIND +NAME +TYPE +SHAPE +EXAMPLE +SEEN$`,
		`(?m)^bss +GET /api/accounts/\{accountId\} \(getAccount\) +200 +property +\$\.plan +object +\{seats: integer, tier: string\} +- +1$`,
		`(?m)^bss +GET /api/accounts/\{accountId\} \(getAccount\) +200 +property +\$\.session_token +string +string +- +1$`,
		`(?m)^bss +GET /api/accounts/\{accountId\} \(getAccount\) +200 +header +X-Vendor-Trace +string +string +"t-1" +1$`,
		`(?m)^bss +POST /oauth/token \(requestToken\) +200 +property +\$\.plan +object`,
		`(?m)^drift: 7 undocumented: 4 properties, 3 headers, 0 status codes, 0 content types; reported only \(--drift=fail makes it a failure\)$`,
		`(?m)^contract: 4 passed, 0 failed, 0 skipped$`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("stdout does not match %s:\n%s", re, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "st-never-printed") {
		t.Errorf("a credential-named value printed:\n%s", r.stdout)
	}
	b, err := os.ReadFile(patch)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "# specs/bss.yaml: ") || strings.Contains(string(b), "st-never-printed") || strings.Contains(string(b), "gold") {
		t.Errorf("patch:\n%s", b)
	}

	// --drift=fail: the same findings fail the run and the JUnit testcase.
	r = vk(t, "", "contract", "--live", "--vendor", "bss", "--drift=fail", "--junit", junit)
	if r.code != exitHTTP || !strings.Contains(r.stdout, "; FAIL (--drift=fail)") {
		t.Errorf("--drift=fail: exit %d\n%s", r.code, r.stdout)
	}
	raw, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Properties []struct {
				Name string `xml:"name,attr"`
			} `xml:"properties>property"`
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	outputs.Lock()
	outputs.all = append(outputs.all, string(raw), string(b))
	outputs.Unlock()
	cases := doc.Suites[0].Cases
	if doc.Failures != 1 || len(doc.Suites[0].Properties) != 7 || cases[len(cases)-1].Name != "drift" || cases[len(cases)-1].Failure == nil {
		t.Errorf("junit: %s", raw)
	}

	// The patch merged into a copy of the spec describes everything.
	spec, err := specs.Raw("bss")
	if err != nil {
		t.Fatal(err)
	}
	patched := filepath.Join(dir, "specs")
	if err := os.Mkdir(patched, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(patched, "bss.yaml"), mergeYAML(t, spec, b), 0o644); err != nil {
		t.Fatal(err)
	}
	r = vk(t, "", "contract", "--live", "--vendor", "bss", "--drift=fail", "--specs", patched)
	if r.code != exitOK || !strings.Contains(r.stdout, "drift: every response matched its spec") {
		t.Errorf("after the patch: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// What a deployment answers reaches the terminal without escape
// sequences: a property name that sets the window title is reported
// with the sequence removed.
func TestContractDriftTermSafe(t *testing.T) {
	t.Setenv("VENDORKIT_CONTRACT", "")
	sb, err := sandbox.Start(context.Background(), sandbox.Options{Misbehave: sandbox.Misbehaviour{
		ExtraProperties: map[string]any{"\x1b]0;pwned\x07plan\x1b[2J": "\x1b[31mred"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	for k, val := range sb.Vendor("bss").Env() {
		t.Setenv(k, val)
	}
	r := vk(t, "", "contract", "--live", "--vendor", "bss", "--drift")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !regexp.MustCompile(`(?m)^bss +GET /api/accounts/\{accountId\} \(getAccount\) +200 +property +\$\.plan +string`).MatchString(r.stdout) ||
		strings.ContainsAny(r.stdout, "\x1b\x07") {
		t.Errorf("stdout:\n%q", r.stdout)
	}
}

func TestContractDriftUsage(t *testing.T) {
	t.Setenv("VENDORKIT_CONTRACT", "")
	if r := vk(t, "", "contract", "--vendor", "bss", "--drift=sometimes"); r.code != exitUsage || !strings.Contains(r.stderr, "--drift=fail") {
		t.Errorf("--drift=sometimes: exit %d %q", r.code, r.stderr)
	}
	if r := vk(t, "", "contract", "--vendor", "bss", "--specs", t.TempDir()); r.code != exitUsage || !strings.Contains(r.stderr, "no <vendor>.yaml") {
		t.Errorf("empty --specs: exit %d %q", r.code, r.stderr)
	}
	for _, u := range []undocumentedFlags{
		{props: []string{"plan"}}, {props: []string{"=1"}}, {props: []string{"plan={"}}, {headers: []string{"X-Nothing"}},
	} {
		if _, err := u.misbehaviour(); err == nil || exitCode(err) != exitUsage {
			t.Errorf("%+v: %v", u, err)
		}
	}
	if r := vk(t, "", "contract", "--help"); !strings.Contains(r.stdout, "--drift-patch FILE") || !strings.Contains(r.stdout, "--drift=fail") {
		t.Errorf("--help:\n%s", r.stdout)
	}
}

// mergeYAML merges the mappings of patch into spec, key by key, as a
// maintainer pasting each entry at its place would.
func mergeYAML(t *testing.T, spec, patch []byte) []byte {
	t.Helper()
	var s, p yaml.Node
	if err := yaml.Unmarshal(spec, &s); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(patch, &p); err != nil {
		t.Fatalf("the patch is not YAML: %v\n%s", err, patch)
	}
	var merge func(dst, src *yaml.Node)
	merge = func(dst, src *yaml.Node) {
		for i := 0; i+1 < len(src.Content); i += 2 {
			k, v := src.Content[i], src.Content[i+1]
			found := false
			for j := 0; j+1 < len(dst.Content); j += 2 {
				if dst.Content[j].Value == k.Value {
					found = true
					if v.Kind != yaml.MappingNode || dst.Content[j+1].Kind != yaml.MappingNode {
						t.Fatalf("%s: the patch replaces what the spec has", k.Value)
					}
					merge(dst.Content[j+1], v)
				}
			}
			if !found {
				dst.Content = append(dst.Content, k, v)
			}
		}
	}
	merge(s.Content[0], p.Content[0])
	out, err := yaml.Marshal(&s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
