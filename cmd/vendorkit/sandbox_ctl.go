package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/internal/origin"
	"github.com/vendorkit/vendorkit/sandbox"
)

// ctlTimeout bounds each admin call; the endpoint answers from memory.
const ctlTimeout = 10 * time.Second

func newSandboxCtlCommand(g *globals) *cobra.Command {
	var adminURL string
	ctl := &cobra.Command{
		Use:   "ctl",
		Short: "Drive a running sandbox: counters, revoke-all, lifetime, latency, faults",
		Long: `ctl talks to the admin endpoint of a running 'vendorkit sandbox', found
through the ` + envAdminURL + ` and ` + envAdminToken + ` it
exported (--admin-url overrides the URL; the token is read only from the
environment, never from a flag that other users can see in ps). The URL must
be a loopback http URL: the token is never sent anywhere else.`,
		Example: `  vendorkit sandbox --exports-only > sandbox.env &   # or paste the exports
  . ./sandbox.env
  vendorkit sandbox ctl stats
  vendorkit sandbox ctl revoke-all --vendor ioffice
  vendorkit sandbox ctl set --token-lifetime 30s --token-latency 200ms
  vendorkit sandbox ctl fail --vendor bss --status 503 --count 2`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	ctl.PersistentFlags().StringVar(&adminURL, "admin-url", "", "the admin endpoint (default $"+envAdminURL+")")
	call := func(ctx context.Context, method, path string, q url.Values) (sandbox.AdminStatus, error) {
		st, err := adminCall(ctx, adminURL, method, path, q)
		var ce ctlError
		if errors.As(err, &ce) {
			// exitCode knows no admin errors: say it here, exit with its code.
			fmt.Fprintln(g.stderr, "vendorkit:", ce.Error())
			return st, silentError{ce.code}
		}
		return st, err
	}

	var asJSON bool
	var vendor string
	stats := &cobra.Command{
		Use:   "stats",
		Short: "Print each vendor's counters and settings",
		Long: `stats prints, per vendor, the token requests by grant, the resource
requests, the requests rejected (every 4xx/5xx, injected faults included),
the token lifetime and latency, whether the browser login echoes state, and
the faults still queued.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := call(cmd.Context(), http.MethodGet, "/stats", vendorQuery(vendor))
			if err != nil {
				return err
			}
			return printStatus(g.stdout, st, asJSON)
		},
	}
	stats.Flags().BoolVar(&asJSON, "json", false, "print the admin endpoint's JSON")
	stats.Flags().StringVar(&vendor, "vendor", "", "one vendor (default: all)")

	var revokeVendor string
	revoke := &cobra.Command{
		Use:   "revoke-all",
		Short: "Revoke every token and code the sandbox has issued",
		Long: `revoke-all revokes every access token, refresh token and code issued so far
(one vendor's with --vendor): calls with them get 401 from now on, and
clients must log in again. Tokens issued afterwards work.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := call(cmd.Context(), http.MethodPost, "/revoke-all", vendorQuery(revokeVendor))
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "revoked every token and code of: %s\n", strings.Join(names(st), ", "))
			return nil
		},
	}
	revoke.Flags().StringVar(&revokeVendor, "vendor", "", "one vendor (default: all)")

	var setVendor, lifetime, latency string
	var loginState bool
	set := &cobra.Command{
		Use:   "set",
		Short: "Change token lifetime, token latency or the login page's state at run time",
		Long: `set changes settings of the running sandbox (one vendor's with --vendor) and
prints them. --token-lifetime applies to tokens issued from now on (0: the
vendor's default); --token-latency delays every token-endpoint request;
--login-state=false makes iOFFICE's login page redirect without state.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := vendorQuery(setVendor)
			for _, f := range []struct{ flag, param, value string }{
				{"token-lifetime", "token_lifetime", lifetime},
				{"token-latency", "token_latency", latency},
			} {
				if !cmd.Flags().Changed(f.flag) {
					continue
				}
				if d, err := time.ParseDuration(f.value); err != nil || d < 0 {
					return usagef("--%s %q: want a duration such as 90s or 5m", f.flag, f.value)
				}
				q.Set(f.param, f.value)
			}
			if cmd.Flags().Changed("login-state") {
				q.Set("login_state", strconv.FormatBool(loginState))
			}
			if len(q) == len(vendorQuery(setVendor)) {
				return usagef("nothing to set: give --token-lifetime, --token-latency or --login-state")
			}
			st, err := call(cmd.Context(), http.MethodPost, "/settings", q)
			if err != nil {
				return err
			}
			return printStatus(g.stdout, st, false)
		},
	}
	set.Flags().StringVar(&setVendor, "vendor", "", "one vendor (default: all)")
	set.Flags().StringVar(&lifetime, "token-lifetime", "", "lifetime of tokens issued from now on (0: the vendor's default)")
	set.Flags().StringVar(&latency, "token-latency", "", "delay of every token-endpoint request")
	set.Flags().BoolVar(&loginState, "login-state", true, "whether iOFFICE's login page redirect carries state")

	var failVendor, retryAfter string
	var count, status int
	var drop bool
	fail := &cobra.Command{
		Use:   "fail --vendor V",
		Short: "Make the next resource calls fail (status, Retry-After, or a dropped connection)",
		Long: `fail makes the vendor's next --count resource calls fail with --status (503
by default), with Retry-After if given, or with --drop, a connection closed
without a response. Token endpoints are never affected.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if failVendor == "" {
				return usagef("--vendor is required (one of %s)", vendorNames())
			}
			if count < 1 {
				return usagef("--count %d: want 1 or more", count)
			}
			q := vendorQuery(failVendor)
			q.Set("count", strconv.Itoa(count))
			what := "a dropped connection"
			if drop {
				if cmd.Flags().Changed("status") || retryAfter != "" {
					return usagef("--drop sends no response: it takes no --status or --retry-after")
				}
				q.Set("drop", "true")
			} else {
				if status < 400 || status > 599 {
					return usagef("--status %d: want an HTTP error status, 400-599", status)
				}
				q.Set("status", strconv.Itoa(status))
				what = fmt.Sprintf("%d %s", status, http.StatusText(status))
				if retryAfter != "" {
					q.Set("retry_after", retryAfter)
					what += ", Retry-After: " + retryAfter
				}
			}
			st, err := call(cmd.Context(), http.MethodPost, "/fail", q)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "%s: the next %d resource call(s) get %s\n", strings.Join(names(st), ", "), count, what)
			return nil
		},
	}
	fail.Flags().StringVar(&failVendor, "vendor", "", "the vendor")
	fail.Flags().IntVar(&count, "count", 1, "how many resource calls fail")
	fail.Flags().IntVar(&status, "status", http.StatusServiceUnavailable, "the status they get")
	fail.Flags().StringVar(&retryAfter, "retry-after", "", "Retry-After header value, e.g. 2")
	fail.Flags().BoolVar(&drop, "drop", false, "close the connection without a response instead")

	ctl.AddCommand(stats, revoke, set, fail)
	return ctl
}

