package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// globals are the flags every command shares.
type globals struct {
	verbose    bool
	insecure   bool
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	transports []*http.Transport // made for this run; run closes their idle connections
}

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) (*cobra.Command, *globals) {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "vendorkit",
		Short: "Typed, token-handling clients for BSS, Blueprint CPQ, Decisiv and iOFFICE",
		Long: `vendorkit calls vendor APIs whose OAuth2 is each its own dialect without
making you think about tokens: interworks.cloud BSS (and white-label BSS),
Blueprint CPQ, Decisiv and iOFFICE.

Vendors are named bss, blueprint, decisiv and ioffice. Credentials and base
URLs come from VENDORKIT_<VENDOR>_* variables (` + "`vendorkit sandbox`" + ` prints a
ready-to-paste set); --base-url overrides the base URL. Commands that make
requests are bounded by --timeout (60s by default; 0 for none).

` + exitCodes,
		Example: `  go run ./cmd/vendorkit demo
  vendorkit token --vendor bss
  vendorkit do --vendor bss GET /api/accounts/1
  vendorkit sandbox --exports-only > sandbox.env &   # fake vendors on loopback
  . ./sandbox.env && vendorkit contract --live`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// An unknown subcommand is a usage error, not a failed command.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q for %q; see 'vendorkit --help'", args[0], cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "print each HTTP exchange (method, URL, status, timing, token requests), each retry wait and why, to stderr, secrets redacted")
	root.PersistentFlags().BoolVar(&g.insecure, "insecure-http", false, "allow credentials over plain http:// to non-loopback hosts (Decisiv's docs use http)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newDemoCommand(g),
		newTokenCommand(g),
		newDoCommand(g),
		newRevokeCommand(g),
		newSandboxCommand(g),
		newContractCommand(g),
	)
	return root, g
}

// noArgs is cobra.NoArgs with the usage exit code.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// oneLine folds an error message onto one line for stderr.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// defaultTimeout bounds token, do and revoke; contract gets more.
const defaultTimeout = 60 * time.Second

// addTimeout registers --timeout on cmd.
func addTimeout(cmd *cobra.Command, d *time.Duration, def time.Duration) {
	cmd.Flags().DurationVar(d, "timeout", def, "bound the whole command: token fetch, retries, response body (0: no bound)")
}

// errTimedOut is the cause of a context that --timeout ended.
var errTimedOut = errors.New("vendorkit: --timeout")

// bounded runs fn under ctx limited to d (0: no limit). An error that the
// limit caused becomes a timeoutError (exit 4, says --timeout).
func bounded(ctx context.Context, d time.Duration, fn func(context.Context) error) error {
	if d <= 0 {
		return fn(ctx)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, d, errTimedOut)
	defer cancel()
	err := fn(ctx)
	if err != nil && errors.Is(context.Cause(ctx), errTimedOut) {
		return timeoutError{d}
	}
	return err
}
