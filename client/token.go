package client

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vendorkit/vendorkit/auth"
)

// ReadTokenResponse reads what a generated token-endpoint operation
// returned (its *http.Response and error, passed as is) and returns the
// response of a 2xx status with its body buffered (so that the generated
// Parse… function can still decode it) and the body bytes.
//
// Every failure is an *auth.Error with the given vendor and op ("token",
// "refresh", "revoke"):
//   - no response: the transport error with any URL redacted, Retryable
//     unless it was refused (insecure transport, too large);
//   - a body over auth.MaxTokenResponseBytes: auth.ErrResponseTooLarge;
//   - a non-2xx status: auth.ResponseError (OAuth error and description
//     parsed, so errors.Is(err, auth.ErrInvalidCredentials) works).
//
// secrets (password, client secret, code, refresh token…) are scrubbed
// from every field of the error, in addition to the well-known token
// shapes auth.Scrub removes, so a server that echoes them cannot leak them
// into logs.
func ReadTokenResponse(vendor, op string, resp *http.Response, err error, secrets ...string) (*http.Response, []byte, error) {
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		var ae *auth.Error
		retryable := !errors.As(err, &ae) || ae.Retryable
		if errors.Is(err, auth.ErrInsecureTransport) || errors.Is(err, auth.ErrResponseTooLarge) {
			retryable = false
		}
		return nil, nil, ScrubError(&auth.Error{Vendor: vendor, Op: op, Retryable: retryable, Err: auth.RedactError(err)}, secrets...)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, auth.MaxTokenResponseBytes+1))
	if err == nil && len(body) > auth.MaxTokenResponseBytes {
		err = auth.ErrResponseTooLarge
	}
	if err != nil {
		e := &auth.Error{Vendor: vendor, Op: op, StatusCode: resp.StatusCode, Err: err}
		e.Retryable = !errors.Is(err, auth.ErrResponseTooLarge) // else the connection broke mid-body
		return nil, nil, ScrubError(e, secrets...)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, nil, ScrubError(auth.ResponseError(vendor, op, resp.StatusCode, body), secrets...)
	}
	buffered := *resp
	buffered.Body = io.NopCloser(bytes.NewReader(body))
	return &buffered, body, nil
}

// JSONToken decodes a 2xx JSON token response (RFC 6749 §5.1 fields) into
// an *auth.Token: expires_in is counted in unit (time.Second for most
// vendors, time.Millisecond for iOFFICE) from now; every other scalar field
// goes to Token.Extra. An absent or absurd expires_in is logged (its value
// only) and gives a zero or clamped Expiry (see auth.ExpiresIn). An OAuth
// error object in a 200, an empty access_token or a body that is not a
// JSON object is an *auth.Error (auth.ErrMalformedResponse for the latter
// two).
func JSONToken(vendor, op string, status int, body []byte, now time.Time, unit time.Duration, log *slog.Logger, secrets ...string) (*auth.Token, error) {
	f, err := auth.ParseTokenFields(vendor, op, status, body)
	if err != nil {
		return nil, ScrubError(err, secrets...)
	}
	tok, sane, err := f.Token(vendor, op, now, unit)
	if err != nil {
		return nil, ScrubError(err, secrets...)
	}
	if !sane && log != nil {
		log.Warn("vendorkit: token lifetime missing or out of range; expiry is zero (valid until rejected) or clamped",
			"vendor", vendor, "op", op, "expires_in", f.String("expires_in"), "unit", unit.String())
	}
	return tok, nil
}

// ScrubError removes secrets from the fields of any *auth.Error in err's
// chain (Code, Description, Body) and returns err. Other errors are
// returned unchanged: their text is scrubbed again when an *auth.Error
// prints them.
func ScrubError(err error, secrets ...string) error {
	var ae *auth.Error
	if len(secrets) == 0 || !errors.As(err, &ae) {
		return err
	}
	ae.Code = auth.Scrub(ae.Code, secrets...)
	ae.Description = auth.Scrub(ae.Description, secrets...)
	ae.Body = auth.Scrub(ae.Body, secrets...)
	if ae.Err != nil && containsAny(ae.Err.Error(), secrets) {
		ae.Err = scrubbed{err: ae.Err, secrets: secrets}
	}
	return err
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if sub != "" && strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// scrubbed keeps an error's chain but prints it without the secrets.
type scrubbed struct {
	err     error
	secrets []string
}

func (s scrubbed) Error() string { return auth.Scrub(s.err.Error(), s.secrets...) }
func (s scrubbed) Unwrap() error { return s.err }

// BasicAuth returns the value of an HTTP Basic Authorization header for
// user and pass exactly as given: "Basic " + base64(user + ":" + pass) of
// the raw bytes, as curl -u and .NET's Convert.ToBase64String build it.
// (RFC 6749 §2.3.1's form-encoding, when a vendor wants it, is the
// caller's: pass url.QueryEscape'd values.)
func BasicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// Form encodes name/value pairs as application/x-www-form-urlencoded in
// the given order (url.Values.Encode would sort them), escaping with
// url.QueryEscape like .NET's FormUrlEncodedContent: space is '+', '!' is
// "%21". It panics on an odd number of arguments (a programming error).
func Form(pairs ...string) string {
	if len(pairs)%2 != 0 {
		panic("client.Form: odd number of arguments")
	}
	var b strings.Builder
	for i := 0; i < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(pairs[i]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(pairs[i+1]))
	}
	return b.String()
}
