package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/vendorkit/vendorkit/client/vendors"
)

func newRevokeCommand(g *globals) *cobra.Command {
	var vendor, baseURL string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "revoke --vendor ioffice",
		Short: "Log in and revoke the token at once (iOFFICE)",
		Long: `revoke logs in with the configured credentials and revokes the token it
got, through the vendor's revoke endpoint (iOFFICE: POST
/external/api/oauth2/revoke with x-token). For scripts that must not leave
tokens behind. Vendors without a revoke endpoint are a usage error.`,
		Example: `  vendorkit revoke --vendor ioffice`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, c, _, err := g.openVendor(vendor, baseURL)
			if err != nil {
				return err
			}
			defer c.Close()
			if !v.Revokes {
				return usagef("%s documents no revoke endpoint; revoke works with: %s", v.Name, strings.Join(revokers(), ", "))
			}
			err = bounded(cmd.Context(), timeout, func(ctx context.Context) error {
				if _, err := c.Token(ctx); err != nil {
					return err
				}
				return c.Source().Revoke(ctx)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "%s: logged in and revoked the token\n", v.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&vendor, "vendor", "", "vendor (only ioffice has a revoke endpoint)")
	cmd.Flags().StringVar(&baseURL, "base-url", "", "override VENDORKIT_<VENDOR>_BASE_URL")
	addTimeout(cmd, &timeout, defaultTimeout)
	return cmd
}

// revokers names the vendors whose flow can revoke tokens.
func revokers() []string {
	var out []string
	for _, v := range vendors.All() {
		if v.Revokes {
			out = append(out, v.Name)
		}
	}
	return out
}
