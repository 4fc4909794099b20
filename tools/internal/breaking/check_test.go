package breaking

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// These tests run `make check-breaking` (and release-specs) the way a
// maintainer does, in a temporary copy of this repository whose specs they
// edit: the copy's own Makefile builds the copy's own tools module, so
// the whole gate is exercised, from the Makefile to the exit status.

// repoRoot is the repository this test runs in (tools/internal/breaking
// is three levels down).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "specs", "released")); err != nil {
		t.Fatalf("%s is not the vendorkit repository: %v", root, err)
	}
	return root
}

// repoCopy copies the repository (without .git) to a temporary directory.
func repoCopy(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "repo")
	if err := copyTree(repoRoot(t), dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// edit replaces old by new in the file, which must contain old exactly once.
func edit(t *testing.T, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, file)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), old); n != 1 {
		t.Fatalf("%s: %d occurrences of %q, want 1", file, n, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// cut removes the text of the file from the line starting with from up to
// (not including) the line starting with to.
func cut(t *testing.T, dir, file, from, to string) {
	t.Helper()
	p := filepath.Join(dir, file)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n"+from)
	j := strings.Index(s, "\n"+to)
	if i < 0 || j < i {
		t.Fatalf("%s: no %q before %q", file, from, to)
	}
	if err := os.WriteFile(p, []byte(s[:i]+s[j:]), 0o644); err != nil {
		t.Fatal(err)
	}
}

// makeIn runs make with args in dir and returns its output and whether it
// succeeded. MAKEFLAGS and MAKELEVEL of an enclosing make are dropped.
func makeIn(t *testing.T, dir string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command("make", append([]string{"--no-print-directory"}, args...)...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "MAKEFLAGS" && k != "MFLAGS" && k != "MAKELEVEL" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("make %s: %v", strings.Join(args, " "), err)
		}
	}
	return string(out), err == nil
}

// mustMake runs make and fails the test if it fails.
func mustMake(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, ok := makeIn(t, dir, args...)
	if !ok {
		t.Fatalf("make %s failed:\n%s", strings.Join(args, " "), out)
	}
	return out
}

// line matches one printed change: the status, then the change line.
func line(status, change string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(status) + ` +` + regexp.QuoteMeta(change) + `$`)
}

// junitFailures returns the names of the failed testcases of a JUnit file.
func junitFailures(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("JUnit: %v\n%s", err, b)
	}
	var out []string
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil {
				out = append(out, s.Name+": "+c.Name)
			}
		}
	}
	if len(out) != doc.Failures {
		t.Errorf("JUnit: %d failed testcases, failures=%d", len(out), doc.Failures)
	}
	return out
}

// The deliberately breaking spec edits: each fails the gate, naming the
// change at the level where it breaks (the spec, the Go API or both).
func TestCheckBreakingFails(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(t *testing.T, dir string)
		lines []*regexp.Regexp // must be printed
	}{
		{
			// An optional response property renamed: harmless on the wire
			// (oasdiff says INFO), but the Go field is renamed.
			name: "renamed property",
			edit: func(t *testing.T, dir string) {
				edit(t, dir, "specs/bss.yaml", "        name:\n          type: string\n          description: Display name (assumed",
					"        displayName:\n          type: string\n          description: Display name (assumed")
			},
			lines: []*regexp.Regexp{
				line("BREAKING", "go gen/bssapi: Account.Name: removed"),
				line("compatible", "go gen/bssapi: Account.DisplayName: added"),
				line("compatible", "spec bss: GET /api/accounts/{accountId}: response-optional-property-removed: removed the optional property `name` from the response with the `200` status"),
			},
		},
		{
			// A new required field in a request: the wire breaks (every
			// old request lacks it). The token endpoint's operations are
			// not in the public Go API (gen/), so only the spec level
			// sees it.
			name: "new required request field",
			edit: func(t *testing.T, dir string) {
				edit(t, dir, "specs/blueprint.yaml", "      required: [grant_type, username, password]\n      additionalProperties: false\n      properties:\n",
					"      required: [grant_type, username, password, client_id]\n      additionalProperties: false\n      properties:\n        client_id:\n          type: string\n")
			},
			lines: []*regexp.Regexp{
				line("BREAKING", "spec blueprint: POST /account/login: new-required-request-property: added the new required request property `client_id`"),
			},
		},
		{
			// A response field that becomes required: the Go field turns
			// from a pointer into a value.
			name: "field becomes required",
			edit: func(t *testing.T, dir string) {
				edit(t, dir, "specs/bss.yaml", "      required: [id]\n      properties:\n        id:\n          type: integer\n          format: int64\n        name:",
					"      required: [id, name]\n      properties:\n        id:\n          type: integer\n          format: int64\n        name:")
			},
			lines: []*regexp.Regexp{
				line("BREAKING", "go gen/bssapi: Account.Name: changed from *string to string"),
				line("compatible", "spec bss: GET /api/accounts/{accountId}: response-property-became-required: the response property `name` became required for the status `200`"),
			},
		},
		{
			name: "removed operation",
			edit: func(t *testing.T, dir string) {
				cut(t, dir, "specs/bss.yaml", "  /api/accounts/{accountId}/syncoptions/{systemCode}:", "components:")
			},
			lines: []*regexp.Regexp{
				line("BREAKING", "spec bss: GET /api/accounts/{accountId}/syncoptions/{systemCode}: api-path-removed-without-deprecation: API path removed without deprecation"),
				line("BREAKING", "go gen/bssapi: (*ClientWithResponses).GetAccountSyncOptionWithResponse: removed"),
				line("BREAKING", "go client/bss: gen/bssapi.(*ClientWithResponses).GetAccountSyncOptionWithResponse, method set of *Client: removed"),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := repoCopy(t)
			tc.edit(t, dir)
			mustMake(t, dir, "generate")
			junit := filepath.Join(t.TempDir(), "breaking.xml")
			out, ok := makeIn(t, dir, "check-breaking", "BREAKING_JUNIT="+junit)
			if ok {
				t.Fatalf("make check-breaking passed:\n%s", out)
			}
			for _, re := range tc.lines {
				if !re.MatchString(out) {
					t.Errorf("no line matching %s in:\n%s", re, out)
				}
			}
			if !strings.Contains(out, ": FAIL\n") {
				t.Errorf("no FAIL summary in:\n%s", out)
			}
			// Every BREAKING line is a JUnit failure, and nothing else is.
			printed := regexp.MustCompile(`(?m)^BREAKING +(.*)$`).FindAllStringSubmatch(out, -1)
			failures := junitFailures(t, junit)
			if len(printed) == 0 || len(failures) != len(printed) {
				t.Errorf("%d BREAKING lines, %d JUnit failures", len(printed), len(failures))
			}
			for _, f := range failures {
				if !strings.Contains(out, f) {
					t.Errorf("JUnit failure %q not printed", f)
				}
			}
		})
	}
}

