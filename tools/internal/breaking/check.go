package breaking

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Options says where things are. Only Root is required.
type Options struct {
	// Root is the repository: specs/*.yaml, the packages, the Makefile.
	Root string
	// Baseline holds the released specs, <vendor>.yaml each
	// (default Root/specs/released).
	Baseline string
	// AckFile is the acknowledgement file (default Root/specs/BREAKING.md).
	AckFile string
	// Packages are the package patterns whose API is compared, relative to
	// Root (default ./gen/... ./client/...).
	Packages []string
	// Generate regenerates the code from the specs in a copy of Root
	// (default make generate); "GO=<Go>" is appended.
	Generate []string
	// Go is the go command the generate step uses (default go).
	Go string
	// Env is the environment of the commands run (nil: os.Environ()).
	Env []string
}

func (o *Options) defaults() error {
	if o.Root == "" {
		return errors.New("no repository root")
	}
	root, err := filepath.Abs(o.Root)
	if err != nil {
		return err
	}
	o.Root = root
	if o.Baseline == "" {
		o.Baseline = filepath.Join(root, "specs", "released")
	}
	if o.AckFile == "" {
		o.AckFile = filepath.Join(root, "specs", "BREAKING.md")
	}
	if len(o.Packages) == 0 {
		o.Packages = []string{"./gen/...", "./client/..."}
	}
	if len(o.Generate) == 0 {
		o.Generate = []string{"make", "generate"}
	}
	if o.Go == "" {
		o.Go = "go"
	}
	return nil
}

func (o *Options) env() []string {
	if o.Env != nil {
		return o.Env
	}
	return os.Environ()
}

// Result is what Check found.
type Result struct {
	// Specs are the vendors whose specs were compared; Packages the
	// module-relative packages whose API was.
	Specs    []string
	Packages []string
	// Changes are every change found, sorted by unit and text.
	Changes []Change
	// Acked maps the line of each acknowledged breaking change to its
	// acknowledgement.
	Acked map[string]Ack
	// Stale are acknowledgements that match no breaking change.
	Stale []Ack
	// AckFile and Baseline are the paths used, relative to the root.
	AckFile, Baseline string
}

// Unacknowledged returns the breaking changes no acknowledgement names.
func (r *Result) Unacknowledged() []Change {
	var out []Change
	for _, c := range r.Changes {
		if _, ok := r.Acked[c.Line()]; c.Level == Breaking && !ok {
			out = append(out, c)
		}
	}
	return out
}

// Failed reports whether the check fails: a breaking change nobody
// acknowledged, or an acknowledgement of a change that does not happen.
func (r *Result) Failed() bool { return len(r.Unacknowledged()) > 0 || len(r.Stale) > 0 }

// Check compares every spec, and the Go API generated from it, with the
// released baseline, and matches the breaking changes against the
// acknowledgement file. An error means the check could not run (a spec
// that does not load, code that does not build, a malformed
// acknowledgement file); breaking changes are in the Result.
func Check(ctx context.Context, o Options) (*Result, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	acks, err := readAcks(o.AckFile)
	if err != nil {
		return nil, err
	}
	current, err := specFiles(filepath.Join(o.Root, "specs"))
	if err != nil {
		return nil, err
	}
	released, err := specFiles(o.Baseline)
	if err != nil {
		return nil, err
	}
	if len(released) == 0 {
		return nil, fmt.Errorf("no released specs in %s: run 'make release-specs' once to record the baseline", relUnit(o.Root, o.Baseline))
	}
	r := &Result{Acked: map[string]Ack{}, AckFile: relUnit(o.Root, o.AckFile), Baseline: relUnit(o.Root, o.Baseline)}

	// Spec level.
	for _, vendor := range union(current, released) {
		r.Specs = append(r.Specs, vendor)
		cur, hasCur := current[vendor]
		rel, hasRel := released[vendor]
		switch {
		case !hasCur:
			r.Changes = append(r.Changes, Change{Level: Breaking, Unit: "spec " + vendor, Text: "spec removed"})
		case !hasRel:
			r.Changes = append(r.Changes, Change{Level: Compatible, Unit: "spec " + vendor, Text: "spec added"})
		default:
			cs, err := specChanges(vendor, rel, cur)
			if err != nil {
				return nil, err
			}
			r.Changes = append(r.Changes, cs...)
		}
	}

	// Go level.
	tmp, err := os.MkdirTemp("", "check-breaking-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	tree, err := baselineTree(ctx, &o, tmp, released)
	if err != nil {
		return nil, err
	}
	old, cur, err := loadBoth(ctx, &o, tree)
	if err != nil {
		return nil, err
	}
	cs, compared, err := goChanges(old, cur)
	if err != nil {
		return nil, err
	}
	r.Changes = append(r.Changes, cs...)
	r.Packages = compared
	sortChanges(r.Changes)

	// Acknowledgements.
	breaking := map[string]bool{}
	for _, c := range r.Changes {
		if c.Level == Breaking {
			breaking[c.Line()] = true
		}
	}
	for _, a := range acks.acks {
		if breaking[a.Line] {
			r.Acked[a.Line] = a
		} else {
			r.Stale = append(r.Stale, a)
		}
	}
	return r, nil
}

// specFiles maps vendor → path of every <vendor>.yaml directly in dir.
func specFiles(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && e.Type().IsRegular() {
			out[name] = filepath.Join(dir, e.Name())
		}
	}
	return out, nil
}

func union(a, b map[string]string) []string {
	keys := append(slices.Sorted(maps.Keys(a)), slices.Sorted(maps.Keys(b))...)
	slices.Sort(keys)
	return slices.Compact(keys)
}

// Release moves the baseline forward: once Check passes, the current
// specs become the released ones (a spec removed since is removed from
// the baseline too) and the acknowledgements move from "## Unreleased" to
// a new "## Released <date>" section. It returns the Result of the check
// it ran; when that fails, nothing is changed and the error says why.
func Release(ctx context.Context, o Options, date string) (*Result, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(o.Baseline); errors.Is(err, fs.ErrNotExist) {
		// First release: nothing to compare with.
		if err := copySpecs(o); err != nil {
			return nil, err
		}
		return &Result{Acked: map[string]Ack{}, AckFile: relUnit(o.Root, o.AckFile), Baseline: relUnit(o.Root, o.Baseline)}, nil
	}
	r, err := Check(ctx, o)
	if err != nil {
		return nil, err
	}
	if r.Failed() {
		return r, fmt.Errorf("not released: the check fails (acknowledge or fix every breaking change, remove stale acknowledgements)")
	}
	acks, err := readAcks(o.AckFile)
	if err != nil {
		return nil, err
	}
	if err := copySpecs(o); err != nil {
		return nil, err
	}
	if len(acks.entries) > 0 {
		if err := os.WriteFile(o.AckFile, acks.release(date), 0o644); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// copySpecs makes the baseline directory hold exactly the current specs.
func copySpecs(o Options) error {
	current, err := specFiles(filepath.Join(o.Root, "specs"))
	if err != nil {
		return err
	}
	if len(current) == 0 {
		return fmt.Errorf("no specs in %s", filepath.Join(o.Root, "specs"))
	}
	if err := os.MkdirAll(o.Baseline, 0o755); err != nil {
		return err
	}
	released, err := specFiles(o.Baseline)
	if err != nil {
		return err
	}
	for vendor, p := range released {
		if _, ok := current[vendor]; !ok {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	for vendor, p := range current {
		if err := copyFile(p, filepath.Join(o.Baseline, vendor+".yaml")); err != nil {
			return err
		}
	}
	return nil
}
