package vendors

import (
	"context"
	"errors"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
)

// BrowserLogin is the capability of a client whose users sign in through
// a browser (iOFFICE's /login.html), found by type assertion on the
// Session a descriptor's Open returns (client.Vendor.BrowserLogin says so
// beforehand): the login page's URL for a state, the redirect URI the
// browser comes back to, the code read from that redirect, and the
// exchange that makes the code the client's token (saved to its token
// store).
type BrowserLogin interface {
	client.Session
	AuthCodeURL(state string) (string, error)
	RedirectURI() string
	// ParseLoginRedirect reads the code from the redirect (a full URL or
	// its fragment), checking state in constant time; allowMissingState
	// accepts a redirect without state, for sites that do not echo it. A
	// wrong state is an error wrapping client.ErrStateMismatch, none one
	// wrapping client.ErrMissingState.
	ParseLoginRedirect(rawURLOrFragment, wantState string, allowMissingState bool) (code, appCode string, err error)
	Exchange(ctx context.Context, code string) (*auth.Token, error)
}

// IsStateMismatch reports whether err, from ParseLoginRedirect, says the
// redirect carries another login's state (a stale tab, or a forged
// redirect): its code must not be used. It is errors.Is(err,
// client.ErrStateMismatch).
func IsStateMismatch(err error) bool { return errors.Is(err, client.ErrStateMismatch) }

// IsMissingState reports whether err, from ParseLoginRedirect, says the
// redirect carries no state at all: errors.Is(err, client.ErrMissingState).
func IsMissingState(err error) bool { return errors.Is(err, client.ErrMissingState) }
