package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vendorkit/vendorkit/sandbox"
)

func TestMain(m *testing.M) {
	// No test touches the user's token cache: every run, in-process or a
	// child process (which inherits the environment), gets this one unless
	// the test names its own (privateCache).
	dir, err := os.MkdirTemp("", "vendorkit-test-cache")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv(envCacheDir, filepath.Join(dir, "cache"))
	os.Unsetenv(envTokenStore)
	code := m.Run()
	os.RemoveAll(dir)
	if buildOnce.bin != "" {
		os.RemoveAll(filepath.Dir(buildOnce.bin))
	}
	// net/http's idle keep-alive connections of http.DefaultTransport
	// (used by the demo's probe) outlive a test by design.
	if err := goleak.Find(goleak.IgnoreTopFunction("internal/poll.runtime_pollWait")); code == 0 && err != nil {
		fmt.Fprintln(os.Stderr, "goleak:", err)
		code = 1
	}
	os.Exit(code)
}

// result is one CLI invocation's outcome.
type result struct {
	code           int
	stdout, stderr string
}

// outputs collects every stdout/stderr a test captured, for the secret scan.
var outputs struct {
	sync.Mutex
	all []string
}

// vk runs the CLI in-process with args and stdin.
func vk(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, args, strings.NewReader(stdin), &out, &errb)
	r := result{code, out.String(), errb.String()}
	outputs.Lock()
	outputs.all = append(outputs.all, r.stderr)
	if len(args) == 0 || args[0] != "token" { // token prints the token it was asked for
		outputs.all = append(outputs.all, r.stdout)
	}
	outputs.Unlock()
	return r
}

// privateCache gives the test a token cache of its own, so that no test
// sees another's tokens, and returns its directory.
func privateCache(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cache")
	t.Setenv(envCacheDir, dir)
	t.Setenv(envTokenStore, "")
	return dir
}

// startSandbox serves the fake vendors and exports their VENDORKIT_*
// variables for the test, with a private token cache.
func startSandbox(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	return startSandboxOpts(t, sandbox.Options{})
}

// startSandboxOpts is startSandbox with options.
func startSandboxOpts(t *testing.T, opts sandbox.Options) *sandbox.Sandbox {
	t.Helper()
	privateCache(t)
	sb, err := sandbox.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		scanSecrets(t, sb)
		sb.Close()
	})
	for _, v := range sb.Vendors() {
		for k, val := range v.Env() {
			t.Setenv(k, val)
		}
	}
	return sb
}

// scanSecrets fails the test if any captured output (other than the token
// command's stdout) contains a secret the sandbox knows: passwords, client
// secrets, issued access and refresh tokens, codes.
func scanSecrets(t *testing.T, sb *sandbox.Sandbox) {
	t.Helper()
	outputs.Lock()
	defer outputs.Unlock()
	for _, v := range sb.Vendors() {
		for _, s := range v.Secrets() {
			if len(s) < 6 {
				continue
			}
			for _, out := range outputs.all {
				if strings.Contains(out, s) {
					t.Errorf("%s secret (%d chars, starts %q) printed in:\n%s", v.Name, len(s), s[:3], out)
				}
			}
		}
	}
	outputs.all = nil
}

func TestDemo(t *testing.T) {
	// The demo runs its own sandbox; scan the output for that one's secrets.
	var secrets []string
	demoSandboxHook = func(sb *sandbox.Sandbox) {
		for _, v := range sb.Vendors() {
			secrets = append(secrets, v.Secrets()...)
		}
	}
	t.Cleanup(func() { demoSandboxHook = nil })
	r := vk(t, "", "demo")
	if len(secrets) < 8 {
		t.Fatalf("the demo's sandbox reported only %d secrets", len(secrets))
	}
	for _, s := range secrets {
		if len(s) >= 6 && (strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s)) {
			t.Errorf("demo printed a secret (%d chars, starts %q)", len(s), s[:3])
		}
	}
	if r.code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"bss", "blueprint", "decisiv", "ioffice", "proactive refresh", "revoke-all", "rotated", "every step passed"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "FAIL") {
		t.Errorf("demo output has a failed step:\n%s", r.stdout)
	}
}