// An additive edit (new optional properties in responses) passes, and
// says what it added.
func TestCheckBreakingPassesAdditive(t *testing.T) {
	dir := repoCopy(t)
	edit(t, dir, "specs/bss.yaml", "        enabled:\n          type: boolean\n",
		"        enabled:\n          type: boolean\n        lastSync:\n          type: string\n          description: When the option last ran.\n")
	edit(t, dir, "specs/blueprint.yaml", "      required: [id]\n      properties:\n        id:\n          type: string\n        name:",
		"      required: [id]\n      properties:\n        slug:\n          type: string\n        id:\n          type: string\n        name:")
	mustMake(t, dir, "generate")
	out := mustMake(t, dir, "check-breaking")
	for _, re := range []*regexp.Regexp{
		line("compatible", "go gen/bssapi: SyncOption.LastSync: added"),
		line("compatible", "go gen/blueprintapi: Page.Slug: added"),
		line("compatible", "spec bss: GET /api/accounts/{accountId}/syncoptions: response-optional-property-added: added the optional property `items/lastSync` to the response with the `200` status"),
		line("compatible", "spec blueprint: GET /pages: response-optional-property-added: added the optional property `items/slug` to the response with the `200` status"),
	} {
		if !re.MatchString(out) {
			t.Errorf("no line matching %s in:\n%s", re, out)
		}
	}
	// Whatever the baseline already has acknowledged, nothing new breaks.
	sum := regexp.MustCompile(`(?m)^check-breaking: (\d+) breaking \((\d+) acknowledged\), 0 warnings, \d+ compatible, 0 not compared, 0 stale acknowledgements: ok$`).FindStringSubmatch(out)
	if sum == nil || sum[1] != sum[2] {
		t.Errorf("summary: every breaking change acknowledged, nothing stale: %q in:\n%s", sum, out)
	}
	if strings.Contains(out, "BREAKING") {
		t.Errorf("BREAKING in:\n%s", out)
	}
}

