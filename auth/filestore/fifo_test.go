//go:build unix

package filestore_test

import (
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/filestore"
	"github.com/vendorkit/vendorkit/auth/internal/storetest"
)

// An entry that is a FIFO (or any non-regular file) is not ours: Load
// reports it as a bad entry, and List skips it, instead of blocking in open(2) for a
// writer that never comes, and the next token replaces it.
func TestNonRegularEntryIsBad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	s, err := filestore.New(dir, filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := storetest.ID
	if err := syscall.Mkfifo(filepath.Join(dir, id.Key()+".json"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	done := make(chan struct{})
	var loadErr, listErr error
	var list []auth.StoredEntry
	var swapped bool
	var swapErr error
	go func() {
		defer close(done)
		_, loadErr = s.Load(ctx, id)
		list, listErr = s.List(ctx)
		swapped, swapErr = s.CompareAndSwap(ctx, id, nil, storetest.Tok("new"))
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second): // a hang guard, not a measure of speed
		t.Fatal("blocked opening a FIFO entry")
	}
	if !errors.Is(loadErr, auth.ErrBadStoredToken) {
		t.Errorf("Load: %v, want ErrBadStoredToken", loadErr)
	}
	if listErr != nil || len(list) != 0 {
		t.Errorf("List: %+v, %v; want nothing (a FIFO is no entry)", list, listErr)
	}
	if !swapped || swapErr != nil {
		t.Fatalf("CompareAndSwap(nil, new) = %v, %v; want the bad entry replaced", swapped, swapErr)
	}
	if tok, err := s.Load(ctx, id); err != nil || tok.AccessToken != storetest.Tok("new").AccessToken {
		t.Errorf("Load after replace: %v, %v", tok, err)
	}
}
