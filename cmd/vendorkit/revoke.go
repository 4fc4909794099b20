package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
)

// revokers names the vendors whose flow can revoke tokens.
func revokers() []string {
	return namesWhere(func(v client.Vendor) bool { return v.Revokes })
}

func newRevokeCommand(g *globals) *cobra.Command {
	var vendor, baseURL, token string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "revoke --vendor VENDOR [--token -]",
		Short: "Revoke the cached token, or one read from stdin (iOFFICE)",
		Long: `revoke revokes, through the vendor's revoke endpoint, the token the cache
holds for this identity (iOFFICE: POST /external/api/oauth2/revoke with
x-token, for the access and then the refresh token) and removes it from
the cache. Nothing is logged in for it: with nothing cached there is
nothing to revoke.

--token - revokes a token read from stdin instead, e.g. one printed
earlier by 'vendorkit token' (access or refresh token); the cache entry
is removed too if it holds that token. A token is never taken from the
command line, where shell history and ps would keep it.

With the cache off (--no-cache, VENDORKIT_TOKEN_STORE=off) revoke logs in
and revokes the token it got, for scripts that must not leave tokens
behind. A cache that is unusable (others can read or write it) is an
error: the token it holds stays valid until that is fixed. Vendors
without a revoke endpoint are a usage error; 'vendorkit logout' removes
their cached token.`,
		Example: `  vendorkit revoke --vendor ioffice
  vendorkit token --vendor ioffice > tok; vendorkit revoke --vendor ioffice --token - < tok`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if token != "" && token != "-" {
				return usagef("--token takes only -, to read the token from stdin (a token on the command line ends up in shell history and ps)")
			}
			// Before openVendor: the vendor's variables do not matter
			// when it has nothing to revoke with.
			v, err := findVendor(vendor)
			if err != nil {
				return err
			}
			if !v.Revokes {
				return usagef("%s documents no revoke endpoint (revoke works with: %s); 'vendorkit logout --vendor %s' removes its cached token",
					v.Name, strings.Join(revokers(), ", "), v.Name)
			}
			var tc *tokenCache
			if token == "" {
				// Before openVendor, which would go on without an
				// unusable cache: the token to revoke is in there.
				if tc, err = g.usableCache("revoke revokes the token in the token cache"); err != nil {
					return err
				}
			}
			_, c, err := g.openVendor(v.Name, baseURL)
			if err != nil {
				return err
			}
			defer closeClient(cmd.Context(), c)
			if token == "-" {
				r, ok := c.Source().Flow().(auth.Revoker)
				if !ok {
					return fmt.Errorf("%s: the vendor's descriptor says it revokes, its flow cannot", v.Name)
				}
				err = bounded(cmd.Context(), timeout, func(ctx context.Context) error {
					tok, err := readToken(ctx, g.stdin)
					if err != nil {
						return err
					}
					if err := r.Revoke(ctx, &auth.Token{AccessToken: tok}); err != nil {
						return err
					}
					g.forgetCached(ctx, c, tok)
					return nil
				})
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "%s: revoked the token read from stdin\n", v.Name)
				return nil
			}
			if tc == nil {
				err = bounded(cmd.Context(), timeout, func(ctx context.Context) error {
					if _, err := c.Token(ctx); err != nil {
						return err
					}
					return c.Source().Revoke(ctx)
				})
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "%s: logged in and revoked the token (no token cache)\n", v.Name)
				return nil
			}
			var what string
			err = bounded(cmd.Context(), timeout, func(ctx context.Context) (err error) {
				what, err = revokeCached(ctx, tc, c)
				return err
			})
			if err != nil {
				return err
			}
			if what == "" {
				fmt.Fprintf(g.stdout, "%s: no cached token for this identity; nothing revoked\n", v.Name)
				return nil
			}
			fmt.Fprintf(g.stdout, "%s: revoked the cached %s and removed it from the cache\n", v.Name, what)
			return nil
		},
	}
	cmd.Flags().StringVar(&vendor, "vendor", "", "vendor (one with a revoke endpoint: "+strings.Join(revokers(), ", ")+")")
	cmd.Flags().StringVar(&baseURL, "base-url", "", "override VENDORKIT_<VENDOR>_BASE_URL")
	cmd.Flags().StringVar(&token, "token", "", "- : revoke the token read from stdin instead of the cached one")
	addTimeout(cmd, &timeout, defaultTimeout)
	addNoCache(cmd, g)
	return cmd
}

// maxTokenInput bounds what --token - reads.
const maxTokenInput = 64 << 10

// readToken reads one token from r, bounded by ctx: surrounding white
// space trimmed, nothing else on the line. Errors never quote the input.
func readToken(ctx context.Context, r io.Reader) (string, error) {
	b, err := readBounded(ctx, readLimited(r, maxTokenInput))
	if err != nil && ctx.Err() != nil {
		return "", fmt.Errorf("--token -: %w", err)
	}
	if err != nil {
		return "", usagef("--token -: reading stdin: %v", err)
	}
	if len(b) > maxTokenInput {
		return "", usagef("--token -: stdin holds more than %d bytes; want one token", maxTokenInput)
	}
	tok := strings.TrimSpace(string(b))
	switch {
	case tok == "":
		return "", usagef("--token -: stdin is empty; want one token")
	case strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "", usagef("--token -: stdin holds more than one word or a control character; want one token")
	}
	return tok, nil
}

// cachedToken is what the cache holds for c's identity: nil when nothing,
// or an entry that cannot be used (corrupt, another format), is there.
func cachedToken(ctx context.Context, tc *tokenCache, c vendorClient) (*auth.Token, error) {
	t, err := tc.store.Load(ctx, c.Source().Identity())
	if errors.Is(err, auth.ErrBadStoredToken) {
		return nil, nil
	}
	return t, err
}

// revokeCached revokes the token the cache holds for c's identity (the
// access and the refresh token) and removes the entry, and says what it
// revoked: "" when the cache holds nothing usable. On error the entry is
// kept.
func revokeCached(ctx context.Context, tc *tokenCache, c vendorClient) (string, error) {
	stored, err := cachedToken(ctx, tc, c)
	if err != nil || stored == nil {
		return "", err
	}
	if err := c.Source().Revoke(ctx); err != nil {
		return "", err
	}
	return tokenKinds(stored), nil
}

// forgetCached removes the cache entry of c's identity if it holds tok,
// as access or refresh token: a revoked token is no use to later runs.
// Best effort: the token is revoked whatever happens here.
func (g *globals) forgetCached(ctx context.Context, c vendorClient, tok string) {
	tc, err := g.cache()
	if err != nil || tc == nil {
		return
	}
	stored, err := cachedToken(ctx, tc, c)
	if err != nil || stored == nil || (stored.AccessToken != tok && stored.RefreshToken != tok) {
		return
	}
	if _, err := tc.store.CompareAndSwap(ctx, c.Source().Identity(), stored, nil); err != nil {
		g.warnf("the token is revoked, but its cache entry could not be removed: %s", auth.SafeErrorString(err))
	}
}

// tokenKinds says what t holds: "access token", or "access and refresh token".
func tokenKinds(t *auth.Token) string {
	if t.RefreshToken != "" {
		return "access and refresh token"
	}
	return "access token"
}
