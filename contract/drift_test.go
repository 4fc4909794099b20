package contract_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vendorkit/vendorkit/contract"
	"github.com/vendorkit/vendorkit/sandbox"
	"github.com/vendorkit/vendorkit/specs"
)

// undocumented is the misbehaving sandbox of these tests: every successful
// JSON object gains a nested object, a plain string, a property whose
// name looks like a credential and one whose value looks like a token;
// every response gains a header.
var undocumented = sandbox.Misbehaviour{
	ExtraProperties: map[string]any{
		"plan":          map[string]any{"tier": "gold", "seats": 3, "renews": "2026-12-01T00:00:00Z"},
		"note":          "hello",
		"session_token": "st-not-printed",
		"ref":           "Zm9vYmFyYmF6cXV4MTIzNDU2",
	},
	ExtraHeaders: http.Header{"X-Vendor-Trace": {"trace-1"}},
}

// runDrift runs every vendor of sb with RunDrift; specFor, if set, gives
// the spec to check each vendor against.
func runDrift(t *testing.T, sb *sandbox.Sandbox, specFor func(vendor string) []byte) ([]contract.Result, []contract.Drift) {
	t.Helper()
	var results []contract.Result
	var drift []contract.Drift
	for _, v := range sb.Vendors() {
		tg := target(v)
		if specFor != nil {
			tg.Spec = specFor(v.Name)
		}
		rs, ds := contract.RunDrift(context.Background(), tg)
		for _, r := range rs {
			if r.Status == contract.Fail {
				t.Errorf("%s %s failed: %s", r.Vendor, r.Check, r.Message)
			}
		}
		for _, d := range ds {
			if d.Vendor != v.Name {
				t.Errorf("%s's drift names vendor %q", v.Name, d.Vendor)
			}
		}
		results = append(results, rs...)
		drift = append(drift, ds...)
	}
	return results, drift
}

// The sandbox as it ships sends nothing its specs do not describe.
func TestDriftNoneOnTheSandbox(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{})
	_, drift := runDrift(t, sb, nil)
	for _, d := range drift {
		t.Errorf("drift: %s: %s", d.Vendor, d.DriftLine())
	}
}

// findDrift returns the finding, or fails.
func findDrift(t *testing.T, drift []contract.Drift, vendor, op string, status int, kind contract.DriftKind, name string) contract.Drift {
	t.Helper()
	for _, d := range drift {
		if d.Vendor == vendor && d.Operation == op && d.Status == status && d.Kind == kind && d.Name == name {
			return d
		}
	}
	t.Fatalf("no %s %s drift %q in %s %d", vendor, kind, name, op, status)
	return contract.Drift{}
}

