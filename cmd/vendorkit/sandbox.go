package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/vendorkit/vendorkit/sandbox"
)

// Where `vendorkit sandbox` tells `vendorkit sandbox ctl` to find its admin
// endpoint.
const (
	envAdminURL   = "VENDORKIT_SANDBOX_ADMIN_URL"
	envAdminToken = "VENDORKIT_SANDBOX_ADMIN_TOKEN"
)

// sandboxHook lets tests see the sandbox `vendorkit sandbox` started (its
// secrets) before it serves anyone.
var sandboxHook func(*sandbox.Sandbox, *sandbox.Admin)

func newSandboxCommand(g *globals) *cobra.Command {
	var (
		addr, redirectURI      string
		port                   int
		exportsOnly, omitState bool
		lifetimes, latencies   []string
		undoc                  undocumentedFlags
	)
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run the fake vendor servers on loopback until interrupted",
		Long: `sandbox serves, on loopback, a fake server for each vendor
(` + vendorNames() + `) that behaves as its docs say, each on its
own port, and prints each base URL with ready-to-paste VENDORKIT_* exports.
It runs until interrupted.

--port N puts the vendors on N, N+1, ... (` + vendorNames() + `)
and the admin endpoint on the port after them, so the URLs stay the same
across runs; without it every port is a free one.

The admin endpoint (127.0.0.1 only) is what 'vendorkit sandbox ctl' talks
to: counters, revoke-all, lifetime and latency at run time. It needs the
random token printed as ` + envAdminToken + `, so other local users'
processes and web pages cannot drive it.

iOFFICE's /login.html is a real sign-in form for the browser login; the
redirect carries state unless --omit-login-state (the docs' example shows
none).

With -v, each request served is logged to stderr: vendor, method, path,
status, duration; never a query string, header or body.

The printed exports contain the sandbox's own fixed test credentials, which
are not secrets anywhere else, and the admin token, which is yours alone.`,
		Example: `  vendorkit sandbox
  vendorkit sandbox --port 18080 --token-lifetime 2m --token-lifetime decisiv=10m
  vendorkit -v sandbox --token-latency ioffice=500ms --omit-login-state
  # in another shell, after pasting the exports:
  vendorkit token --vendor bss
  vendorkit sandbox ctl stats`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			host, err := listenHost(addr)
			if err != nil {
				return err
			}
			misbehave, err := undoc.misbehaviour()
			if err != nil {
				return err
			}
			lifetime, err := parseVendorDurations("--token-lifetime", lifetimes)
			if err != nil {
				return err
			}
			latency, err := parseVendorDurations("--token-latency", latencies)
			if err != nil {
				return err
			}
			if port < 0 || port > 65535 {
				return usagef("--port %d: want 1-65535, or 0 for free ports", port)
			}
			opts := sandbox.Options{Addr: host, Port: port, LoginRedirectURI: redirectURI, Misbehave: misbehave}
			if g.verbose {
				opts.Log = requestLogger(g.stderr)
			}
			sb, err := sandbox.Start(ctx, opts)
			if err != nil {
				return startError(err, port, 0)
			}
			defer sb.Close()
			for _, v := range sb.Vendors() {
				v.SetTokenLifetime(lifetime.get(v.Name))
				v.SetTokenLatency(latency.get(v.Name))
				v.OmitLoginState(omitState)
			}
			adminPort := 0
			if port > 0 {
				adminPort = port + len(sb.Vendors())
			}
			admin, err := sb.StartAdmin(adminPort)
			if err != nil {
				return startError(err, port, len(sb.Vendors()))
			}
			defer admin.Close()
			if sandboxHook != nil {
				sandboxHook(sb, admin)
			}
			if !exportsOnly {
				fmt.Fprintln(g.stdout, "# vendorkit sandbox: fake vendor servers on loopback; Ctrl-C stops them.")
			}
			for _, v := range sb.Vendors() {
				if !exportsOnly {
					fmt.Fprintf(g.stdout, "# %s: %s\n", v.Name, v.BaseURL)
				}
				printExports(g.stdout, v.Env())
			}
			if !exportsOnly {
				fmt.Fprintf(g.stdout, "# admin: %s ('vendorkit sandbox ctl'; the token is yours alone)\n", admin.URL)
			}
			printExports(g.stdout, map[string]string{envAdminURL: admin.URL, envAdminToken: admin.Token})
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "host (or host:0) to listen on; each vendor gets its own port")
	cmd.Flags().IntVar(&port, "port", 0, "put the vendors on this port and the next ones, the admin endpoint after them (0: free ports)")
	cmd.Flags().StringArrayVar(&lifetimes, "token-lifetime", nil, "tokens issued live `[VENDOR=]DURATION` (0: the vendor's default); repeatable")
	cmd.Flags().StringArrayVar(&latencies, "token-latency", nil, "token-endpoint requests wait `[VENDOR=]DURATION` before they are served; repeatable")
	cmd.Flags().BoolVar(&omitState, "omit-login-state", false, "iOFFICE's login page redirects without state, as the docs' example shows")
	cmd.Flags().StringVar(&redirectURI, "redirect-uri", "", "the redirect URI registered for the browser login (iOFFICE; default https://app.example.com/oauth/callback)")
	cmd.Flags().BoolVar(&exportsOnly, "exports-only", false, "print only the export lines")
	undoc.register(cmd)
	cmd.AddCommand(newSandboxCtlCommand(g))
	return cmd
}

