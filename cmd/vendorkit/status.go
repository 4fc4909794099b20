package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vendorkit/vendorkit/auth"
)

func newStatusCommand(g *globals) *cobra.Command {
	var vendor string
	var asJSON bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List the identities the token cache holds tokens for (never a token)",
		Long: `status says where the token cache is and lists its entries: vendor, user,
base URL, when the access token expires and whether there is a refresh
token. It never prints a token, and it makes no request to a vendor.

The cache is a directory ($` + envCacheDir + `, else the user cache
directory's vendorkit/), or Redis when ` + envTokenStore + ` is a redis://
URL. Tokens are stored in clear unless ` + envTokenStoreKey + ` holds 32
random bytes in base64 (head -c 32 /dev/urandom | base64): then they are
sealed with AES-256-GCM.`,
		Example: `  vendorkit status
  vendorkit status --vendor ioffice --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if vendor != "" {
				v, err := findVendor(vendor)
				if err != nil {
					return err
				}
				vendor = v.Name
			}
			tc, err := g.cache()
			if err != nil {
				return err
			}
			if tc == nil {
				state := "off"
				if g.cacheUnusable != "" {
					state = "unusable"
				}
				if asJSON {
					return printStatusJSON(g, state, g.cacheUnusable, nil)
				}
				if g.cacheUnusable != "" {
					state += ": " + termSafe(g.cacheUnusable)
				}
				fmt.Fprintln(g.stdout, "token cache:", state)
				return nil
			}
			lister, ok := tc.store.(auth.Lister)
			if !ok {
				return fmt.Errorf("the token cache at %s cannot list its entries", tc.where)
			}
			var entries []auth.StoredEntry
			err = bounded(cmd.Context(), timeout, func(ctx context.Context) (err error) {
				entries, err = lister.List(ctx)
				return err
			})
			if err != nil {
				return err
			}
			entries = slices.DeleteFunc(entries, func(e auth.StoredEntry) bool {
				return vendor != "" && e.Identity.Vendor != vendor
			})
			slices.SortFunc(entries, func(a, b auth.StoredEntry) int {
				return cmp.Or(cmp.Compare(a.Identity.Vendor, b.Identity.Vendor),
					cmp.Compare(a.Identity.User, b.Identity.User), cmp.Compare(a.Identity.BaseURL, b.Identity.BaseURL),
					cmp.Compare(a.Key, b.Key))
			})
			if asJSON {
				return printStatusJSON(g, tc.where, "", entries)
			}
			fmt.Fprintf(g.stdout, "token cache: %s (%s)\n", termSafe(tc.where), plural(len(entries), "entry", "entries"))
			if len(entries) == 0 {
				return nil
			}
			var table strings.Builder
			tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "VENDOR\tUSER\tBASE URL\tEXPIRES\tREFRESH TOKEN")
			for _, e := range entries {
				if e.Err != nil {
					fmt.Fprintf(tw, "%s\t%s\t%s\tunreadable: %s\t-\n", dash(e.Identity.Vendor), dash(e.Identity.User),
						dash(e.Identity.BaseURL), strings.TrimPrefix(e.Err.Error(), auth.ErrBadStoredToken.Error()+": "))
					continue
				}
				refresh := "no"
				if e.HasRefresh {
					refresh = "yes"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Identity.Vendor, dash(e.Identity.User), e.Identity.BaseURL, expiryText(e.Expiry), refresh)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			// Entries hold what their writer put there: no terminal
			// escapes from them.
			_, err = fmt.Fprint(g.stdout, termSafe(table.String()))
			return err
		},
	}
	cmd.Flags().StringVar(&vendor, "vendor", "", "list only this vendor's entries")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	addTimeout(cmd, &timeout, defaultTimeout)
	addNoCache(cmd, g)
	return cmd
}

// printStatusJSON prints the cache (where it is, or off or unusable),
// why it is unusable, and its entries.
func printStatusJSON(g *globals, cache, unusable string, entries []auth.StoredEntry) error {
	type jsonEntry struct {
		Vendor     string     `json:"vendor"`
		User       string     `json:"user"`
		BaseURL    string     `json:"base_url"`
		Expiry     *time.Time `json:"expiry"` // null: no expiry
		HasRefresh bool       `json:"has_refresh_token"`
		Updated    *time.Time `json:"updated,omitempty"`
		Encrypted  bool       `json:"encrypted"`
		Error      string     `json:"error,omitempty"`
	}
	out := struct {
		Cache    string      `json:"cache"`
		Unusable string      `json:"unusable,omitempty"`
		Entries  []jsonEntry `json:"entries"`
	}{Cache: cache, Unusable: unusable, Entries: []jsonEntry{}}
	for _, e := range entries {
		je := jsonEntry{Vendor: e.Identity.Vendor, User: e.Identity.User, BaseURL: e.Identity.BaseURL,
			HasRefresh: e.HasRefresh, Encrypted: e.Encrypted}
		if !e.Expiry.IsZero() {
			t := e.Expiry.UTC()
			je.Expiry = &t
		}
		if !e.Updated.IsZero() {
			t := e.Updated.UTC()
			je.Updated = &t
		}
		if e.Err != nil {
			je.Error = e.Err.Error()
		}
		out.Entries = append(out.Entries, je)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(g.stdout, string(b))
	return err
}

// expiryText: "in 59m58s (2026-11-25T14:03:00Z)", "expired 3m0s ago", or
// "no expiry".
func expiryText(t time.Time) string {
	if t.IsZero() {
		return "no expiry"
	}
	if time.Until(t) <= 0 {
		return "expired " + relTime(t)
	}
	return relTime(t) + " (" + t.UTC().Format(time.RFC3339) + ")"
}