func vendorQuery(vendor string) url.Values {
	q := url.Values{}
	if vendor != "" {
		q.Set("vendor", strings.ToLower(vendor))
	}
	return q
}

func names(st sandbox.AdminStatus) []string {
	out := make([]string, len(st.Vendors))
	for i, v := range st.Vendors {
		out[i] = v.Vendor
	}
	return out
}

// adminEndpoint checks that rawURL (or $VENDORKIT_SANDBOX_ADMIN_URL) is
// a loopback http URL, the only place the admin token may go.
func adminEndpoint(rawURL string) (*url.URL, error) {
	if rawURL == "" {
		rawURL = os.Getenv(envAdminURL)
	}
	if rawURL == "" {
		return nil, usagef("no sandbox admin endpoint: set %s and %s from 'vendorkit sandbox' exports, or give --admin-url", envAdminURL, envAdminToken)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, usagef("admin URL: %v", err)
	}
	if u.Scheme != "http" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || !origin.IsLoopback(u.Hostname()) {
		return nil, usagef("admin URL %q: want http://127.0.0.1:PORT as 'vendorkit sandbox' printed it; the admin token goes to loopback only", u.Redacted())
	}
	return u, nil
}

// adminCall sends one request to the admin endpoint and decodes the
// answer. A refused token, bad parameters and a dead endpoint each get an
// error with the matching exit code.
func adminCall(ctx context.Context, rawURL, method, path string, q url.Values) (sandbox.AdminStatus, error) {
	var st sandbox.AdminStatus
	base, err := adminEndpoint(rawURL)
	if err != nil {
		return st, err
	}
	token := os.Getenv(envAdminToken)
	if token == "" {
		return st, usagef("%s is not set: export it from 'vendorkit sandbox' output", envAdminToken)
	}
	u := base.JoinPath(path)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, ctlTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return st, usagef("admin request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	// No proxy (the token stays on loopback), no redirects (nor does it
	// follow one), no idle connections left behind.
	tr := &http.Transport{Proxy: nil}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		return st, fmt.Errorf("sandbox ctl: no sandbox admin endpoint answers at %s (is 'vendorkit sandbox' running?): %w", base.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return st, fmt.Errorf("sandbox ctl: reading the answer: %w", err)
	}
	// Whatever holds the port got the token: its text is printed without
	// escapes (first: one inside the token would hide it) and without it.
	sec := auth.NewSecrets(token)
	clean := func(s string) string { return sec.Scrub(termSafe(s)) }
	switch {
	case resp.StatusCode == http.StatusOK:
		if err := json.Unmarshal(body, &st); err != nil {
			return st, fmt.Errorf("sandbox ctl: %s is not a vendorkit sandbox admin endpoint: %v", base.Redacted(), err)
		}
		for i := range st.Vendors {
			v := &st.Vendors[i]
			v.Vendor, v.TokenLifetime, v.TokenLatency = clean(v.Vendor), clean(v.TokenLifetime), clean(v.TokenLatency)
			reqs := make(map[string]int, len(v.TokenRequests))
			for k, n := range v.TokenRequests {
				reqs[clean(k)] += n
			}
			v.TokenRequests = reqs
		}
		return st, nil
	case resp.StatusCode == http.StatusUnauthorized:
		return st, ctlError{exitAuth, fmt.Sprintf("the sandbox at %s refused the admin token: export %s from this sandbox's output (each start makes a new one)", base.Redacted(), envAdminToken)}
	case resp.StatusCode == http.StatusBadRequest:
		var e struct {
			Desc string `json:"error_description"`
		}
		if json.Unmarshal(body, &e) == nil && e.Desc != "" {
			return st, usagef("sandbox ctl: %s", clean(e.Desc))
		}
	}
	return st, ctlError{exitHTTP, fmt.Sprintf("the admin endpoint answered %s", clean(resp.Status))}
}

// ctlError is an admin call that failed with a known exit code.
type ctlError struct {
	code int
	msg  string
}

func (e ctlError) Error() string { return "sandbox ctl: " + e.msg }

// printStatus prints st as a table, or as indented JSON.
func printStatus(w io.Writer, st sandbox.AdminStatus, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VENDOR\tTOKEN REQUESTS\tINVALID GRANTS\tRESOURCE REQUESTS\tREJECTED\tTOKEN LIFETIME\tTOKEN LATENCY\tLOGIN STATE\tQUEUED FAULTS")
	for _, v := range st.Vendors {
		grants := "-"
		if len(v.TokenRequests) > 0 {
			var parts []string
			for _, k := range slices.Sorted(maps.Keys(v.TokenRequests)) {
				parts = append(parts, fmt.Sprintf("%s=%d", k, v.TokenRequests[k]))
			}
			grants = strings.Join(parts, " ")
		}
		lifetime := v.TokenLifetime
		if lifetime == "0s" {
			lifetime = "never expires"
		}
		state := "-"
		if v.LoginState != nil {
			state = map[bool]string{true: "echoed", false: "omitted"}[*v.LoginState]
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%d\n", v.Vendor, grants, v.InvalidGrants, v.ResourceRequests, v.Rejected, lifetime, v.TokenLatency, state, v.PendingFaults)
	}
	return tw.Flush()
}
