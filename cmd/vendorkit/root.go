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
  eval "$(vendorkit sandbox --exports-only &)"`,
		SilenceUsage:  true,
		SilenceErrors: true,
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

// oneLine folds an error message onto one line for stderr.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
