package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/vendors"
	"github.com/vendorkit/vendorkit/sandbox"
)

func newDemoCommand(g *globals) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run every vendor client through its whole life on the embedded sandbox",
		Long: `demo starts the embedded sandbox, a fake server on loopback for each
vendor (` + vendorNames() + `), and runs, for each in turn, the
whole life of a client: get a token, call the sample resource through the
typed client, let the token go stale and show the proactive background
refresh, revoke every token server-side and show the single 401 → re-auth;
where the vendor issues refresh tokens (` + strings.Join(namesWhere(func(v client.Vendor) bool { return v.Refreshes }), ", ") + `), the rotation; where
it has a revoke endpoint (` + strings.Join(revokers(), ", ") + `), the revoke.

Token lifetimes pass on a simulated clock shared by the sandbox and the
clients, so the demo takes a few seconds. TOKEN REQS counts the requests the
sandbox's token endpoints received, as the server saw them. The exit status
is 0 only if every step passed.`,
		Example: `  go run ./cmd/vendorkit demo
  go run ./cmd/vendorkit demo -v`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return bounded(cmd.Context(), timeout, func(ctx context.Context) error { return runDemo(ctx, g) })
		},
	}
	addTimeout(cmd, &timeout, defaultTimeout)
	return cmd
}

// demoSandboxHook lets tests see the demo's sandbox (its secrets) before
// it closes.
var demoSandboxHook func(*sandbox.Sandbox)

// demoClock is the simulated clock the sandbox and the clients share.
type demoClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *demoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *demoClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// demoRun is one vendor's run: its client, its sandbox server and the table.
type demoRun struct {
	ctx    context.Context
	v      client.Vendor
	c      vendorClient
	lookup lookupFunc
	sv     *sandbox.Vendor
	clock  *demoClock
	table  *tabwriter.Writer
	failed bool
}

// tokenRequests is what the sandbox's token endpoints have seen (revokes
// are not token requests).
func (r *demoRun) tokenRequests() int {
	n := 0
	for grant, c := range r.sv.Stats().TokenRequests {
		if grant != "revoke" {
			n += c
		}
	}
	return n
}

// step runs fn, checks that it made exactly wantTokenReqs token requests,
// and prints one row.
func (r *demoRun) step(name string, wantTokenReqs int, fn func() (string, error)) {
	before := r.tokenRequests()
	start := time.Now()
	result, err := fn()
	took := time.Since(start)
	after := r.tokenRequests()
	status := "ok"
	switch {
	case err != nil:
		status, result = "FAIL", oneLine(auth.SafeErrorString(err))
	case after-before != wantTokenReqs:
		status = "FAIL"
		result = fmt.Sprintf("%s (made %d token requests, want %d)", result, after-before, wantTokenReqs)
	}
	if status != "ok" {
		r.failed = true
	}
	fmt.Fprintf(r.table, "%s\t%s\t%s\t%d\t%s\t%s\n", r.v.Name, name, status, after, took.Round(100*time.Microsecond), result)
}

// call makes the typed sample call and requires a 200.
func (r *demoRun) call() (string, error) {
	status, summary, err := r.v.Sample(r.ctx, r.c, r.lookup)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("sample call answered HTTP %d", status)
	}
	return summary, nil
}

