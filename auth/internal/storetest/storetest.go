// Package storetest is the contract every shared auth.Store of vendorkit
// passes (auth/filestore, auth/redisstore): compare-and-swap, identity
// isolation, bad stored data, encryption at rest, the lease and the
// listing. Each store's tests call Run with its own constructor and raw
// access to its entries.
package storetest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/internal/envelope"
)

// Harness gives the suite a store and its raw entries.
type Harness struct {
	// New returns a store (key nil: clear) over the same backing storage
	// on every call of one test, so that two stores see each other's
	// entries (as two processes would).
	New func(t *testing.T, key []byte) auth.Store
	// Raw returns id's stored bytes (nil when absent).
	Raw func(t *testing.T, id auth.Identity) []byte
	// Put stores raw bytes as id's entry, bypassing the store.
	Put func(t *testing.T, id auth.Identity, raw []byte)
	// Reset empties the backing storage (called at the start of each
	// subtest).
	Reset func(t *testing.T)
}

// Key and OtherKey are test encryption keys.
var (
	Key      = []byte("0123456789abcdef0123456789abcdef")
	OtherKey = []byte("fedcba9876543210fedcba9876543210")
)

// ID is the identity most tests use; Others differ from it in one field each.
var (
	ID     = auth.NewIdentity("ioffice", "https://a.example.com", "client-key-SECRET-1", "alice")
	Others = []auth.Identity{
		auth.NewIdentity("bss", "https://a.example.com", "client-key-SECRET-1", "alice"),
		auth.NewIdentity("ioffice", "https://b.example.com", "client-key-SECRET-1", "alice"),
		auth.NewIdentity("ioffice", "https://a.example.com", "client-key-SECRET-2", "alice"),
		auth.NewIdentity("ioffice", "https://a.example.com", "client-key-SECRET-1", "bob"),
	}
)

// Tok returns a token whose secrets carry name, so scans can find them.
func Tok(name string) *auth.Token {
	return &auth.Token{
		AccessToken:  "AT-" + name + "-secret",
		TokenType:    "bearer",
		Expiry:       time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC),
		RefreshToken: "RT-" + name + "-secret",
		Extra:        map[string]string{"id": "42"},
	}
}

func mustCAS(t *testing.T, s auth.Store, id auth.Identity, old, new *auth.Token, want bool) {
	t.Helper()
	ok, err := s.CompareAndSwap(context.Background(), id, old, new)
	if err != nil {
		t.Fatalf("CompareAndSwap: %v", err)
	}
	if ok != want {
		t.Fatalf("CompareAndSwap = %v, want %v", ok, want)
	}
}

func load(t *testing.T, s auth.Store, id auth.Identity) (*auth.Token, error) {
	t.Helper()
	return s.Load(context.Background(), id)
}

func mustLoad(t *testing.T, s auth.Store, id auth.Identity) *auth.Token {
	t.Helper()
	tok, err := load(t, s, id)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return tok
}

func same(a, b *auth.Token) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.AccessToken == b.AccessToken && a.TokenType == b.TokenType && a.Expiry.Equal(b.Expiry) &&
		a.RefreshToken == b.RefreshToken && fmt.Sprint(a.Extra) == fmt.Sprint(b.Extra)
}

