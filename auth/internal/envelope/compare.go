package envelope

import (
	"errors"
	"time"

	"github.com/vendorkit/vendorkit/auth"
)

// SystemClock is the auth.Clock of a store configured without one.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// sameToken compares by access token, the identity the auth.Store contract
// uses; nil equals only nil.
func sameToken(a, b *auth.Token) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.AccessToken == b.AccessToken
}

// Matches reports whether a stored entry, decoded as cur with err, is what
// a compare-and-swap expecting old finds: a bad entry (an err wrapping
// auth.ErrBadStoredToken) counts as empty; any other err is returned.
func Matches(cur *auth.Token, err error, old *auth.Token) (bool, error) {
	if err != nil {
		if !errors.Is(err, auth.ErrBadStoredToken) {
			return false, err
		}
		cur = nil
	}
	return sameToken(cur, old), nil
}
