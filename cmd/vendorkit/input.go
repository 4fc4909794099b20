package main

import (
	"context"
	"fmt"
	"io"
)

// maxDataBody bounds what --data reads (a file, stdin): a request body is
// held in memory, since a request re-sent after a re-authentication needs
// it again.
const maxDataBody = 32 << 20

// readBounded returns what read returns, or ctx's error as soon as ctx
// ends (--timeout, Ctrl-C): a read from a terminal, a pipe nobody closes
// or a FIFO nobody opens blocks until then, and no read can be
// interrupted. An abandoned read ends with the process.
func readBounded(ctx context.Context, read func() ([]byte, error)) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		b, err := read()
		ch <- result{b, err}
	}()
	select {
	case r := <-ch:
		return r.b, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("still reading: %w", context.Cause(ctx))
	}
}

// readLimited reads r up to limit+1 bytes (one more than allowed says
// there is more).
func readLimited(r io.Reader, limit int64) func() ([]byte, error) {
	return func() ([]byte, error) { return io.ReadAll(io.LimitReader(r, limit+1)) }
}
