package breaking

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"go/types"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"golang.org/x/exp/apidiff"
	"golang.org/x/tools/go/packages"
)

// goPackage is one package of a tree, by module-relative path.
type goPackage struct {
	rel       string // "gen/bssapi"
	module    string // "github.com/vendorkit/vendorkit"
	types     *types.Package
	errs      []packages.Error
	generated bool // every file carries the "Code generated ... DO NOT EDIT." line
}

// loadPackages loads the packages patterns match in the module at dir,
// keyed by module-relative path. Packages with an "internal" path element
// (no application can import them) and commands are left out.
func loadPackages(ctx context.Context, dir string, patterns []string, env []string) (map[string]*goPackage, error) {
	cfg := &packages.Config{
		Context: ctx,
		Mode:    packages.NeedName | packages.NeedFiles | packages.NeedTypes | packages.NeedModule,
		Dir:     dir,
		Env:     env,
	}
	// A pattern for a directory the tree does not have matches nothing
	// (go list would fail on it).
	var present []string
	for _, pat := range patterns {
		base, _, _ := strings.Cut(pat, "...")
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(base))); err == nil {
			present = append(present, pat)
		}
	}
	if len(present) == 0 {
		return map[string]*goPackage{}, nil
	}
	pkgs, err := packages.Load(cfg, present...)
	if err != nil {
		return nil, fmt.Errorf("loading %s in %s: %w", strings.Join(patterns, " "), dir, err)
	}
	out := map[string]*goPackage{}
	for _, p := range pkgs {
		if p.Module == nil || p.Name == "main" || len(p.GoFiles) == 0 {
			if len(p.Errors) > 0 && p.Module == nil {
				// A pattern that matched nothing, or a broken go.mod.
				return nil, fmt.Errorf("loading %s in %s: %s", p.PkgPath, dir, p.Errors[0])
			}
			continue
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.PkgPath, p.Module.Path), "/")
		if slices.Contains(strings.Split(rel, "/"), "internal") {
			continue
		}
		out[rel] = &goPackage{rel: rel, module: p.Module.Path, types: p.Types, errs: p.Errors, generated: allGenerated(p.GoFiles)}
	}
	return out, nil
}

// generatedLine is Go's marker of generated code (go.dev/s/generatedcode).
var generatedLine = regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`)

func allGenerated(files []string) bool {
	for _, f := range files {
		if !isGenerated(f) {
			return false
		}
	}
	return len(files) > 0
}

// isGenerated reports whether the file has the marker line before its
// package clause.
func isGenerated(file string) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if generatedLine.MatchString(line) {
			return true
		}
		if strings.HasPrefix(line, "package ") {
			return false
		}
	}
	return false
}

// goChanges compares the packages of the baseline tree (old) with those
// of the current tree (cur) with apidiff.
func goChanges(old, cur map[string]*goPackage) ([]Change, []string, error) {
	var out []Change
	var compared []string
	for _, rel := range slices.Sorted(maps.Keys(cur)) {
		p := cur[rel]
		if len(p.errs) > 0 {
			return nil, nil, fmt.Errorf("go %s does not build: %s", rel, p.errs[0])
		}
	}
	for _, rel := range slices.Sorted(maps.Keys(old)) {
		o := old[rel]
		unit := "go " + rel
		n, ok := cur[rel]
		if !ok {
			out = append(out, Change{Level: Breaking, Unit: unit, Text: "package removed"})
			compared = append(compared, rel)
			continue
		}
		if len(o.errs) > 0 {
			if o.generated {
				return nil, nil, fmt.Errorf("go %s, generated from the released specs, does not build: %s", rel, o.errs[0])
			}
			out = append(out, Change{Level: NotCompared, Unit: unit,
				Text: "does not build against the released specs, so its own API is not compared (the generated packages it uses are): " + firstError(o.errs[0].Msg)})
			compared = append(compared, rel)
			continue
		}
		for _, c := range apidiff.Changes(o.types, n.types).Changes {
			l := Breaking
			if c.Compatible {
				l = Compatible
			}
			// apidiff names objects of other packages by import path:
			// module-relative is shorter and reads like the units.
			msg := strings.ReplaceAll(c.Message, n.module+"/", "")
			out = append(out, Change{Level: l, Unit: unit, Text: oneLine(msg)})
		}
		compared = append(compared, rel)
	}
	for _, rel := range slices.Sorted(maps.Keys(cur)) {
		if _, ok := old[rel]; !ok {
			out = append(out, Change{Level: Compatible, Unit: "go " + rel, Text: "package added"})
			compared = append(compared, rel)
		}
	}
	slices.Sort(compared)
	return out, compared, nil
}

// firstError is the first message of a compiler's output ("# pkg" lines
// dropped), on one line.
func firstError(msg string) string {
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return oneLine(msg)
}

// copyTree copies the regular files and directories under src to dst,
// leaving out .git (a file in a worktree, a directory elsewhere).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.Name() == ".git" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			return copyFile(p, target)
		}
		return nil // symlinks, sockets: not part of a build
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, st.Mode().Perm()|0o200)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// baselineTree builds the tree the released specs would give: a copy of
// root with each released spec in place of its current one, regenerated
// with the repository's own generate target. It returns the directory.
func baselineTree(ctx context.Context, o *Options, tmp string, released map[string]string) (string, error) {
	tree := filepath.Join(tmp, "baseline")
	if err := copyTree(o.Root, tree); err != nil {
		return "", fmt.Errorf("copying the tree: %w", err)
	}
	for _, vendor := range slices.Sorted(maps.Keys(released)) {
		cur := filepath.Join(tree, "specs", vendor+".yaml")
		if _, err := os.Stat(cur); errors.Is(err, fs.ErrNotExist) {
			continue // removed since the release: the spec comparison says so
		}
		if err := copyFile(released[vendor], cur); err != nil {
			return "", err
		}
	}
	args := append(slices.Clone(o.Generate[1:]), "GO="+o.Go)
	cmd := exec.CommandContext(ctx, o.Generate[0], args...)
	cmd.Dir = tree
	cmd.Env = o.env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("generating from the released specs (%s in a copy of the tree): %w\n%s",
			strings.Join(o.Generate, " "), err, strings.TrimSpace(string(out)))
	}
	return tree, nil
}

// loadBoth loads the packages of both trees at once.
func loadBoth(ctx context.Context, o *Options, baseline string) (old, cur map[string]*goPackage, err error) {
	var wg sync.WaitGroup
	var oldErr, curErr error
	wg.Go(func() { old, oldErr = loadPackages(ctx, baseline, o.Packages, o.env()) })
	wg.Go(func() { cur, curErr = loadPackages(ctx, o.Root, o.Packages, o.env()) })
	wg.Wait()
	if err := errors.Join(curErr, oldErr); err != nil {
		return nil, nil, err
	}
	return old, cur, nil
}

// relUnit is a path relative to root, slash-separated, for messages.
func relUnit(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
		return path.Clean(filepath.ToSlash(r))
	}
	return p
}
