package sandbox

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"
)

// tokenKind keeps an access token from being used as a refresh token or a
// code, and the other way round.
type tokenKind uint8

const (
	accessToken tokenKind = iota + 1
	refreshToken
	authCode
)

// grantRecord is what the sandbox remembers about an issued token or code.
type grantRecord struct {
	kind    tokenKind
	expires time.Time // zero: never expires
	gen     uint64    // revokeAll generation it was issued in
	revoked bool      // revoked, rotated away or (for a code) used
	scope   string    // iOFFICE: the scope a code was issued for / a refresh token carries
}

// tokenStore is one vendor's token bookkeeping. Resource calls only take
// the read lock; RevokeAll is O(1) (a generation bump), so revoking never
// walks the map while the benchmarks hammer it.
type tokenStore struct {
	now func() time.Time
	mu  sync.RWMutex
	m   map[string]grantRecord
	gen uint64
}

func newTokenStore(now func() time.Time) *tokenStore {
	return &tokenStore{now: now, m: make(map[string]grantRecord)}
}

// newSecret returns 32 random bytes as unpadded base64url: unguessable,
// and safe in headers, query strings, URL fragments and XML.
func newSecret() string {
	var b [32]byte
	rand.Read(b[:]) // never fails since Go 1.24
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// equalSecret compares a secret someone sent with the real one in
// constant time, so the answer's timing does not say how much matched.
func equalSecret(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// issue records a new token of kind that lives for ttl (0: forever).
func (s *tokenStore) issue(kind tokenKind, ttl time.Duration, scope string) string {
	tok := newSecret()
	rec := grantRecord{kind: kind, scope: scope}
	if ttl > 0 {
		rec.expires = s.now().Add(ttl)
	}
	s.mu.Lock()
	rec.gen = s.gen
	s.m[tok] = rec
	s.mu.Unlock()
	return tok
}

func (s *tokenStore) usable(rec grantRecord, ok bool, kind tokenKind) bool {
	return ok && rec.kind == kind && !rec.revoked && rec.gen == s.gen &&
		(rec.expires.IsZero() || s.now().Before(rec.expires))
}

// check reports whether tok is a live token of kind.
func (s *tokenStore) check(tok string, kind tokenKind) (grantRecord, bool) {
	s.mu.RLock()
	rec, ok := s.m[tok]
	ok = s.usable(rec, ok, kind)
	s.mu.RUnlock()
	return rec, ok
}

// take is check plus revoke, atomically: single-use codes and refresh
// token rotation, where two concurrent uses must not both succeed.
func (s *tokenStore) take(tok string, kind tokenKind) (grantRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.m[tok]
	if !s.usable(rec, ok, kind) {
		return rec, false
	}
	rec.revoked = true
	s.m[tok] = rec
	return rec, true
}

// revoke kills tok, whatever its kind; unknown tokens are ignored.
func (s *tokenStore) revoke(tok string) {
	s.mu.Lock()
	if rec, ok := s.m[tok]; ok {
		rec.revoked = true
		s.m[tok] = rec
	}
	s.mu.Unlock()
}

// revokeAll kills everything issued so far.
func (s *tokenStore) revokeAll() {
	s.mu.Lock()
	s.gen++
	s.mu.Unlock()
}

// issued lists every token and code ever issued.
func (s *tokenStore) issued() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.m))
	for tok := range s.m {
		out = append(out, tok)
	}
	return out
}
