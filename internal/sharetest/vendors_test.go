package sharetest

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/filestore"
	"github.com/vendorkit/vendorkit/auth/redisstore"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/vendors"
	"github.com/vendorkit/vendorkit/internal/testservice"
	"github.com/vendorkit/vendorkit/sandbox"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// One store serves the clients of all four vendors: each gets its own
// token, a restarted client of each adopts its own (no token request),
// the listing names every entry without a secret, and the stored bytes
// never hold a password or client secret — nor, with a key, a token.
func TestFourVendorsShareOneStore(t *testing.T) {
	for _, kind := range []string{"file", "redis"} {
		for _, key := range [][]byte{nil, testKey} {
			name := kind + "/clear"
			if key != nil {
				name = kind + "/encrypted"
			}
			t.Run(name, func(t *testing.T) { testFourVendors(t, kind, key) })
		}
	}
}

func testFourVendors(t *testing.T, kind string, key []byte) {
	ctx := context.Background()
	var store auth.Store
	var dump func() []string // every stored byte string: files, or Redis keys and values
	switch kind {
	case "file":
		dir := filepath.Join(t.TempDir(), "tokens")
		s, err := filestore.New(dir, filestore.Options{Key: key})
		if err != nil {
			t.Fatal(err)
		}
		store = s
		dump = func() []string {
			var out []string
			des, _ := os.ReadDir(dir)
			for _, de := range des {
				b, err := os.ReadFile(filepath.Join(dir, de.Name()))
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, de.Name(), string(b))
				if fi, _ := de.Info(); fi.Mode().Perm() != 0o600 {
					t.Errorf("%s: mode %#o", de.Name(), fi.Mode().Perm())
				}
			}
			if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
				t.Errorf("directory mode %#o", fi.Mode().Perm())
			}
			return out
		}
	case "redis":
		r := testservice.StartRedis(t)
		rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
		t.Cleanup(func() { rdb.Close() })
		s, err := redisstore.New(rdb, redisstore.Options{Key: key})
		if err != nil {
			t.Fatal(err)
		}
		store = s
		dump = func() []string {
			keys, err := rdb.Keys(ctx, "*").Result()
			if err != nil {
				t.Fatal(err)
			}
			out := append([]string{}, keys...)
			for _, k := range keys {
				if v, err := rdb.Get(ctx, k).Result(); err == nil {
					out = append(out, v)
				}
			}
			return out
		}
	}

	sb, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	var static []string // passwords, client secrets: never stored
	env := map[string]string{}
	for _, v := range sb.Vendors() {
		static = append(static, v.Secrets()...) // nothing issued yet: static secrets only
		for k, val := range v.Env() {
			env[k] = val
		}
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	open := func() map[string]client.Session {
		cs := map[string]client.Session{}
		for _, vd := range vendors.All() {
			c, err := vd.Open(lookup, client.WithTokenStore(store))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			cs[vd.Name] = c
		}
		return cs
	}
	first := map[string]string{}
	for name, c := range open() {
		tok, err := c.Token(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		first[name] = tok.AccessToken
	}
	requests := func() int {
		n := 0
		for _, v := range sb.Vendors() {
			for _, c := range v.Stats().TokenRequests {
				n += c
			}
		}
		return n
	}
	before := requests()
	for name, c := range open() { // restarted clients
		tok, err := c.Token(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if tok.AccessToken != first[name] {
			t.Errorf("%s: restarted client got another token than its own", name)
		}
	}
	if n := requests() - before; n != 0 {
		t.Errorf("restarted clients made %d token requests, want 0 (each adopts its own)", n)
	}

	// Listing: one entry per vendor, no secret.
	list, err := store.(auth.Lister).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Identity.Vendor+" "+e.Identity.User)
		if e.Err != nil || e.Encrypted != (key != nil) || e.Identity.BaseURL == "" {
			t.Errorf("entry %+v", e)
		}
	}
	sort.Strings(got)
	var want []string // each vendor, with its user where its grant has one
	for _, vd := range vendors.All() {
		want = append(want, vd.Name+" "+env["VENDORKIT_"+strings.ToUpper(vd.Name)+"_USERNAME"])
	}
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("listed %q, want %q", got, want)
	}

	// Scan every stored byte.
	var secrets []string
	secrets = append(secrets, static...)
	secrets = append(secrets, env["VENDORKIT_BSS_CLIENT_KEY"], env["VENDORKIT_DECISIV_CONSUMER_KEY"])
	if key != nil {
		for _, v := range sb.Vendors() {
			secrets = append(secrets, v.Secrets()...) // issued tokens too
		}
	}
	stored := strings.Join(dump(), "\n")
	listing := ""
	for _, e := range list {
		listing += e.Key + e.Identity.ClientHash + e.Identity.User + e.Identity.BaseURL + "\n"
	}
	for _, sec := range secrets {
		if len(sec) < 6 {
			continue
		}
		for _, form := range []string{sec, url.QueryEscape(sec), base64.StdEncoding.EncodeToString([]byte(sec)),
			base64.RawURLEncoding.EncodeToString([]byte(sec))} {
			if strings.Contains(stored, form) {
				t.Errorf("stored bytes contain a secret (%d bytes)", len(sec))
			}
			if strings.Contains(listing, form) {
				t.Errorf("the listing contains a secret (%d bytes)", len(sec))
			}
		}
	}
	if key == nil && !strings.Contains(stored, first["bss"]) {
		t.Error("without a key the token is expected in clear (the README says so); the scan saw none")
	}
}

// A corrupted entry (truncated, here) counts as empty with one warning in
// the client's log, is never served, and the next good token replaces it.
func TestCorruptEntryReplaced(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "tokens")
	store, err := filestore.New(dir, filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := startSandbox(t, 0, 0)
	env := v.Env()
	lookup := func(k string) (string, bool) { s, ok := env[k]; return s, ok }
	vd, _ := vendors.Find("ioffice")
	c1, err := vd.Open(lookup, client.WithTokenStore(store))
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	if _, err := c1.Token(ctx); err != nil {
		t.Fatal(err)
	}
	id := auth.NewIdentity("ioffice", env["VENDORKIT_IOFFICE_BASE_URL"], env["VENDORKIT_IOFFICE_CLIENT_ID"], env["VENDORKIT_IOFFICE_USERNAME"])
	path := filepath.Join(dir, id.Key()+".json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw[:len(raw)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	c2, err := vd.Open(lookup, client.WithTokenStore(store), client.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	for range 3 {
		if _, err := c2.Token(ctx); err != nil {
			t.Fatal(err)
		}
	}
	c2.Close() // the source's goroutines have logged their last: logs is ours to read
	if n := strings.Count(logs.String(), "ignoring the stored token"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, logs.String())
	}
	if tok, err := store.Load(ctx, id); err != nil || tok == nil {
		t.Errorf("entry not replaced by the next good token: %v, %v", tok, err)
	}
	if logins := v.Stats().TokenRequests["auth_code"]; logins != 2 {
		t.Errorf("%d logins, want 2 (the truncated entry was not served)", logins)
	}
}
