package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/vendorkit/vendorkit/auth"
)

// maxErrorBody is how much of an error response `do` quotes on stderr.
const maxErrorBody = 4 << 10

func newDoCommand(g *globals) *cobra.Command {
	var vendor, baseURL, data string
	var headers []string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "do --vendor VENDOR METHOD PATH",
		Short: "Send an authenticated request through the full client stack",
		Long: `do sends METHOD PATH through the vendor's full client stack: token cache,
token placement, static headers (BSS: Accept, X-Api-Version; Blueprint:
X-Requested-With), one re-auth
on 401, and safe retries. PATH is relative to the base URL (BSS: after
/bsssmapi). The response body goes to stdout (terminal escape sequences
removed when stdout is a terminal; exact bytes when it is a file or a
pipe). A status >= 400 exits 1 with the status and the body, secrets
scrubbed, on stderr. --timeout bounds the whole command.`,
		Example: `  vendorkit do --vendor bss GET /api/accounts/1
  vendorkit do --vendor ioffice GET /external/api/rest/v2/users/me
  vendorkit do --vendor blueprint GET /pages
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
			if err := httpMethod(args[0]); err != nil {
				return err
			}
			if err := relativePath(path); err != nil {
				return err
			}
			v, c, err := g.openVendor(vendor, baseURL)
			if err != nil {
				return err
			}
			defer closeClient(cmd.Context(), c)
			if !strings.HasPrefix(path, "/") {
				path = "/" + path
			}
			return bounded(cmd.Context(), timeout, func(ctx context.Context) error {
				body, err := readData(ctx, data, g.stdin)
				if err != nil {
					return err
				}
				return g.do(ctx, c, v.Placement, method, path, body, headers)
			})
		},
	}
	cmd.Flags().StringVar(&vendor, "vendor", "", "vendor: "+vendorNames())
	cmd.Flags().StringVar(&baseURL, "base-url", "", "override VENDORKIT_<VENDOR>_BASE_URL")
	cmd.Flags().StringVarP(&data, "data", "d", "", "request body: @FILE, - for stdin (up to 32 MiB), or the literal body")
	cmd.Flags().StringArrayVarP(&headers, "header", "H", nil, "extra request header 'Name: value' (repeatable)")
	addTimeout(cmd, &timeout, defaultTimeout)
	addNoCache(cmd, g)
	return cmd
}

// do sends one request and copies the answer: the body to stdout (escape
// sequences removed when stdout is a terminal), or for a status >= 400 the
// status and a scrubbed excerpt of the body to stderr.
func (g *globals) do(ctx context.Context, c vendorClient, placement auth.Placement, method, path string, body []byte, headers []string) error {
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
	for i, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			// Not quoted: it may be a credential.
			return usagef("-H #%d: want 'Name: value'", i+1)
		}
		if err := ownHeader(name, placement); err != nil {
			return err
		}
		req.Header.Add(name, strings.TrimSpace(value))
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
		own := usersCredentials(req)
		// The reason phrase is server text, like the body.
		fmt.Fprintf(g.stderr, "vendorkit: %s %s: HTTP %s\n", method, termSafe(auth.RedactURL(req.URL)), own.Scrub(c.Scrub(termSafe(resp.Status))))
		if excerpt := g.errorExcerpt(c, own, resp.Body); excerpt != "" {
			fmt.Fprintln(g.stderr, excerpt)
		}
		return httpError{status: resp.StatusCode}
	}
	if isTerminal(g.stdout) {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		_, err = io.WriteString(g.stdout, termSafe(string(b)))
		return err
	}
	_, err = io.Copy(g.stdout, resp.Body)
	return err
}

// relativePath refuses a PATH that is an absolute URL (or names a host):
// the token goes only to the base URL's origin, so such a request could
// never be sent as asked. The URL is not quoted: it may hold a password.
//
// It also refuses a PATH that cannot be sent as typed: a control character
// (C0, DEL, C1), bytes that are not UTF-8, a space in the query (net/http
// writes a query raw into the request line, so it would split it), a bad
// %-escape. It is not quoted either.
func relativePath(path string) error {
	switch {
	case !utf8.ValidString(path):
		return usagef("PATH is not UTF-8; percent-encode its bytes (%%FF)")
	case strings.ContainsFunc(path, isControl):
		return usagef("PATH holds a control character; percent-encode it (%%0A for a newline)")
	}
	if _, query, ok := strings.Cut(path, "?"); ok && strings.Contains(query, " ") {
		return usagef("PATH's query holds a space; percent-encode it (%%20 or +)")
	}
	u, err := url.Parse(path)
	if err != nil {
		return usagef("PATH is not a valid URL path (a %% not followed by two hex digits?)")
	}
	if u.Scheme == "" && u.Host == "" && !strings.HasPrefix(path, "//") {
		return nil
	}
	return usagef("PATH must be a path under the base URL, such as /api/accounts/1, not an absolute URL; --base-url chooses the host")
}

// isControl: C0, DEL and C1 control characters.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) }

// httpMethod refuses a METHOD that is not an HTTP token (RFC 9110 §5.6.2),
// the empty one included (net/http would send GET), before anything is
// read or sent. It is quoted with Go escapes, never raw.
func httpMethod(m string) error {
	ok := m != ""
	for i := 0; i < len(m) && ok; i++ {
		c := m[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
	}
	if !ok {
		return usagef("METHOD %q is not an HTTP method (GET, POST, PUT, PATCH, DELETE...)", m)
	}
	return nil
}

// ownHeader refuses a -H that would carry a credential the client sets
// itself: Authorization, and the header the vendor's token goes in
// (iOFFICE's x-access-token). The client would replace it with its own
// token, so the request would not be what was asked.
func ownHeader(name string, p auth.Placement) error {
	switch {
	case strings.EqualFold(name, "Authorization"):
	case p.In == auth.InHeader && strings.EqualFold(name, p.Name):
	default:
		return nil
	}
	return usagef("-H %s: vendorkit sets the credential itself, from the token it holds for the configured account; choose the account with the VENDORKIT_<VENDOR>_* variables (for a raw request with a token of your own, use curl with $(vendorkit token ...))", name)
}

// usersCredentials knows what the user put in req that is a credential
// by its name: values of credential-named query parameters and -H
// headers (an API key of their own, say). A server may echo them too.
func usersCredentials(req *http.Request) *auth.Secrets {
	var values []string
	for name, vs := range req.URL.Query() {
		if auth.IsCredentialName(name) {
			values = append(values, vs...)
		}
	}
	for name, vs := range req.Header {
		if auth.IsCredentialName(name) {
			values = append(values, vs...)
		}
	}
	return auth.NewSecrets(values...)
}

// errorExcerpt reads an error body and returns at most maxErrorBody bytes
// of it: terminal escapes removed, then scrubbed of the client's
// credentials and tokens and of the user's own (usersCredentials), over a
// read long enough that no secret straddles the cut; cut after. (Escapes
// go first: one inside an echoed secret would hide it from the scrubber.)
func (g *globals) errorExcerpt(c vendorClient, own *auth.Secrets, body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, 2*maxErrorBody))
	s := own.Scrub(c.Scrub(termSafe(string(b))))
	if len(s) > maxErrorBody {
		cut := maxErrorBody
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.TrimRight(s, "\n")
}

// readData resolves --data: "" no body, "-" stdin, "@file" a file, else
// the literal value. Reading stdin or the file is bounded by ctx (a pipe
// nobody closes, a FIFO) and by maxDataBody (/dev/zero).
func readData(ctx context.Context, data string, stdin io.Reader) ([]byte, error) {
	var read func() ([]byte, error)
	switch {
	case data == "":
		return nil, nil
	case data == "-":
		read = readLimited(stdin, maxDataBody)
	case strings.HasPrefix(data, "@"):
		read = func() ([]byte, error) {
			f, err := os.Open(data[1:])
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return readLimited(f, maxDataBody)()
		}
	default:
		return []byte(data), nil
	}
	b, err := readBounded(ctx, read)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("--data %s: %w", termSafe(data), err)
	case err != nil:
		return nil, usagef("--data %s: %v", termSafe(data), err)
	case len(b) > maxDataBody:
		return nil, usagef("--data %s: more than %d MiB; vendorkit do sends bodies up to that size", termSafe(data), maxDataBody>>20)
	}
	return b, nil
}
