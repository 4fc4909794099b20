package breaking

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oasdiff/oasdiff/checker"
	"github.com/oasdiff/oasdiff/diff"
	"github.com/oasdiff/oasdiff/load"
)

// specChanges compares one vendor's released spec (base) with its current
// one (revision) with oasdiff's full rule set, and returns every change
// it finds, INFO included, as Changes of unit "spec <vendor>".
func specChanges(vendor, base, revision string) ([]Change, error) {
	s1, err := loadSpec(base)
	if err != nil {
		return nil, err
	}
	s2, err := loadSpec(revision)
	if err != nil {
		return nil, err
	}
	d, sources, err := diff.GetWithOperationsSourcesMap(diff.NewConfig(), s1, s2)
	if err != nil {
		return nil, fmt.Errorf("oasdiff: %s against %s: %w", revision, base, err)
	}
	found := checker.CheckBackwardCompatibilityUntilLevel(checker.NewConfig(checker.GetAllChecks()), d, sources, checker.INFO)
	l := checker.NewDefaultLocalizer()
	unit := "spec " + vendor
	out := make([]Change, 0, len(found))
	for _, c := range found {
		var parts []string
		if c.GetOperation() != "" || c.GetPath() != "" {
			parts = append(parts, strings.TrimSpace(c.GetOperation()+" "+c.GetPath()))
		}
		parts = append(parts, c.GetId(), oneLine(c.GetUncolorizedText(l)))
		out = append(out, Change{Level: specLevel(c.GetLevel()), Unit: unit, Text: strings.Join(parts, ": ")})
	}
	return out, nil
}

// loadSpec reads a spec file with a fresh loader, as oasdiff wants (the
// loader caches documents by path).
func loadSpec(path string) (*load.SpecInfo, error) {
	loader := openapi3.NewLoader()
	loader.IncludeOrigin = true
	s, err := load.NewSpecInfo(loader, load.NewSource(path))
	if err != nil {
		return nil, fmt.Errorf("oasdiff: loading %s: %w", path, err)
	}
	return s, nil
}

func specLevel(l checker.Level) Level {
	switch l {
	case checker.ERR:
		return Breaking
	case checker.WARN:
		return Warning
	}
	return Compatible
}

// oneLine folds whitespace, so every change is one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
