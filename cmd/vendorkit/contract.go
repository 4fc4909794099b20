package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vendorkit/vendorkit/contract"
	"github.com/vendorkit/vendorkit/sandbox"
)

// contractSandboxHook lets tests see the contract command's embedded
// sandbox (its secrets) before it closes.
var contractSandboxHook func(*sandbox.Sandbox)

type contractFlags struct {
	vendor  string
	junit   string
	live    bool
	timeout time.Duration
	drift   driftFlags
}

func newContractCommand(g *globals) *cobra.Command {
	var f contractFlags
	cmd := &cobra.Command{
		Use:   "contract [--vendor V|all] [--live] [--junit FILE] [--drift[=fail]] [--drift-patch FILE]",
		Short: "Check that the vendors still behave as their docs and specs say",
		Long: `contract runs vendorkit's contract suite: for each vendor it gets a token
with the documented grant, calls the sample resource through the typed
client, and validates every token-endpoint and resource exchange against
the vendor's OpenAPI spec (kin-openapi). It checks that a forged token gets
401, that the announced token lifetime is in the documented unit and range,
and where the vendor has them: Decisiv's 403 for an endpoint that refuses
bearer-token authentication (set VENDORKIT_DECISIV_BEARER_REFUSED_PATH),
iOFFICE's refresh-token rotation (the old refresh token is refused
afterwards) and revoke.

By default it runs against the embedded sandbox. With --live (or
VENDORKIT_CONTRACT=live) it runs against the deployments the VENDORKIT_*
variables name; a vendor without its variables is reported as skipped, with
the variables that would enable it. VENDORKIT_BSS_ACCOUNT_ID picks the BSS
account read (default 1). The checks only touch tokens they obtain
themselves: nothing is revoked for anyone else, no resource is written.

It prints one row per check (vendor, check, result, time, spec operation,
detail; secrets never appear) and exits 0 when no check failed, 1 when one
did, 2 on a usage error. --junit FILE also writes JUnit XML for CI.

--drift also reports what the responses carried that the spec does not
describe: JSON properties the schema lacks (with their type and shape, and
an example only when it is safe to print: never for a name that looks like
a credential, never a token), and undeclared headers, status codes and
content types. It is reported, not a failure, unless --drift=fail.
--drift-patch FILE writes the YAML to merge into specs/<vendor>.yaml so
that the spec describes it; --specs DIR checks against <vendor>.yaml files
in DIR (a patched copy) instead of the embedded specs.`,
		Example: `  vendorkit contract
  vendorkit contract --vendor ioffice -v
  vendorkit contract --live --vendor all --junit contract.xml
  VENDORKIT_CONTRACT=live vendorkit contract --vendor decisiv --insecure-http
  vendorkit contract --live --drift --drift-patch drift.yaml
  vendorkit contract --live --drift=fail --specs ./specs`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return bounded(cmd.Context(), f.timeout, func(ctx context.Context) error { return runContract(ctx, g, f) })
		},
	}
	cmd.Flags().StringVar(&f.vendor, "vendor", "all", "vendor to check ("+vendorNames()+"), or all")
	cmd.Flags().StringVar(&f.junit, "junit", "", "also write the results as JUnit XML to `FILE`")
	cmd.Flags().BoolVar(&f.live, "live", false, "check the deployments the VENDORKIT_* variables name instead of the embedded sandbox (also VENDORKIT_CONTRACT=live)")
	addTimeout(cmd, &f.timeout, 5*time.Minute)
	f.drift.register(cmd)
	return cmd
}

