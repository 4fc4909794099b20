package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"
)

// Store holds tokens, one per Identity. The default is in memory; a file
// store (auth/filestore) or a Redis store (auth/redisstore) shares them
// across processes, and one Store may hold the tokens of many clients of
// different vendors and users.
//
// Implementations must be safe for concurrent use, and must never serve
// one identity's token for another.
type Store interface {
	// Load returns id's stored token, or (nil, nil) when there is none.
	// An entry the store cannot use (truncated, foreign, undecryptable,
	// another identity's) is reported with an error wrapping
	// ErrBadStoredToken; the Source treats it as empty.
	Load(ctx context.Context, id Identity) (*Token, error)
	// CompareAndSwap stores new for id iff the stored token's AccessToken
	// equals old's; old nil means "nothing usable is stored": the store is
	// empty or holds an entry Load reports as ErrBadStoredToken, which is
	// then overwritten. new nil removes the entry.
	CompareAndSwap(ctx context.Context, id Identity, old, new *Token) (bool, error)
}

// ErrBadStoredToken is wrapped by Store.Load's error for an entry that
// exists but cannot be used: truncated, another tool's, an older format,
// undecryptable (wrong key, or none), or stored for another identity. It
// is never served; the next good token overwrites it.
var ErrBadStoredToken = errors.New("vendorkit: stored token unusable")

// Leaser is an optional capability of a Store, found by type assertion as
// Refresher is for flows: a lease per identity that lets one process at a
// time fetch or refresh, so that processes sharing a store make one token
// request per expiry and never race with the same rotating refresh token.
//
// A lease whose holder dies is released by the store (when the process
// exits, or after a TTL); the compare-and-swap on the stored token, not
// the lease, is what keeps a late writer from overwriting a newer token.
type Leaser interface {
	// TryLease takes id's lease if it is free and returns acquired true
	// and the function that releases it (bounded; safe to call once). It
	// returns acquired false, without waiting, when someone else holds it.
	TryLease(ctx context.Context, id Identity) (release func(), acquired bool, err error)
	// WaitLease returns when id's lease may have been released or its
	// stored token may have changed, or when ctx ends (its error). It may
	// return early; callers check again. It holds no lock while waiting.
	WaitLease(ctx context.Context, id Identity) error
}

// Lister is an optional capability of a shared Store: the entries it
// holds, without any token, for status displays.
type Lister interface {
	List(ctx context.Context) ([]StoredEntry, error)
}

// StoredEntry describes one stored token without revealing it: no token,
// no client key (only Identity.ClientHash).
type StoredEntry struct {
	Identity   Identity
	Key        string    // Identity.Key(): the file name or Redis key part
	Expiry     time.Time // the access token's; zero: no expiry
	HasRefresh bool
	Updated    time.Time // when it was written
	Encrypted  bool
	// Err is set, wrapping ErrBadStoredToken, for an entry that cannot be
	// read; the other fields are then as far as they could be read.
	Err error
}

// Identity says whose token a Store entry is. Stores key entries by it
// and check it on every read: an entry stored for another identity is
// never served.
type Identity struct {
	Vendor  string // "bss", "ioffice", ...
	BaseURL string // the client's validated base URL
	// ClientHash is hashClient of the OAuth client id or key: a client key
	// can be a secret, so an Identity never holds it.
	ClientHash string
	User       string // the user the token is issued to; "" when the grant has none
}

// NewIdentity returns the Identity of a client: clientIDOrKey is hashed
// (hashClient) and not kept.
func NewIdentity(vendor, baseURL, clientIDOrKey, user string) Identity {
	return Identity{Vendor: vendor, BaseURL: baseURL, ClientHash: hashClient(clientIDOrKey), User: user}
}

// hashClient returns the hex SHA-256 of a client id or key under a
// vendorkit-specific prefix ("" for ""). Client keys are long random
// strings, so the hash reveals nothing usable.
func hashClient(clientIDOrKey string) string {
	if clientIDOrKey == "" {
		return ""
	}
	h := sha256.Sum256([]byte("vendorkit client\x00" + clientIDOrKey))
	return hex.EncodeToString(h[:])
}

// Key returns a stable name for id: the hex SHA-256 of its fields. It is
// safe as a file name and a Redis key, and reveals none of the fields.
func (id Identity) Key() string {
	h := sha256.New()
	for _, f := range [...]string{"vendorkit token\x00", id.Vendor, id.BaseURL, id.ClientHash, id.User} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// NewMemoryStore returns an in-process Store. One memory store may be
// shared by several clients: entries are kept per Identity.
func NewMemoryStore() Store { return &memoryStore{m: make(map[Identity]*Token)} }

type memoryStore struct {
	mu sync.Mutex
	m  map[Identity]*Token
}

func (m *memoryStore) Load(ctx context.Context, id Identity) (*Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.m[id], nil
}

func (m *memoryStore) CompareAndSwap(ctx context.Context, id Identity, old, new *Token) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !sameToken(m.m[id], old) {
		return false, nil
	}
	if new == nil {
		delete(m.m, id)
	} else {
		m.m[id] = new
	}
	return true, nil
}

// sameToken compares by access token, the identity used by the Store contract.
func sameToken(a, b *Token) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.AccessToken == b.AccessToken
}
