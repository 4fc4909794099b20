package examples

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/sandbox"
)

// runs are the examples, each with its arguments and what its output must
// contain. TestEveryExampleIsRun fails for a directory missing here.
var runs = []struct {
	name string
	args []string
	want string
}{
	{"bss", nil, "account 1: Contoso Cloud Services Ltd\n"},
	{"blueprint", nil, "3 pages for username (session until "},
	{"decisiv", nil, "bearer token accepted (HTTP 200)\n"},
	{"ioffice", nil, "user 1 <apiuser@example.com>\nlogged out: access and refresh token revoked\n"},
	{"byospec", []string{"1"}, " enabled=true\n"},
	{"oauth2", nil, "3 pages through x/oauth2\n"},
}

// Every example builds and runs against the embedded sandbox as a real
// process, configured only by the VENDORKIT_* variables, and prints what
// it promises, without a secret.
func TestExamplesRunAgainstTheSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the examples")
	}
	sb, err := sandbox.Start(context.Background(), sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	env := os.Environ()
	var secrets []string
	for _, v := range sb.Vendors() {
		for k, val := range v.Env() {
			env = append(env, k+"="+val)
		}
		secrets = append(secrets, v.Secrets()...)
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "./...")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/...: %v\n%s", err, out)
	}
	for _, tc := range runs {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(bin, tc.name), tc.args...)
			cmd.Env = env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.want) {
				t.Errorf("stdout %q, want it to contain %q", stdout.String(), tc.want)
			}
			for _, s := range secrets {
				if len(s) >= 6 && strings.Contains(stdout.String()+stderr.String(), s) {
					t.Errorf("output holds a secret (starts %q)", s[:3])
				}
			}
		})
	}
}

// Every program under examples/ has a row in runs: go build ./... builds
// a new one, but only the rows are run, so a missing row would go unseen.
func TestEveryExampleIsRun(t *testing.T) {
	mains, err := filepath.Glob(filepath.Join("*", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if len(mains) == 0 {
		t.Fatal("no examples/*/main.go found: the test runs in the wrong directory")
	}
	listed := map[string]bool{}
	for _, r := range runs {
		listed[r.name] = true
	}
	for _, m := range mains {
		if dir := filepath.Dir(m); !listed[dir] {
			t.Errorf("examples/%s is built but never run: give it a row in runs", dir)
		} else {
			delete(listed, dir)
		}
	}
	for name := range listed {
		t.Errorf("runs lists %q, which has no examples/%s/main.go", name, name)
	}
}
