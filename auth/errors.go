package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinels for errors.Is. *Error maps HTTP statuses and OAuth codes onto
// them (see Error.Is); flows may also wrap them directly.
var (
	ErrInvalidCredentials       = errors.New("vendorkit: invalid credentials")
	ErrInvalidGrant             = errors.New("vendorkit: grant rejected (refresh token or code no longer valid)")
	ErrReloginRequired          = errors.New("vendorkit: re-login required")
	ErrTokenEndpointUnavailable = errors.New("vendorkit: token endpoint unavailable")
	ErrUnauthorized             = errors.New("vendorkit: request unauthorized after re-authentication")
	ErrInsecureTransport        = errors.New("vendorkit: refusing to send credentials over plain http")
	ErrResponseTooLarge         = errors.New("vendorkit: response too large")
	ErrMalformedResponse        = errors.New("vendorkit: malformed token response")
	ErrNotSupported             = errors.New("vendorkit: not supported by this flow")
	// ErrClosed is returned by a Source after Close when it would have to
	// fetch a token, and by Put and Revoke after Close.
	ErrClosed = errors.New("vendorkit: token source closed")
	// ErrUnexpectedRedirect: a token, authorization or revoke endpoint
	// answered with a redirect, or a resource with one to another origin
	// whose URL holds a credential. Those are never followed; the error
	// names the status and the Location's origin, never its path or query.
	ErrUnexpectedRedirect = errors.New("vendorkit: unexpected redirect")
)

// Op says what an *Error's request was for.
type Op string

// The operations an *Error names.
const (
	OpToken     Op = "token"     // the primary grant (a login)
	OpExchange  Op = "exchange"  // an authorization code traded for tokens
	OpRefresh   Op = "refresh"   // a refresh token redeemed
	OpRevoke    Op = "revoke"    // a token revoked
	OpAuthorize Op = "authorize" // the browser's redirect back from a login page
	OpRequest   Op = "request"   // a resource request
)

// maxBodyExcerpt bounds Error.Body.
const maxBodyExcerpt = 256

// Error is the typed error of this package and of vendor flows. Its Error
// string never contains secrets: Description and Body are scrubbed, Body is
// truncated, and Body is printed only for non-2xx statuses.
type Error struct {
	Vendor      string
	Op          Op
	StatusCode  int    // 0 when no HTTP response
	Code        string // OAuth "error", e.g. "invalid_grant"
	Description string // OAuth "error_description", scrubbed
	Retryable   bool
	// RetryAfter is the delay the server asked for (Retry-After), when it
	// named one.
	RetryAfter time.Duration
	Body       string // scrubbed, then truncated (≤ 256 bytes) excerpt, for diagnostics
	Err        error  // cause / sentinel
}

// Error implements error. No secrets ever: fields are scrubbed when built
// by this package, and the cause's text is scrubbed again here.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("vendorkit: ")
	if e.Vendor != "" {
		b.WriteString(e.Vendor)
		b.WriteString(" ")
	}
	if e.Op != "" {
		b.WriteString(string(e.Op))
	} else {
		b.WriteString("auth")
	}
	if e.StatusCode != 0 {
		b.WriteString(": HTTP ")
		b.WriteString(strconv.Itoa(e.StatusCode))
	}
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(Scrub(e.Code))
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(Scrub(e.Description))
	}
	if e.RetryAfter > 0 {
		b.WriteString(": server asks to retry after ")
		b.WriteString(e.RetryAfter.String())
	}
	if e.Code == "" && e.Body != "" && (e.StatusCode < 200 || e.StatusCode > 299) {
		b.WriteString(": body ")
		b.WriteString(strconv.Quote(Scrub(e.Body)))
	}
	if e.Err != nil {
		b.WriteString(": ")
		// The sentinels say "vendorkit: " too; say it once.
		b.WriteString(strings.TrimPrefix(SafeErrorString(e.Err), "vendorkit: "))
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Format prints Error() under every verb (%q quotes it), so that %+v and
// %#v cannot reach the fields of a cause that holds a URL or a body.
func (e *Error) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		_, _ = io.WriteString(f, strconv.Quote(e.Error()))
	default:
		_, _ = io.WriteString(f, e.Error())
	}
}

// GoString is the redacted Error text too (%#v).
func (e *Error) GoString() string { return e.Error() }

// asError returns err as an *Error of vendor and op. An *Error already in
// err's chain (for example under net/http's *url.Error) is copied with op
// set, and vendor when it had none, instead of being nested in a second
// one; any other error becomes the cause of a new *Error whose Retryable is
// retryable. A nil err gives nil.
func asError(vendor string, op Op, err error, retryable bool) *Error {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		c := *ae
		if c.Vendor == "" {
			c.Vendor = vendor
		}
		c.Op = op
		return &c
	}
	return &Error{Vendor: vendor, Op: op, Retryable: retryable, Err: redactError(err)}
}