func runContract(ctx context.Context, g *globals, f contractFlags) error {
	vendors := contract.Vendors()
	if f.vendor != "all" {
		if !slices.Contains(vendors, f.vendor) {
			return usagef("unknown vendor %q (one of %s, or all)", f.vendor, strings.Join(vendors, ", "))
		}
		vendors = []string{f.vendor}
	}
	if err := f.drift.check(); err != nil {
		return err
	}
	specFiles, err := f.drift.specFiles(vendors)
	if err != nil {
		return err
	}
	live := f.live || os.Getenv("VENDORKIT_CONTRACT") == "live"
	opts := g.clientOptions()

	lookups := map[string]func(string) (string, bool){}
	where := "live deployments (VENDORKIT_* variables)"
	if live {
		for _, v := range vendors {
			lookups[v] = os.LookupEnv
		}
	} else {
		sb, err := sandbox.Start(ctx, sandbox.Options{})
		if err != nil {
			return fmt.Errorf("starting the sandbox: %w", err)
		}
		defer sb.Close()
		if contractSandboxHook != nil {
			defer contractSandboxHook(sb)
		}
		for _, v := range vendors {
			env := sb.Vendor(v).Env()
			lookups[v] = func(k string) (string, bool) { s, ok := env[k]; return s, ok }
		}
		where = "the embedded sandbox"
	}

	fmt.Fprintf(g.stdout, "vendorkit contract: %s against %s\n\n", strings.Join(vendors, ", "), where)
	// Rows quote what deployments answered: escapes are removed before
	// anything reaches the terminal.
	var out strings.Builder
	table := tabwriter.NewWriter(&out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(table, "VENDOR\tCHECK\tRESULT\tTIME\tOPERATION\tDETAIL")
	var all []contract.Result
	var drift []contract.Drift
	for _, v := range vendors {
		t := contract.Target{Vendor: v, Lookup: lookups[v], Options: opts, Spec: specFiles[v]}
		var results []contract.Result
		if f.drift.enabled() {
			var d []contract.Drift
			results, d = contract.RunDrift(ctx, t)
			drift = append(drift, d...)
		} else {
			results = contract.Run(ctx, t)
		}
		all = append(all, results...)
		printContractRows(table, results)
	}
	table.Flush()

	var passed, failed, skipped int
	for _, r := range all {
		switch r.Status {
		case contract.Pass:
			passed++
		case contract.Fail:
			failed++
		default:
			skipped++
		}
	}
	fmt.Fprintf(&out, "\ncontract: %d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if f.drift.enabled() {
		printDrift(&out, drift, f.drift.fail())
	}
	io.WriteString(g.stdout, termSafe(out.String()))

	if f.junit != "" {
		if err := writeFile("--junit", f.junit, func(w io.Writer) error {
			if f.drift.enabled() {
				return contract.WriteJUnitDrift(w, all, drift, f.drift.fail())
			}
			return contract.WriteJUnit(w, all)
		}); err != nil {
			return err
		}
	}
	if err := f.drift.writePatch(drift); err != nil {
		return err
	}
	if failed > 0 || f.drift.fail() && len(drift) > 0 {
		return silentError{code: exitHTTP}
	}
	return nil
}

// printContractRows prints one row per result; a vendor whose checks were
// all skipped for one reason (not configured) gets a single row.
func printContractRows(table *tabwriter.Writer, results []contract.Result) {
	if len(results) > 1 && !slices.ContainsFunc(results, func(r contract.Result) bool {
		return r.Status != contract.Skip || r.Message != results[0].Message
	}) {
		fmt.Fprintf(table, "%s\t(all)\tskip\t-\t-\t%s\n", results[0].Vendor, oneLine(results[0].Message))
		return
	}
	for _, r := range results {
		status := string(r.Status)
		if r.Status == contract.Fail {
			status = "FAIL"
		}
		op := r.Operation
		if op == "" {
			op = "-"
		}
		fmt.Fprintf(table, "%s\t%s\t%s\t%v\t%s\t%s\n", r.Vendor, r.Check, status,
			r.Duration.Round(100*time.Microsecond), op, oneLine(r.Message))
	}
}

// writeFile creates path and fills it with write; flag names the option
// that chose path, in errors.
func writeFile(flag, path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return usagef("%s: %v", flag, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", flag, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	return nil
}
