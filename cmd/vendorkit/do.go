package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vendorkit/vendorkit/auth"
)

// maxErrorBody is how much of an error response `do` quotes on stderr.
const maxErrorBody = 4 << 10

func newDoCommand(g *globals) *cobra.Command {
	var vendor, baseURL, data string
	var headers []string
	cmd := &cobra.Command{
		Use:   "do --vendor VENDOR METHOD PATH",
		Short: "Send an authenticated request through the full client stack",
		Long: `do sends METHOD PATH through the vendor's full client stack: token cache,
token placement, static headers (BSS: Accept, X-Api-Version), one re-auth
on 401, and safe retries. PATH is relative to the base URL (BSS: after
/bsssmapi). The response body goes to stdout. A status >= 400 exits 1 with
the status and the body, secrets scrubbed, on stderr.`,
		Example: `  vendorkit do --vendor bss GET /api/accounts/1
  vendorkit do --vendor ioffice GET /external/api/rest/v2/users/me
  vendorkit do --vendor blueprint GET /pages -H 'X-Requested-With: XMLHttpRequest'
  vendorkit do --vendor bss POST /api/accounts --data @account.json -H 'Content-Type: application/json'
  echo '{}' | vendorkit do --vendor bss PUT /api/accounts/1 --data -`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef("do takes METHOD and PATH, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			method, path := strings.ToUpper(args[0]), args[1]
			body, err := readData(data, g.stdin)
			if err != nil {
				return err
			}
			v, c, lookup, err := g.openVendor(vendor, baseURL)
			if err != nil {
				return err
			}
			defer c.Close()
			if !strings.HasPrefix(path, "/") {
				path = "/" + path
			}
			ctx := cmd.Context()
			var rd io.Reader
			if body != nil {
				rd = bytes.NewReader(body)
			}
			// A relative URL: the client resolves it under its BaseURL and
			// refuses to send its token anywhere else.
			req, err := http.NewRequestWithContext(ctx, method, path, rd)
			if err != nil {
				return usagef("bad request: %v", err)
			}
			for _, h := range headers {
				name, value, ok := strings.Cut(h, ":")
				if !ok || strings.TrimSpace(name) == "" {
					return usagef("-H %q: want 'Name: value'", h)
				}
				req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
			}
			resp, err := c.Do(ctx, req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if g.verbose {
				st := c.Source().Stats()
				fmt.Fprintf(g.stderr, "* token requests: %d grant, %d refresh\n", st.Fetches, st.Refreshes)
			}
			if resp.StatusCode >= 400 {
				excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
				fmt.Fprintf(g.stderr, "vendorkit: %s %s: HTTP %s\n", method, path, resp.Status)
				if len(excerpt) > 0 {
					fmt.Fprintln(g.stderr, auth.Scrub(string(excerpt), envSecrets(v.name, lookup)...))
				}
				return httpError{status: resp.StatusCode}
			}
			_, err = io.Copy(g.stdout, resp.Body)
			return err
		},
	}
	cmd.Flags().StringVar(&vendor, "vendor", "", "vendor: "+vendorNames())
	cmd.Flags().StringVar(&baseURL, "base-url", "", "override VENDORKIT_<VENDOR>_BASE_URL")
	cmd.Flags().StringVarP(&data, "data", "d", "", "request body: @FILE, - for stdin, or the literal body")
	cmd.Flags().StringArrayVarP(&headers, "header", "H", nil, "extra request header 'Name: value' (repeatable)")
	return cmd
}

// readData resolves --data: "" no body, "-" stdin, "@file" a file, else
// the literal value.
func readData(data string, stdin io.Reader) ([]byte, error) {
	switch {
	case data == "":
		return nil, nil
	case data == "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, usagef("--data -: reading stdin: %v", err)
		}
		return b, nil
	case strings.HasPrefix(data, "@"):
		b, err := os.ReadFile(data[1:])
		if err != nil {
			return nil, usagef("--data %s: %v", data, err)
		}
		return b, nil
	}
	return []byte(data), nil
}

// envSecrets returns the configured secrets of a vendor, for scrubbing
// anything quoted back from the server.
func envSecrets(vendor string, lookup lookupFunc) []string {
	var out []string
	prefix := "VENDORKIT_" + strings.ToUpper(vendor) + "_"
	for _, f := range []string{"PASSWORD", "CLIENT_SECRET", "CONSUMER_SECRET", "CLIENT_KEY", "CONSUMER_KEY"} {
		if v, ok := lookup(prefix + f); ok && v != "" {
			out = append(out, v)
		}
	}
	return out
}
