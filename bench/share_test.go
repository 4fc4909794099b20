package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/auth/filestore"
	"github.com/vendorkit/vendorkit/auth/redisstore"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/ioffice"
	"github.com/vendorkit/vendorkit/internal/testservice"
	"github.com/vendorkit/vendorkit/sandbox"
)

// Row 5: processes sharing tokens. shareDuration is each run's length.
var shareDuration = flag.Duration("vkbench.share", envDuration("VKBENCH_SHARE", 15*time.Second),
	"duration of each BenchmarkSharedStore run (env VKBENCH_SHARE)")

const (
	shareChildEnv = "VKBENCH_SHARE_CHILD"
	shareProcs    = 8
	shareLifetime = 2 * time.Second
	shareLatency  = 300 * time.Millisecond
)

type shareConfig struct {
	Mode    string // file, redis, oauth2
	Dir     string
	Addr    string
	StartAt time.Time
	For     time.Duration
	Env     map[string]string
}

type shareResult struct{ Calls, Errors int }

// BenchmarkSharedStore runs 8 processes (this binary re-executed) calling
// the sandbox's iOFFICE back to back for -vkbench.share, with 2 s tokens
// and 300 ms token latency, sharing a file store, a Redis store, or
// nothing (x/oauth2's ReuseTokenSource in each process). It reports the
// token requests the sandbox saw per token lifetime of the run. Run it
// with -benchtime 1x.
func BenchmarkSharedStore(b *testing.B) {
	for _, mode := range []string{"file", "redis", "oauth2"} {
		b.Run("store="+mode, func(b *testing.B) {
			for range b.N {
				runShared(b, mode)
			}
		})
	}
}

func runShared(b *testing.B, mode string) {
	sb, err := sandbox.Start(context.Background(), sandbox.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	v := sb.Vendor("ioffice")
	v.SetTokenLifetime(shareLifetime)
	v.SetTokenLatency(shareLatency)
	cfg := shareConfig{Mode: mode, Env: v.Env(), For: *shareDuration, StartAt: time.Now().Add(3 * time.Second)}
	switch mode {
	case "file":
		cfg.Dir = filepath.Join(b.TempDir(), "tokens")
	case "redis":
		cfg.Addr = testservice.StartRedis(b).Addr
	}
	raw, _ := json.Marshal(cfg)
	var wg sync.WaitGroup
	results := make([]shareResult, shareProcs)
	for i := range shareProcs {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), shareChildEnv+"="+string(raw))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			line, _ := bufio.NewReader(out).ReadBytes('\n')
			io.Copy(io.Discard, out)
			cmd.Wait()
			if err := json.Unmarshal(line, &results[i]); err != nil {
				results[i].Errors = -1
			}
		}()
	}
	wg.Wait()
	calls, errs := 0, 0
	for _, r := range results {
		calls += r.Calls
		errs += r.Errors
	}
	st := v.Stats()
	reqs := 0
	for grant, n := range st.TokenRequests {
		if grant != "revoke" {
			reqs += n
		}
	}
	expiries := shareDuration.Seconds() / shareLifetime.Seconds()
	b.ReportMetric(float64(reqs), "token-reqs")
	b.ReportMetric(float64(reqs)/expiries, "token-reqs/expiry")
	b.ReportMetric(float64(st.InvalidGrants), "invalid-grants")
	b.ReportMetric(float64(errs), "caller-errors")
	b.ReportMetric(float64(calls)/shareDuration.Seconds(), "calls/s")
	b.ReportMetric(0, "ns/op")
}

// shareChild is one process of BenchmarkSharedStore.
func shareChild(raw string) int {
	var cfg shareConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	call, closeFn, err := shareCaller(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "share child:", err)
		return 2
	}
	defer closeFn()
	time.Sleep(time.Until(cfg.StartAt))
	end := time.Now().Add(cfg.For)
	var mu sync.Mutex
	var res shareResult
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				err := call(ctx)
				cancel()
				mu.Lock()
				res.Calls++
				if err != nil {
					res.Errors++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	line, _ := json.Marshal(res)
	fmt.Println(string(line))
	return 0
}

// shareCaller returns one authenticated GET /external/api/rest/v2/users/me.
func shareCaller(cfg shareConfig) (func(context.Context) error, func(), error) {
	icfg, err := ioffice.FromLookup(func(k string) (string, bool) { v, ok := cfg.Env[k]; return v, ok })
	if err != nil {
		return nil, nil, err
	}
	if cfg.Mode == "oauth2" {
		return iofficeOAuth2Caller(icfg)
	}
	var store auth.Store
	closeFn := func() {}
	switch cfg.Mode {
	case "file":
		store, err = filestore.New(cfg.Dir, filestore.Options{})
	case "redis":
		rdb := redis.NewClient(&redis.Options{Addr: cfg.Addr})
		closeFn = func() { rdb.Close() }
		store, err = redisstore.New(rdb, redisstore.Options{})
	}
	if err != nil {
		return nil, nil, err
	}
	c, err := ioffice.New(icfg, client.WithTokenStore(store))
	if err != nil {
		return nil, nil, err
	}
	return func(ctx context.Context) error {
			r, err := c.GetCurrentUserWithResponse(ctx)
			if err == nil && r.StatusCode() != 200 {
				err = fmt.Errorf("status %d", r.StatusCode())
			}
			return err
		}, func() {
			c.Close()
			closeFn()
		}, nil
}

