package main

import (
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/vendorkit/vendorkit/client/vendors"
	"github.com/vendorkit/vendorkit/sandbox"
)

// --version: the module version and the commit, as the toolchain recorded
// them in the binary.
func TestVersion(t *testing.T) {
	r := mustRun(t, "", "--version")
	if r.stdout != "vendorkit "+version()+"\n" || !strings.Contains(r.stdout, runtime.Version()) {
		t.Errorf("in-process: %q", r.stdout)
	}
	bin := builtBinary(t)
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	bi, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"github.com/vendorkit/vendorkit", runtime.Version()}
	if m := regexp.MustCompile(`(?m)^\s+mod\s+\S+\s+(\S+)`).FindSubmatch(bi); m != nil {
		want = append(want, string(m[1]))
	}
	if m := regexp.MustCompile(`(?m)^\s+build\s+vcs\.revision=(\S+)`).FindSubmatch(bi); m != nil {
		want = append(want, "commit "+string(m[1]))
	} else {
		want = append(want, "commit unknown")
	}
	for _, w := range want {
		if !strings.Contains(string(out), w) {
			t.Errorf("--version %q lacks %q (go version -m says so)", out, w)
		}
	}
	if _, ok := debug.ReadBuildInfo(); !ok {
		t.Error("no build info in the test binary")
	}
}

// The exit-code table of --help names every cause of codes 4 and 5 that
// the README's table names (hostile_test.go produces each of them), so a
// user who got one finds it there.
func TestHelpExitCodesNameEveryCause(t *testing.T) {
	help := mustRun(t, "", "--help").stdout
	for _, cause := range []string{
		"--timeout", "429/5xx", // exitNetwork
		"malformed", "over-size", "control characters", "redirect from a token endpoint", // exitUnusable
	} {
		if !strings.Contains(help, cause) {
			t.Errorf("--help's exit codes do not name %q:\n%s", cause, help)
		}
	}
}

