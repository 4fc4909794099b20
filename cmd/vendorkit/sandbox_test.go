package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/specs"

	"github.com/vendorkit/vendorkit/internal/testservice"
	"github.com/vendorkit/vendorkit/sandbox"
)

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// cliSandbox is `vendorkit ... sandbox ...` running in-process.
type cliSandbox struct {
	env    map[string]string // its exports
	sb     *sandbox.Sandbox
	admin  *sandbox.Admin
	cancel context.CancelFunc
	done   chan int
	out    *notifyWriter
	errb   *lockedBuffer
	once   sync.Once
	res    result
}

// runSandbox runs the CLI with args until it printed its exports (or
// exited), exports them for the test, and stops it when the test ends.
func runSandbox(t *testing.T, args ...string) *cliSandbox {
	t.Helper()
	privateCache(t)
	c := &cliSandbox{
		done: make(chan int, 1),
		out:  &notifyWriter{w: &bytes.Buffer{}, ready: make(chan struct{}), want: envAdminURL},
		errb: &lockedBuffer{},
	}
	sandboxHook = func(sb *sandbox.Sandbox, a *sandbox.Admin) { c.sb, c.admin = sb, a }
	t.Cleanup(func() { sandboxHook = nil })
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() { c.done <- run(ctx, args, strings.NewReader(""), c.out, c.errb) }()
	t.Cleanup(func() { c.stop() })
	select {
	case <-c.out.ready:
	case code := <-c.done:
		c.done <- code
		return c
	case <-time.After(20 * time.Second):
		t.Fatal("the sandbox printed no exports")
	}
	c.env = parseExports(t, c.out.String())
	for k, v := range c.env {
		t.Setenv(k, v)
	}
	return c
}

// stop interrupts the sandbox (Ctrl-C) and returns how it ended.
func (c *cliSandbox) stop() result {
	c.once.Do(func() {
		c.cancel()
		code := <-c.done
		c.res = result{code, c.out.String(), c.errb.String()}
	})
	return c.res
}