// iofficeOAuth2Caller is what an application without a shared store does:
// x/oauth2's ReuseTokenSourceWithExpiry (500 ms early, as in row 3) over
// iOFFICE's headless login and rotating refresh, which x/oauth2 cannot
// speak itself (custom headers, milliseconds), written here with
// net/http. Each process has its own token and refresh-token chain.
func iofficeOAuth2Caller(cfg ioffice.Config) (func(context.Context) error, func(), error) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	inner := &iofficeOAuth2{cfg: cfg, hc: hc}
	src := oauth2.ReuseTokenSourceWithExpiry(nil, inner, oauth2EarlyExpiry)
	return func(ctx context.Context) error {
		tok, err := src.Token()
		if err != nil {
			return err
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", cfg.BaseURL+"/external/api/rest/v2/users/me", nil)
		req.Header.Set("x-access-token", tok.AccessToken)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}, hc.CloseIdleConnections, nil
}

type iofficeOAuth2 struct {
	cfg     ioffice.Config
	hc      *http.Client
	refresh string
}

func (f *iofficeOAuth2) post(path string, hdr map[string]string) (map[string]any, error) {
	req, _ := http.NewRequest("POST", f.cfg.BaseURL+path, nil)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("token endpoint: %d %v", resp.StatusCode, m["error"])
	}
	return m, nil
}

// Token refreshes (rotating) when it has a refresh token, else logs in.
func (f *iofficeOAuth2) Token() (*oauth2.Token, error) {
	common := map[string]string{"x-redirect-uri": f.cfg.RedirectURI, "x-client-id": f.cfg.ClientID, "x-scope": f.cfg.Scope}
	var m map[string]any
	var err error
	if f.refresh != "" {
		common["x-grant-type"], common["x-refresh-token"] = "refresh_token", f.refresh
		m, err = f.post("/external/api/oauth2/token", common)
	}
	if f.refresh == "" || err != nil {
		code, err := f.post("/external/api/oauth2/auth", map[string]string{
			"x-auth-username": f.cfg.Username, "x-auth-password": f.cfg.Password, "x-client-id": f.cfg.ClientID})
		if err != nil {
			return nil, err
		}
		c, _ := code["code"].(string)
		delete(common, "x-refresh-token")
		common["x-grant-type"], common["x-auth-code"] = "authorization_code", c
		if m, err = f.post("/external/api/oauth2/token", common); err != nil {
			return nil, err
		}
	}
	at, _ := m["access_token"].(string)
	if at == "" {
		return nil, errors.New("no access_token")
	}
	f.refresh, _ = m["refresh_token"].(string)
	ms, _ := strconv.ParseFloat(fmt.Sprint(m["expires_in"]), 64)
	return &oauth2.Token{AccessToken: at, Expiry: time.Now().Add(time.Duration(ms) * time.Millisecond)}, nil
}

// BenchmarkStoreToken is the latency a store adds to Source.Token: fresh
// (the in-memory copy is used: no store call) and at a refresh (each op
// invalidates the token, so Token runs a refresh: with a shared store, the
// lease, a re-read, the compare-and-swap and the release). The flow
// answers at once, so the refresh rows measure the store alone.
func BenchmarkStoreToken(b *testing.B) {
	r := testservice.StartRedis(b)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rdb.Close()
	rs, _ := redisstore.New(rdb, redisstore.Options{})
	fs, err := filestore.New(filepath.Join(b.TempDir(), "tokens"), filestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	stores := []struct {
		name  string
		store auth.Store
	}{{"memory", auth.NewMemoryStore()}, {"file", fs}, {"redis", rs}}
	for _, phase := range []string{"fresh", "refresh"} {
		for _, s := range stores {
			b.Run("phase="+phase+"/store="+s.name, func(b *testing.B) {
				src := auth.NewSource(instantFlow{}, auth.SourceOptions{Store: s.store, Identity: auth.Identity{Vendor: "bench-" + s.name}})
				defer src.Close()
				ctx := context.Background()
				tok, err := src.Token(ctx)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if phase == "refresh" {
						src.Invalidate(tok.AccessToken)
					}
					if tok, err = src.Token(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// instantFlow mints tokens without I/O: an hour's lifetime, rotating.
type instantFlow struct{}

var instantSeq struct {
	sync.Mutex
	n int
}

func (instantFlow) Token(ctx context.Context) (*auth.Token, error) { return instantFlow{}.mint(), nil }
func (instantFlow) Refresh(ctx context.Context, t *auth.Token) (*auth.Token, error) {
	return instantFlow{}.mint(), nil
}
func (instantFlow) mint() *auth.Token {
	instantSeq.Lock()
	instantSeq.n++
	n := instantSeq.n
	instantSeq.Unlock()
	return &auth.Token{AccessToken: "a" + strconv.Itoa(n), RefreshToken: "r" + strconv.Itoa(n), Expiry: time.Now().Add(time.Hour)}
}
