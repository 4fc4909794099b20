package redisstore_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/internal/storetest"
	"github.com/vendorkit/vendorkit/auth/redisstore"
)

// fakeRedis speaks RESP2 on a loopback port: it reads commands and
// answers each with reply(cmd), raw bytes, whatever they are. The
// connection handshake (HELLO, refused as by an old server; CLIENT) is
// answered as a real server would, unless reply handles it.
type fakeRedis struct {
	ln    net.Listener
	reply func(cmd []string) string
	mu    sync.Mutex
	conns []net.Conn
	seen  []string      // command names, in order
	next  chan struct{} // closed when the next command arrives
}

func startFakeRedis(t *testing.T, reply func(cmd []string) string) *fakeRedis {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeRedis{ln: ln, reply: reply, next: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns = append(f.conns, c)
			f.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				f.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		wg.Wait()
	})
	return f
}

func (f *fakeRedis) serve(c net.Conn) {
	rd := bufio.NewReader(c)
	for {
		cmd, err := readCommand(rd)
		if err != nil {
			return
		}
		name := strings.ToUpper(cmd[0])
		f.mu.Lock()
		f.seen = append(f.seen, name)
		close(f.next)
		f.next = make(chan struct{})
		f.mu.Unlock()
		out := f.reply(cmd)
		if out == noReply {
			continue
		}
		if out == "" {
			switch name {
			case "HELLO":
				out = "-ERR unknown command 'HELLO'\r\n"
			case "CLIENT":
				out = "+OK\r\n"
			}
		}
		if out == closeConn {
			return
		}
		if _, err := io.WriteString(c, out); err != nil {
			return
		}
	}
}

// Replies that are not bytes: closeConn closes the connection instead,
// noReply answers nothing, ever (a hung server, or a port that is not
// Redis's).
const (
	closeConn = "\x00close"
	noReply   = "\x00silent"
)

// arrival returns a channel closed when the next command arrives.
func (f *fakeRedis) arrival() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.next
}

func (f *fakeRedis) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

func readCommand(rd *bufio.Reader) ([]string, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || n <= 0 {
		return nil, io.ErrUnexpectedEOF
	}
	cmd := make([]string, n)
	for i := range cmd {
		line, err := rd.ReadString('\n')
		if err != nil {
			return nil, err
		}
		l, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "$")))
		if err != nil {
			return nil, err
		}
		b := make([]byte, l+2)
		if _, err := io.ReadFull(rd, b); err != nil {
			return nil, err
		}
		cmd[i] = string(b[:l])
	}
	return cmd, nil
}

func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

// storeCalls are every call of s on id, each an error unless it did its
// job: a swap that did not swap and a lease not taken are errors too.
func storeCalls(s *redisstore.Store, id auth.Identity) map[string]func(ctx context.Context) error {
	return map[string]func(ctx context.Context) error{
		"Load": func(ctx context.Context) error { _, err := s.Load(ctx, id); return err },
		"CompareAndSwap": func(ctx context.Context) error {
			ok, err := s.CompareAndSwap(ctx, id, nil, storetest.Tok("new"))
			if err == nil && !ok {
				return errors.New("not swapped")
			}
			return err
		},
		"TryLease": func(ctx context.Context) error {
			rel, ok, err := s.TryLease(ctx, id)
			if ok {
				rel()
			} else if err == nil {
				return errors.New("lease not taken")
			}
			return err
		},
		"WaitLease": func(ctx context.Context) error { return s.WaitLease(ctx, id) },
		"List":      func(ctx context.Context) error { _, err := s.List(ctx); return err },
	}
}
