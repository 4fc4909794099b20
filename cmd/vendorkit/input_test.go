package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// runHeld runs the built CLI with a stdin pipe that is never written to
// nor closed; signal, when set, is sent once the process is running (and
// blocked: nothing else can happen). It fails the test if the process is
// still running after 20s: a hang guard, not a measure of speed.
func runHeld(t *testing.T, sig os.Signal, args ...string) (code int, stderr string) {
	t.Helper()
	bin := builtBinary(t)
	// A signal sent before main registered its handler kills the process
	// (no exit code): try again, later.
	for attempt := 1; ; attempt++ {
		cmd := exec.Command(bin, args...)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		var errb strings.Builder
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		if sig != nil {
			time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
			_ = cmd.Process.Signal(sig)
		}
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			stdin.Close()
			t.Fatalf("%v: still running 20s on, blocked on a stdin that never closes", args)
		}
		stdin.Close()
		if code := cmd.ProcessState.ExitCode(); code != -1 || attempt == 5 {
			return code, errb.String()
		}
	}
}

// Reading --data - and --token - from a stdin nobody closes, or --data
// @FIFO nobody writes, is bounded by --timeout and ended by Ctrl-C; no
// request is sent.
func TestHeldInputBounded(t *testing.T) {
	var requests atomic.Int64
	count := func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }
	hostileBSS(t, count, count)
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"do", "--vendor", "bss", "--data", "-", "PUT", "/api/accounts/1"},
		{"do", "--vendor", "bss", "--data", "@" + fifo, "PUT", "/api/accounts/1"},
	} {
		code, stderr := runHeld(t, nil, append(args, "--timeout", "1s")...)
		if code != exitNetwork || !strings.Contains(stderr, "timed out after 1s") {
			t.Errorf("%v --timeout 1s: exit %d, stderr %q; want %d, timed out", args, code, stderr, exitNetwork)
		}
		code, stderr = runHeld(t, os.Interrupt, args...)
		if code != exitInterrupted || strings.TrimSpace(stderr) != "vendorkit: interrupted" {
			t.Errorf("%v, Ctrl-C: exit %d, stderr %q; want %d, interrupted", args, code, stderr, exitInterrupted)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent with no input read", n)
	}

	io := startSandbox(t).Vendor("ioffice")
	args := []string{"revoke", "--vendor", "ioffice", "--token", "-"}
	if code, stderr := runHeld(t, nil, append(args, "--timeout", "1s")...); code != exitNetwork || !strings.Contains(stderr, "timed out after 1s") {
		t.Errorf("%v --timeout 1s: exit %d, stderr %q; want %d, timed out", args, code, stderr, exitNetwork)
	}
	if code, stderr := runHeld(t, os.Interrupt, args...); code != exitInterrupted || strings.TrimSpace(stderr) != "vendorkit: interrupted" {
		t.Errorf("%v, Ctrl-C: exit %d, stderr %q; want %d, interrupted", args, code, stderr, exitInterrupted)
	}
	if n := tokenReqs(io); n != 0 {
		t.Errorf("%d token endpoint requests with no token read", n)
	}
}

// --data is read up to maxDataBody: /dev/zero, or a file over the limit,
// is a usage error, not a process that eats all memory.
func TestDataBodyBounded(t *testing.T) {
	var requests atomic.Int64
	count := func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }
	hostileBSS(t, nil, count)
	big := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(big, make([]byte, maxDataBody+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, data := range []string{"@/dev/zero", "@" + big} {
		r := vk(t, "", "do", "--vendor", "bss", "--data", data, "PUT", "/api/accounts/1")
		if r.code != exitUsage || !strings.Contains(r.stderr, "more than 32 MiB") {
			t.Errorf("--data %s: exit %d, stderr %q; want %d, the limit", data, r.code, r.stderr, exitUsage)
		}
	}
	// Exactly the limit is sent.
	exact := filepath.Join(t.TempDir(), "exact.json")
	if err := os.WriteFile(exact, make([]byte, maxDataBody), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := vk(t, "", "do", "--vendor", "bss", "--data", "@"+exact, "PUT", "/api/accounts/1"); r.code != exitOK {
		t.Errorf("--data of exactly the limit: exit %d, stderr %q", r.code, r.stderr)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1 (the body within the limit)", n)
	}
}
