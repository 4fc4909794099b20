package auth

import (
	"context"
	"sync"
)

// Store holds the current token. The default is in memory; a file or Redis
// store can hold tokens across processes.
//
// Implementations must be safe for concurrent use.
type Store interface {
	// Load returns the stored token, or (nil, nil) when empty.
	Load(ctx context.Context) (*Token, error)
	// CompareAndSwap stores new iff the stored token's AccessToken equals
	// old's (old nil = the store must be empty); new nil clears the store.
	CompareAndSwap(ctx context.Context, old, new *Token) (bool, error)
}

// NewMemoryStore returns an in-process Store.
func NewMemoryStore() Store { return &memoryStore{} }

type memoryStore struct {
	mu  sync.Mutex
	tok *Token
}

func (m *memoryStore) Load(ctx context.Context) (*Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tok, nil
}

func (m *memoryStore) CompareAndSwap(ctx context.Context, old, new *Token) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !sameToken(m.tok, old) {
		return false, nil
	}
	m.tok = new
	return true, nil
}

// sameToken compares by access token, the identity used by the Store contract.
func sameToken(a, b *Token) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.AccessToken == b.AccessToken
}
