package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

// revoker is a vendor client whose flow can revoke tokens (iOFFICE).
type revoker interface {
	Revoke(ctx context.Context) error
}

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
			r, ok := c.(revoker)
			if !ok {
				return usagef("%s documents no revoke endpoint; revoke works with: ioffice", v.name)
			}
			err = bounded(cmd.Context(), timeout, func(ctx context.Context) error {
				if _, err := c.Token(ctx); err != nil {
					return err
				}
				return r.Revoke(ctx)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "%s: logged in and revoked the token\n", v.name)
			return nil
		},
	}
	cmd.Flags().StringVar(&vendor, "vendor", "", "vendor (only ioffice has a revoke endpoint)")
	cmd.Flags().StringVar(&baseURL, "base-url", "", "override VENDORKIT_<VENDOR>_BASE_URL")
	addTimeout(cmd, &timeout, defaultTimeout)
	return cmd
}
