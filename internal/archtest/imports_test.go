package archtest

import (
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/vendorkit/vendorkit/specs"
)

const module = "github.com/vendorkit/vendorkit"

// rule forbids packages under from depending, directly or through other
// packages, on (non-test) packages under any of the prefixes in deny.
type rule struct {
	from string
	deny []string
	why  string
}

var rules = []rule{
	{"auth", []string{"gen", "internal/gen", "client", "sandbox", "specs", "contract", "cmd"}, "auth knows nothing about any vendor"},
	{"sandbox", []string{"auth", "client", "contract", "cmd"}, "the fake must not share the client's logic"},
	{"gen", []string{"auth", "client", "sandbox", "contract", "cmd", "internal"}, "generated code depends only on specs"},
	{"internal/gen", []string{"auth", "client", "sandbox", "contract", "cmd"}, "generated code depends only on specs"},
	{"specs", []string{"auth", "client", "sandbox", "contract", "cmd", "gen", "internal/gen"}, "specs is the root of the graph"},
	{"client", []string{"sandbox", "contract", "cmd"}, "clients never depend on the fake or the tools"},
	{"contract", []string{"sandbox", "cmd"}, "the contract suite must run against live deployments"},
}

// vendors are the vendor client packages (client/<name>, one per spec):
// they must not depend on each other, and the tools that choose a vendor
// at run time (cmd, contract) import them only through client/vendors.
var vendors = specs.Vendors()

// byRegistry are the packages that must reach vendors through
// client/vendors only.
var byRegistry = []string{"cmd", "contract", "client/internal/kit"}

// pkg is what go list -json says of a package: its direct imports and
// every package it depends on, directly or not.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// inModule returns the paths of list under the module, relative to it.
func inModule(list []string) []string {
	var out []string
	for _, p := range list {
		if rel, ok := strings.CutPrefix(p, module+"/"); ok {
			out = append(out, rel)
		}
	}
	return out
}

// violations checks pkgs against the rules and returns what breaks them,
// and how many in-module dependencies were looked at.
func violations(pkgs []pkg) ([]string, int) {
	var out []string
	checked := 0
	for _, p := range pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		imports := inModule(p.Imports)
		for _, dep := range inModule(p.Deps) {
			how := "depends on"
			if slices.Contains(imports, dep) {
				how = "imports"
			}
			checked++
			for _, r := range rules {
				if !under(rel, r.from) {
					continue
				}
				for _, d := range r.deny {
					if under(dep, d) {
						out = append(out, fmt.Sprintf("%s %s %s: %s", rel, how, dep, r.why))
					}
				}
			}
			for _, a := range vendors {
				for _, b := range vendors {
					if a != b && under(rel, "client/"+a) && under(dep, "client/"+b) {
						out = append(out, fmt.Sprintf("%s %s %s: no vendor package depends on another's", rel, how, dep))
					}
				}
			}
		}
		// The registry itself depends on every vendor: only direct
		// imports count here.
		for _, dep := range imports {
			for _, a := range vendors {
				for _, tool := range byRegistry {
					if under(rel, tool) && (under(dep, "client/"+a) || under(dep, "gen/"+a+"api") || under(dep, "internal/gen/"+a+"full")) {
						out = append(out, fmt.Sprintf("%s imports %s: tools choose vendors by capability, through client/vendors", rel, dep))
					}
				}
			}
		}
	}
	return out, checked
}

func TestImportsRunOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	bad, checked := violations(pkgs)
	for _, v := range bad {
		t.Error(v)
	}
	if checked == 0 {
		t.Fatal("no in-module imports found: go list returned nothing useful")
	}
}

// A rule holds through any number of packages in between: auth reaching
// the sandbox through a helper package breaks it as a direct import would.
func TestViolationsAreTransitive(t *testing.T) {
	a, b := vendors[0], vendors[len(vendors)-1]
	got, _ := violations([]pkg{
		{ImportPath: module + "/auth", Imports: []string{"fmt", module + "/auth/internal/helper"},
			Deps: []string{"fmt", module + "/auth/internal/helper", module + "/sandbox"}},
		{ImportPath: module + "/client/" + a, Imports: []string{module + "/client/internal/kit"},
			Deps: []string{module + "/client/internal/kit", module + "/client/" + b}},
		{ImportPath: module + "/cmd/vendorkit", Imports: []string{module + "/client/vendors"},
			Deps: []string{module + "/client/vendors", module + "/client/" + a}},
	})
	want := []string{
		"auth depends on sandbox: auth knows nothing about any vendor",
		"client/" + a + " depends on client/" + b + ": no vendor package depends on another's",
	}
	if !slices.Equal(got, want) {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func under(pkg, prefix string) bool { return pkg == prefix || strings.HasPrefix(pkg, prefix+"/") }
