// Package filestore is an auth.Store in a directory, shared by the
// processes of one machine: CLI runs, cron jobs, an application and its
// restarts. One store holds the tokens of any number of clients (vendors,
// deployments, users); give every client the same store:
//
//	fs, err := filestore.New(dir, filestore.Options{Key: key})
//	c, err := bss.New(cfg, client.WithTokenStore(fs))
//
// Layout: one file per token identity, named by auth.Identity.Key (a hash:
// no vendor, URL, client key or user name appears in a file name), in a
// directory of mode 0700, files 0600. A file is written to a temporary
// file and renamed over the old one, so a reader never sees half of it.
// Writers hold an flock (github.com/gofrs/flock) on <key>.lock while they
// compare and swap; the lease (auth.Leaser) is an flock on <key>.lease,
// which the kernel releases when its holder exits, however it dies.
//
// Without Options.Key the access and refresh tokens are stored in clear
// (protected by the file modes only); with it they are sealed with
// AES-256-GCM, bound to the identity. A password or client secret is
// never stored: the flows keep them in memory.
package filestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/gofrs/flock"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/internal/envelope"
)

// Options configures a Store. The zero value stores tokens in clear.
type Options struct {
	// Key, when set, must be 32 bytes: tokens are sealed with AES-256-GCM.
	// Entries written without it (or with another key) then count as
	// empty and are overwritten by the next token.
	Key []byte
	// PollInterval is how often a lease wait or a lock attempt checks
	// again; 0 → 20ms.
	PollInterval time.Duration
	// Clock stamps entries' Updated time; nil → time.Now.
	Clock auth.Clock
}

// ErrInsecureDir is returned by New for a directory that others can
// read, write or enter.
var ErrInsecureDir = errors.New("vendorkit: token store directory is accessible by other users (want mode 0700)")

// Store is a directory of tokens. It implements auth.Store, auth.Leaser
// and auth.Lister, and is safe for concurrent use by goroutines and
// processes.
type Store struct {
	dir   string
	codec *envelope.Codec
	poll  time.Duration
	clock auth.Clock
}

const (
	dirMode     = 0o700
	fileMode    = 0o600
	entrySuffix = ".json"
)

// New opens (creating it with mode 0700 if needed) the store in dir. An
// existing directory must not be accessible by others (ErrInsecureDir):
// New does not change the mode of a directory it did not create.
func New(dir string, opts Options) (*Store, error) {
	codec, err := envelope.NewCodec(opts.Key)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, errors.New("vendorkit: token store directory not set")
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("vendorkit: token store: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("vendorkit: token store: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("vendorkit: token store: %s is not a directory", dir)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %#o", ErrInsecureDir, dir, fi.Mode().Perm())
	}
	s := &Store{dir: dir, codec: codec, poll: opts.PollInterval, clock: opts.Clock}
	if s.poll <= 0 {
		s.poll = 20 * time.Millisecond
	}
	if s.clock == nil {
		s.clock = envelope.SystemClock{}
	}
	return s, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) path(id auth.Identity, suffix string) string {
	return filepath.Join(s.dir, id.Key()+suffix)
}

// readEntry returns the file's bytes (nil when there is none). Anything
// but a regular file is not ours: opened without blocking, so that a FIFO
// (which would block the open until a writer came, lock held) or a device
// is reported, not waited on.
func readEntry(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: the entry is not a regular file", auth.ErrBadStoredToken)
	}
	// A larger file is not ours; reading one byte more says so.
	return io.ReadAll(io.LimitReader(f, envelope.MaxSize+1))
}

// Load returns id's token. It takes no lock: entries are replaced by
// rename, so a reader sees the old file or the new one, never a mix.
func (s *Store) Load(ctx context.Context, id auth.Identity) (*auth.Token, error) {
	raw, err := readEntry(s.path(id, entrySuffix))
	if err != nil || raw == nil {
		return nil, err
	}
	return s.codec.Decode(id, raw)
}

