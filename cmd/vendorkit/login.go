package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client/vendors"
)

// defaultLoginTimeout bounds login: a person signs in in the meantime.
const defaultLoginTimeout = 5 * time.Minute

func newLoginCommand(g *globals) *cobra.Command {
	var vendor, baseURL string
	var noBrowser, allowMissingState bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "login --vendor VENDOR",
		Short: "Sign in (iOFFICE: in the browser) and keep the token in the token cache",
		Long: `login signs in and keeps the token in the token cache, where token, do,
revoke and logout find it; it needs the cache.

For a vendor with a browser login (iOFFICE) it opens the vendor's login
page (/login.html with response_type, client_id, redirect_uri, scope and a
random state) in your browser; --no-browser prints the URL instead. After
you sign in, the browser goes to the redirect URI with the code in the
URL's fragment:

  - When VENDORKIT_<VENDOR>_REDIRECT_URI is a loopback http URI (such as
    http://127.0.0.1:8765/callback, registered for the client), login
    listens on exactly that address (localhost: 127.0.0.1 and ::1) and
    path and serves a page whose script posts the fragment's code,
    appCode and state back to it. If it cannot (another process holds
    the port, and would get the code), login fails before opening
    anything.
  - Otherwise, paste the URL the browser ended on when asked.

The state is checked in constant time and the code exchanged at once
(codes live 5 minutes). No username or password is needed then: token
and do use the cached token, refreshing it (and persisting the rotated
refresh token) as it expires. --allow-missing-state accepts a redirect
without state, for a site that does not echo it (the docs' example shows
none); it gives up that protection against forged redirects.

For the other vendors, login gets a token with the configured
credentials (or finds a valid one in the cache) and caches it.

The whole command is bounded by --timeout (5m by default).`,
		Example: `  vendorkit login --vendor ioffice
  vendorkit login --vendor ioffice --no-browser
  vendorkit login --vendor bss`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tc, err := g.needCache("login keeps the token in the token cache")
			if err != nil {
				return err
			}
			v, c, err := g.openVendor(vendor, baseURL)
			if err != nil {
				return err
			}
			defer closeClient(cmd.Context(), c)
			bl, ok := c.(vendors.BrowserLogin)
			if !ok {
				if noBrowser || allowMissingState {
					return usagef("%s has no browser login; --no-browser and --allow-missing-state do not apply", v.Name)
				}
				var tok *auth.Token
				err := bounded(cmd.Context(), timeout, func(ctx context.Context) (err error) {
					tok, err = c.Token(ctx)
					return err
				})
				if err != nil {
					return err
				}
				how := "logged in with the configured credentials"
				if st := c.Source().Stats(); st.Fetches+st.Refreshes == 0 {
					how = "already logged in"
				}
				fmt.Fprintf(g.stdout, "%s: %s; token cached in %s (%s)\n", v.Name, how, termSafe(tc.where), tokenSummary(tok))
				return nil
			}
			var tok *auth.Token
			err = bounded(cmd.Context(), timeout, func(ctx context.Context) (err error) {
				tok, err = g.browserLogin(ctx, v.Name, bl, noBrowser, allowMissingState)
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "%s: signed in through the browser; token cached in %s (%s)\n", v.Name, termSafe(tc.where), tokenSummary(tok))
			return nil
		},
	}
	cmd.Flags().StringVar(&vendor, "vendor", "", "vendor: "+vendorNames())
	cmd.Flags().StringVar(&baseURL, "base-url", "", "override VENDORKIT_<VENDOR>_BASE_URL")
	cmd.Flags().BoolVar(&noBrowser, "no-browser", false, "print the login URL instead of opening a browser")
	cmd.Flags().BoolVar(&allowMissingState, "allow-missing-state", false, "accept a redirect without state (a site that does not echo it); weaker")
	addTimeout(cmd, &timeout, defaultLoginTimeout)
	return cmd
}

