package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/vendorkit/vendorkit/auth"
)

func newTokenCommand(g *globals) *cobra.Command {
	var vendor, baseURL string
	var asJSON, showRefresh bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "token --vendor VENDOR",
		Short: "Print an access token for the vendor",
		Long: `token obtains an access token with the vendor's grant and prints it alone
on stdout, for scripts:

  curl -H "Authorization: Bearer $(vendorkit token --vendor bss)" ...

--json prints the token type and expiry too; the refresh token (iOFFICE)
is printed only with --show-refresh.`,
		Example: `  vendorkit token --vendor bss
  vendorkit token --vendor ioffice --json --show-refresh
  vendorkit token --vendor decisiv --base-url https://api.staging.decisiv.net`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, c, err := g.openVendor(vendor, baseURL)
			if err != nil {
				return err
			}
			defer closeClient(cmd.Context(), c)
			var tok *auth.Token
			err = bounded(cmd.Context(), timeout, func(ctx context.Context) (err error) {
				tok, err = c.Token(ctx)
				return err
			})
			if err != nil {
				return err
			}
			// The token source refuses such tokens; never write one to a
			// terminal or a script whatever happens upstream.
			if termSafe(tok.AccessToken) != tok.AccessToken || termSafe(tok.RefreshToken) != tok.RefreshToken {
				return fmt.Errorf("%w: the token holds a control character", auth.ErrMalformedResponse)
			}
			if !asJSON && !showRefresh {
				fmt.Fprintln(g.stdout, tok.AccessToken)
				return nil
			}
			out := struct {
				AccessToken  string     `json:"access_token"`
				TokenType    string     `json:"token_type"`
				Expiry       *time.Time `json:"expiry"` // null: valid until the server rejects it
				ExpiresIn    *int64     `json:"expires_in_seconds,omitempty"`
				RefreshToken string     `json:"refresh_token,omitempty"`
			}{AccessToken: tok.AccessToken, TokenType: tok.TokenType}
			if !tok.Expiry.IsZero() {
				e := tok.Expiry.UTC()
				secs := int64(time.Until(e).Seconds())
				out.Expiry, out.ExpiresIn = &e, &secs
			}
			if showRefresh {
				out.RefreshToken = tok.RefreshToken
			}
			enc := json.NewEncoder(g.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
	cmd.Flags().StringVar(&vendor, "vendor", "", "vendor: "+vendorNames())
	cmd.Flags().StringVar(&baseURL, "base-url", "", "override VENDORKIT_<VENDOR>_BASE_URL")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON with token type and expiry")
	cmd.Flags().BoolVar(&showRefresh, "show-refresh", false, "include the refresh token (implies --json)")
	addTimeout(cmd, &timeout, defaultTimeout)
	addNoCache(cmd, g)
	return cmd
}
