package breaking

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

func sampleResult() *Result {
	r := &Result{
		Specs:    []string{"a", "b"},
		Packages: []string{"gen/a", "gen/b", "hand/h"},
		Changes: []Change{
			{Breaking, "go gen/a", "T.A: removed"},
			{Breaking, "go gen/a", "T.C: removed"},
			{Compatible, "go gen/a", "T.B: added"},
			{NotCompared, "go hand/h", "does not build against the released specs"},
			{Warning, "spec a", "GET /x: request-parameter-pattern-changed: changed"},
		},
		Acked:    map[string]Ack{"go gen/a: T.C: removed": {Line: "go gen/a: T.C: removed", Why: "vendor renamed it", Pos: 30}},
		Stale:    []Ack{{Line: "go gen/b: Old: removed", Why: "x", Pos: 33}},
		AckFile:  "specs/BREAKING.md",
		Baseline: "specs/released",
	}
	sortChanges(r.Changes)
	return r
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, sampleResult()); err != nil {
		t.Fatal(err)
	}
	want := `check-breaking: 2 specs against specs/released/, 3 Go packages against the code generated from them

BREAKING      go gen/a: T.A: removed
compatible    go gen/a: T.B: added
acknowledged  go gen/a: T.C: removed
not-compared  go hand/h: does not build against the released specs
warning       spec a: GET /x: request-parameter-pattern-changed: changed
STALE         go gen/b: Old: removed (specs/BREAKING.md:33 acknowledges a change that does not happen: remove it)

check-breaking: 2 breaking (1 acknowledged), 1 warnings, 1 compatible, 1 not compared, 1 stale acknowledgements: FAIL

Fix each breaking change, or acknowledge it under "## Unreleased" in specs/BREAKING.md, saying why:

- go gen/a: T.A: removed
  why: <who is affected, and why the change is right>
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}

	r := sampleResult()
	r.Changes, r.Stale = r.Changes[1:], nil // T.A is the first change
	b.Reset()
	WriteText(&b, r)
	if !strings.HasSuffix(b.String(), "0 stale acknowledgements: ok\n") || r.Failed() {
		t.Errorf("passing result:\n%s", b.String())
	}
}

func TestWriteJUnit(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, sampleResult()); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	// Suites: spec a, spec b, go gen/a, go gen/b, go hand/h, acknowledgements.
	if doc.Tests != 8 || doc.Failures != 2 || doc.Skipped != 1 || len(doc.Suites) != 6 {
		t.Fatalf("tests=%d failures=%d skipped=%d suites=%d\n%s", doc.Tests, doc.Failures, doc.Skipped, len(doc.Suites), b.String())
	}
	byName := map[string]junitSuite{}
	for _, s := range doc.Suites {
		byName[s.Name] = s
	}
	if c := byName["spec b"].Cases; len(c) != 1 || c[0].Name != "no changes" || c[0].Failure != nil {
		t.Errorf("spec b: %+v", c)
	}
	ga := byName["go gen/a"]
	if ga.Failures != 1 || ga.Cases[0].Name != "T.A: removed" || ga.Cases[0].Failure == nil ||
		!strings.Contains(ga.Cases[0].Failure.Text, "- go gen/a: T.A: removed\n") {
		t.Errorf("go gen/a: %+v", ga)
	}
	if ga.Cases[2].Name != "T.C: removed" || ga.Cases[2].Failure != nil || !strings.Contains(ga.Cases[2].SystemOut, "vendor renamed it") {
		t.Errorf("acknowledged case: %+v", ga.Cases[2])
	}
	if c := byName["go hand/h"].Cases; len(c) != 1 || c[0].Skipped == nil {
		t.Errorf("not compared: %+v", c)
	}
	if s := byName["acknowledgements specs/BREAKING.md"]; s.Failures != 1 || s.Cases[0].Name != "go gen/b: Old: removed" {
		t.Errorf("stale: %+v", s)
	}
	if c := byName["go gen/a"].Cases[0].Classname; c != "check-breaking.go.gen/a" {
		t.Errorf("classname %q", c)
	}
}