// browserLogin runs the browser flow: a random state, the login page in
// the browser (or its URL printed), the redirect caught on the loopback
// redirect URI or pasted, the code exchanged and the token saved to the
// cache (by Exchange).
func (g *globals) browserLogin(ctx context.Context, vendor string, bl vendors.BrowserLogin, noBrowser, allowMissingState bool) (*auth.Token, error) {
	state := rand.Text()
	loginURL, err := bl.AuthCodeURL(state)
	if err != nil {
		return nil, usageError{err}
	}
	var ct *catcher
	if u, ok := loopbackRedirect(bl.RedirectURI()); ok {
		// The browser goes to that address whoever listens there, and
		// the exchange needs only the code (no secret, no PKCE): no
		// listener of ours, no sign-in.
		ct, err = listenCatcher(u)
		if err != nil {
			return nil, catcherError(vendor, u, err)
		}
		defer ct.close()
	}
	if noBrowser {
		fmt.Fprintf(g.stderr, "Open this URL in a browser and sign in to %s:\n", vendor)
		fmt.Fprintln(g.stdout, loginURL)
	} else {
		fmt.Fprintf(g.stderr, "Opening the %s sign-in page in your browser. If it does not open, visit:\n  %s\n", vendor, loginURL)
		if err := browserOpener(loginURL); err != nil {
			g.warnf("could not open a browser: %v; open the URL above yourself", err)
		}
	}
	// Each redirect: the fields are checked (state first), the code
	// exchanged at once.
	finish := func(fragment string) (*auth.Token, error) {
		code, _, err := bl.ParseLoginRedirect(fragment, state, allowMissingState)
		if err != nil {
			return nil, loginError(err)
		}
		return bl.Exchange(ctx, code)
	}
	if ct == nil {
		return g.pastedLogin(ctx, finish)
	}
	fmt.Fprintf(g.stderr, "Waiting for the browser to come back to %s …\n", termSafe(bl.RedirectURI()))
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", errLoginAborted, context.Cause(ctx))
		case c := <-ct.caught:
			tok, err := finish(c.fragment)
			switch {
			case errors.Is(err, errForeignState):
				// Not this login's redirect (an old tab, or a forgery):
				// say so there and keep waiting for the real one.
				c.reply <- catchReply{msg: "This sign-in was not started by this 'vendorkit login' (state mismatch); ignored."}
				g.warnf("ignored a redirect whose state is not this login's")
				continue
			case err != nil:
				c.reply <- catchReply{msg: "Sign-in failed: " + errorLine(err)}
				return nil, err
			}
			c.reply <- catchReply{ok: true, msg: "Signed in to " + vendor + ". You can close this tab and go back to the terminal."}
			return tok, nil
		}
	}
}

// catcherError explains why login cannot listen on the loopback
// redirect URI u.
func catcherError(vendor string, u *url.URL, err error) error {
	env := "VENDORKIT_" + strings.ToUpper(vendor) + "_REDIRECT_URI"
	port := u.Port()
	if port == "" {
		port = "80"
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return usagef("the redirect URI's port %s (%s) is held by another process, which would receive the sign-in code; free it or use another redirect URI (%s)",
			port, termSafe(u.Host), env)
	}
	return usagef("cannot listen on the redirect URI's port %s (%s) to receive the sign-in code: %v; use another redirect URI (%s)",
		port, termSafe(u.Host), err, env)
}

// pastedLogin reads the URL the browser ended on from stdin.
func (g *globals) pastedLogin(ctx context.Context, finish func(string) (*auth.Token, error)) (*auth.Token, error) {
	fmt.Fprintln(g.stderr, "After signing in, paste the URL your browser ended on (the code is in its #fragment) and press Enter:")
	// A read error (EOF without a newline) leaves what was read: judged below.
	line, err := readBounded(ctx, func() ([]byte, error) {
		s, _ := bufio.NewReader(io.LimitReader(g.stdin, maxCatchBody)).ReadString('\n')
		return []byte(s), nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errLoginAborted, context.Cause(ctx))
	}
	if strings.TrimSpace(string(line)) == "" {
		return nil, usagef("no redirect URL on stdin")
	}
	tok, err := finish(string(line))
	if errors.Is(err, errForeignState) {
		return nil, usagef("the pasted redirect's state is not this login's (from another login?); run login again and paste the URL it leads to")
	}
	return tok, err
}

// errForeignState marks a redirect with another login's state.
var errForeignState = errors.New("state mismatch")

// loginError classifies what ParseLoginRedirect found: a state mismatch
// (errForeignState), a missing state (a usage hint), an error from the
// vendor (as it is), anything else a usage error.
func loginError(err error) error {
	var ae *auth.Error
	switch {
	case errors.As(err, &ae):
		return err
	case vendors.IsStateMismatch(err):
		return fmt.Errorf("%w: %w", errForeignState, err)
	case vendors.IsMissingState(err):
		return usagef("%v; if the site never echoes state, --allow-missing-state accepts that (weaker)", err)
	}
	return usageError{err}
}

// tokenSummary describes a token without revealing it.
func tokenSummary(t *auth.Token) string {
	s := "no expiry"
	if !t.Expiry.IsZero() {
		s = "expires " + relTime(t.Expiry)
	}
	if t.RefreshToken != "" {
		s += ", with refresh token"
	}
	return s
}
