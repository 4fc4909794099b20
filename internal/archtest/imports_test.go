package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/vendorkit/vendorkit/specs"
)

const module = "github.com/vendorkit/vendorkit"

// rule forbids packages under from importing (non-test) packages under any
// of the prefixes in deny.
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
// they must not import each other, and the tools that choose a vendor at
// run time (cmd, contract) reach them only through client/vendors.
var vendors = specs.Vendors()

// byRegistry are the packages that must reach vendors through
// client/vendors only.
var byRegistry = []string{"cmd", "contract", "client/internal/kit"}

func TestImportsRunOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			checked++
			for _, r := range rules {
				if !under(rel, r.from) {
					continue
				}
				for _, d := range r.deny {
					if under(dep, d) {
						t.Errorf("%s imports %s: %s", rel, dep, r.why)
					}
				}
			}
			for _, a := range vendors {
				for _, b := range vendors {
					if a != b && under(rel, "client/"+a) && under(dep, "client/"+b) {
						t.Errorf("%s imports %s: no vendor package imports another's", rel, dep)
					}
				}
				for _, tool := range byRegistry {
					if under(rel, tool) && (under(dep, "client/"+a) || under(dep, "gen/"+a+"api") || under(dep, "internal/gen/"+a+"full")) {
						t.Errorf("%s imports %s: tools choose vendors by capability, through client/vendors", rel, dep)
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no in-module imports found: go list returned nothing useful")
	}
}

func under(pkg, prefix string) bool { return pkg == prefix || strings.HasPrefix(pkg, prefix+"/") }
