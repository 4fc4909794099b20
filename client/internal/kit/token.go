package kit

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vendorkit/vendorkit/auth"
)

// JSONToken decodes a 2xx JSON token response (RFC 6749 §5.1 fields) into
// an *auth.Token: expires_in is counted in unit (time.Second for most
// vendors, time.Millisecond for iOFFICE) from now; every other scalar field
// goes to Token.Extra. An absent or absurd expires_in is logged (its value
// only) and gives a zero or clamped Expiry (see auth.ExpiresIn). An OAuth
// error object in a 200, an empty access_token or a body that is not a
// JSON object is an *auth.Error (auth.ErrMalformedResponse for the latter
// two), scrubbed of sec.
func JSONToken(vendor string, op auth.Op, status int, body []byte, now time.Time, unit time.Duration, log *slog.Logger, sec *auth.Secrets) (*auth.Token, error) {
	f, err := auth.ParseTokenFields(vendor, op, status, body, sec)
	if err != nil {
		return nil, err
	}
	tok, sane, err := f.Token(vendor, op, now, unit)
	if err != nil {
		return nil, err
	}
	if !sane && log != nil {
		log.Warn("vendorkit: token lifetime missing or out of range; expiry is zero (valid until rejected) or clamped",
			"vendor", vendor, "op", op, "expires_in", f.String("expires_in"), "unit", unit.String())
	}
	return tok, nil
}

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
		panic("kit.Form: odd number of arguments")
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

// SetHeader returns a request editor (the func type every generated
// package's RequestEditorFn is) that sets a header on a token request:
// Content-Type, Accept, a Basic Authorization.
func SetHeader(name, value string) func(context.Context, *http.Request) error {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set(name, value)
		return nil
	}
}
