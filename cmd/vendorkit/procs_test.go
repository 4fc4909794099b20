package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/internal/testservice"
	"github.com/vendorkit/vendorkit/sandbox"
)

// runProcs starts n processes of the built CLI at once with args, the
// test's environment (the sandbox's exports, the private cache), and
// returns their stdouts; every one must exit 0.
func runProcs(t *testing.T, bin string, n int, args ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	outs := make([]string, n)
	errs := make([]string, n)
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		cmd := exec.CommandContext(ctx, bin, args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		wg.Go(func() {
			<-start
			err := cmd.Run()
			outs[i], errs[i], codes[i] = out.String(), errb.String(), cmd.ProcessState.ExitCode()
			if err != nil && cmd.ProcessState == nil {
				errs[i] += err.Error()
			}
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if codes[i] != 0 {
			t.Fatalf("process %d of %q: exit %d\n%s", i, args, codes[i], errs[i])
		}
	}
	return outs
}

func allSame(outs []string) bool {
	for _, o := range outs {
		if o != outs[0] || strings.TrimSpace(o) == "" {
			return false
		}
	}
	return true
}

// 8 CLI processes at once on a cold cache make one login; after expiry, 8
// at once make one refresh, with rotation (iOFFICE), or one new login
// (BSS, which has no refresh token); with the file store and with Redis.
// Real processes of the built binary, against the sandbox with 300 ms token
// latency (so the runs overlap the fetch).
//
// Tokens expire in real time (the sandbox is a real server, each process
// has its own clock), and a count holds only if no run finds its vendor's
// token expired before the test means it to be: the cold tokens live
// coldLife, which the cold runs of a loaded machine stay well within, and
// the test waits for both vendors' to expire at once; the tokens issued
// after expiry live an hour.
func TestConcurrentRunsOneLoginOneRefresh(t *testing.T) {
	// Whole seconds: BSS announces expires_in in seconds.
	const coldLife = 6 * time.Second
	bin := builtBinary(t)
	for _, store := range []string{"file", "redis"} {
		t.Run(store, func(t *testing.T) {
			sb := startSandboxOpts(t, sandbox.Options{})
			if store == "redis" {
				rd := testservice.StartRedis(t)
				t.Setenv(envTokenStore, "redis://"+rd.Addr+"/0")
			}
			iv, bss := sb.Vendor("ioffice"), sb.Vendor("bss")
			for _, v := range []*sandbox.Vendor{iv, bss} {
				v.SetTokenLifetime(coldLife)
				v.SetTokenLatency(300 * time.Millisecond)
			}
			const n = 8

			start := time.Now()
			cold := runProcs(t, bin, n, "token", "--vendor", "ioffice")
			st := iv.Stats()
			if !allSame(cold) || st.TokenRequests["auth_code"] != 1 || st.TokenRequests["authorization_code"] != 1 {
				t.Errorf("cold: same token %v, token requests %v", allSame(cold), st.TokenRequests)
			}
			var tok struct{ Expiry time.Time }
			if err := json.Unmarshal([]byte(runProcs(t, bin, 1, "token", "--vendor", "ioffice", "--json")[0]), &tok); err != nil {
				t.Fatal(err)
			}
			ioColdTook := time.Since(start)
			start = time.Now()
			runProcs(t, bin, n, "do", "--vendor", "bss", "GET", "/api/accounts/1")
			bssColdEnd := time.Now()
			if got := bss.Stats().TokenRequests["password"]; got != 1 {
				t.Errorf("bss cold: %d logins for %d runs of do", got, n)
			}
			t.Logf("cold runs took %v (iOFFICE, with --json) and %v (BSS); tokens live %v", ioColdTook.Round(time.Millisecond), bssColdEnd.Sub(start).Round(time.Millisecond), coldLife)

			iv.SetTokenLifetime(time.Hour)
			bss.SetTokenLifetime(time.Hour)
			// Real tokens on a real server expire in real time. Each BSS
			// run read its token's expires_in before its run ended.
			time.Sleep(max(time.Until(tok.Expiry), time.Until(bssColdEnd.Add(coldLife))) + 50*time.Millisecond)

			warm := runProcs(t, bin, n, "token", "--vendor", "ioffice")
			st = iv.Stats()
			if !allSame(warm) || warm[0] == cold[0] || st.TokenRequests["refresh_token"] != 1 ||
				st.TokenRequests["authorization_code"] != 1 || st.InvalidGrants != 0 {
				t.Errorf("after expiry: same token %v, new %v, token requests %v, invalid_grant %d",
					allSame(warm), warm[0] != cold[0], st.TokenRequests, st.InvalidGrants)
			}
			t.Logf("ioffice, %s store, %d processes cold, then %d after expiry: token requests %v", store, n, n, st.TokenRequests)

			runProcs(t, bin, n, "do", "--vendor", "bss", "GET", "/api/accounts/1")
			if got := bss.Stats().TokenRequests["password"]; got != 2 {
				t.Errorf("bss after expiry: %d logins in all, want 2", got)
			}
			t.Logf("bss, %s store, %d processes of do, twice: %v token requests, %d resource requests", store, n, bss.Stats().TokenRequests, bss.Stats().ResourceRequests)
		})
	}
}
