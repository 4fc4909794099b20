package auth

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"
)

// MaxLifetime is the longest lifetime ExpiresIn accepts; longer announced
// lifetimes are clamped to it.
const MaxLifetime = 365 * 24 * time.Hour

// Token is what a flow obtained from a vendor's token endpoint.
//
// A *Token handed out by a Source is shared by every caller and must be
// treated as read-only.
type Token struct {
	AccessToken string
	// TokenType is kept as the server said it ("bearer", "Bearer"); it
	// does not change what a request carries: the Bearer placement always
	// sends "Bearer ".
	TokenType string
	// Expiry is absolute; the zero value means "valid until the server
	// rejects it" (a 401 then re-authenticates).
	Expiry       time.Time
	RefreshToken string
	// Extra holds vendor fields (e.g. Blueprint "id", "userName",
	// "firstName", "lastName", ".issued", ".expires").
	Extra map[string]string
}

// Valid reports whether t has a non-empty access token and has not expired
// at now (a zero Expiry never expires). A nil token is not valid.
func (t *Token) Valid(now time.Time) bool {
	return t != nil && t.AccessToken != "" && (t.Expiry.IsZero() || now.Before(t.Expiry))
}

// String never prints token values, so %v, %+v and %s are safe. Its value
// receiver makes a Token value print redacted too, not only a *Token.
func (t Token) String() string {
	var b strings.Builder
	b.WriteString("auth.Token{AccessToken:")
	b.WriteString(redactedOrEmpty(t.AccessToken))
	b.WriteString(" TokenType:")
	b.WriteString(t.TokenType)
	b.WriteString(" Expiry:")
	if t.Expiry.IsZero() {
		b.WriteString("none")
	} else {
		b.WriteString(t.Expiry.UTC().Format(time.RFC3339))
	}
	b.WriteString(" RefreshToken:")
	b.WriteString(redactedOrEmpty(t.RefreshToken))
	if len(t.Extra) > 0 {
		keys := make([]string, 0, len(t.Extra))
		for k := range t.Extra {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(" Extra:[")
		b.WriteString(strings.Join(keys, " "))
		b.WriteString("]")
	}
	b.WriteString("}")
	return b.String()
}

// GoString is redacted too (%#v).
func (t Token) GoString() string { return t.String() }

// Format makes every verb (%v, %+v, %#v, %s, %q, %x ...) print the redacted
// form; without it %x or %q on a Token value would print the raw fields.
func (t Token) Format(f fmt.State, verb rune) {
	_, _ = f.Write([]byte(t.String()))
}

// LogValue is redacted: token type, expiry and whether a refresh token is
// present, nothing else.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("type", t.TokenType),
		slog.Time("expiry", t.Expiry),
		slog.Bool("has_refresh", t.RefreshToken != ""),
	)
}

func redactedOrEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return "REDACTED"
}

// ExpiresIn turns a server-announced lifetime (already converted by the flow
// from its unit: seconds for most vendors, milliseconds for iOFFICE) into an
// absolute expiry, deliberately:
//
//   - d <= 0 gives a zero Expiry, i.e. "valid until rejected" (a 401 then
//     re-authenticates); never "already expired", which would refetch on
//     every call;
//   - d > MaxLifetime is clamped to MaxLifetime.
//
// sane is false when d was absurd, so the caller can log it.
func ExpiresIn(now time.Time, d time.Duration) (expiry time.Time, sane bool) {
	switch {
	case d <= 0:
		return time.Time{}, false
	case d > MaxLifetime:
		return now.Add(MaxLifetime), false
	default:
		return now.Add(d), true
	}
}

// Flow is what a vendor implements: the primary grant (client credentials,
// password, a stored authorization code...). Optional capabilities are
// separate interfaces, detected by type assertion like io.WriterTo.
//
// A flow that can no longer run its primary grant (e.g. a browser-obtained
// code with no stored credentials) returns an error wrapping
// ErrReloginRequired from Token.
type Flow interface {
	Token(ctx context.Context) (*Token, error)
}

// Refresher is implemented by flows that can redeem a refresh token. It uses
// t.RefreshToken; the returned token carries the rotated refresh token, or
// an empty RefreshToken when the server did not rotate it (the Source then
// keeps the old one, as RFC 6749 §6 allows).
type Refresher interface {
	Refresh(ctx context.Context, t *Token) (*Token, error)
}

// Revoker is implemented by flows that can revoke a token.
type Revoker interface {
	Revoke(ctx context.Context, t *Token) error
}

// Clock abstracts time for tests; a nil Clock means time.Now.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
