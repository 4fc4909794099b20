// Package envelope is the stored form of a token, shared by auth/filestore
// and auth/redisstore: a JSON object whose header names the identity
// (vendor, base URL, hashed client, user), the expiry and whether a
// refresh token exists, and whose body is the token, in clear or sealed
// with AES-256-GCM. The header is the sealed body's additional data, so a
// ciphertext moved to another identity's entry, or a header edited, fails
// to open. Stored bytes never contain a password or client secret: the
// token is the only secret in them. The package also holds the stores'
// compare-and-swap comparison (Matches) and their default clock.
package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vendorkit/vendorkit/auth"
)

// Format names this layout; an entry with another format is not read.
const Format = "vendorkit-token/1"

// MaxSize bounds a stored entry; larger ones are not ours.
const MaxSize = 256 << 10

// KeySize is the length of an encryption key: AES-256.
const KeySize = 32

// ErrKeySize is returned by NewCodec for a key that is not KeySize bytes.
var ErrKeySize = errors.New("vendorkit: token store key must be 32 bytes (AES-256)")

// Codec encodes and decodes entries, sealing them when it has a key.
type Codec struct {
	aead cipher.AEAD // nil: entries in clear
}

// NewCodec returns a Codec; an empty key stores tokens in clear.
func NewCodec(key []byte) (*Codec, error) {
	if len(key) == 0 {
		return &Codec{}, nil
	}
	if len(key) != KeySize {
		return nil, ErrKeySize
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Codec{aead: aead}, nil
}

// header is the part of an entry readable without the key. Times are
// strings so that the additional data re-marshals byte for byte.
type header struct {
	Format     string `json:"format"`
	Vendor     string `json:"vendor"`
	BaseURL    string `json:"base_url"`
	ClientHash string `json:"client_sha256,omitempty"`
	User       string `json:"user,omitempty"`
	Expiry     string `json:"expiry,omitempty"`
	HasRefresh bool   `json:"has_refresh"`
	Updated    string `json:"updated"`
	Encrypted  bool   `json:"encrypted"`
}

type body struct {
	AccessToken  string            `json:"access_token"`
	TokenType    string            `json:"token_type,omitempty"`
	Expiry       string            `json:"expiry,omitempty"`
	RefreshToken string            `json:"refresh_token,omitempty"`
	Extra        map[string]string `json:"extra,omitempty"`
}

type entry struct {
	header
	Token  *body  `json:"token,omitempty"`
	Sealed []byte `json:"sealed,omitempty"` // nonce || AES-256-GCM(body JSON), base64 in JSON
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// Encode returns the stored form of t for id, written at now.
func (c *Codec) Encode(id auth.Identity, t *auth.Token, now time.Time) ([]byte, error) {
	e := entry{header: header{
		Format:     Format,
		Vendor:     id.Vendor,
		BaseURL:    id.BaseURL,
		ClientHash: id.ClientHash,
		User:       id.User,
		Expiry:     formatTime(t.Expiry),
		HasRefresh: t.RefreshToken != "",
		Updated:    formatTime(now),
		Encrypted:  c.aead != nil,
	}}
	b := &body{
		AccessToken:  t.AccessToken,
		TokenType:    t.TokenType,
		Expiry:       formatTime(t.Expiry),
		RefreshToken: t.RefreshToken,
		Extra:        t.Extra,
	}
	if c.aead == nil {
		e.Token = b
		return json.Marshal(e)
	}
	plain, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	ad, err := json.Marshal(e.header)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(plain)+c.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	e.Sealed = c.aead.Seal(nonce, nonce, plain, ad)
	clear(plain)
	return json.Marshal(e)
}

// bad wraps auth.ErrBadStoredToken with a reason that names no value.
func bad(reason string) error { return fmt.Errorf("%w: %s", auth.ErrBadStoredToken, reason) }

// Decode returns the token raw holds for id. Every problem is an error
// wrapping auth.ErrBadStoredToken whose text says what is wrong and
// never quotes the entry.
func (c *Codec) Decode(id auth.Identity, raw []byte) (*auth.Token, error) {
	e, err := parse(raw)
	if err != nil {
		return nil, err
	}
	if e.Vendor != id.Vendor || e.BaseURL != id.BaseURL || e.ClientHash != id.ClientHash || e.User != id.User {
		return nil, bad("the entry belongs to another identity")
	}
	var b body
	switch {
	case c.aead == nil && e.Encrypted:
		return nil, bad("the entry is encrypted and no key is configured")
	case c.aead != nil && !e.Encrypted:
		return nil, bad("the entry is not encrypted but a key is configured")
	case c.aead == nil:
		if e.Token == nil {
			return nil, bad("the entry holds no token")
		}
		b = *e.Token
	default:
		ad, err := json.Marshal(e.header)
		if err != nil {
			return nil, bad("unreadable header")
		}
		ns := c.aead.NonceSize()
		if len(e.Sealed) < ns+c.aead.Overhead() {
			return nil, bad("the sealed token is truncated")
		}
		plain, err := c.aead.Open(nil, e.Sealed[:ns], e.Sealed[ns:], ad)
		if err != nil {
			return nil, bad("the token cannot be decrypted (wrong key, or the entry was altered)")
		}
		err = json.Unmarshal(plain, &b)
		clear(plain)
		if err != nil {
			return nil, bad("the sealed token is not JSON")
		}
	}
	if b.AccessToken == "" {
		return nil, bad("the entry holds no access token")
	}
	exp, err := parseTime(b.Expiry)
	if err != nil {
		return nil, bad("the token's expiry is not a time")
	}
	return &auth.Token{AccessToken: b.AccessToken, TokenType: b.TokenType, Expiry: exp,
		RefreshToken: b.RefreshToken, Extra: b.Extra}, nil
}

func parse(raw []byte) (*entry, error) {
	if len(raw) > MaxSize {
		return nil, bad("the entry is too large to be ours")
	}
	var e entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, bad("the entry is not vendorkit's JSON (truncated, or another tool's)")
	}
	if e.Format != Format {
		return nil, bad("the entry has another format (an older version, or another tool's)")
	}
	return &e, nil
}

// Info reads what the header says about raw, for listings: no token.
// key is the entry's name (auth.Identity.Key).
func Info(key string, raw []byte) auth.StoredEntry {
	se := auth.StoredEntry{Key: key}
	e, err := parse(raw)
	if err != nil {
		se.Err = err
		return se
	}
	se.Identity = auth.Identity{Vendor: e.Vendor, BaseURL: e.BaseURL, ClientHash: e.ClientHash, User: e.User}
	se.HasRefresh, se.Encrypted = e.HasRefresh, e.Encrypted
	var err1, err2 error
	se.Expiry, err1 = parseTime(e.Expiry)
	se.Updated, err2 = parseTime(e.Updated)
	if err1 != nil || err2 != nil {
		se.Err = bad("unreadable time in the header")
	} else if se.Identity.Key() != key {
		se.Err = bad("the entry belongs to another identity")
	}
	return se
}
