package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/internal/storetest"
	"github.com/vendorkit/vendorkit/auth/redisstore"
)

// goodReply answers the commands the store sends as an empty Redis would
// (no entry, no lease, scripts succeed).
func goodReply(cmd []string) string {
	switch strings.ToUpper(cmd[0]) {
	case "GETRANGE":
		return "$0\r\n\r\n"
	case "EXISTS":
		return ":0\r\n"
	case "EVALSHA", "EVAL":
		return ":1\r\n"
	case "SET":
		return "+OK\r\n"
	case "SUBSCRIBE":
		return "*3\r\n" + bulk("subscribe") + bulk(cmd[1]) + ":1\r\n"
	case "SCAN":
		return "*2\r\n" + bulk("0") + "*0\r\n"
	}
	return ""
}

// A server answering errors or garbage to any command the store sends
// makes each call that sends it return an error (neither a bad entry nor a
// success, and no panic: a bulk or array length near MaxInt64 made
// go-redis panic in a goroutine no recover reached, killing the process),
// and the same client works again once the server answers properly.
func TestGarbageRepliesAreErrors(t *testing.T) {
	var bad atomic.Pointer[[2]string] // command, reply
	f := startFakeRedis(t, func(cmd []string) string {
		if b := bad.Load(); b != nil && strings.EqualFold(cmd[0], b[0]) {
			return b[1]
		}
		return goodReply(cmd)
	})
	rdb := redis.NewClient(&redis.Options{Addr: f.ln.Addr().String(), MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	s, err := redisstore.New(rdb, redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := storetest.ID
	ops := storeCalls(s, id)
	sends := map[string][]string{
		"GETRANGE":  {"Load", "CompareAndSwap"},
		"EVALSHA":   {"CompareAndSwap"},
		"SET":       {"TryLease"},
		"SUBSCRIBE": {"WaitLease"},
		"EXISTS":    {"WaitLease", "Load", "CompareAndSwap"},
		"SCAN":      {"List"},
	}
	replies := map[string]string{
		"ERR":             "-ERR something broke\r\n",
		"READONLY":        "-READONLY You can't write against a read only replica.\r\n",
		"LOADING":         "-LOADING Redis is loading the dataset in memory\r\n",
		"MASTERDOWN":      "-MASTERDOWN Link with MASTER is down\r\n",
		"HTTP":            "HTTP/1.1 400 Bad Request\r\n\r\n",
		"negative array":  "*-5\r\n",
		"closed":          closeConn,
		"bulk of 2^63-1":  "$9223372036854775807\r\n",
		"bulk of 2^63-2":  "$9223372036854775806\r\n",
		"array of 2^63-1": "*9223372036854775807\r\n",
	}
	run := func(name string, op func(context.Context) error) error {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // hang guard
		defer cancel()
		err := op(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%s: still waiting after 20s", name)
		}
		return err
	}
	for cmd, names := range sends {
		for rname, reply := range replies {
			bad.Store(&[2]string{cmd, reply})
			for _, name := range names {
				err := run(name, ops[name])
				if err == nil || errors.Is(err, auth.ErrBadStoredToken) {
					t.Errorf("%s answered %s: %s returned %v, want a store error", cmd, rname, name, err)
				}
			}
			bad.Store(nil)
			for name, op := range ops {
				if err := run(name, op); err != nil {
					t.Errorf("after %s answered %s: %s: %v", cmd, rname, name, err)
				}
			}
		}
	}
}
