package main

import (
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// globals are the flags every command shares.
type globals struct {
	verbose bool
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
}

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "vendorkit",
		Short: "Typed, token-handling clients for BSS, Blueprint CPQ, Decisiv and iOFFICE",
		Long: `vendorkit calls vendor APIs whose OAuth2 is each its own dialect without
making you think about tokens: interworks.cloud BSS (and white-label BSS),
Blueprint CPQ, Decisiv and iOFFICE.

Vendors are named bss, blueprint, decisiv and ioffice. Credentials and base
URLs come from VENDORKIT_<VENDOR>_* variables (` + "`vendorkit sandbox`" + ` prints a
ready-to-paste set); --base-url overrides the base URL.

Exit codes: 0 ok, 1 HTTP error (status >= 400), 2 usage or configuration,
3 authentication failure, 4 network failure.`,
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
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "print each HTTP exchange (method, URL, status, timing, token requests) to stderr, secrets redacted")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newDemoCommand(g),
		newTokenCommand(g),
		newDoCommand(g),
		newRevokeCommand(g),
		newSandboxCommand(g),
		newContractCommand(g),
	)
	return root
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