// Is maps the error onto the sentinels:
//
//   - op "token" with 400 invalid_grant/invalid_client/unauthorized_client,
//     any invalid_client, or 401 → ErrInvalidCredentials; op "exchange"
//     (an authorization code traded for tokens) only with invalid_client,
//     unauthorized_client or 401: there invalid_grant is the code's fault;
//   - op "refresh" or "exchange" with invalid_grant → ErrInvalidGrant (a
//     dead refresh token, an expired or used code);
//   - op "token"/"exchange"/"refresh"/"revoke" with 429, 5xx, or no
//     response and Retryable → ErrTokenEndpointUnavailable.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrInvalidCredentials:
		clientFault := e.StatusCode == http.StatusUnauthorized || e.Code == "invalid_client" ||
			e.StatusCode == http.StatusBadRequest && e.Code == "unauthorized_client"
		switch e.Op {
		case OpToken:
			return clientFault || e.StatusCode == http.StatusBadRequest && e.Code == "invalid_grant"
		case OpExchange:
			return clientFault
		}
		return false
	case ErrInvalidGrant:
		return (e.Op == OpRefresh || e.Op == OpExchange) && e.Code == "invalid_grant"
	case ErrTokenEndpointUnavailable:
		if !isTokenOp(e.Op) {
			return false
		}
		return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500 ||
			(e.StatusCode == 0 && e.Retryable)
	}
	return false
}

func isTokenOp(op Op) bool {
	return op == OpToken || op == OpExchange || op == OpRefresh || op == OpRevoke
}

// responseError builds an *Error from a token-endpoint HTTP failure. It
// parses an OAuth JSON error body ({"error","error_description"}) when
// present, and scrubs the body of the secrets s knows (a nil s: of the
// well-known shapes only), then truncates it. Retryable is set for 429 and
// 5xx. It never panics, whatever the body.
func (s *Secrets) responseError(vendor string, op Op, status int, body []byte) *Error {
	e := &Error{
		Vendor:     vendor,
		Op:         op,
		StatusCode: status,
		Retryable:  status == http.StatusTooManyRequests || status >= 500,
	}
	var oe struct {
		Error            any `json:"error"`
		ErrorDescription any `json:"error_description"`
	}
	if len(body) > 0 && json.Unmarshal(body, &oe) == nil {
		if v, ok := oe.Error.(string); ok {
			e.Code = s.Excerpt(v, 64)
		}
		if v, ok := oe.ErrorDescription.(string); ok {
			e.Description = s.Excerpt(v, maxBodyExcerpt)
		}
	}
	if status < 200 || status > 299 {
		// Pre-cut far beyond the excerpt so scrubbing stays cheap on huge
		// bodies; a secret split by this cut lies past the excerpt.
		if len(body) > 64<<10 {
			body = body[:64<<10]
		}
		e.Body = s.Excerpt(string(body), maxBodyExcerpt)
	}
	return e
}