// A sandbox whose responses grew properties and a header: the drift
// report names each, with type, shape and (only when safe) an example,
// in every response that carried it; the checks still pass.
func TestDriftFindsUndocumented(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{Misbehave: undocumented})
	results, drift := runDrift(t, sb, nil)

	const getAccount = "GET /api/accounts/{accountId} (getAccount)"
	for _, want := range []contract.Drift{
		{Name: "$.plan", Type: "object", Shape: "{renews: string (date-time), seats: integer, tier: string}"},
		{Name: "$.note", Type: "string", Shape: "string", Example: `"hello"`},
		{Name: "$.session_token", Type: "string", Shape: "string"}, // the name looks like a credential
		{Name: "$.ref", Type: "string", Shape: "string"},           // the value looks like a token
	} {
		got := findDrift(t, drift, "bss", getAccount, 200, contract.DriftProperty, want.Name)
		if got.Type != want.Type || got.Shape != want.Shape || got.Example != want.Example || got.Seen != 1 {
			t.Errorf("%s: type %q shape %q example %q seen %d, want %q %q %q 1", want.Name, got.Type, got.Shape, got.Example, got.Seen, want.Type, want.Shape, want.Example)
		}
	}
	h := findDrift(t, drift, "bss", getAccount, 200, contract.DriftHeader, "X-Vendor-Trace")
	if h.Type != "string" || h.Example != `"trace-1"` || h.DriftLine() != `GET /api/accounts/{accountId} (getAccount) 200: header X-Vendor-Trace: string e.g. "trace-1"` {
		t.Errorf("header: %+v, line %q", h, h.DriftLine())
	}
	// The forged-token check's 401 carries the header too (not the
	// properties: they go into successful responses only).
	findDrift(t, drift, "bss", getAccount, 401, contract.DriftHeader, "X-Vendor-Trace")
	// Token responses, and iOFFICE's user, seen twice (two logins).
	findDrift(t, drift, "blueprint", "POST /account/login (login)", 200, contract.DriftProperty, "$.plan")
	if d := findDrift(t, drift, "ioffice", "GET /external/api/rest/v2/users/me (getCurrentUser)", 200, contract.DriftProperty, "$.note"); d.Seen < 2 {
		t.Errorf("ioffice $.note seen %d times", d.Seen)
	}
	// Decisiv's token response is XML: only the header is new there.
	findDrift(t, drift, "decisiv", "POST /platform_api/oauth2/token (requestToken)", 200, contract.DriftHeader, "X-Vendor-Trace")
	for _, d := range drift {
		if d.Kind == contract.DriftStatus || d.Kind == contract.DriftContentType {
			t.Errorf("unexpected %s", d.DriftLine())
		}
	}

	var patch, junit bytes.Buffer
	if err := contract.WriteDriftPatch(&patch, drift); err != nil {
		t.Fatal(err)
	}
	if err := contract.WriteJUnitDrift(&junit, results, drift, false); err != nil {
		t.Fatal(err)
	}
	// No value of a credential-like name, known secret or token-like value
	// anywhere; the patch carries no values at all.
	texts := []string{patch.String(), junit.String()}
	for _, d := range drift {
		texts = append(texts, d.Operation, d.Name, d.Type, d.Shape, d.Example, d.DriftLine())
	}
	for _, secret := range []string{"st-not-printed", "Zm9vYmFyYmF6cXV4MTIzNDU2"} {
		for _, text := range texts {
			if strings.Contains(text, secret) {
				t.Errorf("%q printed in %q", secret, text)
			}
		}
	}
	for _, value := range []string{"hello", "trace-1", "gold"} {
		if strings.Contains(patch.String(), value) {
			t.Errorf("the patch carries the value %q:\n%s", value, patch.String())
		}
	}
	scanResults(t, sb, results)
	for _, s := range sb.Vendors() {
		for _, secret := range s.Secrets() {
			for _, text := range texts {
				if len(secret) >= 6 && strings.Contains(text, secret) {
					t.Errorf("sandbox secret (%d chars) in drift output", len(secret))
				}
			}
		}
	}
}

// A deployment that echoes a credential of the suite's own under a name
// that looks harmless: the value is never printed (here BSS's password,
// which only the BSS run knows; tokens seen on the wire count the same).
func TestDriftHidesKnownSecrets(t *testing.T) {
	password := "user123456!"
	sb := startSandbox(t, sandbox.Options{Misbehave: sandbox.Misbehaviour{ExtraProperties: map[string]any{"hint": password, "motto": "user"}}})
	if sb.Vendor("bss").Env()["VENDORKIT_BSS_PASSWORD"] != password {
		t.Fatal("the sandbox's BSS password changed: update the test")
	}
	_, drift := contract.RunDrift(context.Background(), target(sb.Vendor("bss")))
	hint := findDrift(t, drift, "bss", "GET /api/accounts/{accountId} (getAccount)", 200, contract.DriftProperty, "$.hint")
	motto := findDrift(t, drift, "bss", "GET /api/accounts/{accountId} (getAccount)", 200, contract.DriftProperty, "$.motto")
	if hint.Example != "" || hint.Shape != "string" || motto.Example != "" {
		t.Errorf("hint %+v, motto %+v: a secret or part of one printed", hint, motto)
	}
}

// The patch, merged into a temporary copy of each spec, describes
// everything: the same misbehaving sandbox, checked against the patched
// specs, shows no drift, and every check still passes.
func TestDriftPatchMakesTheReportEmpty(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{Misbehave: undocumented})
	_, drift := runDrift(t, sb, nil)
	if len(drift) == 0 {
		t.Fatal("no drift to patch")
	}
	var patch bytes.Buffer
	if err := contract.WriteDriftPatch(&patch, drift); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	patched := map[string][]byte{}
	for vendor, fragment := range splitPatch(t, patch.String()) {
		spec, err := specs.Raw(vendor)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, vendor+".yaml")
		if err := os.WriteFile(path, mergeYAML(t, spec, []byte(fragment)), 0o644); err != nil {
			t.Fatal(err)
		}
		if patched[vendor], err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	}
	if len(patched) != len(sb.Vendors()) {
		t.Fatalf("patch documents for %d vendors, want %d:\n%s", len(patched), len(sb.Vendors()), patch.String())
	}
	_, again := runDrift(t, sb, func(v string) []byte { return patched[v] })
	for _, d := range again {
		t.Errorf("drift after the patch: %s: %s", d.Vendor, d.DriftLine())
	}
}