func runDemo(ctx context.Context, g *globals) error {
	clock := &demoClock{now: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	sb, err := sandbox.Start(ctx, sandbox.Options{Clock: clock})
	if err != nil {
		return fmt.Errorf("starting the sandbox: %w", err)
	}
	defer sb.Close()

	fmt.Fprintf(g.stdout, "vendorkit demo: %d vendor clients against the embedded sandbox (simulated clock)\n", len(vendors.All()))
	fmt.Fprintln(g.stdout)
	table := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(table, "VENDOR\tSTEP\tRESULT\tTOKEN REQS\tTIME\tWHAT HAPPENED")
	failed := false
	for _, v := range vendors.All() {
		sv := sb.Vendor(v.Name)
		env := sv.Env()
		lookup := func(k string) (string, bool) { s, ok := env[k]; return s, ok }
		opts := append(g.clientOptions(), client.WithClock(clock))
		c, err := v.Open(lookup, opts...)
		if err != nil {
			return fmt.Errorf("%s: %w", v.Name, err)
		}
		g.opened(c)
		r := &demoRun{ctx: ctx, v: v, c: c, lookup: lookup, sv: sv, clock: clock, table: table}
		r.run()
		c.Close()
		failed = failed || r.failed
	}
	table.Flush()
	if demoSandboxHook != nil {
		demoSandboxHook(sb)
	}
	fmt.Fprintln(g.stdout)
	if failed {
		fmt.Fprintln(g.stdout, "demo: some steps FAILED")
		return silentError{code: exitHTTP}
	}
	fmt.Fprintln(g.stdout, "demo: every step passed")
	return nil
}

// run is one vendor's life.
func (r *demoRun) run() {
	// A login is the grant's token requests (iOFFICE's are two: a code
	// from /oauth2/auth, then the exchange at /oauth2/token).
	login := len(r.v.Grant.Operations)
	var first *auth.Token
	r.step("token", login, func() (string, error) {
		t, err := r.c.Token(r.ctx)
		if err != nil {
			return "", err
		}
		first = t
		return "got " + describe(t, r.clock.Now()), nil
	})
	if first == nil {
		return
	}
	r.step("typed call", 0, r.call)
	r.step("cached", 0, func() (string, error) {
		s, err := r.call()
		return s + " (same token)", err
	})

	if first.Expiry.IsZero() {
		// Decisiv gives no expiry: the token is kept until the server says 401.
		r.step("no expiry", 0, func() (string, error) {
			r.clock.Advance(30 * 24 * time.Hour)
			if _, err := r.call(); err != nil {
				return "", err
			}
			return "30 days later the same token still works; kept until a 401", nil
		})
	} else {
		var fresh *auth.Token
		r.step("proactive refresh", 1, func() (string, error) {
			var msg string
			var err error
			fresh, msg, err = r.proactiveRefresh(first)
			return msg, err
		})
		if first.RefreshToken != "" && fresh != nil {
			// The probe is itself one (refused) token request.
			r.step("rotation", 1, func() (string, error) {
				if fresh.RefreshToken == first.RefreshToken {
					return "", errors.New("the refresh returned the same refresh token: no rotation")
				}
				if err := r.oldRefreshTokenRejected(first.RefreshToken); err != nil {
					return "", err
				}
				return "the refresh rotated the refresh token; the old one is now refused", nil
			})
		}
	}

	reqs, rejected, how := 1, 1, "one 401, one re-auth"
	if first.RefreshToken != "" {
		// A refreshing flow first tries its refresh token, which the
		// revocation killed too, then falls back to a fresh login.
		reqs, rejected, how = 1+login, 2, "one 401, the revoked refresh token refused, one fresh login"
	}
	r.step("revoke-all → re-auth", reqs, func() (string, error) {
		rejectedBefore := r.sv.Stats().Rejected
		r.sv.RevokeAll()
		s, err := r.call()
		if err != nil {
			return "", err
		}
		if n := r.sv.Stats().Rejected - rejectedBefore; n != rejected {
			return "", fmt.Errorf("server rejected %d requests, want %d (%s)", n, rejected, how)
		}
		return "server revoked all tokens; " + how + "; then " + s, nil
	})

	if r.v.Revokes {
		// With a refresh token, the probe that the revoked one is refused
		// is one more (refused) token request.
		probe := 0
		if r.v.Refreshes {
			probe = 1
		}
		r.step("revoke", login+probe, func() (string, error) {
			before, err := r.c.Token(r.ctx)
			if err != nil {
				return "", err
			}
			revokes := r.sv.Stats().TokenRequests["revoke"]
			if err := r.c.Source().Revoke(r.ctx); err != nil {
				return "", err
			}
			n := r.sv.Stats().TokenRequests["revoke"] - revokes
			what := fmt.Sprintf("%d revoke requests", n)
			if probe > 0 && before.RefreshToken != "" {
				if err := r.oldRefreshTokenRejected(before.RefreshToken); err != nil {
					return "", fmt.Errorf("after revoke: %w", err)
				}
				what += " (access and refresh token; the refresh token is now refused)"
			}
			if _, err := r.call(); err != nil {
				return "", err
			}
			return what + "; the next call logged in again", nil
		})
	}
}

// proactiveRefresh moves the clock into the token's stale window with a
// slow token endpoint, shows that the call does not wait for the refresh,
// then waits for the background refresh to land.
func (r *demoRun) proactiveRefresh(old *auth.Token) (*auth.Token, string, error) {
	const latency = 200 * time.Millisecond
	r.sv.SetTokenLatency(latency)
	defer r.sv.SetTokenLatency(0)
	lifetime := old.Expiry.Sub(r.clock.Now())
	r.clock.Advance(lifetime * 85 / 100) // default stale window: the last 20-25% of the lifetime

	start := time.Now()
	if _, err := r.call(); err != nil {
		return nil, "", err
	}
	callTook := time.Since(start)
	if callTook >= latency {
		return nil, "", fmt.Errorf("the call waited %v for the token endpoint", callTook)
	}

	fresh, err := r.waitForNewToken(old, 5*time.Second)
	if err != nil {
		return nil, "", err
	}
	return fresh, fmt.Sprintf("at %d%% of the lifetime the call got the cached token in %v while one background refresh (%v endpoint) fetched a new %s",
		85, callTook.Round(100*time.Microsecond), latency, describe(fresh, r.clock.Now())), nil
}

// waitForNewToken waits (bounded) for the background refresh the call
// started to land, then returns the token the source holds, which must be
// other than old.
func (r *demoRun) waitForNewToken(old *auth.Token, limit time.Duration) (*auth.Token, error) {
	ctx, cancel := context.WithTimeout(r.ctx, limit)
	defer cancel()
	if err := r.c.Source().WaitIdle(ctx); err != nil {
		if r.ctx.Err() != nil {
			return nil, r.ctx.Err()
		}
		return nil, fmt.Errorf("the background refresh did not land within %v", limit)
	}
	if r.c.Source().Stats().BackgroundRefreshes == 0 {
		return nil, errors.New("the call started no background refresh")
	}
	t, err := r.c.Token(r.ctx)
	if err != nil {
		return nil, err
	}
	if t.AccessToken == old.AccessToken {
		return nil, errors.New("the background refresh left the old token in place")
	}
	return t, nil
}

// oldRefreshTokenRejected asks the token endpoint, through the vendor's
// own flow (its generated token operation), to redeem a rotated-away or
// revoked refresh token, and expects a refusal: a probe of the server, not
// how the client gets tokens (the cache is bypassed).
func (r *demoRun) oldRefreshTokenRejected(old string) error {
	rf, ok := r.c.Source().Flow().(auth.Refresher)
	if !ok {
		return errors.New("the vendor's flow does not refresh")
	}
	_, err := rf.Refresh(r.ctx, &auth.Token{RefreshToken: old})
	switch {
	case err == nil:
		return errors.New("the old refresh token was accepted")
	case !errors.Is(err, auth.ErrInvalidGrant):
		return fmt.Errorf("the old refresh token: want invalid_grant, got %w", err)
	}
	return nil
}

// describe says what a token is without showing it.
func describe(t *auth.Token, now time.Time) string {
	typ := t.TokenType
	if typ == "" {
		typ = "token"
	}
	if t.Expiry.IsZero() {
		return typ + " token, no expiry given"
	}
	s := fmt.Sprintf("%s token, expires in %v", typ, t.Expiry.Sub(now).Round(time.Second))
	if t.RefreshToken != "" {
		s += ", with refresh token"
	}
	return s
}
