package filestore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/filestore"
	"github.com/vendorkit/vendorkit/auth/internal/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestContract(t *testing.T) {
	var dir string
	storetest.Run(t, storetest.Harness{
		Reset: func(t *testing.T) { dir = filepath.Join(t.TempDir(), "tokens") },
		New: func(t *testing.T, key []byte) auth.Store {
			s, err := filestore.New(dir, filestore.Options{Key: key})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		Raw: func(t *testing.T, id auth.Identity) []byte {
			b, err := os.ReadFile(filepath.Join(dir, id.Key()+".json"))
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		Put: func(t *testing.T, id auth.Identity, raw []byte) {
			if err := os.WriteFile(filepath.Join(dir, id.Key()+".json"), raw, 0o600); err != nil {
				t.Fatal(err)
			}
		},
	})
}

// The directory is created 0700 and every file in it is 0600; a directory
// others can enter is refused, not silently used or changed.
func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "tokens")
	old := umask(0)
	defer umask(old)
	s, err := filestore.New(dir, filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if ok, err := s.CompareAndSwap(ctx, storetest.ID, nil, storetest.Tok("m")); !ok || err != nil {
		t.Fatal(ok, err)
	}
	rel, ok, err := s.TryLease(ctx, storetest.ID)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	rel()
	for _, p := range []string{dir, filepath.Dir(dir)} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %#o, want 0700", p, fi.Mode().Perm())
		}
	}
	des, _ := os.ReadDir(dir)
	if len(des) != 3 { // entry, .lock, .lease
		t.Errorf("%d files, want 3", len(des))
	}
	for _, de := range des {
		fi, _ := de.Info()
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %#o, want 0600", de.Name(), fi.Mode().Perm())
		}
	}

	loose := t.TempDir()
	if err := os.Chmod(loose, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := filestore.New(loose, filestore.Options{}); !errors.Is(err, filestore.ErrInsecureDir) {
		t.Fatalf("0755 directory: %v", err)
	}
	if fi, _ := os.Stat(loose); fi.Mode().Perm() != 0o755 {
		t.Fatal("New changed the mode of a directory it did not create")
	}
}

// A temporary file left by a writer killed mid-write is removed by the
// next writer, and never read.
func TestOrphanedTempFileRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	s, err := filestore.New(dir, filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(dir, storetest.ID.Key()+".tmp-123")
	if err := os.WriteFile(orphan, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tok, err := s.Load(context.Background(), storetest.ID); tok != nil || err != nil {
		t.Fatal(tok, err)
	}
	if ok, err := s.CompareAndSwap(context.Background(), storetest.ID, nil, storetest.Tok("n")); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("orphan still there: %v", err)
	}
}

func TestKeySize(t *testing.T) {
	if _, err := filestore.New(filepath.Join(t.TempDir(), "k"), filestore.Options{Key: []byte("short")}); err == nil {
		t.Fatal("a 5-byte key was accepted")
	}
}
