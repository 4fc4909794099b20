package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/filestore"
	"github.com/vendorkit/vendorkit/auth/redisstore"
	"github.com/vendorkit/vendorkit/internal/origin"
)

// The token cache that token, do, revoke, login, logout and status share
// across runs: a file store by default, Redis for a fleet of CI jobs.
const (
	envCacheDir      = "VENDORKIT_CACHE_DIR"
	envTokenStore    = "VENDORKIT_TOKEN_STORE"
	envTokenStoreKey = "VENDORKIT_TOKEN_STORE_KEY" // base64 of 32 bytes: seal the tokens with AES-256-GCM
)

// tokenCache is the store a run uses, and where it is, for messages.
type tokenCache struct {
	store auth.Store
	where string // "/home/u/.cache/vendorkit", or "redis://host:6379/0" without credentials
	close func()
}

// addNoCache registers --no-cache on cmd.
func addNoCache(cmd *cobra.Command, g *globals) {
	cmd.Flags().BoolVar(&g.noCache, "no-cache", false, "do not use the token cache for this run ("+envTokenStore+"=off for every run)")
}

// cache opens the token cache, once per run. It returns nil when the cache
// is off (--no-cache, VENDORKIT_TOKEN_STORE=off) or unusable, and then
// g.cacheUnusable says why it is unusable ("" when off). A cache that
// others can read or write is unusable: token and do say so in one line
// on stderr and go on without it (openVendor), commands that act on it
// fail (usableCache). A VENDORKIT_TOKEN_STORE that is neither file, off
// nor a Redis URL is a usage error.
func (g *globals) cache() (*tokenCache, error) {
	if g.cacheDone {
		return g.tc, g.cacheErr
	}
	g.cacheDone = true
	g.tc, g.cacheErr = g.openCache()
	return g.tc, g.cacheErr
}

// usableCache is the token cache, nil when it is off, for a command that
// acts on what it holds: unusable is a usage error that says why. what
// says what the command does with it ("logout acts on the token cache").
func (g *globals) usableCache(what string) (*tokenCache, error) {
	tc, err := g.cache()
	if err == nil && tc == nil && g.cacheUnusable != "" {
		return nil, usagef("%s, which is unusable: %s", what, g.cacheUnusable)
	}
	return tc, err
}

// needCache is usableCache for a command that cannot work without the
// cache: off is a usage error too.
func (g *globals) needCache(what string) (*tokenCache, error) {
	tc, err := g.usableCache(what)
	if err == nil && tc == nil {
		return nil, usagef("%s, which %s=off turns off", what, envTokenStore)
	}
	return tc, err
}

// unusable records why the cache is not used.
func (g *globals) unusable(format string, args ...any) (*tokenCache, error) {
	g.cacheUnusable = fmt.Sprintf(format, args...)
	return nil, nil
}

func (g *globals) openCache() (*tokenCache, error) {
	if g.noCache {
		return nil, nil
	}
	kind := strings.TrimSpace(os.Getenv(envTokenStore))
	if kind == "off" {
		return nil, nil
	}
	key, err := storeKey()
	if err != nil {
		return nil, err
	}
	switch {
	case kind == "" || kind == "file":
		dir, err := cacheDir()
		if err != nil {
			return g.unusable("no token cache directory (%v); set %s", err, envCacheDir)
		}
		if err := checkCacheDir(dir); err != nil {
			return g.unusable("%v", err)
		}
		fs, err := filestore.New(dir, filestore.Options{Key: key})
		if err != nil {
			return g.unusable("token cache %s: %s", dir, auth.SafeErrorString(err))
		}
		return &tokenCache{store: fs, where: dir, close: func() {}}, nil
	case strings.HasPrefix(kind, "redis://") || strings.HasPrefix(kind, "rediss://"):
		// ParseURL's errors may quote parts of the URL, which can hold a
		// password: they are not repeated.
		opts, err := redis.ParseURL(kind)
		if err != nil {
			return nil, usagef("%s: not a valid redis:// or rediss:// URL", envTokenStore)
		}
		// The rule for a vendor's http:// base URL: the tokens would
		// cross the network in clear.
		if host, _, _ := net.SplitHostPort(opts.Addr); opts.TLSConfig == nil && !origin.IsLoopback(host) && !g.insecure {
			return nil, usagef("%s: plain redis:// to %s, not a loopback host, would carry the tokens in clear; use rediss:// (TLS), or --insecure-http to allow it",
				envTokenStore, opts.Addr)
		}
		rdb := redis.NewClient(opts)
		rs, err := redisstore.New(rdb, redisstore.Options{Key: key})
		if err != nil {
			rdb.Close()
			return nil, err
		}
		return &tokenCache{store: rs, where: redisWhere(opts), close: func() { rdb.Close() }}, nil
	}
	return nil, usagef("%s: want file (the default), off, or a redis:// or rediss:// URL", envTokenStore)
}