// splitPatch returns each document of a drift patch by vendor, read from
// its first comment ("# specs/<vendor>.yaml: ...").
func splitPatch(t *testing.T, patch string) map[string]string {
	t.Helper()
	out := map[string]string{}
	head := regexp.MustCompile(`^# specs/([a-z0-9]+)\.yaml: `)
	for _, doc := range strings.Split(patch, "\n---\n") {
		m := head.FindStringSubmatch(doc)
		if m == nil {
			t.Fatalf("patch document without its spec's name:\n%s", doc)
		}
		out[m[1]] = doc
	}
	return out
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
	mergeNode(t, s.Content[0], p.Content[0], "")
	out, err := yaml.Marshal(&s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mergeNode(t *testing.T, dst, src *yaml.Node, path string) {
	if dst.Kind != yaml.MappingNode || src.Kind != yaml.MappingNode {
		t.Fatalf("%s: cannot merge a %v into a %v", path, src.Kind, dst.Kind)
	}
	for i := 0; i+1 < len(src.Content); i += 2 {
		k, v := src.Content[i], src.Content[i+1]
		found := false
		for j := 0; j+1 < len(dst.Content); j += 2 {
			if dst.Content[j].Value == k.Value {
				found = true
				if v.Kind == yaml.MappingNode && dst.Content[j+1].Kind == yaml.MappingNode {
					mergeNode(t, dst.Content[j+1], v, path+"/"+k.Value)
				} else {
					t.Fatalf("%s/%s: the patch replaces what the spec has", path, k.Value)
				}
			}
		}
		if !found {
			dst.Content = append(dst.Content, k, v)
		}
	}
}

// The JUnit report carries the drift as properties of each vendor's
// suite, and a "drift" testcase that fails only with fail set.
func TestDriftJUnit(t *testing.T) {
	sb := startSandbox(t, sandbox.Options{Misbehave: sandbox.Misbehaviour{ExtraHeaders: http.Header{"X-Vendor-Trace": {"trace-1"}}}})
	v := sb.Vendor("blueprint")
	results, drift := contract.RunDrift(context.Background(), target(v))
	if len(drift) == 0 {
		t.Fatal("no drift")
	}
	type property struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	var doc struct {
		Failures int `xml:"failures,attr"`
		Tests    int `xml:"tests,attr"`
		Suites   []struct {
			Name       string     `xml:"name,attr"`
			Properties []property `xml:"properties>property"`
			Cases      []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	for _, fail := range []bool{false, true} {
		doc.Suites = nil
		var b bytes.Buffer
		if err := contract.WriteJUnitDrift(&b, results, drift, fail); err != nil {
			t.Fatal(err)
		}
		if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		s := doc.Suites[0]
		last := s.Cases[len(s.Cases)-1]
		if doc.Tests != len(contract.Checks("blueprint"))+1 || last.Name != "drift" || (last.Failure != nil) != fail || doc.Failures != map[bool]int{false: 0, true: 1}[fail] {
			t.Errorf("fail=%v: tests %d, failures %d, last case %+v", fail, doc.Tests, doc.Failures, last)
		}
		want := property{"drift header GET /pages (listPages) 200 X-Vendor-Trace", `string e.g. "trace-1" (seen in 1 response)`}
		found := false
		for _, p := range s.Properties {
			found = found || p == want
		}
		if len(s.Properties) != len(drift) || !found {
			t.Errorf("properties %+v, want %d including %+v", s.Properties, len(drift), want)
		}
	}
	// Without drift the suite is as WriteJUnit writes it.
	var plain, none bytes.Buffer
	contract.WriteJUnit(&plain, results)
	contract.WriteJUnitDrift(&none, results, nil, true)
	if strings.Contains(plain.String(), "<properties>") || !strings.Contains(none.String(), "every response matched the spec") {
		t.Errorf("without drift:\n%s\n%s", plain.String(), none.String())
	}
}
