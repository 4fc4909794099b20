package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// TokenFields is a decoded token-endpoint JSON object; numbers are kept as
// json.Number so that no unit or precision is guessed. Every vendor flow
// reads its JSON token responses through it (ParseTokenFields).
type TokenFields map[string]any

// ReadTokenResponse reads what a token-endpoint request returned (the
// *http.Response and error of http.Client.Do, or of a generated
// operation, passed as they are) and returns the response of a 2xx status
// with its body buffered (so that a generated Parse function can still
// decode it) and the body bytes. At most MaxTokenResponseBytes are read.
//
// Every failure is an *Error with vendor and op, never one nested in
// another:
//   - no response: the transport error, URL redacted; Retryable unless it
//     was refused locally (insecure transport, too large, a redirect);
//   - a 3xx (a Location not followed, or none): ErrUnexpectedRedirect;
//   - a body over MaxTokenResponseBytes: ErrResponseTooLarge;
//   - another non-2xx status: the OAuth error and
//     description parsed; errors.Is(err, ErrInvalidCredentials) works).
//
// Bodies quoted in errors are scrubbed of sec (the flow's credentials, in
// every encoding) before they are cut.
func ReadTokenResponse(vendor string, op Op, resp *http.Response, err error, sec *Secrets) (*http.Response, []byte, error) {
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		var ae *Error
		retryable := !errors.As(err, &ae) || ae.Retryable
		if errors.Is(err, ErrInsecureTransport) || errors.Is(err, ErrResponseTooLarge) || errors.Is(err, ErrUnexpectedRedirect) {
			retryable = false
		}
		return nil, nil, asError(vendor, op, err, retryable)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		loc, _ := resp.Location()
		return nil, nil, redirectError(vendor, op, resp.StatusCode, loc)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxTokenResponseBytes+1))
	if err == nil && len(body) > MaxTokenResponseBytes {
		err = &Error{Err: ErrResponseTooLarge}
	}
	if err != nil {
		// A read past the cap, or a connection that broke mid-body
		// (retryable).
		e := asError(vendor, op, err, true)
		e.StatusCode = resp.StatusCode
		e.Retryable = !errors.Is(err, ErrResponseTooLarge)
		return nil, nil, e
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := sec.responseError(vendor, op, resp.StatusCode, body)
		if ra, ok := retryAfter(resp); ok {
			e.RetryAfter = ra
		}
		return nil, nil, e
	}
	buffered := *resp
	buffered.Body = io.NopCloser(bytes.NewReader(body))
	return &buffered, body, nil
}

// ParseTokenFields decodes a 2xx token-endpoint body. An OAuth error object
// in a 200 (some vendors do that) becomes an *Error like any other error response,
// scrubbed of sec.
func ParseTokenFields(vendor string, op Op, status int, body []byte, sec *Secrets) (TokenFields, error) {
	malformed := func(why string) error {
		return &Error{Vendor: vendor, Op: op, StatusCode: status, Err: fmt.Errorf("%w: %s", ErrMalformedResponse, why)}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, malformed("empty body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var f TokenFields
	if err := dec.Decode(&f); err != nil {
		return nil, malformed("not a JSON object")
	}
	if f == nil {
		return nil, malformed("null body")
	}
	if code := f.String("error"); code != "" && f.String("access_token") == "" {
		e := sec.responseError(vendor, op, status, body)
		e.Body = ""
		return nil, e
	}
	return f, nil
}

// String returns key as a string: strings as is, numbers and booleans in
// their JSON text, anything else "".
func (f TokenFields) String(key string) string {
	switch v := f[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// Int64 returns key as an integer; numeric strings ("3600") are accepted
// and fractional values truncated.
func (f TokenFields) Int64(key string) (int64, bool) {
	s := strings.TrimSpace(f.String(key))
	if s == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil && x > -9e18 && x < 9e18 {
		return int64(x), true
	}
	return 0, false
}

// Token builds a Token from the RFC 6749 §5.1 fields: access_token,
// token_type, refresh_token, and expires_in counted in unit (time.Second
// for most vendors, time.Millisecond for iOFFICE); every other scalar field
// goes to Extra. sane is false when expires_in was absent, unparseable or
// absurd (see ExpiresIn). An empty access_token is ErrMalformedResponse.
func (f TokenFields) Token(vendor string, op Op, now time.Time, unit time.Duration) (tok *Token, sane bool, err error) {
	at := f.String("access_token")
	if at == "" {
		return nil, false, &Error{Vendor: vendor, Op: op, Err: fmt.Errorf("%w: no access_token", ErrMalformedResponse)}
	}
	t := &Token{AccessToken: at, TokenType: f.String("token_type"), RefreshToken: f.String("refresh_token")}
	if n, ok := f.Int64("expires_in"); ok {
		t.Expiry, sane = ExpiresIn(now, lifetime(n, unit))
	}
	for k := range f {
		switch k {
		case "access_token", "token_type", "refresh_token", "expires_in":
			continue
		}
		if v := f.String(k); v != "" {
			if t.Extra == nil {
				t.Extra = make(map[string]string)
			}
			t.Extra[k] = v
		}
	}
	return t, sane, nil
}

// lifetime converts n units to a Duration without overflow: values beyond
// MaxLifetime saturate just above it (so ExpiresIn clamps and reports them)
// and negative values become -1.
func lifetime(n int64, unit time.Duration) time.Duration {
	if n <= 0 || unit <= 0 {
		if n == 0 {
			return 0
		}
		return -1
	}
	if n > int64(MaxLifetime/unit) {
		return MaxLifetime + unit
	}
	return time.Duration(n) * unit
}
