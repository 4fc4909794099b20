package main

import (
	"fmt"
	"io"
	"net"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vendorkit/vendorkit/sandbox"
)

func newSandboxCommand(g *globals) *cobra.Command {
	var addr string
	var exportsOnly bool
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run the fake vendor servers on loopback until interrupted",
		Long: `sandbox serves local fake BSS, Blueprint, Decisiv and iOFFICE servers that
behave as the vendors' docs say, each on its own port, and prints each base
URL with ready-to-paste VENDORKIT_* exports. It runs until interrupted.

The printed exports contain the sandbox's own fixed test credentials, which
are not secrets anywhere else.`,
		Example: `  vendorkit sandbox
  vendorkit sandbox --addr 127.0.0.1
  # in another shell, after pasting the exports:
  vendorkit token --vendor bss`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			host, err := listenHost(addr)
			if err != nil {
				return err
			}
			sb, err := sandbox.Start(ctx, sandbox.Options{Addr: host})
			if err != nil {
				return usagef("sandbox: %v", err)
			}
			defer sb.Close()
			if !exportsOnly {
				fmt.Fprintln(g.stdout, "# vendorkit sandbox: fake vendor servers on loopback; Ctrl-C stops them.")
			}
			for _, v := range sb.Vendors() {
				if !exportsOnly {
					fmt.Fprintf(g.stdout, "# %s: %s\n", v.Name, v.BaseURL)
				}
				printExports(g.stdout, v.Env())
			}
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "host (or host:0) to listen on; each vendor gets its own free port")
	cmd.Flags().BoolVar(&exportsOnly, "exports-only", false, "print only the export lines")
	return cmd
}

// listenHost accepts "host" or "host:0": every vendor needs a port of its
// own, so a single fixed port cannot be honoured.
func listenHost(addr string) (string, error) {
	if !strings.Contains(addr, ":") || net.ParseIP(addr) != nil {
		return addr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", usagef("--addr %q: %v", addr, err)
	}
	if port != "0" {
		return "", usagef("--addr %q: each vendor gets its own free port; give a host or host:0", addr)
	}
	return host, nil
}

func printExports(w io.Writer, env map[string]string) {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "export %s=%s\n", k, shellQuote(env[k]))
	}
}

// shellQuote quotes s for POSIX shells.
func shellQuote(s string) string {
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '/' || r == ':') {
			safe = false
			break
		}
	}
	if safe && s != "" {
		return s
	}
	out := "'"
	for _, r := range s {
		if r == '\'' {
			out += `'\''`
		} else {
			out += string(r)
		}
	}
	return out + "'"
}
