package auth

import (
	"fmt"
	"time"
)

// TokenChange says why a Source's token changed.
type TokenChange string

// The reasons a TokenEvent reports.
const (
	// TokenNew: the primary grant ran (a login), or Put seeded a token.
	TokenNew TokenChange = "new"
	// TokenRefreshed: a refresh; the refresh token was not rotated.
	TokenRefreshed TokenChange = "refresh"
	// TokenRotated: a refresh that returned a new refresh token.
	TokenRotated TokenChange = "rotation"
	// TokenAdopted: a token another process (or a previous run) stored
	// was taken from the Store instead of fetching.
	TokenAdopted TokenChange = "adopted"
	// TokenInvalidated: a rejected token was compare-and-invalidated.
	TokenInvalidated TokenChange = "invalidation"
	// TokenRevoked: Revoke revoked the token and cleared the Store.
	TokenRevoked TokenChange = "revoke"
)

// TokenEvent is what SourceOptions.OnTokenChange receives. It never holds
// a token: only the vendor, the reason and the new token's expiry.
type TokenEvent struct {
	Vendor     string
	Reason     TokenChange
	Expiry     time.Time // the new token's; zero for invalidation, revoke, or no expiry
	HasRefresh bool      // the new token carries a refresh token
}

// notify calls the hook, if any, with t the new token (nil for an
// invalidation or a revoke). A panicking hook is logged, not fatal: it may
// run inside a fetch that other callers wait for.
func (s *Source) notify(reason TokenChange, t *Token) {
	if s.onChange == nil {
		return
	}
	ev := TokenEvent{Vendor: s.vendor, Reason: reason}
	if t != nil {
		ev.Expiry, ev.HasRefresh = t.Expiry, t.RefreshToken != ""
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("vendorkit: token change hook panicked", "vendor", s.vendor, "reason", string(reason), "panic_type", fmt.Sprintf("%T", p))
		}
	}()
	s.onChange(ev)
}