// A new operation is additive on the wire, but it adds a method to the
// generated client interfaces, which breaks code that implements them (a
// mock of ClientInterface): apidiff's verdict is kept, so exactly those
// lines need an acknowledgement.
func TestNewOperationBreaksImplementers(t *testing.T) {
	dir := repoCopy(t)
	edit(t, dir, "specs/blueprint.yaml", "components:\n",
		`  /pages/{pageId}:
    get:
      operationId: getPage
      tags: [pages]
      parameters:
        - name: pageId
          in: path
          required: true
          schema:
            type: string
      responses:
        "200":
          description: One page.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Page"
components:
`)
	mustMake(t, dir, "generate")
	out, ok := makeIn(t, dir, "check-breaking")
	if ok {
		t.Fatalf("passed:\n%s", out)
	}
	got := regexp.MustCompile(`(?m)^BREAKING +(.*)$`).FindAllStringSubmatch(out, -1)
	want := []string{
		"go gen/blueprintapi: ClientInterface.GetPage: added",
		"go gen/blueprintapi: ClientWithResponsesInterface.GetPageWithResponse: added",
	}
	if len(got) != len(want) {
		t.Fatalf("%d BREAKING lines, want %d:\n%s", len(got), len(want), out)
	}
	for i, m := range got {
		if m[1] != want[i] {
			t.Errorf("BREAKING line %d = %q, want %q", i, m[1], want[i])
		}
	}
	for _, re := range []*regexp.Regexp{
		line("compatible", "spec blueprint: GET /pages/{pageId}: endpoint-added: endpoint added"),
		line("compatible", "go gen/blueprintapi: (*ClientWithResponses).GetPageWithResponse: added"),
	} {
		if !re.MatchString(out) {
			t.Errorf("no line matching %s in:\n%s", re, out)
		}
	}
}

// A breaking change passes once acknowledged with the block the check
// printed; an acknowledgement that matches nothing fails; release-specs
// moves the baseline and dates the acknowledgements, after which the tree
// is clean.
func TestAcknowledgeAndRelease(t *testing.T) {
	dir := repoCopy(t)
	cut(t, dir, "specs/bss.yaml", "  /api/accounts/{accountId}/syncoptions/{systemCode}:", "components:")
	mustMake(t, dir, "generate")
	out, ok := makeIn(t, dir, "check-breaking")
	if ok {
		t.Fatalf("passed:\n%s", out)
	}
	// Paste the suggested block, with a reason.
	_, suggested, found := strings.Cut(out, "saying why:\n\n")
	if !found {
		t.Fatalf("no suggested acknowledgement in:\n%s", out)
	}
	var block string
	for _, l := range strings.SplitAfter(suggested, "\n") {
		if strings.HasPrefix(l, "- ") {
			block += l
		}
	}
	block += "  why: BSS retired the endpoint; callers list the options instead.\n"
	ackPath := filepath.Join(dir, "specs", "BREAKING.md")
	appendFile(t, ackPath, "\n"+block)

	out = mustMake(t, dir, "check-breaking")
	if !line("acknowledged", "spec bss: GET /api/accounts/{accountId}/syncoptions/{systemCode}: api-path-removed-without-deprecation: API path removed without deprecation").MatchString(out) {
		t.Errorf("not acknowledged:\n%s", out)
	}

	// A stale acknowledgement fails, and release-specs refuses.
	stale := "- go gen/bssapi: Account.Id: removed\n  why: never happened\n"
	before, err := os.ReadFile(ackPath)
	if err != nil {
		t.Fatal(err)
	}
	appendFile(t, ackPath, "\n"+stale)
	out, ok = makeIn(t, dir, "check-breaking")
	if ok || !regexp.MustCompile(`(?m)^STALE +go gen/bssapi: Account.Id: removed \(specs/BREAKING.md:\d+ acknowledges a change that does not happen: remove it\)$`).MatchString(out) {
		t.Errorf("stale acknowledgement: ok=%v\n%s", ok, out)
	}
	released := readFile(t, filepath.Join(dir, "specs", "released", "bss.yaml"))
	if out, ok := makeIn(t, dir, "release-specs"); ok || !strings.Contains(out, "not released") {
		t.Errorf("release-specs with a failing check: ok=%v\n%s", ok, out)
	}
	if readFile(t, filepath.Join(dir, "specs", "released", "bss.yaml")) != released {
		t.Error("release-specs changed the baseline although the check failed")
	}
	if err := os.WriteFile(ackPath, before, 0o644); err != nil {
		t.Fatal(err)
	}

	// Release: the baseline is the current spec, the entries are dated.
	mustMake(t, dir, "release-specs")
	if readFile(t, filepath.Join(dir, "specs", "released", "bss.yaml")) != readFile(t, filepath.Join(dir, "specs", "bss.yaml")) {
		t.Error("specs/released/bss.yaml is not the current spec")
	}
	ack := readFile(t, ackPath)
	unreleased, released2, ok := strings.Cut(ack, "\n## Released ")
	if !ok || strings.Contains(unreleased, "GetAccountSyncOption") || !strings.Contains(released2, "- go gen/bssapi: (*Client).GetAccountSyncOption: removed") ||
		!strings.Contains(released2, "why: BSS retired the endpoint") {
		t.Errorf("acknowledgements after release:\n%s", ack)
	}
	out = mustMake(t, dir, "check-breaking")
	if !strings.Contains(out, "check-breaking: 0 breaking (0 acknowledged), 0 warnings, 0 compatible, 0 not compared, 0 stale acknowledgements: ok") {
		t.Errorf("after release:\n%s", out)
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")))
}
