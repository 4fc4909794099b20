package sharetest

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/internal/testservice"
	"github.com/vendorkit/vendorkit/sandbox"
)

// The scenario: 8 processes share one store against iOFFICE with
// 2 s tokens and 300 ms token latency, each calling continuously for 15 s.
const (
	manyProcs    = 8
	manyDuration = 15 * time.Second
	manyLifetime = 2 * time.Second
	manyLatency  = 300 * time.Millisecond
)

func startSandbox(t *testing.T, lifetime, latency time.Duration) *sandbox.Vendor {
	t.Helper()
	s, err := sandbox.Start(context.Background(), sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	v := s.Vendor("ioffice")
	v.SetTokenLifetime(lifetime)
	v.SetTokenLatency(latency)
	return v
}

func TestManyProcessesFileStore(t *testing.T) {
	testManyProcesses(t, childConfig{Store: "file", Dir: filepath.Join(t.TempDir(), "tokens")})
}

func TestManyProcessesRedisStore(t *testing.T) {
	r := testservice.StartRedis(t)
	testManyProcesses(t, childConfig{Store: "redis", Addr: r.Addr})
}

// Expected: exactly 1 login; 1 refresh per token generation, none wasted
// (every refresh's token was used), and as many generations as the run
// holds (±1); 0 invalid_grant answered by the sandbox; 0 errors returned
// to callers.
func testManyProcesses(t *testing.T, cfg childConfig) {
	if testing.Short() {
		t.Skip("15 s multi-process run; skipped with -short")
	}
	v := startSandbox(t, manyLifetime, manyLatency)
	cfg.Env, cfg.Duration, cfg.Workers, cfg.CallTimeout = v.Env(), manyDuration, 2, 30*time.Second
	// All processes call in the same 15 s, so that none stops (and
	// abandons a refresh it is making for the others) before the end.
	cfg.StartAt = time.Now().Add(3 * time.Second)
	procs := make([]*proc, manyProcs)
	for i := range procs {
		procs[i] = start(t, cfg)
	}
	var calls, errs, fetches, refreshes, rotations, adopted, leaseWaits, storeErrs int
	tokens := map[string]bool{}
	for i, p := range procs {
		r := p.wait(t)
		if r.Errors != 0 {
			t.Errorf("process %d: %d of %d calls failed; first: %s", i, r.Errors, r.Calls, r.FirstError)
		}
		calls += r.Calls
		errs += r.Errors
		fetches += int(r.Stats.Fetches)
		refreshes += int(r.Stats.Refreshes)
		rotations += r.Rotations
		adopted += int(r.Stats.Adopted)
		leaseWaits += int(r.Stats.LeaseWaits)
		storeErrs += int(r.Stats.StoreErrors)
		for _, h := range r.Tokens {
			tokens[h] = true
		}
	}
	st := v.Stats()
	logins, exchanges, refreshReqs := st.TokenRequests["auth_code"], st.TokenRequests["authorization_code"], st.TokenRequests["refresh_token"]
	// Generations: a refresh every lifetime − stale window (20-25% of it)
	// + token latency, i.e. every 1.80-1.90 s, after the login (2 × 300 ms).
	run := (manyDuration - 2*manyLatency).Seconds()
	lo := int(math.Floor(run/1.90)) - 1
	hi := int(math.Ceil(run/1.80)) + 1
	t.Logf("%s store, %d processes, %v: %d calls, %d errors; sandbox: %d login (%d code exchange), %d refreshes, %d invalid_grant; "+
		"%d distinct access tokens used; clients: %d fetches, %d refreshes (%d completed), %d adopted, %d lease waits, %d store errors; expected refreshes %d-%d",
		cfg.Store, manyProcs, manyDuration, calls, errs, logins, exchanges, refreshReqs, st.InvalidGrants,
		len(tokens), fetches, refreshes, rotations, adopted, leaseWaits, storeErrs, lo, hi)
	if logins != 1 || exchanges != 1 || fetches != 1 {
		t.Errorf("logins %d, code exchanges %d, client fetches %d; want exactly 1", logins, exchanges, fetches)
	}
	if st.InvalidGrants != 0 {
		t.Errorf("sandbox answered %d invalid_grant", st.InvalidGrants)
	}
	if refreshes < refreshReqs {
		t.Errorf("clients made %d refreshes, the sandbox saw %d", refreshes, refreshReqs)
	}
	// Every refresh completed (the processes wait for one in flight
	// before they exit), and every completed refresh's token was used,
	// except perhaps the last, which a refresh in flight at the end made
	// after the calls stopped.
	if refreshReqs != rotations || len(tokens) < rotations || len(tokens) > 1+rotations {
		t.Errorf("%d distinct tokens used for 1 login + %d completed refreshes (%d requested): a refresh was wasted",
			len(tokens), rotations, refreshReqs)
	}
	if refreshReqs < lo || refreshReqs > hi {
		t.Errorf("%d refreshes in %.1f s of 2 s tokens, want %d-%d (1 per expiry ±1)", refreshReqs, run, lo, hi)
	}
	if errs != 0 || storeErrs != 0 {
		t.Errorf("%d caller errors, %d store errors", errs, storeErrs)
	}
}