// truncate cuts s to at most n bytes on a UTF-8 boundary, after replacing
// control characters (log injection) and invalid UTF-8.
func truncate(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

const redacted = "REDACTED"

// credentialKeys are names whose values are secrets, in JSON bodies, form
// bodies, query strings, XML elements and header dumps (matched without
// regard to case, so "accessToken" is access token too).
const credentialKeys = `access_token|refresh_token|id_token|client_secret|client_assertion|assertion|password|passwd|` +
	`accesstoken|refreshtoken|idtoken|clientsecret|` +
	`x-access-token|access-token|x-auth-password|x-refresh-token|x-token|x-auth-code|` +
	`api_key|apikey|api-key|token|code|secret|session|sessionid|authorization|proxy-authorization`

var (
	// "access_token": "value", also inside a JSON string (\"access_token\":\"value\")
	scrubJSON = regexp.MustCompile(`(?i)(\\?"(?:` + credentialKeys + `)\\?"\s*:\s*\\?")(?:[^"\\]|\\.)*"`)
	// <token>value</token> (XML token responses echoed back)
	scrubXML = regexp.MustCompile(`(?i)(<(?:` + credentialKeys + `)>)[^<]*(</)`)
	// access_token=value, authorization=Basic value (forms, queries, k=v logs)
	scrubForm = regexp.MustCompile(`(?i)\b((?:` + credentialKeys + `)=)(?:(?:bearer|basic)(?:\s|\+|%20)+)?[^&\s"',;]+`)
	// X-Access-Token: value / Authorization: Basic value (header dumps: at
	// the start of a line, so prose such as "bss token: HTTP 400" is left alone)
	scrubHeader = regexp.MustCompile(`(?im)^([ \t]*(?:` + credentialKeys + `):[ \t]*)[^\s"',;]+(?:[ \t]+[^\s"',;]+)?`)
	// Bearer xxx, Basic xxx
	scrubScheme = regexp.MustCompile(`(?i)\b(bearer|basic)(\s+)[A-Za-z0-9\-._~+/]+=*`)
)

// Scrub replaces the given secrets, in every encoding Secrets knows, and
// the well-known token shapes (Bearer xxx, access_token=…,
// "access_token":"…", accessToken, <token>…</token>, x-auth-password: …,
// Basic xxx, password=…) with "REDACTED". A client that scrubs often
// builds a Secrets once instead.
func Scrub(s string, secrets ...string) string {
	if len(secrets) == 0 {
		return scrubShapes(s)
	}
	return NewSecrets(secrets...).Scrub(s)
}

// scrubShapes removes the well-known credential shapes.
func scrubShapes(s string) string {
	if s == "" {
		return s
	}
	s = scrubJSON.ReplaceAllString(s, `${1}`+redacted+`"`)
	s = scrubXML.ReplaceAllString(s, `${1}`+redacted+`${2}`)
	s = scrubHeader.ReplaceAllString(s, `${1}`+redacted)
	s = scrubForm.ReplaceAllString(s, `${1}`+redacted)
	s = scrubScheme.ReplaceAllString(s, `${1}${2}`+redacted)
	return s
}

// credentialParams are query parameters RedactURL redacts (lower case).
var credentialParams = map[string]bool{
	"access_token": true, "refresh_token": true, "id_token": true, "token": true,
	"code": true, "password": true, "passwd": true, "client_secret": true,
	"client_assertion": true, "assertion": true, "api_key": true, "apikey": true,
	"api-key": true, "key": true, "x-access-token": true, "access-token": true,
	"secret": true, "sig": true, "signature": true, "session": true, "sessionid": true,
}

// RedactURL returns u's string form with credential query parameters
// (access_token, refresh_token, code, password…) and any userinfo password
// redacted. The order of parameters is preserved. Fragments are treated like
// queries (implicit-grant redirects carry tokens there).
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	ru := *u
	if ru.User != nil {
		if _, has := ru.User.Password(); has {
			ru.User = url.UserPassword(ru.User.Username(), redacted)
		}
	}
	ru.RawQuery = redactQuery(ru.RawQuery)
	if ru.Fragment != "" {
		ru.Fragment = redactQuery(ru.Fragment)
		ru.RawFragment = ""
	}
	return ru.String()
}

func redactQuery(q string) string {
	if q == "" {
		return q
	}
	parts := strings.Split(q, "&")
	changed := false
	for i, p := range parts {
		k, _, hasV := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if credentialParams[strings.ToLower(name)] {
			if hasV {
				parts[i] = k + "=" + redacted
			}
			changed = true
		}
	}
	if !changed {
		return q
	}
	return strings.Join(parts, "&")
}

// SafeErrorString renders err for logs, error lines and CLI output: an
// *Error as it prints itself (already safe), also when net/http's
// *url.Error wraps it (the method and URL add nothing the *Error does not
// say); any other error with URLs redacted (RedactURL) and scrubbed.
func SafeErrorString(err error) string {
	if err == nil {
		return ""
	}
	var ue *url.Error
	if errors.As(err, &ue) && err == error(ue) {
		if ae, ok := ue.Err.(*Error); ok {
			return ae.Error()
		}
	}
	if _, ok := err.(*Error); ok {
		return err.Error() // already safe
	}
	return Scrub(redactError(err).Error())
}

// redactError returns err with the URL of any *url.Error in its chain
// redacted by RedactURL; other errors are returned unchanged. net/http puts
// the full request URL, query included, into the *url.Error it returns from
// http.Client.Do, so with Query placement the token would otherwise reach
// every log line that prints the error. errors.Is/As still see the cause.
func redactError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) || ue.URL == "" {
		return err
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil {
		return &redactedError{err: err, from: ue.URL, to: "<unparseable URL>"}
	}
	red := RedactURL(u)
	if red == ue.URL {
		return err
	}
	if err == error(ue) {
		c := *ue
		c.URL = red
		return &c
	}
	return &redactedError{err: err, from: ue.URL, to: red}
}

// redactedError keeps the chain of an error that wraps a *url.Error but
// prints the message with the URL redacted.
type redactedError struct {
	err      error
	from, to string
}

func (r *redactedError) Error() string { return strings.ReplaceAll(r.err.Error(), r.from, r.to) }
func (r *redactedError) Unwrap() error { return r.err }