// CompareAndSwap replaces id's token under <key>.lock (see auth.Store).
// Waiting for the lock is bounded by ctx.
func (s *Store) CompareAndSwap(ctx context.Context, id auth.Identity, old, new *auth.Token) (bool, error) {
	lk := flock.New(s.path(id, ".lock"), flock.SetPermissions(fileMode))
	ok, err := lk.TryLockContext(ctx, s.poll)
	if err != nil {
		return false, fmt.Errorf("vendorkit: token store lock: %w", err)
	}
	if !ok {
		return false, ctx.Err()
	}
	defer lk.Unlock()
	s.removeOrphans(id)

	cur, err := s.Load(ctx, id)
	match, err := envelope.Matches(cur, err, old) // a bad entry counts as empty: old nil replaces it
	if !match || err != nil {
		return false, err
	}
	if new == nil {
		if err := os.Remove(s.path(id, entrySuffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return false, err
		}
		return true, nil
	}
	data, err := s.codec.Encode(id, new, s.clock.Now())
	if err != nil {
		return false, err
	}
	if err := s.write(id, data); err != nil {
		return false, err
	}
	return true, nil
}

// write replaces the entry atomically: a temporary file (mode 0600, in the
// same directory), synced, renamed over the entry, directory synced.
func (s *Store) write(id auth.Identity, data []byte) error {
	f, err := os.CreateTemp(s.dir, id.Key()+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(fileMode); err != nil && runtime.GOOS != "windows" {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.path(id, entrySuffix)); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(s.dir); err == nil {
		_ = d.Sync() // the rename survives a crash; best effort (not on every OS)
		d.Close()
	}
	return nil
}

// removeOrphans deletes temporary files a writer killed mid-write left
// behind. Called with <key>.lock held, so no live writer owns them.
func (s *Store) removeOrphans(id auth.Identity) {
	m, _ := filepath.Glob(filepath.Join(s.dir, id.Key()+".tmp-*"))
	for _, p := range m {
		os.Remove(p)
	}
}

// TryLease takes id's lease, an flock on <key>.lease, without waiting.
// The kernel releases it when the holder exits, killed or not, so a dead
// holder never blocks the others.
func (s *Store) TryLease(ctx context.Context, id auth.Identity) (func(), bool, error) {
	lk := flock.New(s.path(id, ".lease"), flock.SetPermissions(fileMode))
	ok, err := lk.TryLock()
	if err != nil {
		return nil, false, fmt.Errorf("vendorkit: token store lease: %w", err)
	}
	if !ok {
		return nil, false, nil
	}
	return func() { _ = lk.Unlock() }, true, nil
}

// WaitLease waits one poll interval (or until ctx ends): flock has no
// notification, and the caller checks the store and the lease again.
func (s *Store) WaitLease(ctx context.Context, id auth.Identity) error {
	t := time.NewTimer(s.poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// List describes every entry in the directory, without tokens. An entry
// that cannot be read is listed with Err set.
func (s *Store) List(ctx context.Context) ([]auth.StoredEntry, error) {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	var out []auth.StoredEntry
	for _, de := range des {
		name := de.Name()
		key, ok := strings.CutSuffix(name, entrySuffix)
		if !ok || !de.Type().IsRegular() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		raw, err := readEntry(filepath.Join(s.dir, name))
		if errors.Is(err, auth.ErrBadStoredToken) {
			out = append(out, auth.StoredEntry{Key: key, Err: err})
			continue
		}
		if err != nil {
			return nil, err
		}
		if raw == nil {
			continue // removed meanwhile
		}
		out = append(out, envelope.Info(key, raw))
	}
	return out, nil
}

var (
	_ auth.Store  = (*Store)(nil)
	_ auth.Leaser = (*Store)(nil)
	_ auth.Lister = (*Store)(nil)
)
