package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"testing"
	"time"
)

// refreshDuration is row 3's load duration. `make bench` uses the default;
// set it lower for a quick local run: go test ./bench -run '^$'
// -bench RefreshHidden -benchtime 1x -vkbench.refresh 2s.
var refreshDuration = flag.Duration("vkbench.refresh", envDuration("VKBENCH_REFRESH", 10*time.Second),
	"duration of the BenchmarkRefreshHidden load (env VKBENCH_REFRESH)")

func envDuration(name string, def time.Duration) time.Duration {
	if v := os.Getenv(name); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d
		}
	}
	return def
}

// childEnv, when set, makes the test binary serve instead of testing (see
// remoteServers).
const childEnv = "VKBENCH_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(serveChild())
	}
	if cfg := os.Getenv(shareChildEnv); cfg != "" {
		os.Exit(shareChild(cfg))
	}
	code := m.Run()
	stopRemote()
	os.Exit(code)
}

// endpoints is what the child process serves: BSS base URLs (with the
// /bsssmapi prefix) of the sandbox and of the minimal server.
type endpoints struct {
	Sandbox string `json:"sandbox"`
	Minimal string `json:"minimal"`
}

func (e endpoints) base(server string) string {
	if server == "sandbox" {
		return e.Sandbox
	}
	return e.Minimal
}

var remote struct {
	once   sync.Once
	eps    endpoints
	err    error
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	inproc *servers // VKBENCH_INPROC=1
}

// remoteServers starts (once per test binary) the child process that
// serves the sandbox and the minimal server for rows 1 and 4. Keeping the
// servers out of this process keeps their allocations and CPU out of B/op,
// allocs/op, cpu-ns/op and -cpuprofile/-memprofile. VKBENCH_INPROC=1
// starts them in this process instead.
func remoteServers(b *testing.B) endpoints {
	b.Helper()
	remote.once.Do(func() {
		if os.Getenv("VKBENCH_INPROC") == "1" {
			srv, err := startServers(context.Background())
			if err != nil {
				remote.err = err
				return
			}
			remote.eps, remote.inproc = srv.endpoints(), srv
			return
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=1")
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			remote.err = err
			return
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			remote.err = err
			return
		}
		if err := cmd.Start(); err != nil {
			remote.err = err
			return
		}
		remote.cmd, remote.stdin = cmd, stdin
		line, err := bufio.NewReader(stdout).ReadBytes('\n')
		if err != nil {
			remote.err = fmt.Errorf("bench server child: %w", err)
			return
		}
		remote.err = json.Unmarshal(line, &remote.eps)
	})
	if remote.err != nil {
		b.Fatal(remote.err)
	}
	return remote.eps
}

// stopRemote closes the child's stdin, which makes it shut down.
func stopRemote() {
	if remote.inproc != nil {
		remote.inproc.Close()
	}
	if remote.cmd == nil {
		return
	}
	remote.stdin.Close()
	done := make(chan struct{})
	go func() { remote.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		remote.cmd.Process.Kill()
		<-done
	}
}

// serveChild runs in the child process: it starts the servers, prints
// their endpoints as one JSON line and serves until stdin is closed (the
// parent exited or called stopRemote).
func serveChild() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	srv, err := startServers(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench server child:", err)
		return 1
	}
	defer srv.Close()
	line, _ := json.Marshal(srv.endpoints())
	os.Stdout.Write(append(line, '\n'))
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	return 0
}
