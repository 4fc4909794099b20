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
	for _, tc := range []struct {
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
	} {
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