// parseExports reads `export K=V` lines as a POSIX shell would.
func parseExports(t *testing.T, out string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for line := range strings.Lines(out) {
		kv, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "export ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(v, "'") {
			v = strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'"), `'\''`, "'")
		}
		env[k] = v
	}
	if env[envAdminURL] == "" || env[envAdminToken] == "" {
		t.Fatalf("no admin exports in:\n%s", out)
	}
	return env
}

// secretsOf lists what no output other than the sandbox's own exports may
// show: every vendor secret and the admin token.
func (c *cliSandbox) secrets() []string {
	out := []string{c.admin.Token}
	for _, v := range c.sb.Vendors() {
		out = append(out, v.Secrets()...)
	}
	return out
}

func assertNoSecret(t *testing.T, secrets []string, outputs ...string) {
	t.Helper()
	for _, s := range secrets {
		if len(s) < 6 {
			continue
		}
		for _, out := range outputs {
			if strings.Contains(out, s) {
				t.Errorf("a secret (%d chars, starts %q) printed in:\n%s", len(s), s[:3], out)
			}
		}
	}
}

// iofficeLogin signs in on the sandbox's login form as a browser would
// (signIn), for a login URL made of env and state, and returns the 303's
// Location.
func iofficeLogin(t *testing.T, env map[string]string, state string) string {
	t.Helper()
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {env["VENDORKIT_IOFFICE_CLIENT_ID"]},
		"redirect_uri":  {env["VENDORKIT_IOFFICE_REDIRECT_URI"]},
		"scope":         {env["VENDORKIT_IOFFICE_SCOPE"]},
		"state":         {state},
	}
	return signIn(t, env["VENDORKIT_IOFFICE_BASE_URL"]+"/login.html?"+q.Encode(), env["VENDORKIT_IOFFICE_USERNAME"], env["VENDORKIT_IOFFICE_PASSWORD"])
}

func ctlStatus(t *testing.T, args ...string) sandbox.AdminStatus {
	t.Helper()
	r := vk(t, "", append([]string{"sandbox", "ctl", "stats", "--json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("ctl stats: exit %d %s", r.code, r.stderr)
	}
	var st sandbox.AdminStatus
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("ctl stats --json: %v\n%s", err, r.stdout)
	}
	return st
}

func TestSandboxPortAndFlags(t *testing.T) {
	var c *cliSandbox
	var port int
	redirect := "http://127.0.0.1:9/callback"
	for range 10 {
		port = testservice.FreePorts(t, len(specs.Vendors())+1)
		c = runSandbox(t, "sandbox", "--port", strconv.Itoa(port),
			"--token-lifetime", "90s", "--token-lifetime", "Decisiv=5m", "--token-latency", "ioffice=1ms",
			"--omit-login-state", "--redirect-uri", redirect)
		if c.env != nil {
			break
		}
		if r := c.stop(); !strings.Contains(r.stderr, "in use") {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	}
	// The vendors on consecutive ports in sandbox order, then the admin.
	want := map[string]string{
		envAdminURL:                      fmt.Sprintf("http://127.0.0.1:%d", port+len(specs.Vendors())),
		"VENDORKIT_IOFFICE_REDIRECT_URI": redirect,
	}
	for i, v := range specs.Vendors() {
		want["VENDORKIT_"+strings.ToUpper(v)+"_BASE_URL"] = fmt.Sprintf("http://127.0.0.1:%d", port+i)
	}
	want["VENDORKIT_BSS_BASE_URL"] += "/bsssmapi"
	for k, v := range want {
		if c.env[k] != v {
			t.Errorf("%s=%q, want %q", k, c.env[k], v)
		}
	}
	if !strings.Contains(c.out.String(), fmt.Sprintf("# admin: http://127.0.0.1:%d", port+len(specs.Vendors()))) {
		t.Errorf("no admin line:\n%s", c.out.String())
	}

	st := ctlStatus(t)
	got := map[string]string{}
	for _, v := range st.Vendors {
		got[v.Vendor] = v.TokenLifetime + " " + v.TokenLatency
		if v.LoginState != nil && *v.LoginState {
			t.Errorf("%s: login state echoed despite --omit-login-state", v.Vendor)
		}
	}
	wantSettings := map[string]string{"bss": "1m30s 0s", "blueprint": "1m30s 0s", "decisiv": "5m0s 0s", "ioffice": "1m30s 1ms"}
	for k, v := range wantSettings {
		if got[k] != v {
			t.Errorf("%s: lifetime, latency %q, want %q", k, got[k], v)
		}
	}

	// The flags reach the wire: a 90 s token and a redirect without state
	// to the registered loopback redirect URI.
	loc := iofficeLogin(t, c.env, "st-1")
	redir, frag, _ := strings.Cut(loc, "#")
	f, _ := url.ParseQuery(frag)
	if redir != redirect || f.Get("code") == "" || f.Has("state") {
		t.Fatalf("Location %q", loc)
	}
	r := vk(t, "", "token", "--vendor", "blueprint", "--json")
	var tok struct{ Expiry time.Time }
	if err := json.Unmarshal([]byte(r.stdout), &tok); err != nil || tok.Expiry.IsZero() || time.Until(tok.Expiry) > 90*time.Second {
		t.Errorf("blueprint token expiry %v (%v), want within 90s", tok.Expiry, err)
	}
	if res := c.stop(); res.code != 0 {
		t.Errorf("exit %d on interrupt: %s", res.code, res.stderr)
	}
}

func TestSandboxPortInUse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		taken int // offset from --port
		want  string
	}{
		{"a vendor's port", 1, "needs that port and the next ones free"},
		{"the admin port", len(specs.Vendors()), "puts the admin endpoint on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := testservice.FreePorts(t, len(specs.Vendors())+1)
			busy, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+tc.taken))
			if err != nil {
				t.Skipf("port taken meanwhile: %v", err)
			}
			defer busy.Close()
			r := vk(t, "", "sandbox", "--port", strconv.Itoa(port))
			inUse := fmt.Sprintf("127.0.0.1:%d is in use", port+tc.taken)
			if r.code != exitUsage || !strings.Contains(r.stderr, inUse) || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q: want 2 and %q, %q", r.code, r.stderr, inUse, tc.want)
			}
			if r.stdout != "" {
				t.Errorf("printed exports of a sandbox that did not start:\n%s", r.stdout)
			}
		})
	}
}

func TestSandboxFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--token-lifetime", "soon"},
		{"--token-lifetime", "not a vendor=1m"},
		{"--token-latency", "-1s"},
		{"--port", "70000"},
		{"--port", "-1"},
		{"--addr", "127.0.0.1:8080"},
		{"stray"},
	} {
		r := vk(t, "", append([]string{"sandbox"}, args...)...)
		if r.code != exitUsage || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestSandboxCtl(t *testing.T) {
	c := runSandbox(t, "sandbox")
	r := vk(t, "", "token", "--vendor", "decisiv")
	tok := strings.TrimSpace(r.stdout)
	vk(t, "", "do", "--vendor", "bss", "GET", "/api/accounts/1")
	t.Setenv("VENDORKIT_BSS_PASSWORD", "not-the-password")
	if r := vk(t, "", "token", "--vendor", "bss", "--no-cache"); r.code != exitAuth {
		t.Errorf("wrong password: exit %d %s", r.code, r.stderr)
	}
	t.Setenv("VENDORKIT_BSS_PASSWORD", c.env["VENDORKIT_BSS_PASSWORD"])

	r = vk(t, "", "sandbox", "ctl", "stats")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != len(specs.Vendors())+1 || !strings.HasPrefix(lines[0], "VENDOR") {
		t.Fatalf("stats: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	wantLine := map[string]string{
		"bss":       `^bss +password=2 +1 +1 +1 +29m59s +0s +- +0$`,
		"blueprint": `^blueprint +- +0 +0 +0 +`,
		"decisiv":   `^decisiv +client_credentials=1 +0 +0 +0 +never expires +0s +- +0$`,
		"ioffice":   `^ioffice +- +0 +0 +0 +1h0m0s +0s +echoed +0$`,
	}
	for i, v := range specs.Vendors() {
		if !regexpMatch(wantLine[v], lines[i+1]) {
			t.Errorf("stats line %q, want %s", lines[i+1], wantLine[v])
		}
	}

	r = vk(t, "", "sandbox", "ctl", "revoke-all", "--vendor", "Decisiv")
	if r.code != 0 || r.stdout != "revoked every token and code of: decisiv\n" {
		t.Errorf("revoke-all: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	req, _ := http.NewRequest("GET", c.env["VENDORKIT_DECISIV_BASE_URL"]+"/platform_api/bearer_test", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("decisiv token after revoke-all: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	r = vk(t, "", "sandbox", "ctl", "set", "--vendor", "ioffice", "--token-lifetime", "30s", "--token-latency", "5ms", "--login-state=false")
	if r.code != 0 || !regexpMatch(`(?m)^ioffice +- +0 +0 +0 +30s +5ms +omitted +0$`, r.stdout) {
		t.Errorf("set: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if loc := iofficeLogin(t, c.env, "st-2"); strings.Contains(loc, "state=") {
		t.Errorf("login_state=false at run time: %q", loc)
	}
	r = vk(t, "", "sandbox", "ctl", "fail", "--vendor", "bss", "--count", "2", "--status", "429", "--retry-after", "3")
	if r.code != 0 || r.stdout != "bss: the next 2 resource call(s) get 429 Too Many Requests, Retry-After: 3\n" {
		t.Errorf("fail: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if st := ctlStatus(t, "--vendor", "bss"); len(st.Vendors) != 1 || st.Vendors[0].PendingFaults != 2 {
		t.Errorf("after fail: %+v", st)
	}
	r = vk(t, "", "sandbox", "ctl", "fail", "--vendor", "blueprint", "--drop")
	if r.code != 0 || r.stdout != "blueprint: the next 1 resource call(s) get a dropped connection\n" {
		t.Errorf("fail --drop: exit %d %q %q", r.code, r.stdout, r.stderr)
	}

	res := c.stop()
	outputs.Lock()
	all := append([]string{res.stderr}, outputs.all...)
	outputs.all = nil
	outputs.Unlock()
	// token's stdout is not in outputs; the others are, and none has a
	// secret or the admin token.
	assertNoSecret(t, c.secrets(), all...)
}

func TestSandboxCtlErrors(t *testing.T) {
	c := runSandbox(t, "sandbox")
	good := c.env[envAdminToken]

	t.Run("no endpoint", func(t *testing.T) {
		t.Setenv(envAdminURL, "")
		r := vk(t, "", "sandbox", "ctl", "stats")
		if r.code != exitUsage || !strings.Contains(r.stderr, envAdminURL) {
			t.Errorf("exit %d %q", r.code, r.stderr)
		}
	})
	t.Run("no token", func(t *testing.T) {
		t.Setenv(envAdminToken, "")
		r := vk(t, "", "sandbox", "ctl", "revoke-all")
		if r.code != exitUsage || !strings.Contains(r.stderr, envAdminToken) {
			t.Errorf("exit %d %q", r.code, r.stderr)
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		tok := strings.TrimSpace(vk(t, "", "token", "--vendor", "decisiv").stdout)
		wrong := "wrong-" + good[6:]
		t.Setenv(envAdminToken, wrong)
		r := vk(t, "", "sandbox", "ctl", "revoke-all")
		if r.code != exitAuth || !strings.Contains(r.stderr, "refused the admin token") || strings.Contains(r.stderr, wrong) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("exit %d %q", r.code, r.stderr)
		}
		req, _ := http.NewRequest("GET", c.env["VENDORKIT_DECISIV_BASE_URL"]+"/platform_api/bearer_test", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Errorf("a refused revoke-all revoked: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}
	})
	t.Run("not loopback", func(t *testing.T) {
		for _, u := range []string{"http://example.com:8080", "https://127.0.0.1:1", "http://user:pw@127.0.0.1:1", "http://10.0.0.1:80", "http://127.0.0.1.example.com:80"} {
			r := vk(t, "", "sandbox", "ctl", "stats", "--admin-url", u)
			if r.code != exitUsage || !strings.Contains(r.stderr, "loopback only") || strings.Contains(r.stderr, "pw@") {
				t.Errorf("%s: exit %d %q", u, r.code, r.stderr)
			}
		}
	})
	t.Run("nobody listening", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := "http://" + l.Addr().String()
		l.Close()
		r := vk(t, "", "sandbox", "ctl", "stats", "--admin-url", dead)
		if r.code != exitNetwork || !strings.Contains(r.stderr, "is 'vendorkit sandbox' running?") {
			t.Errorf("exit %d %q", r.code, r.stderr)
		}
	})
	t.Run("a redirect is not followed", func(t *testing.T) {
		var leaked sync.Map
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			leaked.Store("auth", r.Header.Get("Authorization"))
		}))
		defer other.Close()
		hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/stats", http.StatusTemporaryRedirect)
		}))
		defer hostile.Close()
		r := vk(t, "", "sandbox", "ctl", "stats", "--admin-url", hostile.URL)
		if r.code != exitHTTP || !strings.Contains(r.stderr, "307") {
			t.Errorf("exit %d %q", r.code, r.stderr)
		}
		if v, ok := leaked.Load("auth"); ok {
			t.Errorf("followed the redirect, sending %d bytes of Authorization", len(v.(string)))
		}
	})
	t.Run("not an admin endpoint", func(t *testing.T) {
		r := vk(t, "", "sandbox", "ctl", "stats", "--admin-url", c.env["VENDORKIT_DECISIV_BASE_URL"])
		if r.code == 0 {
			t.Errorf("exit 0 from a vendor's base URL: %q", r.stdout)
		}
	})
	for _, args := range [][]string{
		{"stats", "--vendor", "not a vendor"},
		{"set"},
		{"set", "--token-lifetime", "soon"},
		{"set", "--vendor", "bss", "--login-state=false"},
		{"fail"},
		{"fail", "--vendor", "bss", "--count", "0"},
		{"fail", "--vendor", "bss", "--status", "200"},
		{"fail", "--vendor", "bss", "--drop", "--status", "503"},
		{"revoke-all", "extra"},
	} {
		r := vk(t, "", append([]string{"sandbox", "ctl"}, args...)...)
		if r.code != exitUsage || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%q: exit %d %q", args, r.code, r.stderr)
		}
	}
	if st := ctlStatus(t, "--vendor", "bss"); st.Vendors[0].TokenLifetime != "29m59s" || st.Vendors[0].PendingFaults != 0 {
		t.Errorf("a refused ctl changed bss: %+v", st.Vendors[0])
	}
	c.stop()
	outputs.Lock()
	all := outputs.all
	outputs.all = nil
	outputs.Unlock()
	assertNoSecret(t, c.secrets(), all...)
}

// With -v every request is one line on stderr, and nothing a credential
// travels in: not iOFFICE's access_token query, not login.html's state,
// not the login form's password, not the admin token.
func TestSandboxVerboseLogsEachRequest(t *testing.T) {
	c := runSandbox(t, "-v", "sandbox")
	vk(t, "", "token", "--vendor", "bss")
	r := vk(t, "", "token", "--vendor", "ioffice")
	access := strings.TrimSpace(r.stdout)
	resp, err := http.Get(c.env["VENDORKIT_IOFFICE_BASE_URL"] + "/external/api/rest/v2/users/me?access_token=" + access)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := iofficeLogin(t, c.env, "state-not-for-logs")
	vk(t, "", "sandbox", "ctl", "stats")
	res := c.stop()
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	for _, want := range []string{
		"* bss: POST /bsssmapi/oauth/token → 200 OK in ",
		"* ioffice: POST /external/api/oauth2/auth → 200 OK in ",
		"* ioffice: POST /external/api/oauth2/token → 200 OK in ",
		"* ioffice: GET /external/api/rest/v2/users/me → 200 OK in ",
		"* ioffice: GET /login.html → 200 OK in ",
		"* ioffice: POST /login.html → 303 See Other in ",
		"* admin: GET /stats → 200 OK in ",
	} {
		if n := strings.Count(res.stderr, want); n != 1 {
			t.Errorf("%q logged %d times, want once:\n%s", want, n, res.stderr)
		}
	}
	if n := strings.Count(res.stderr, "\n"); n != 7 {
		t.Errorf("%d lines, want 7:\n%s", n, res.stderr)
	}
	_, frag, _ := strings.Cut(loc, "#")
	code, _ := url.ParseQuery(frag)
	secrets := append(c.secrets(), access, code.Get("code"), "state-not-for-logs", "access_token", "Spaces", url.QueryEscape(c.env["VENDORKIT_IOFFICE_PASSWORD"]))
	assertNoSecret(t, secrets, res.stderr)

	// Without -v the sandbox prints nothing on stderr.
	c = runSandbox(t, "sandbox")
	vk(t, "", "token", "--vendor", "bss")
	if res := c.stop(); res.stderr != "" {
		t.Errorf("stderr without -v: %q", res.stderr)
	}
}

// The sandbox and ctl as separate OS processes, as a user runs them: the
// built binary, its exports in the environment of the other commands,
// Ctrl-C (SIGINT) to stop.
func TestSandboxAcrossProcesses(t *testing.T) {
	bin := builtBinary(t)
	var (
		sb     *exec.Cmd
		stdout io.ReadCloser
		errb   lockedBuffer
		env    map[string]string
	)
	for range 10 {
		port := testservice.FreePorts(t, len(specs.Vendors())+1)
		sb = exec.Command(bin, "sandbox", "--port", strconv.Itoa(port), "--exports-only")
		sb.Stderr = &errb
		var err error
		if stdout, err = sb.StdoutPipe(); err != nil {
			t.Fatal(err)
		}
		if err := sb.Start(); err != nil {
			t.Fatal(err)
		}
		var lines strings.Builder
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), envAdminURL) {
				break
			}
		}
		if strings.Contains(lines.String(), envAdminURL) {
			env = parseExports(t, lines.String())
			if env[envAdminURL] != fmt.Sprintf("http://127.0.0.1:%d", port+len(specs.Vendors())) {
				t.Errorf("admin URL %s with --port %d", env[envAdminURL], port)
			}
			break
		}
		sb.Wait()
		if !strings.Contains(errb.String(), "in use") {
			t.Fatalf("sandbox exited: %s", errb.String())
		}
	}
	t.Cleanup(func() { sb.Process.Kill(); sb.Wait() })
	cmdEnv := os.Environ()
	for k, v := range env {
		cmdEnv = append(cmdEnv, k+"="+v)
	}
	vkProc := func(args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = cmdEnv
		var out, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &e
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String() + e.String(), code
	}
	tok, code := vkProc("token", "--vendor", "bss")
	if code != 0 {
		t.Fatalf("token: %d %s", code, tok)
	}
	if out, code := vkProc("sandbox", "ctl", "revoke-all"); code != 0 || !strings.Contains(out, strings.Join(specs.Vendors(), ", ")) {
		t.Errorf("revoke-all: %d %s", code, out)
	}
	req, _ := http.NewRequest("GET", env["VENDORKIT_BSS_BASE_URL"]+"/api/accounts/1", nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Api-Version", "latest")
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(tok))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("a token from before revoke-all: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	out, code := vkProc("sandbox", "ctl", "stats")
	if code != 0 || !regexpMatch(`(?m)^bss +password=1 +0 +1 +1 +`, out) {
		t.Errorf("stats: %d\n%s", code, out)
	}
	assertNoSecret(t, []string{env[envAdminToken]}, out)

	if err := sb.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, stdout)
	if err := sb.Wait(); err != nil {
		t.Errorf("sandbox after SIGINT: %v %s", err, errb.String())
	}
	if _, code := vkProc("sandbox", "ctl", "stats"); code != exitNetwork {
		t.Errorf("ctl after the sandbox stopped: exit %d, want %d", code, exitNetwork)
	}
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