// startError explains a port in use in terms of the flags.
func startError(err error, port, vendors int) error {
	if errors.Is(err, syscall.EADDRINUSE) && port > 0 {
		if vendors == 0 {
			return usagef("%v; --port %d needs that port and the next ones free", err, port)
		}
		return usagef("%v; --port %d puts the admin endpoint on %d", err, port, port+vendors)
	}
	return usagef("%v", err)
}

// vendorDurations is a [VENDOR=]DURATION flag: one value for every vendor,
// overridden per vendor.
type vendorDurations struct {
	all       time.Duration
	perVendor map[string]time.Duration
}

func (d vendorDurations) get(vendor string) time.Duration {
	if v, ok := d.perVendor[vendor]; ok {
		return v
	}
	return d.all
}

func parseVendorDurations(flag string, values []string) (vendorDurations, error) {
	d := vendorDurations{perVendor: map[string]time.Duration{}}
	for _, val := range values {
		name, dur, ok := strings.Cut(val, "=")
		if !ok {
			name, dur = "", val
		}
		x, err := time.ParseDuration(dur)
		if err != nil || x < 0 {
			return d, usagef("%s %q: want [VENDOR=]DURATION, such as 90s or ioffice=2m", flag, val)
		}
		if !ok {
			d.all = x
			continue
		}
		name = strings.ToLower(name)
		if _, err := findVendor(name); err != nil {
			return d, usagef("%s %q: %v", flag, val, err)
		}
		d.perVendor[name] = x
	}
	return d, nil
}

// requestLogger prints one line per request the sandbox served. Requests
// run concurrently: w must take each line whole (run's stderr does).
func requestLogger(w io.Writer) func(sandbox.LogEntry) {
	return func(e sandbox.LogEntry) {
		status := "no response"
		if e.Status != 0 {
			status = fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
		}
		fmt.Fprintf(w, "* %s: %s %s → %s in %v\n", e.Vendor, e.Method, e.Path, status, e.Duration.Round(10*time.Microsecond))
	}
}

// listenHost accepts "host" or "host:0": every vendor needs a port of its
// own, so a single fixed port cannot be honoured (--port gives a range).
func listenHost(addr string) (string, error) {
	if !strings.Contains(addr, ":") || net.ParseIP(addr) != nil {
		return addr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", usagef("--addr %q: %v", addr, err)
	}
	if port != "0" {
		return "", usagef("--addr %q: each vendor gets its own port; give a host or host:0, and --port for fixed ports", addr)
	}
	return host, nil
}

func printExports(w io.Writer, env map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(env)) {
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
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
