package auth

// What only tests use: a token request in one call (the vendor flows use
// ReadTokenResponse and ParseTokenFields around their generated clients),
// the token a request carries, and a token-endpoint error built without a
// client's Secrets.

import (
	"io"
	"net/http"
	"net/url"
	"strings"
)

// responseError is (*Secrets).responseError with no client secrets.
func responseError(vendor string, op Op, status int, body []byte) *Error {
	return (*Secrets)(nil).responseError(vendor, op, status, body)
}

// doTokenRequest sends a token-endpoint request with client (typically
// NewHTTPClient with RefuseRedirects and MaxResponseBytes
// MaxTokenResponseBytes) and decodes the JSON object it returns; see
// ReadTokenResponse for the errors. Bodies quoted in errors are also
// scrubbed of every credential the request itself carries (form fields
// such as password, client_secret, refresh_token, code; Basic auth), so a
// server echoing the request back cannot leak it.
func doTokenRequest(client *http.Client, req *http.Request, vendor string, op Op, secrets ...string) (TokenFields, error) {
	sec := NewSecrets(append(secrets, requestSecrets(req)...)...)
	if u, p, ok := req.BasicAuth(); ok {
		sec = sec.WithBasic(u, p)
	}
	resp, err := client.Do(req)
	resp, body, err := ReadTokenResponse(vendor, op, resp, err, sec)
	if err != nil {
		return nil, err
	}
	return ParseTokenFields(vendor, op, resp.StatusCode, body, sec)
}

// requestSecrets collects the credentials a token request carries.
func requestSecrets(req *http.Request) []string {
	var out []string
	if u, p, ok := req.BasicAuth(); ok {
		out = append(out, u, p)
		// Basic credentials are often URL-encoded before base64 (RFC 6749 §2.3.1).
		if du, err := url.QueryUnescape(u); err == nil && du != u {
			out = append(out, du)
		}
		if dp, err := url.QueryUnescape(p); err == nil && dp != p {
			out = append(out, dp)
		}
	}
	if req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			b, _ := io.ReadAll(io.LimitReader(rc, 64<<10))
			rc.Close()
			if vals, err := url.ParseQuery(string(b)); err == nil {
				for k, vs := range vals {
					secret := credentialParams[strings.ToLower(k)]
					if !secret && k != "username" && k != "client_id" {
						continue
					}
					for _, v := range vs {
						// Identifiers are scrubbed only when long enough not
						// to blank out common words; secrets always.
						if v != "" && (secret || len(v) >= 4) {
							out = append(out, v, url.QueryEscape(v))
						}
					}
				}
			}
		}
	}
	return out
}

// from returns the token req carries at p ("" if none). The prefix is
// matched case-insensitively, so "bearer x" yields "x".
func (p Placement) from(req *http.Request) string {
	if p.Name == "" || req == nil {
		return ""
	}
	switch p.In {
	case InQuery:
		if req.URL == nil {
			return ""
		}
		return getQueryParam(req.URL.RawQuery, p.Name)
	default:
		v := req.Header.Get(p.Name)
		if p.Prefix != "" {
			if len(v) < len(p.Prefix) || !strings.EqualFold(v[:len(p.Prefix)], p.Prefix) {
				return ""
			}
			v = v[len(p.Prefix):]
		}
		return v
	}
}

// getQueryParam returns the first value of name in raw, unescaped.
func getQueryParam(raw, name string) string {
	for part := range strings.SplitSeq(raw, "&") {
		k, v, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil && uk == name {
			if uv, err := url.QueryUnescape(v); err == nil {
				return uv
			}
			return v
		}
	}
	return ""
}
