package sharetest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/filestore"
	"github.com/vendorkit/vendorkit/auth/redisstore"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/ioffice"
)

// childEnv carries a child's configuration (JSON); when set, the test
// binary runs child instead of the tests.
const childEnv = "VK_SHARETEST_CHILD"

func TestMain(m *testing.M) {
	if cfg := os.Getenv(childEnv); cfg != "" {
		os.Exit(child(cfg))
	}
	os.Exit(m.Run())
}

// childConfig is what one process does.
type childConfig struct {
	Store       string            // "file" or "redis"
	Dir         string            // file store directory
	Addr        string            // redis address
	Key         []byte            // encryption key, if any
	LeaseTTL    time.Duration     // redis lease TTL (0: default)
	Duration    time.Duration     // how long to call (from StartAt, or from start)
	StartAt     time.Time         // if set, calls start then: processes run in step
	Workers     int               // goroutines calling back to back
	CallTimeout time.Duration     // each call's context deadline
	StaleWindow time.Duration     // 0: default
	Env         map[string]string // VENDORKIT_IOFFICE_*
}

// childResult is what a child prints as its last line.
type childResult struct {
	Calls      int
	Errors     int
	FirstError string
	Tokens     []string // SHA-256 prefixes of the access tokens it held
	Rotations  int      // successful refreshes (TokenRotated events)
	Stats      auth.Stats
}

func openStore(cfg childConfig) (auth.Store, func(), error) {
	switch cfg.Store {
	case "file":
		s, err := filestore.New(cfg.Dir, filestore.Options{Key: cfg.Key})
		return s, func() {}, err
	case "redis":
		rdb := redis.NewClient(&redis.Options{Addr: cfg.Addr})
		s, err := redisstore.New(rdb, redisstore.Options{Key: cfg.Key, LeaseTTL: cfg.LeaseTTL})
		return s, func() { rdb.Close() }, err
	}
	return nil, nil, fmt.Errorf("unknown store %q", cfg.Store)
}

func tokenHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// child calls the iOFFICE sandbox through the shared store for
// cfg.Duration. It prints "ready" after its first successful call and its
// childResult as JSON at the end.
func child(raw string) int {
	var cfg childConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "child config:", err)
		return 2
	}
	store, closeStore, err := openStore(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child store:", err)
		return 2
	}
	defer closeStore()
	icfg, err := ioffice.FromLookup(func(k string) (string, bool) { v, ok := cfg.Env[k]; return v, ok })
	if err != nil {
		fmt.Fprintln(os.Stderr, "child env:", err)
		return 2
	}
	var rotations atomic.Int64
	opts := []client.Option{client.WithTokenStore(store), client.WithTokenHook(func(ev auth.TokenEvent) {
		if ev.Reason == auth.TokenRotated {
			rotations.Add(1)
		}
	})}
	if cfg.StaleWindow > 0 {
		opts = append(opts, client.WithStaleWindow(cfg.StaleWindow))
	}
	c, err := ioffice.New(icfg, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child client:", err)
		return 2
	}
	var (
		mu     sync.Mutex
		res    childResult
		seen   = map[string]bool{}
		ready  sync.Once
		wg     sync.WaitGroup
		stdout = bufio.NewWriter(os.Stdout)
	)
	if d := time.Until(cfg.StartAt); d > 0 {
		time.Sleep(d)
	}
	deadline := time.Now().Add(cfg.Duration)
	for range max(cfg.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				ctx, cancel := context.WithTimeout(context.Background(), cfg.CallTimeout)
				resp, err := c.GetCurrentUserWithResponse(ctx)
				if err == nil && resp.StatusCode() != 200 {
					err = fmt.Errorf("status %d", resp.StatusCode())
				}
				var tok *auth.Token
				if err == nil {
					tok, err = c.Token(ctx)
				}
				cancel()
				mu.Lock()
				res.Calls++
				if err != nil {
					res.Errors++
					if res.FirstError == "" {
						res.FirstError = auth.SafeErrorString(err)
					}
				} else {
					seen[tokenHash(tok.AccessToken)] = true
				}
				mu.Unlock()
				if err == nil {
					ready.Do(func() {
						mu.Lock()
						fmt.Fprintln(stdout, "ready")
						stdout.Flush()
						mu.Unlock()
					})
				}
			}
		}()
	}
	wg.Wait()
	// As a process about to exit should: let a refresh in flight finish
	// (and be stored) before Close cancels it. Closing at once would
	// abandon it, and with 8 processes stopping a few milliseconds apart
	// under load one may abandon a refresh that the next one then makes
	// again and abandons too.
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	if err := c.Source().WaitIdle(wctx); err != nil {
		fmt.Fprintln(os.Stderr, "child: a token fetch still ran at exit:", err)
	}
	wcancel()
	c.Close()
	res.Stats = c.Source().Stats()
	res.Rotations = int(rotations.Load())
	for h := range seen {
		res.Tokens = append(res.Tokens, h)
	}
	b, _ := json.Marshal(res)
	fmt.Fprintln(stdout, string(b))
	stdout.Flush()
	return 0
}

// proc is a running child.
type proc struct {
	cmd    *exec.Cmd
	ready  chan struct{}
	result chan childResult
	stderr *lockedWriter
}

// start runs a child with cfg.
func start(t *testing.T, cfg childConfig) *proc {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(b))
	p := &proc{cmd: cmd, ready: make(chan struct{}), result: make(chan childResult, 1), stderr: &lockedWriter{}}
	cmd.Stderr = p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var last string
		for sc.Scan() {
			if sc.Text() == "ready" {
				close(p.ready)
				continue
			}
			last = sc.Text()
		}
		io.Copy(io.Discard, out)
		var r childResult
		if err := json.Unmarshal([]byte(last), &r); err != nil {
			r = childResult{Errors: -1, FirstError: "no result (killed or crashed)"}
		}
		p.result <- r
	}()
	return p
}

// wait returns the child's result once it has exited.
func (p *proc) wait(t *testing.T) childResult {
	t.Helper()
	r := <-p.result
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("child exited: %v\n%s", err, p.stderr.String())
	}
	return r
}

// kill9 sends SIGKILL: no deferred function, no lease release runs.
func (p *proc) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.result
	p.cmd.Wait()
}

func (p *proc) waitReady(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case <-p.ready:
	case <-time.After(within):
		t.Fatalf("child not ready after %v\n%s", within, p.stderr.String())
	}
}

// lockedWriter collects a child's stderr (at most 64 KiB).
type lockedWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 64<<10 {
		l.b.Write(b)
	}
	return len(b), nil
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
