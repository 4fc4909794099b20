package testservice

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// aptStub is apt-get for TestDepsScript: it logs its arguments, says
// whether the policy-rc.d the script should have put in place is there
// during the install, and "installs" each package as an executable of the
// same name (redis-server, chromium) in $STUB_BIN. STUB_APT_FAIL makes
// the install fail; STUB_APT_NOBIN makes it succeed without installing.
const aptStub = `#!/bin/sh
echo "apt-get $*" >>"$STUB_LOG"
case "$1" in
update) exit 0 ;;
install)
	if [ -x "$VENDORKIT_TEST_DEPS_POLICY" ]; then echo "policy in place" >>"$STUB_LOG"; fi
	if [ -n "$STUB_APT_FAIL" ]; then exit 100; fi
	if [ -n "$STUB_APT_NOBIN" ]; then exit 0; fi
	for a in "$@"; do
		case "$a" in
		install | -*) ;;
		*) printf '#!/bin/sh\n' >"$STUB_BIN/$a" && chmod 755 "$STUB_BIN/$a" ;;
		esac
	done
	exit 0 ;;
esac
exit 1
`

type depsRun struct {
	code   int
	stderr string
	log    string // the apt-get stub's log
	policy string // the policy file afterwards ("" when absent)
}

// runDeps runs scripts/test-deps.sh with only stubs on PATH: id printing
// uid, the apt-get stub, rm and chmod, and the binaries in have. policy,
// when not empty, is the content of a policy-rc.d present beforehand.
func runDeps(t *testing.T, uid string, have []string, policy string, env ...string) depsRun {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found")
	}
	script, err := filepath.Abs("../../scripts/test-deps.sh")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("id", "#!/bin/sh\necho "+uid+"\n")
	write("apt-get", aptStub)
	for _, name := range have {
		write(name, "#!/bin/sh\n")
	}
	for _, tool := range []string{"rm", "chmod"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s not found", tool)
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	policyPath := filepath.Join(dir, "policy-rc.d")
	if policy != "" {
		if err := os.WriteFile(policyPath, []byte(policy), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	logPath := filepath.Join(dir, "apt.log")
	cmd := exec.Command(bash, script)
	cmd.Env = append([]string{
		"PATH=" + bin,
		"STUB_BIN=" + bin,
		"STUB_LOG=" + logPath,
		"VENDORKIT_TEST_DEPS_POLICY=" + policyPath,
	}, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	run := depsRun{}
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatal(err)
		}
		run.code = ee.ExitCode()
	}
	run.stderr = stderr.String()
	if b, err := os.ReadFile(logPath); err == nil {
		run.log = string(b)
	}
	if b, err := os.ReadFile(policyPath); err == nil {
		run.policy = string(b)
	}
	return run
}

// The script exits 0 after a successful install and non-zero after a
// failed one, whether or not a policy-rc.d was there already (Debian's
// Docker images ship one; the script must neither remove it nor let its
// cleanup's status become its own), and removes only a policy it added.
func TestDepsScriptExitStatus(t *testing.T) {
	const existing = "#!/bin/sh\nexit 101\n# the image's own\n"
	for _, tc := range []struct {
		name     string
		policy   string
		env      []string
		wantCode int
		wantErr  string
	}{
		{"installs, policy present", existing, nil, 0, "test-deps: installed redis-server chromium"},
		{"installs, policy absent", "", nil, 0, "test-deps: installed redis-server chromium"},
		{"install fails, policy present", existing, []string{"STUB_APT_FAIL=1"}, 100, ""},
		{"install fails, policy absent", "", []string{"STUB_APT_FAIL=1"}, 100, ""},
		{"still missing after install", existing, []string{"STUB_APT_NOBIN=1"}, 1, "test-deps: redis-server still missing after apt-get"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := runDeps(t, "0", nil, tc.policy, tc.env...)
			if run.code != tc.wantCode || !strings.Contains(run.stderr, tc.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", run.code, run.stderr, tc.wantCode, tc.wantErr)
			}
			if run.policy != tc.policy {
				t.Errorf("policy-rc.d afterwards %q, want %q", run.policy, tc.policy)
			}
			wantLog := "apt-get update -qq\napt-get install -y -qq --no-install-recommends redis-server chromium\npolicy in place\n"
			if run.log != wantLog {
				t.Errorf("apt-get log %q, want %q", run.log, wantLog)
			}
		})
	}
}

// The script looks for what the tests look for: the same environment
// variables and the same binary names, so it installs nothing the tests
// would not use.
func TestDepsScriptFindsWhatTestsFind(t *testing.T) {
	install := func(pkgs string) string {
		return "apt-get update -qq\napt-get install -y -qq --no-install-recommends " + pkgs + "\npolicy in place\n"
	}
	cases := []struct {
		name string
		have []string
		env  []string
		want string // the apt-get log
	}{
		{"both installed", []string{"redis-server", "chromium"}, nil, ""},
		{"both from the environment", nil, []string{"VENDORKIT_TEST_REDIS_SERVER=/opt/redis-server", "VENDORKIT_TEST_CHROMIUM=/opt/chrome"}, ""},
		{"redis-server from the environment", nil, []string{"VENDORKIT_TEST_REDIS_SERVER=/opt/redis-server"}, install("chromium")},
		{"chromium from the environment", nil, []string{"VENDORKIT_TEST_CHROMIUM=/opt/chrome"}, install("redis-server")},
		{"empty variables count as unset", nil, []string{"VENDORKIT_TEST_REDIS_SERVER=", "VENDORKIT_TEST_CHROMIUM="}, install("redis-server chromium")},
	}
	for _, name := range chromiumNames {
		cases = append(cases, struct {
			name string
			have []string
			env  []string
			want string
		}{name + " on PATH", []string{"redis-server", name}, nil, ""})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			run := runDeps(t, "0", tc.have, "", tc.env...)
			if run.code != 0 || run.log != tc.want {
				t.Errorf("exit %d, stderr %q, apt-get log %q; want exit 0, log %q", run.code, run.stderr, run.log, tc.want)
			}
		})
	}
}

// Without root the script installs nothing: it says so and exits 0, or 1
// under CI=true.
func TestDepsScriptNotRoot(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want int
	}{{nil, 0}, {[]string{"CI=true"}, 1}} {
		run := runDeps(t, "1000", nil, "", tc.env...)
		if run.code != tc.want || run.log != "" || !strings.Contains(run.stderr, "test-deps: missing redis-server chromium and cannot apt-get them") {
			t.Errorf("env %q: exit %d, stderr %q, apt-get log %q; want exit %d and no apt-get", tc.env, run.code, run.stderr, run.log, tc.want)
		}
	}
}
