package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/vendorkit/vendorkit/client/vendors"
)

// globals are the flags every command shares.
type globals struct {
	verbose    bool
	insecure   bool
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	transports []*http.Transport // made for this run; run closes their idle connections

	scrubMu   sync.Mutex
	scrubbers []func(string) string // the Scrub of every client opened, for -v's lines

	noCache       bool // --no-cache
	cacheDone     bool // cache() ran: tc, cacheUnusable and cacheErr hold its result
	tc            *tokenCache
	cacheUnusable string // why the cache is not used when it is not off (tc is nil)
	cacheErr      error
}

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) (*cobra.Command, *globals) {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "vendorkit",
		Short: "Typed, token-handling clients for " + vendorNames(),
		Long: `vendorkit calls vendor APIs whose OAuth2 is each its own dialect without
making you think about tokens.

Vendors are named ` + vendorNames() + `. Credentials and base
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
		// No Args: cobra then reports an unknown subcommand before it
		// parses flags (so "toke --vendor bss" is about "toke", not
		// --vendor); run makes that a usage error with suggestions.
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		Version: version(),
	}
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "print each HTTP exchange (method, URL, status, timing, token requests), each retry wait and why, to stderr, secrets redacted")
	root.PersistentFlags().BoolVar(&g.insecure, "insecure-http", false, "allow credentials over plain http:// to non-loopback hosts (Decisiv's docs use http), and tokens over plain redis:// ("+envTokenStore+")")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newDemoCommand(g),
		newTokenCommand(g),
		newDoCommand(g),
		newRevokeCommand(g),
		newLoginCommand(g),
		newLogoutCommand(g),
		newStatusCommand(g),
		newSandboxCommand(g),
		newContractCommand(g),
	)
	completeVendors(root)
	return root, g
}

// completeVendors makes the shell complete --vendor with the vendor
// names, on every command that has the flag.
func completeVendors(cmd *cobra.Command) {
	if cmd.Flags().Lookup("vendor") != nil {
		_ = cmd.RegisterFlagCompletionFunc("vendor", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return vendors.Names(), cobra.ShellCompDirectiveNoFileComp
		})
	}
	for _, c := range cmd.Commands() {
		completeVendors(c)
	}
}

// unknownCommand is the usage error for a command cobra did not find:
// the first word that is not a flag, and cobra's suggestions for it.
func unknownCommand(root *cobra.Command, args []string) error {
	name := ""
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			name = a
			break
		}
	}
	return unknownSubcommand(root, name)
}

// unknownSubcommand: name is not a subcommand of cmd; cobra's suggestions
// ("did you mean") when it has some.
func unknownSubcommand(cmd *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %q", name, cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's own default
	}
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(quoteAll(s), " or "))
	}
	return usagef("%s (see '%s --help')", msg, cmd.CommandPath())
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = strconv.Quote(x)
	}
	return out
}

// version is the module version and the VCS revision the binary was built
// from, as the Go toolchain recorded them: "v1.2.0" for go install
// …@v1.2.0, "(devel)" in a checkout, with the commit when the build had
// it (go build in a git checkout; not go install …@version, nor
// -buildvcs=false).
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown: no build information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, when, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	out := v + " (" + bi.Main.Path
	if rev != "" {
		out += ", commit " + rev
		if when != "" {
			out += " " + when
		}
		out += modified
	} else {
		out += ", commit unknown"
	}
	return out + ", " + bi.GoVersion + ")"
}

// noArgs is cobra.NoArgs with the usage exit code.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 && cmd.HasAvailableSubCommands() {
		return unknownSubcommand(cmd, args[0])
	}
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// oneLine folds an error message onto one line for stderr.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// defaultTimeout is --timeout's default; login and contract, which wait
// for a person or run many checks, get more.
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
