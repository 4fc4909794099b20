package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vendorkit/vendorkit/contract"
	"github.com/vendorkit/vendorkit/sandbox"
)

// driftFlags are contract's --drift, --drift-patch and --specs.
type driftFlags struct {
	mode  string // "", "report" or "fail"
	patch string
	specs string
}

func (d *driftFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&d.mode, "drift", "", "also report what the responses carry that the spec does not describe; `=fail` makes that a failure")
	cmd.Flags().Lookup("drift").NoOptDefVal = "report"
	cmd.Flags().StringVar(&d.patch, "drift-patch", "", "write the YAML that would describe the drift, to merge into specs/<vendor>.yaml, to `FILE` (implies --drift)")
	cmd.Flags().StringVar(&d.specs, "specs", "", "check against the <vendor>.yaml specs in `DIR` (a patched copy of specs/) instead of the embedded ones")
}

func (d *driftFlags) check() error {
	switch d.mode {
	case "", "report", "fail":
	default:
		return usagef("--drift=%s: want --drift, --drift=report or --drift=fail", d.mode)
	}
	if d.patch != "" && d.mode == "" {
		d.mode = "report"
	}
	return nil
}

func (d *driftFlags) enabled() bool { return d.mode != "" }
func (d *driftFlags) fail() bool    { return d.mode == "fail" }

// specFiles reads DIR/<vendor>.yaml for each vendor that has one.
func (d *driftFlags) specFiles(vendors []string) (map[string][]byte, error) {
	if d.specs == "" {
		return nil, nil
	}
	out := map[string][]byte{}
	for _, v := range vendors {
		b, err := os.ReadFile(filepath.Join(d.specs, v+".yaml"))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, usagef("--specs: %v", err)
		}
		out[v] = b
	}
	if len(out) == 0 {
		return nil, usagef("--specs %s: no <vendor>.yaml there for %v", d.specs, vendors)
	}
	return out, nil
}

func (d *driftFlags) writePatch(drift []contract.Drift) error {
	if d.patch == "" {
		return nil
	}
	return writeFile("--drift-patch", d.patch, func(w io.Writer) error { return contract.WriteDriftPatch(w, drift) })
}

// printDrift prints one row per finding and a summary line.
func printDrift(w io.Writer, drift []contract.Drift, fail bool) {
	if len(drift) == 0 {
		fmt.Fprintln(w, "drift: every response matched its spec")
		return
	}
	fmt.Fprintln(w, "\ndrift: what the responses carried that the spec does not describe")
	fmt.Fprintln(w)
	table := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(table, "VENDOR\tOPERATION\tSTATUS\tKIND\tNAME\tTYPE\tSHAPE\tEXAMPLE\tSEEN")
	counts := map[contract.DriftKind]int{}
	for _, d := range drift {
		counts[d.Kind]++
		fmt.Fprintf(table, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\n", d.Vendor, d.Operation, d.Status, d.Kind,
			oneLine(d.Name), dash(d.Type), dash(d.Shape), dash(d.Example), d.Seen)
	}
	table.Flush()
	verdict := "reported only (--drift=fail makes it a failure)"
	if fail {
		verdict = "FAIL (--drift=fail)"
	}
	fmt.Fprintf(w, "\ndrift: %d undocumented: %s, %s, %s, %s; %s\n", len(drift),
		plural(counts[contract.DriftProperty], "property", "properties"), plural(counts[contract.DriftHeader], "header", "headers"),
		plural(counts[contract.DriftStatus], "status code", "status codes"), plural(counts[contract.DriftContentType], "content type", "content types"),
		verdict)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// undocumentedFlags are sandbox's --undocumented-property and
// --undocumented-header: a sandbox whose responses carry what the specs do
// not describe, to see contract --drift at work.
type undocumentedFlags struct {
	props   []string
	headers []string
}

func (u *undocumentedFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&u.props, "undocumented-property", nil, "add `NAME=JSON` to every successful JSON object response (repeatable), for contract --drift")
	cmd.Flags().StringArrayVar(&u.headers, "undocumented-header", nil, "add the header `'Name: value'` to every response (repeatable), for contract --drift")
}

func (u *undocumentedFlags) misbehaviour() (sandbox.Misbehaviour, error) {
	var m sandbox.Misbehaviour
	for _, p := range u.props {
		name, raw, ok := strings.Cut(p, "=")
		var v any
		if !ok || name == "" || json.Unmarshal([]byte(raw), &v) != nil {
			return m, usagef("--undocumented-property %q: want NAME=JSON, e.g. plan='{\"tier\":\"gold\"}' or note='\"hi\"'", p)
		}
		if m.ExtraProperties == nil {
			m.ExtraProperties = map[string]any{}
		}
		m.ExtraProperties[name] = v
	}
	for _, h := range u.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return m, usagef("--undocumented-header %q: want 'Name: value'", h)
		}
		if m.ExtraHeaders == nil {
			m.ExtraHeaders = http.Header{}
		}
		m.ExtraHeaders.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return m, nil
}