// storeKey is the key in VENDORKIT_TOKEN_STORE_KEY, nil when it is unset.
// The error never quotes the variable: it holds a secret.
func storeKey() ([]byte, error) {
	s := strings.TrimSpace(os.Getenv(envTokenStoreKey))
	if s == "" {
		return nil, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == 32 {
			return k, nil
		}
	}
	return nil, usagef("%s: want 32 random bytes in base64, such as the output of: head -c 32 /dev/urandom | base64", envTokenStoreKey)
}

// redisWhere names a Redis store without its credentials.
func redisWhere(o *redis.Options) string {
	scheme := "redis"
	if o.TLSConfig != nil {
		scheme = "rediss"
	}
	return (&url.URL{Scheme: scheme, Host: o.Addr, Path: fmt.Sprintf("/%d", o.DB)}).String()
}

// closeCache releases the cache's connections.
func (g *globals) closeCache() {
	if g.tc != nil {
		g.tc.close()
	}
}

// cacheDir is $VENDORKIT_CACHE_DIR, else os.UserCacheDir()/vendorkit.
func cacheDir() (string, error) {
	if d := os.Getenv(envCacheDir); d != "" {
		return filepath.Abs(d)
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "vendorkit"), nil
}

// errUnsafeCache says why a cache directory or file is not used.
var errUnsafeCache = errors.New("token cache")

// checkCacheDir refuses a cache that someone else could read or change:
// the directory and every file in it must be this user's, with no
// permission for group or others, and entries must be regular files. A
// directory that does not exist yet is fine (filestore.New creates it
// 0700).
func checkCacheDir(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w %s: %v", errUnsafeCache, dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w %s is not a directory", errUnsafeCache, dir)
	}
	if err := checkPrivate(dir, fi, 0o700); err != nil {
		return err
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%w %s: %v", errUnsafeCache, dir, err)
	}
	for _, de := range des {
		p := filepath.Join(dir, de.Name())
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed meanwhile (a temporary file)
		}
		if err != nil {
			return fmt.Errorf("%w %s: %v", errUnsafeCache, p, err)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%w %s is not a regular file", errUnsafeCache, p)
		}
		if err := checkPrivate(p, fi, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// checkPrivate: fi (at p) belongs to this user and gives group and others
// no permission. want is the mode to suggest.
func checkPrivate(p string, fi fs.FileInfo, want fs.FileMode) error {
	if uid, ok := fileOwner(fi); ok && uid != os.Getuid() {
		return fmt.Errorf("%w %s belongs to another user (uid %d, not %d)", errUnsafeCache, p, uid, os.Getuid())
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%w %s is accessible by other users (mode %#o; chmod %o fixes it)", errUnsafeCache, p, fi.Mode().Perm(), want)
	}
	return nil
}

// warnf prints one "vendorkit: " line on stderr; the run goes on.
func (g *globals) warnf(format string, args ...any) {
	fmt.Fprintln(g.stderr, "vendorkit:", termSafe(oneLine(fmt.Sprintf(format, args...))))
}