// Run runs the contract.
func Run(t *testing.T, h Harness) {
	sub := func(name string, f func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			h.Reset(t)
			f(t)
		})
	}

	sub("CompareAndSwap", func(t *testing.T) {
		s := h.New(t, nil)
		if tok := mustLoad(t, s, ID); tok != nil {
			t.Fatal("empty store returned a token")
		}
		t1, t2 := Tok("one"), Tok("two")
		mustCAS(t, s, ID, t1, t2, false) // empty: only old nil matches
		mustCAS(t, s, ID, nil, t1, true)
		if got := mustLoad(t, h.New(t, nil), ID); !same(got, t1) {
			t.Fatalf("round trip through another store instance: %v, want %v", got, t1)
		}
		mustCAS(t, s, ID, nil, t2, false)
		mustCAS(t, s, ID, Tok("three"), t2, false)
		mustCAS(t, s, ID, t1, t2, true)
		if got := mustLoad(t, s, ID); !same(got, t2) {
			t.Fatalf("after swap: %v", got)
		}
		mustCAS(t, s, ID, t2, nil, true)
		if got := mustLoad(t, s, ID); got != nil {
			t.Fatal("entry not removed")
		}
		if h.Raw(t, ID) != nil {
			t.Fatal("removed entry still stored")
		}
	})

	sub("IdentitiesIsolated", func(t *testing.T) {
		s := h.New(t, nil)
		mustCAS(t, s, ID, nil, Tok("mine"), true)
		for i, o := range Others {
			if got := mustLoad(t, s, o); got != nil {
				t.Fatalf("identity %d was served another identity's token", i)
			}
			mustCAS(t, s, o, nil, Tok(fmt.Sprint("other", i)), true)
		}
		if got := mustLoad(t, s, ID); !same(got, Tok("mine")) {
			t.Fatalf("own token changed: %v", got)
		}
		// An entry copied under another identity's key is never served.
		h.Put(t, Others[3], h.Raw(t, ID))
		if got, err := load(t, s, Others[3]); got != nil || !errors.Is(err, auth.ErrBadStoredToken) {
			t.Fatalf("copied entry: %v, %v", got, err)
		}
	})

	sub("BadData", func(t *testing.T) {
		good := h.New(t, nil)
		mustCAS(t, good, Others[0], nil, Tok("foreign"), true)
		entry := h.Raw(t, Others[0])
		sealed := h.New(t, OtherKey)
		mustCAS(t, sealed, Others[1], nil, Tok("sealed"), true)
		sealedRaw := h.Raw(t, Others[1])
		cases := []struct {
			name string
			key  []byte
			raw  []byte
		}{
			{"truncated", nil, entry[:len(entry)/2]},
			{"empty file", nil, []byte{}},
			{"not JSON", nil, []byte("access_token=AT-x-secret\n")},
			{"another tool's JSON", nil, []byte(`{"access_token":"AT-x-secret","expires_in":3600}`)},
			{"older format", nil, []byte(strings.Replace(string(entry), envelope.Format, "vendorkit-token/0", 1))},
			{"another identity's entry", nil, entry},
			{"encrypted, no key", nil, sealedRaw},
			{"wrong key", Key, sealedRaw},
			{"clear, key configured", Key, entry},
			{"binary", nil, []byte{0xff, 0x00, 0xfe, '{'}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				s := h.New(t, c.key)
				h.Put(t, ID, c.raw)
				got, err := load(t, s, ID)
				if got != nil || !errors.Is(err, auth.ErrBadStoredToken) {
					t.Fatalf("Load = %v, %v; want nil and ErrBadStoredToken", got, err)
				}
				for _, sec := range []string{"AT-", "RT-"} {
					if strings.Contains(err.Error(), sec) {
						t.Fatalf("error quotes the entry: %v", err)
					}
				}
				mustCAS(t, s, ID, Tok("x"), Tok("next"), false)
				mustCAS(t, s, ID, nil, Tok("next"), true) // overwritten by the next good token
				if got := mustLoad(t, s, ID); !same(got, Tok("next")) {
					t.Fatalf("after overwrite: %v", got)
				}
			})
		}
	})

	sub("Encryption", func(t *testing.T) {
		s := h.New(t, Key)
		tok := Tok("sealed")
		mustCAS(t, s, ID, nil, tok, true)
		raw := string(h.Raw(t, ID))
		for _, sec := range []string{tok.AccessToken, tok.RefreshToken, "client-key-SECRET-1"} {
			for _, form := range []string{sec, base64.StdEncoding.EncodeToString([]byte(sec)),
				base64.RawURLEncoding.EncodeToString([]byte(sec))} {
				if strings.Contains(raw, form) {
					t.Fatalf("stored bytes contain %q in clear", form)
				}
			}
		}
		if got := mustLoad(t, h.New(t, Key), ID); !same(got, tok) {
			t.Fatalf("decrypted %v", got)
		}
		// The ciphertext is bound to the identity: the header's user
		// edited to another's fails to open.
		h.Put(t, Others[3], []byte(strings.Replace(raw, `"user":"alice"`, `"user":"bob"`, 1)))
		if got, err := load(t, s, Others[3]); got != nil || !errors.Is(err, auth.ErrBadStoredToken) {
			t.Fatalf("re-labelled ciphertext: %v, %v", got, err)
		}
	})

	sub("Lease", func(t *testing.T) {
		s1, s2 := h.New(t, nil), h.New(t, nil)
		l1, ok1 := s1.(auth.Leaser)
		l2, ok2 := s2.(auth.Leaser)
		if !ok1 || !ok2 {
			t.Fatal("store is not an auth.Leaser")
		}
		ctx := context.Background()
		rel, got, err := l1.TryLease(ctx, ID)
		if err != nil || !got {
			t.Fatalf("TryLease = %v, %v", got, err)
		}
		if _, got, err := l2.TryLease(ctx, ID); err != nil || got {
			t.Fatalf("second TryLease while held = %v, %v", got, err)
		}
		rel3, got, err := l2.TryLease(ctx, Others[0])
		if err != nil || !got {
			t.Fatalf("another identity's lease = %v, %v", got, err)
		}
		rel3()
		// A wait bounded by a cancelled ctx returns its error.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := l2.WaitLease(cctx, ID); !errors.Is(err, context.Canceled) {
			t.Fatalf("WaitLease(cancelled) = %v", err)
		}
		waited := make(chan error, 1)
		go func() {
			for {
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err := l2.WaitLease(wctx, ID)
				cancel()
				if err != nil {
					waited <- err
					return
				}
				rel, got, err := l2.TryLease(ctx, ID)
				if err != nil || got {
					if got {
						rel()
					}
					waited <- err
					return
				}
			}
		}()
		rel()
		rel() // a second call is harmless
		if err := <-waited; err != nil {
			t.Fatalf("waiting for the lease: %v", err)
		}
	})

	sub("List", func(t *testing.T) {
		s := h.New(t, Key)
		lister, ok := s.(auth.Lister)
		if !ok {
			t.Fatal("store is not an auth.Lister")
		}
		mustCAS(t, s, ID, nil, Tok("listed"), true)
		noRefresh := Tok("access-only")
		noRefresh.RefreshToken = ""
		mustCAS(t, s, Others[3], nil, noRefresh, true)
		h.Put(t, Others[2], []byte("garbage"))
		list, err := lister.List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 3 {
			t.Fatalf("listed %d entries, want 3: %+v", len(list), list)
		}
		byKey := map[string]auth.StoredEntry{}
		for _, e := range list {
			byKey[e.Key] = e
			dump := fmt.Sprintf("%+v %#v", e, e)
			for _, sec := range []string{"AT-", "RT-", "client-key-SECRET"} {
				if strings.Contains(dump, sec) {
					t.Fatalf("listing shows %q: %s", sec, dump)
				}
			}
		}
		e := byKey[ID.Key()]
		if e.Identity != ID || !e.HasRefresh || !e.Encrypted || !e.Expiry.Equal(Tok("x").Expiry) || e.Updated.IsZero() || e.Err != nil {
			t.Fatalf("entry %+v", e)
		}
		if e := byKey[Others[3].Key()]; e.Identity != Others[3] || e.HasRefresh {
			t.Fatalf("access-only entry %+v", e)
		}
		if e := byKey[Others[2].Key()]; !errors.Is(e.Err, auth.ErrBadStoredToken) {
			t.Fatalf("garbage entry %+v", e)
		}
	})
}
