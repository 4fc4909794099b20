package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/vendorkit/vendorkit/auth"
)

func newLogoutCommand(g *globals) *cobra.Command {
	var vendor, baseURL string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "logout --vendor VENDOR",
		Short: "Revoke the cached token and remove it from the cache",
		Long: `logout revokes what the token cache holds for this identity (vendor, base
URL, client id or key, user) at the vendor's revoke endpoint — for
iOFFICE the access and the refresh token — and removes the entry. For a
vendor without a revoke endpoint it removes the entry and says so: the
token itself stays valid until it expires. If the revoke fails, the entry
is kept, so logout can be run again.`,
		Example: `  vendorkit logout --vendor ioffice
  vendorkit logout --vendor bss`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tc, err := g.needCache("logout acts on the token cache")
			if err != nil {
				return err
			}
			v, c, err := g.openVendor(vendor, baseURL)
			if err != nil {
				return err
			}
			defer closeClient(cmd.Context(), c)
			id := c.Source().Identity()
			var msg string
			err = bounded(cmd.Context(), timeout, func(ctx context.Context) error {
				stored, err := tc.store.Load(ctx, id)
				if errors.Is(err, auth.ErrBadStoredToken) {
					// Unusable: nothing to revoke; remove it.
					if _, err := tc.store.CompareAndSwap(ctx, id, nil, nil); err != nil {
						return err
					}
					msg = "removed an unreadable cache entry; nothing to revoke"
					return nil
				}
				if err != nil {
					return err
				}
				if stored == nil {
					msg = notLoggedIn
					return nil
				}
				if v.Revokes {
					what, err := revokeCached(ctx, tc, c)
					switch {
					case err != nil:
						return err
					case what == "":
						msg = notLoggedIn // removed meanwhile
					default:
						msg = "revoked the cached " + what + " and removed it from the cache"
					}
					return nil
				}
				if _, err := tc.store.CompareAndSwap(ctx, id, stored, nil); err != nil {
					return err
				}
				msg = "removed the cached token; " + v.Name + " documents no revoke endpoint, so the token stays valid " + untilExpiry(stored.Expiry)
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "%s: %s\n", v.Name, msg)
			return nil
		},
	}
	cmd.Flags().StringVar(&vendor, "vendor", "", "vendor: "+vendorNames())
	cmd.Flags().StringVar(&baseURL, "base-url", "", "override VENDORKIT_<VENDOR>_BASE_URL")
	addTimeout(cmd, &timeout, defaultTimeout)
	return cmd
}

const notLoggedIn = "not logged in: no cached token for this identity"

// untilExpiry says how long a token that cannot be revoked stays valid.
func untilExpiry(exp time.Time) string {
	if exp.IsZero() {
		return "until the vendor rejects it (it has no expiry)"
	}
	return "until it expires at " + exp.UTC().Format(time.RFC3339) + " (" + relTime(exp) + ")"
}

// relTime is "in 29m59s" or "3m0s ago", to the second.
func relTime(t time.Time) string {
	d := time.Until(t).Round(time.Second)
	if d < 0 {
		return (-d).String() + " ago"
	}
	return "in " + d.String()
}
