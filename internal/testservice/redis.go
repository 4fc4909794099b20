package testservice

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Redis is a throwaway redis-server on a loopback port, persistence off.
type Redis struct {
	Addr string // 127.0.0.1:PORT
	bin  string
	dir  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// StartRedis starts a redis-server for t and stops it when t ends. It fails
// or skips t (see package doc) when redis-server is not installed.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	bin := os.Getenv("VENDORKIT_TEST_REDIS_SERVER")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("redis-server"); err != nil {
			missing(t, "redis-server", "apt-get install redis-server")
		}
	}
	r := &Redis{bin: bin, dir: t.TempDir()}
	var lastErr error
	for range 5 { // a free port can be taken between probe and bind
		r.port = FreePorts(t, 1)
		r.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port))
		if lastErr = r.start(); lastErr == nil {
			t.Cleanup(r.Kill)
			return r
		}
	}
	t.Fatalf("testservice: redis-server did not start: %v", lastErr)
	return nil
}

func (r *Redis) start() error {
	cmd := exec.Command(r.bin,
		"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir,
		"--daemonize", "no", "--loglevel", "warning", "--logfile", filepath.Join(r.dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	r.cmd, r.done = cmd, done
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := ping(r.Addr); err == nil {
			return nil
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(r.dir, "redis.log"))
			return fmt.Errorf("redis-server exited: %s", strings.TrimSpace(string(log)))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.Kill()
			return fmt.Errorf("redis-server on %s not ready after 10s", r.Addr)
		}
	}
}

// Kill stops the server at once (SIGKILL) and waits for it to exit. It is
// safe to call more than once.
func (r *Redis) Kill() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.done
	r.cmd = nil
}

// Restart starts the server again on the same port (after Kill), empty:
// persistence is off.
func (r *Redis) Restart(t testing.TB) {
	t.Helper()
	r.Kill()
	if err := r.start(); err != nil {
		t.Fatalf("testservice: redis-server did not restart on %s: %v", r.Addr, err)
	}
}

// ping sends an inline PING and expects +PONG.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}
