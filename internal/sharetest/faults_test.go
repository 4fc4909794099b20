package sharetest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/filestore"
	"github.com/vendorkit/vendorkit/auth/redisstore"
	"github.com/vendorkit/vendorkit/internal/testservice"

	"github.com/redis/go-redis/v9"
)

const leaseTTL = 2 * time.Second

func TestKillLeaseHolderFileStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tokens")
	testKillLeaseHolder(t, childConfig{Store: "file", Dir: dir}, func(t *testing.T) auth.Store {
		s, err := filestore.New(dir, filestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestKillLeaseHolderRedisStore(t *testing.T) {
	r := testservice.StartRedis(t)
	testKillLeaseHolder(t, childConfig{Store: "redis", Addr: r.Addr, LeaseTTL: leaseTTL}, func(t *testing.T) auth.Store {
		rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
		t.Cleanup(func() { rdb.Close() })
		s, _ := redisstore.New(rdb, redisstore.Options{})
		return s
	})
}

// kill -9 of the process holding the lease in the middle of a refresh:
// the others proceed within the lease TTL (file store: at once, the kernel
// drops the flock; Redis: when the lease expires), and nothing is lost:
// the refresh token the dead process was redeeming still works (its
// request died with it), so nobody logs in again and no refresh is
// refused.
//
// The victim refreshes first because its stale window is 2 s of a 4 s
// token (the others' is the default ~0.8-1 s). The survivors' calls have
// a deadline of lease TTL + 3 s: a lease that outlived its dead holder
// beyond that would show as caller errors.
func testKillLeaseHolder(t *testing.T, cfg childConfig, open func(*testing.T) auth.Store) {
	if testing.Short() {
		t.Skip("multi-process run; skipped with -short")
	}
	v := startSandbox(t, 4*time.Second, 0)
	cfg.Env, cfg.Workers = v.Env(), 1
	victimCfg := cfg
	victimCfg.Duration, victimCfg.CallTimeout, victimCfg.StaleWindow = time.Minute, time.Minute, 2*time.Second
	victim := start(t, victimCfg)
	victim.waitReady(t, 30*time.Second)
	// Logged in and stored. From now on token requests hang for a minute:
	// the victim's coming refresh will still be in flight when it dies.
	v.SetTokenLatency(time.Minute)
	cfg.Duration, cfg.CallTimeout = 10*time.Second, leaseTTL+3*time.Second
	survivors := []*proc{start(t, cfg), start(t, cfg), start(t, cfg)}
	for _, p := range survivors {
		p.waitReady(t, 30*time.Second) // adopted the stored token: no request
	}
	deadline := time.Now().Add(30 * time.Second)
	for v.Stats().TokenRequests["refresh_token"] == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the victim never started its refresh")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The victim holds the lease, its refresh hangs at the sandbox.
	v.SetTokenLatency(300 * time.Millisecond)
	victim.kill9(t)

	for i, p := range survivors {
		r := p.wait(t)
		t.Logf("survivor %d: %d calls, %d errors, stats %+v", i, r.Calls, r.Errors, r.Stats)
		if r.Errors != 0 {
			t.Errorf("survivor %d: %d of %d calls failed; first: %s", i, r.Errors, r.Calls, r.FirstError)
		}
	}
	st := v.Stats()
	t.Logf("%s store: sandbox logins %d, refreshes %d (1 abandoned by the victim), invalid_grant %d",
		cfg.Store, st.TokenRequests["auth_code"], st.TokenRequests["refresh_token"], st.InvalidGrants)
	if st.TokenRequests["auth_code"] != 1 || st.InvalidGrants != 0 {
		t.Errorf("logins %d, invalid_grant %d: want 1 and 0 (nothing lost)", st.TokenRequests["auth_code"], st.InvalidGrants)
	}
	if st.TokenRequests["refresh_token"] < 2 {
		t.Errorf("no refresh after the victim's: %d", st.TokenRequests["refresh_token"])
	}
	// The store holds the survivors' refreshed token.
	id := auth.NewIdentity("ioffice", cfg.Env["VENDORKIT_IOFFICE_BASE_URL"], cfg.Env["VENDORKIT_IOFFICE_CLIENT_ID"], cfg.Env["VENDORKIT_IOFFICE_USERNAME"])
	if tok, err := open(t).Load(context.Background(), id); err != nil || tok == nil || tok.RefreshToken == "" {
		t.Errorf("store after the run: %v, %v", tok, err)
	}
}

// Redis stopped mid-run and restarted (empty: persistence is off): calls
// keep succeeding throughout, on each process's in-process single flight
// while it is down; afterwards the store holds a token again.
func TestRedisStoppedAndRestarted(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process run; skipped with -short")
	}
	r := testservice.StartRedis(t)
	v := startSandbox(t, manyLifetime, manyLatency)
	cfg := childConfig{Store: "redis", Addr: r.Addr, Env: v.Env(), Duration: 12 * time.Second, Workers: 2,
		CallTimeout: 30 * time.Second, StartAt: time.Now().Add(3 * time.Second)}
	procs := []*proc{start(t, cfg), start(t, cfg), start(t, cfg), start(t, cfg)}
	time.Sleep(time.Until(cfg.StartAt) + 3*time.Second)
	r.Kill()
	time.Sleep(4 * time.Second) // two token lifetimes without Redis
	r.Restart(t)
	storeErrs := 0
	for i, p := range procs {
		res := p.wait(t)
		storeErrs += int(res.Stats.StoreErrors)
		t.Logf("process %d: %d calls, %d errors, stats %+v", i, res.Calls, res.Errors, res.Stats)
		if res.Errors != 0 {
			t.Errorf("process %d: %d of %d calls failed; first: %s", i, res.Errors, res.Calls, res.FirstError)
		}
	}
	if storeErrs == 0 {
		t.Error("no process noticed the outage")
	}
	st := v.Stats()
	t.Logf("sandbox: logins %d, refreshes %d, invalid_grant %d", st.TokenRequests["auth_code"], st.TokenRequests["refresh_token"], st.InvalidGrants)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rdb.Close()
	s, _ := redisstore.New(rdb, redisstore.Options{})
	id := auth.NewIdentity("ioffice", cfg.Env["VENDORKIT_IOFFICE_BASE_URL"], cfg.Env["VENDORKIT_IOFFICE_CLIENT_ID"], cfg.Env["VENDORKIT_IOFFICE_USERNAME"])
	if tok, err := s.Load(context.Background(), id); err != nil || tok == nil {
		t.Errorf("nothing stored after Redis returned: %v, %v", tok, err)
	}
}