// What a Go engineer expects: case-insensitive vendors, "did you mean",
// completion scripts, usage errors for an absolute URL and for headers
// the client sets itself.
func TestCLIExpectations(t *testing.T) {
	sb := startSandbox(t)
	t.Run("vendor in any case", func(t *testing.T) {
		mustRun(t, "", "token", "--vendor", "BSS")
		mustRun(t, "", "do", "--vendor", "IOffice", "GET", "/external/api/rest/v2/users/me")
	})
	t.Run("did you mean", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"toke", "--vendor", "bss"}, `unknown command "toke" for "vendorkit"; did you mean "token"?`},
			{[]string{"-v", "lgout"}, `did you mean "logout"?`},
			{[]string{"sandbox", "ctl", "stat"}, `unknown command "stat" for "vendorkit sandbox ctl"; did you mean "set" or "stats"?`},
			{[]string{"frobnicate"}, `unknown command "frobnicate" for "vendorkit" (see 'vendorkit --help')`},
		} {
			r := vk(t, "", tc.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("%q: exit %d %q", tc.args, r.code, r.stderr)
			}
		}
	})
	t.Run("completion", func(t *testing.T) {
		for shell, want := range map[string]string{"bash": "# bash completion V2 for vendorkit", "zsh": "#compdef vendorkit", "fish": "# fish completion for vendorkit"} {
			r := mustRun(t, "", "completion", shell)
			if !strings.HasPrefix(r.stdout, want) {
				t.Errorf("%s: %.60q", shell, r.stdout)
			}
		}
		r := mustRun(t, "", "__complete", "lo")
		if !strings.Contains(r.stdout, "login\t") || !strings.Contains(r.stdout, "logout\t") {
			t.Errorf("completing lo: %q", r.stdout)
		}
		for _, args := range [][]string{{"token", "--vendor", ""}, {"sandbox", "ctl", "stats", "--vendor", ""}} {
			r = mustRun(t, "", append([]string{"__complete"}, args...)...)
			if !strings.HasPrefix(r.stdout, strings.Join(vendors.Names(), "\n")+"\n:4\n") {
				t.Errorf("completing %q: %q", args, r.stdout)
			}
		}
	})
	t.Run("absolute URL as PATH", func(t *testing.T) {
		for _, p := range []string{"https://evil.example/collect", "//evil.example/collect", "http://user:pw-secret@127.0.0.1:1/x"} {
			r := vk(t, "", "do", "--vendor", "bss", "GET", p)
			if r.code != exitUsage || !strings.Contains(r.stderr, "not an absolute URL") || strings.Contains(r.stderr, "pw-secret") {
				t.Errorf("%s: exit %d %q", p, r.code, r.stderr)
			}
		}
		if n := tokenReqs(sb.Vendor("bss")); n != 1 {
			t.Errorf("a refused PATH made token requests (%d in all)", n)
		}
	})
	t.Run("credential headers", func(t *testing.T) {
		for _, tc := range []struct{ vendor, header string }{
			{"bss", "Authorization: Bearer mine-123456"},
			{"bss", "authorization:Basic bWluZS0xMjM0NTY="},
			{"ioffice", "x-access-token: mine-123456"},
			{"ioffice", "Authorization: Bearer mine-123456"},
		} {
			r := vk(t, "", "do", "--vendor", tc.vendor, "GET", "/x", "-H", tc.header)
			name, _, _ := strings.Cut(tc.header, ":")
			if r.code != exitUsage || !strings.Contains(r.stderr, "-H "+name+": vendorkit sets the credential itself") || strings.Contains(r.stderr, "mine-123456") || strings.Contains(r.stderr, "bWluZS0") {
				t.Errorf("%s %q: exit %d %q", tc.vendor, name, r.code, r.stderr)
			}
		}
		// Another vendor's credential header is just a header.
		mustRun(t, "", "do", "--vendor", "bss", "GET", "/api/accounts/1", "-H", "x-access-token: not-ours")
		if r := vk(t, "", "do", "--vendor", "bss", "GET", "/x", "-H", "Authorization Bearer mine-123456"); r.code != exitUsage || strings.Contains(r.stderr, "mine-123456") {
			t.Errorf("a header without a colon is quoted: %q", r.stderr)
		}
	})
}

// -v prints each exchange once: the lines the demo, contract and do print
// match, one for one, the requests the sandbox served.
func TestVerboseOncePerExchange(t *testing.T) {
	exchange := regexp.MustCompile(`(?m)^\* (GET|POST|PUT|DELETE|PATCH) http://127\.0\.0\.1:\d+/\S* → `)
	served := func(sb *sandbox.Sandbox) int {
		n := 0
		for _, v := range sb.Vendors() {
			st := v.Stats()
			n += st.ResourceRequests
			for _, c := range st.TokenRequests {
				n += c
			}
		}
		return n
	}
	var demoSB *sandbox.Sandbox
	demoSandboxHook = func(sb *sandbox.Sandbox) { demoSB = sb }
	t.Cleanup(func() { demoSandboxHook = nil })
	cache := privateCache(t)
	r := mustRun(t, "", "-v", "demo")
	if got, want := len(exchange.FindAllString(r.stderr, -1)), served(demoSB); got != want || want <= 0 {
		t.Errorf("demo -v: %d exchange lines, the sandbox served %d requests\n%s", got, want, r.stderr)
	}
	// The demo runs on its own sandbox: it never touches the token cache.
	if _, err := os.Stat(cache); !os.IsNotExist(err) {
		t.Errorf("the demo created the token cache: %v", err)
	}

	sb := startSandbox(t)
	r = mustRun(t, "", "-v", "do", "--vendor", "ioffice", "GET", "/external/api/rest/v2/users/me")
	if got, want := len(exchange.FindAllString(r.stderr, -1)), served(sb); got != 3 || want != 3 {
		t.Errorf("do -v: %d lines for %d requests, want 3 (auth, token, users/me)\n%s", got, want, r.stderr)
	}
}