func TestTokenPrintsOnlyTheToken(t *testing.T) {
	sb := startSandbox(t)
	for _, v := range sb.Vendors() {
		t.Run(v.Name, func(t *testing.T) {
			r := vk(t, "", "token", "--vendor", v.Name)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			tok := strings.TrimSuffix(r.stdout, "\n")
			if tok == "" || strings.ContainsAny(tok, " \n\t") {
				t.Fatalf("stdout %q is not a single token line", r.stdout)
			}
			if !slices.Contains(v.Secrets(), tok) {
				t.Errorf("printed token is not one the sandbox issued")
			}
		})
	}
}

func TestTokenJSON(t *testing.T) {
	startSandbox(t)
	var out struct {
		AccessToken  string     `json:"access_token"`
		TokenType    string     `json:"token_type"`
		Expiry       *time.Time `json:"expiry"`
		RefreshToken string     `json:"refresh_token"`
	}
	r := vk(t, "", "token", "--vendor", "ioffice", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.AccessToken == "" || out.Expiry == nil || out.RefreshToken != "" {
		t.Errorf("--json without --show-refresh: %+v", out)
	}
	r = vk(t, "", "token", "--vendor", "ioffice", "--show-refresh")
	out.RefreshToken = ""
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.RefreshToken == "" {
		t.Errorf("--show-refresh: %v %+v", err, out)
	}
	r = vk(t, "", "token", "--vendor", "decisiv", "--json")
	out.Expiry = nil
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Expiry != nil || out.TokenType != "Bearer" {
		t.Errorf("decisiv has no expiry: %v %s", err, r.stdout)
	}
}

func TestDo(t *testing.T) {
	sb := startSandbox(t)
	r := vk(t, "", "do", "--vendor", "bss", "GET", "/api/accounts/1")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var acct struct{ ID int64 }
	if err := json.Unmarshal([]byte(r.stdout), &acct); err != nil || acct.ID != 1 {
		t.Errorf("stdout %q: %v", r.stdout, err)
	}

	r = vk(t, "", "do", "--vendor", "ioffice", "get", "external/api/rest/v2/users/me", "-H", "X-Trace: 1")
	if r.code != 0 || !strings.Contains(r.stdout, `"id"`) {
		t.Errorf("ioffice users/me: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}

	r = vk(t, "", "do", "--vendor", "bss", "GET", "/api/accounts/424242")
	if r.code != exitHTTP || !strings.Contains(r.stderr, "HTTP 404") {
		t.Errorf("404: exit %d, stderr %q", r.code, r.stderr)
	}

	// Revoked server-side: the stack re-authenticates once, the call works.
	sb.Vendor("decisiv").RevokeAll()
	r = vk(t, "", "do", "--vendor", "decisiv", "GET", "/platform_api/bearer_test")
	if r.code != 0 {
		t.Errorf("decisiv after revoke-all: exit %d %q", r.code, r.stderr)
	}

	r = vk(t, "", "do", "--vendor", "bss", "GET")
	if r.code != exitUsage {
		t.Errorf("missing PATH: exit %d", r.code)
	}
	r = vk(t, "", "do", "--vendor", "bss", "GET", "/api/accounts/1", "-H", "no-colon")
	if r.code != exitUsage {
		t.Errorf("bad -H: exit %d", r.code)
	}
}

func TestDoVerboseRedacts(t *testing.T) {
	startSandbox(t)
	r := vk(t, "", "-v", "do", "--vendor", "bss", "GET", "/api/accounts/1")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"POST", "/bsssmapi/oauth/token", "GET", "/bsssmapi/api/accounts/1", "200 OK", "token requests: 1 grant"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("-v output lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestErrors(t *testing.T) {
	startSandbox(t)
	t.Run("unknown vendor", func(t *testing.T) {
		r := vk(t, "", "token", "--vendor", "not a vendor") // can never become real
		if r.code != exitUsage || !strings.Contains(r.stderr, `unknown vendor "not a vendor"`) {
			t.Errorf("exit %d %q", r.code, r.stderr)
		}
	})
	t.Run("no vendor", func(t *testing.T) {
		if r := vk(t, "", "token"); r.code != exitUsage {
			t.Errorf("exit %d %q", r.code, r.stderr)
		}
	})
	t.Run("stray argument", func(t *testing.T) {
		if r := vk(t, "", "revoke", "--vendor", "ioffice", "extra"); r.code != exitUsage {
			t.Errorf("exit %d %q", r.code, r.stderr)
		}
	})
	t.Run("unknown command", func(t *testing.T) {
		if r := vk(t, "", "frobnicate"); r.code != exitUsage || !strings.Contains(r.stderr, "unknown command") {
			t.Errorf("exit %d %q", r.code, r.stderr)
		}
	})
	t.Run("unknown flag", func(t *testing.T) {
		if r := vk(t, "", "token", "--nope"); r.code != exitUsage {
			t.Errorf("exit %d %q", r.code, r.stderr)
		}
	})
	t.Run("missing config names the variable", func(t *testing.T) {
		t.Setenv("VENDORKIT_BSS_PASSWORD", "")
		r := vk(t, "", "token", "--vendor", "bss")
		if r.code != exitUsage || !strings.Contains(r.stderr, "VENDORKIT_BSS_PASSWORD") {
			t.Errorf("exit %d %q", r.code, r.stderr)
		}
	})
	t.Run("bad credentials print the vendor's error", func(t *testing.T) {
		t.Setenv("VENDORKIT_BSS_PASSWORD", "wrong-password-123")
		r := vk(t, "", "token", "--vendor", "bss")
		if r.code != exitAuth || !strings.Contains(r.stderr, "invalid_grant") {
			t.Errorf("exit %d %q", r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "wrong-password-123") || strings.Count(r.stderr, "\n") != 1 || strings.Count(r.stderr, "vendorkit:") != 1 {
			t.Errorf("stderr must be one line without the password: %q", r.stderr)
		}
	})
	t.Run("dead host", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := "http://" + l.Addr().String()
		l.Close()
		r := vk(t, "", "token", "--vendor", "blueprint", "--base-url", dead)
		if r.code != exitNetwork || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("exit %d %q", r.code, r.stderr)
		}
	})
}

func TestSandboxCommandPrintsExports(t *testing.T) {
	var out, errb bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	w := &notifyWriter{w: &out, ready: make(chan struct{}), want: "VENDORKIT_IOFFICE_USERNAME"}
	go func() {
		done <- run(ctx, []string{"sandbox", "--addr", "127.0.0.1:0"}, strings.NewReader(""), w, &errb)
	}()
	select {
	case <-w.ready:
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox printed no exports")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got := w.String()
	for _, want := range []string{"export VENDORKIT_BSS_BASE_URL=http://127.0.0.1:", "/bsssmapi", "export VENDORKIT_BSS_CLIENT_SECRET=", "export VENDORKIT_DECISIV_CONSUMER_KEY=", "export VENDORKIT_IOFFICE_REDIRECT_URI="} {
		if !strings.Contains(got, want) {
			t.Errorf("sandbox output lacks %q:\n%s", want, got)
		}
	}
}

// notifyWriter closes ready once want has been written.
type notifyWriter struct {
	mu    sync.Mutex
	w     *bytes.Buffer
	ready chan struct{}
	want  string
	done  bool
}

func (n *notifyWriter) Write(p []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	k, err := n.w.Write(p)
	if !n.done && strings.Contains(n.w.String(), n.want) {
		n.done = true
		close(n.ready)
	}
	return k, err
}

func (n *notifyWriter) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.w.String()
}
