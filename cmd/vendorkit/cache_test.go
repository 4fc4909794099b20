package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vendorkit/vendorkit/client/vendors"
	"github.com/vendorkit/vendorkit/internal/testservice"
	"github.com/vendorkit/vendorkit/sandbox"
)

// tokenReqs is what a sandbox vendor's token endpoints counted, revokes
// and login-form posts left out.
func tokenReqs(v *sandbox.Vendor) int {
	n := 0
	for grant, c := range v.Stats().TokenRequests {
		if grant != "revoke" && grant != "login" {
			n += c
		}
	}
	return n
}

// mustRun fails the test unless the CLI exits 0.
func mustRun(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	r := vk(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("%q: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	return r
}

// resourceStatus calls the sandbox vendor's sample resource with tok as
// the vendor places it, bypassing vendorkit.
func resourceStatus(t *testing.T, v *sandbox.Vendor, tok string) int {
	t.Helper()
	var req *http.Request
	switch v.Name {
	case "ioffice":
		req, _ = http.NewRequest("GET", v.BaseURL+"/external/api/rest/v2/users/me", nil)
		req.Header.Set("x-access-token", tok)
	case "bss":
		req, _ = http.NewRequest("GET", v.BaseURL+"/api/accounts/1", nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-Api-Version", "latest")
		req.Header.Set("Authorization", "Bearer "+tok)
	default:
		t.Fatalf("no sample resource for %s", v.Name)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Runs share the cache: one login for many runs of token and do, for
// every vendor; --no-cache and VENDORKIT_TOKEN_STORE=off log in each time.
func TestCacheAcrossRuns(t *testing.T) {
	sb := startSandbox(t)
	for _, v := range sb.Vendors() {
		first := strings.TrimSpace(mustRun(t, "", "token", "--vendor", v.Name).stdout)
		for range 3 {
			if tok := strings.TrimSpace(mustRun(t, "", "token", "--vendor", v.Name).stdout); tok != first {
				t.Errorf("%s: a second run printed another token", v.Name)
			}
		}
		if n := tokenReqs(v); n != map[string]int{"ioffice": 2}[v.Name]+map[bool]int{true: 0, false: 1}[v.Name == "ioffice"] {
			t.Errorf("%s: %d token requests for 4 runs, want one login", v.Name, n)
		}
	}
	mustRun(t, "", "do", "--vendor", "bss", "GET", "/api/accounts/1")
	if n := tokenReqs(sb.Vendor("bss")); n != 1 {
		t.Errorf("do made a token request (%d in all) despite the cached token", n)
	}
	mustRun(t, "", "token", "--vendor", "bss", "--no-cache")
	t.Setenv(envTokenStore, "off")
	mustRun(t, "", "token", "--vendor", "bss")
	if n := tokenReqs(sb.Vendor("bss")); n != 3 {
		t.Errorf("--no-cache and %s=off: %d token requests in all, want 3", envTokenStore, n)
	}
	t.Setenv(envTokenStore, "file")
	if tok := strings.TrimSpace(mustRun(t, "", "token", "--vendor", "decisiv").stdout); !slices.Contains(sb.Vendor("decisiv").Secrets(), tok) {
		t.Error("file: no token")
	}
}

// An entry is the token of one identity: another user, client key or base
// URL never gets it (here the sandbox refuses the other account's login,
// which proves the cached token was not served).
func TestCacheIdentity(t *testing.T) {
	sb := startSandbox(t)
	mustRun(t, "", "token", "--vendor", "bss")
	for _, kv := range [][2]string{
		{"VENDORKIT_BSS_USERNAME", "someone-else"},
		{"VENDORKIT_BSS_CLIENT_KEY", "0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b"},
	} {
		t.Run(kv[0], func(t *testing.T) {
			t.Setenv(kv[0], kv[1])
			before := tokenReqs(sb.Vendor("bss"))
			r := vk(t, "", "token", "--vendor", "bss")
			if r.code != exitAuth || tokenReqs(sb.Vendor("bss")) != before+1 {
				t.Errorf("exit %d after %d token requests: the cached token of another identity was served?\n%s",
					r.code, tokenReqs(sb.Vendor("bss"))-before, r.stderr)
			}
		})
	}
	// The same deployment under another spelling of its base URL is
	// another identity too; the vendor itself then answers.
	other := strings.Replace(sb.Vendor("bss").BaseURL, "127.0.0.1", "localhost", 1)
	before := tokenReqs(sb.Vendor("bss"))
	mustRun(t, "", "token", "--vendor", "bss", "--base-url", other)
	if tokenReqs(sb.Vendor("bss")) != before+1 {
		t.Error("another base URL was served the cached token")
	}
}

// The cache holds tokens, never a password, client secret or client key,
// in files of mode 0600 in a 0700 directory.
func TestCacheFilesPrivateAndSecretFree(t *testing.T) {
	sb := startSandbox(t)
	dir := os.Getenv(envCacheDir)
	for _, v := range sb.Vendors() {
		mustRun(t, "", "token", "--vendor", v.Name)
	}
	mustRun(t, "", "do", "--vendor", "ioffice", "GET", "/external/api/rest/v2/users/me")
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("cache directory mode %#o, want 0700", fi.Mode().Perm())
	}
	var credentials []string
	for _, v := range sb.Vendors() {
		for k, val := range v.Env() {
			for _, suffix := range []string{"_PASSWORD", "_CLIENT_SECRET", "_CONSUMER_SECRET", "_CLIENT_KEY", "_CONSUMER_KEY"} {
				if strings.HasSuffix(k, suffix) {
					credentials = append(credentials, val, url.QueryEscape(val), base64.StdEncoding.EncodeToString([]byte(val)),
						strings.Trim(jsonString(val), `"`))
				}
			}
		}
	}
	if len(credentials) < 4*len(sb.Vendors()) {
		t.Fatalf("only %d credential forms to look for", len(credentials))
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries := 0
	for _, de := range des {
		fi, err := de.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 || !fi.Mode().IsRegular() {
			t.Errorf("%s: mode %v, want a 0600 file", de.Name(), fi.Mode())
		}
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(de.Name(), ".json") {
			entries++
		}
		for _, c := range credentials {
			if len(c) >= 6 && strings.Contains(string(b), c) {
				t.Errorf("%s holds a credential (starts %q)", de.Name(), c[:3])
			}
		}
	}
	if entries != len(sb.Vendors()) {
		t.Errorf("%d entries, want one per vendor", entries)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// A cache that others can read or write, or that is not ours, is not
// used: one line says so, the run works without it, and nothing in it is
// read or written.
func TestUnsafeCacheNotUsed(t *testing.T) {
	sb := startSandbox(t)
	dir := os.Getenv(envCacheDir)
	mustRun(t, "", "token", "--vendor", "bss") // creates the directory and an entry
	entry := func() string {
		m, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		if len(m) != 1 {
			t.Fatalf("entries %q", m)
		}
		return m[0]
	}()
	for _, tc := range []struct {
		name   string
		break_ func() (undo func())
		want   string
	}{
		{"directory readable by others", func() func() {
			os.Chmod(dir, 0o755)
			return func() { os.Chmod(dir, 0o700) }
		}, "accessible by other users (mode 0755"},
		{"entry writable by the group", func() func() {
			os.Chmod(entry, 0o620)
			return func() { os.Chmod(entry, 0o600) }
		}, "accessible by other users (mode 0620"},
		{"a symlink in the directory", func() func() {
			link := filepath.Join(dir, "planted.json")
			if err := os.Symlink("/etc/passwd", link); err != nil {
				t.Fatal(err)
			}
			return func() { os.Remove(link) }
		}, "is not a regular file"},
		{"entry owned by another user", func() func() {
			if os.Getuid() != 0 {
				t.Skip("needs root to chown")
			}
			if err := os.Lchown(entry, 4242, 4242); err != nil {
				t.Fatal(err)
			}
			return func() { os.Lchown(entry, 0, 0) }
		}, "belongs to another user (uid 4242"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := os.ReadFile(entry)
			undo := tc.break_()
			defer undo()
			reqs := tokenReqs(sb.Vendor("bss"))
			r := vk(t, "", "token", "--vendor", "bss")
			if r.code != 0 || strings.TrimSpace(r.stdout) == "" {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "not using the token cache") {
				t.Errorf("stderr %q, want one line with %q", r.stderr, tc.want)
			}
			if tokenReqs(sb.Vendor("bss")) != reqs+1 {
				t.Error("the run did not log in on its own")
			}
			if after, _ := os.ReadFile(entry); string(after) != string(before) {
				t.Error("the run wrote into the unsafe cache")
			}
		})
	}
	// Fixed: the cache serves again, silently.
	r := mustRun(t, "", "token", "--vendor", "bss")
	if r.stderr != "" {
		t.Errorf("stderr %q", r.stderr)
	}
}

// An unusable cache is not an off one: revoke refuses rather than log in
// and revoke a token of its own while the cached one stays valid, login
// and logout say why they cannot work, status says "unusable" and why.
func TestUnusableCacheIsNotOff(t *testing.T) {
	sb := startSandbox(t)
	io := sb.Vendor("ioffice")
	dir := os.Getenv(envCacheDir)
	tok := strings.TrimSpace(mustRun(t, "", "token", "--vendor", "ioffice").stdout)
	reqs := tokenReqs(io)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	reason := "token cache " + dir + " is accessible by other users (mode 0755; chmod 700 fixes it)"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"revoke", "--vendor", "ioffice"}, "revoke revokes the token in the token cache, which is unusable: " + reason},
		{[]string{"login", "--vendor", "ioffice"}, "login keeps the token in the token cache, which is unusable: " + reason},
		{[]string{"logout", "--vendor", "ioffice"}, "logout acts on the token cache, which is unusable: " + reason},
	} {
		r := vk(t, "", tc.args...)
		if r.code != exitUsage || r.stdout != "" || r.stderr != "vendorkit: "+tc.want+"\n" {
			t.Errorf("%q: exit %d\nstdout %q\nstderr %q", tc.args, r.code, r.stdout, r.stderr)
		}
	}
	if n := io.Stats().TokenRequests["revoke"]; n != 0 || tokenReqs(io) != reqs || resourceStatus(t, io, tok) != http.StatusOK {
		t.Errorf("%d revokes, %d token requests; the cached token answers %d", n, tokenReqs(io)-reqs, resourceStatus(t, io, tok))
	}
	if r := mustRun(t, "", "status"); r.stdout != "token cache: unusable: "+reason+"\n" || r.stderr != "" {
		t.Errorf("status: %q %q", r.stdout, r.stderr)
	}
	if r := mustRun(t, "", "status", "--json"); r.stdout != "{\n  \"cache\": \"unusable\",\n  \"unusable\": "+jsonString(reason)+",\n  \"entries\": []\n}\n" {
		t.Errorf("status --json: %q", r.stdout)
	}
	// Off: login and logout say how it was turned off (neither has
	// --no-cache); status says "off".
	t.Setenv(envTokenStore, "off")
	for _, cmd := range []string{"login", "logout"} {
		r := vk(t, "", cmd, "--vendor", "ioffice")
		if r.code != exitUsage || !strings.HasSuffix(r.stderr, ", which "+envTokenStore+"=off turns off\n") || strings.Contains(r.stderr, "--no-cache") {
			t.Errorf("%s, cache off: exit %d %q", cmd, r.code, r.stderr)
		}
	}
	if r := mustRun(t, "", "status"); r.stdout != "token cache: off\n" {
		t.Errorf("status, cache off: %q", r.stdout)
	}
	if r := mustRun(t, "", "status", "--json"); r.stdout != "{\n  \"cache\": \"off\",\n  \"entries\": []\n}\n" {
		t.Errorf("status --json, cache off: %q", r.stdout)
	}
}

// A corrupt entry counts as empty: the run logs in and replaces it.
func TestCorruptEntryCountsAsEmpty(t *testing.T) {
	sb := startSandbox(t)
	dir := os.Getenv(envCacheDir)
	mustRun(t, "", "token", "--vendor", "ioffice")
	m, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(m) != 1 {
		t.Fatalf("entries %q", m)
	}
	for _, junk := range []string{`{"format":"vendorkit-token/1","vendor":"ioff`, "\x00\x01 not json", `{"format":"other/9"}`} {
		if err := os.WriteFile(m[0], []byte(junk), 0o600); err != nil {
			t.Fatal(err)
		}
		reqs := tokenReqs(sb.Vendor("ioffice"))
		r := mustRun(t, "", "token", "--vendor", "ioffice")
		if !slices.Contains(sb.Vendor("ioffice").Secrets(), strings.TrimSpace(r.stdout)) || tokenReqs(sb.Vendor("ioffice")) != reqs+2 {
			t.Errorf("after a corrupt entry: %d token requests", tokenReqs(sb.Vendor("ioffice"))-reqs)
		}
		st := mustRun(t, "", "status")
		if !strings.Contains(st.stdout, "ioffice") || strings.Contains(st.stdout, "unreadable") {
			t.Errorf("the entry was not replaced:\n%s", st.stdout)
		}
	}
	// status shows an unreadable entry as such, and logout removes it.
	os.WriteFile(m[0], []byte("garbage"), 0o600)
	st := mustRun(t, "", "status")
	if !strings.Contains(st.stdout, "unreadable: the entry is not vendorkit's JSON") {
		t.Errorf("status:\n%s", st.stdout)
	}
	r := mustRun(t, "", "logout", "--vendor", "ioffice")
	if !strings.Contains(r.stdout, "removed an unreadable cache entry") {
		t.Errorf("logout: %q", r.stdout)
	}
	if _, err := os.Stat(m[0]); !os.IsNotExist(err) {
		t.Errorf("the unreadable entry is still there: %v", err)
	}
}

// VENDORKIT_TOKEN_STORE=redis://… shares the cache through Redis (a
// fleet of CI jobs); a value that is none of file, off or a Redis URL is
// a usage error that does not repeat it.
func TestTokenStoreRedis(t *testing.T) {
	sb := startSandbox(t)
	rd := testservice.StartRedis(t)
	t.Setenv(envTokenStore, "redis://"+rd.Addr+"/3")
	first := mustRun(t, "", "token", "--vendor", "ioffice").stdout
	if second := mustRun(t, "", "token", "--vendor", "ioffice").stdout; second != first || tokenReqs(sb.Vendor("ioffice")) != 2 {
		t.Errorf("second run over Redis: same token %v, %d token requests", second == first, tokenReqs(sb.Vendor("ioffice")))
	}
	// What Redis holds: a token, never the password or client id in clear.
	rdb := redis.NewClient(&redis.Options{Addr: rd.Addr, DB: 3})
	defer rdb.Close()
	keys, err := rdb.Keys(context.Background(), "*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys %q: %v", keys, err)
	}
	for _, k := range keys {
		val, _ := rdb.Get(context.Background(), k).Result()
		for _, secret := range []string{os.Getenv("VENDORKIT_IOFFICE_PASSWORD"), url.QueryEscape(os.Getenv("VENDORKIT_IOFFICE_PASSWORD")), os.Getenv("VENDORKIT_IOFFICE_CLIENT_ID")} {
			if strings.Contains(k+val, secret) {
				t.Errorf("Redis key %q holds a credential (starts %q)", k, secret[:3])
			}
		}
	}
	st := mustRun(t, "", "status")
	if !strings.Contains(st.stdout, "token cache: redis://"+rd.Addr+"/3 (1 entry)") || !strings.Contains(st.stdout, "ioffice  apiuser") {
		t.Errorf("status:\n%s", st.stdout)
	}
	if r := mustRun(t, "", "logout", "--vendor", "ioffice"); !strings.Contains(r.stdout, "revoked the cached access and refresh token") {
		t.Errorf("logout: %q", r.stdout)
	}
	if resourceStatus(t, sb.Vendor("ioffice"), strings.TrimSpace(first)) != http.StatusUnauthorized {
		t.Error("the token logout revoked still works")
	}
	if st := mustRun(t, "", "status"); !strings.Contains(st.stdout, "(0 entries)") {
		t.Errorf("after logout:\n%s", st.stdout)
	}
	for _, bad := range []string{"memcached://user:s3cr3t-pw@host:11211", "redis://user:s3cr3t-pw@host:notaport/x", "fil"} {
		t.Setenv(envTokenStore, bad)
		r := vk(t, "", "token", "--vendor", "bss")
		if r.code != exitUsage || strings.Contains(r.stderr, "s3cr3t") || !strings.Contains(r.stderr, envTokenStore) {
			t.Errorf("%s=%s: exit %d %q", envTokenStore, bad[:4], r.code, r.stderr)
		}
	}
}

// Plain redis:// only to a loopback host, as for a vendor's http:// base
// URL: elsewhere the tokens would cross the network in clear. Refused
// before any connection (to an address nothing answers at, which a dial
// would wait on); rediss:// or --insecure-http allows it.
func TestTokenStoreRedisInClearOnlyOnLoopback(t *testing.T) {
	sb := startSandbox(t)
	t.Setenv(envTokenStore, "redis://user:s3cr3t-pw@203.0.113.1:6379/0")
	want := "vendorkit: " + envTokenStore + ": plain redis:// to 203.0.113.1:6379, not a loopback host, would carry the tokens in clear; use rediss:// (TLS), or --insecure-http to allow it\n"
	for _, args := range [][]string{{"token", "--vendor", "bss"}, {"status"}, {"logout", "--vendor", "bss"}} {
		if r := vk(t, "", args...); r.code != exitUsage || r.stdout != "" || r.stderr != want {
			t.Errorf("%q: exit %d\nstdout %q\nstderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	if n := tokenReqs(sb.Vendor("bss")); n != 0 {
		t.Errorf("%d token requests", n)
	}
	// Allowed (no connection is made until the cache is used).
	for _, tc := range []struct {
		url      string
		insecure bool
	}{
		{"rediss://203.0.113.1:6379/0", false},
		{"redis://203.0.113.1:6379/0", true},
		{"redis://localhost:6379/0", false},
		{"redis://[::1]:6379/0", false},
	} {
		t.Setenv(envTokenStore, tc.url)
		g := &globals{insecure: tc.insecure, stderr: io.Discard}
		c, err := g.openCache()
		if err != nil || c == nil {
			t.Errorf("%s, --insecure-http %v: %v", tc.url, tc.insecure, err)
			continue
		}
		c.close()
	}
}

// revoke revokes the cached token (never a fresh one), or one read from
// stdin; without a cache it logs in and revokes what it got.
func TestRevoke(t *testing.T) {
	sb := startSandbox(t)
	io := sb.Vendor("ioffice")
	revokes := func() int { return io.Stats().TokenRequests["revoke"] }

	r := mustRun(t, "", "revoke", "--vendor", "ioffice")
	if r.stdout != "ioffice: no cached token for this identity; nothing revoked\n" || revokes() != 0 || tokenReqs(io) != 0 {
		t.Errorf("empty cache: %q, %d revokes, %d token requests", r.stdout, revokes(), tokenReqs(io))
	}
	tok := strings.TrimSpace(mustRun(t, "", "token", "--vendor", "ioffice").stdout)
	r = mustRun(t, "", "revoke", "--vendor", "ioffice")
	if r.stdout != "ioffice: revoked the cached access and refresh token and removed it from the cache\n" || revokes() != 2 || tokenReqs(io) != 2 {
		t.Errorf("cached: %q, %d revokes, %d token requests", r.stdout, revokes(), tokenReqs(io))
	}
	if resourceStatus(t, io, tok) != http.StatusUnauthorized {
		t.Error("the printed token still works after revoke")
	}

	// --token -: a token printed earlier, read from stdin.
	tok = strings.TrimSpace(mustRun(t, "", "token", "--vendor", "ioffice").stdout)
	r = mustRun(t, "  "+tok+"\n", "revoke", "--vendor", "ioffice", "--token", "-")
	if r.stdout != "ioffice: revoked the token read from stdin\n" || revokes() != 3 {
		t.Errorf("--token -: %q, %d revokes", r.stdout, revokes())
	}
	if resourceStatus(t, io, tok) != http.StatusUnauthorized {
		t.Error("the token revoked from stdin still works")
	}
	if st := mustRun(t, "", "status"); !strings.Contains(st.stdout, "(0 entries)") {
		t.Errorf("the cache still holds the revoked token:\n%s", st.stdout)
	}

	// Without a cache: log in, revoke at once.
	r = mustRun(t, "", "revoke", "--vendor", "ioffice", "--no-cache")
	if !strings.Contains(r.stdout, "logged in and revoked the token (no token cache)") || revokes() != 5 {
		t.Errorf("--no-cache: %q, %d revokes", r.stdout, revokes())
	}

	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"--vendor", "bss"}, "no revoke endpoint"},
		{"", []string{"--vendor", "ioffice", "--token", tok}, "--token takes only -"},
		{"", []string{"--vendor", "ioffice", "--token", "-"}, "stdin is empty"},
		{tok + " " + tok, []string{"--vendor", "ioffice", "--token", "-"}, "more than one word"},
	} {
		r := vk(t, tc.stdin, append([]string{"revoke"}, tc.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, tok) {
			t.Errorf("%q: exit %d %q", tc.args, r.code, r.stderr)
		}
	}
}

// revoke for a vendor without a revoke endpoint says so, whatever its
// variables: none are needed to know that.
func TestRevokeNoEndpointBeforeVariables(t *testing.T) {
	privateCache(t)
	n := 0
	for _, v := range vendors.All() {
		if v.Revokes {
			continue
		}
		n++
		for _, e := range v.Env {
			k := "VENDORKIT_" + strings.ToUpper(v.Name) + "_" + e.Field
			t.Setenv(k, "") // restored after the test
			os.Unsetenv(k)
		}
		r := vk(t, "", "revoke", "--vendor", v.Name)
		if r.code != exitUsage || !strings.HasPrefix(r.stderr, "vendorkit: "+v.Name+" documents no revoke endpoint (revoke works with: ") {
			t.Errorf("%s: exit %d %q", v.Name, r.code, r.stderr)
		}
	}
	if n == 0 {
		t.Skip("every vendor revokes")
	}
}

// logout revokes what the cache holds (iOFFICE: both tokens) and removes
// the entry; for a vendor without a revoke endpoint it removes the entry
// and says the token stays valid.
func TestLogout(t *testing.T) {
	sb := startSandbox(t)
	io, bss := sb.Vendor("ioffice"), sb.Vendor("bss")
	iotok := strings.TrimSpace(mustRun(t, "", "token", "--vendor", "ioffice").stdout)
	bsstok := strings.TrimSpace(mustRun(t, "", "token", "--vendor", "bss").stdout)

	r := mustRun(t, "", "logout", "--vendor", "iOFFICE")
	if r.stdout != "ioffice: revoked the cached access and refresh token and removed it from the cache\n" ||
		io.Stats().TokenRequests["revoke"] != 2 || resourceStatus(t, io, iotok) != http.StatusUnauthorized {
		t.Errorf("ioffice: %q, %d revokes", r.stdout, io.Stats().TokenRequests["revoke"])
	}
	r = mustRun(t, "", "logout", "--vendor", "bss")
	if !strings.HasPrefix(r.stdout, "bss: removed the cached token; bss documents no revoke endpoint, so the token stays valid until it expires at ") ||
		resourceStatus(t, bss, bsstok) != http.StatusOK {
		t.Errorf("bss: %q", r.stdout)
	}
	if st := mustRun(t, "", "status"); !strings.Contains(st.stdout, "(0 entries)") {
		t.Errorf("after logout:\n%s", st.stdout)
	}
	r = mustRun(t, "", "logout", "--vendor", "bss")
	if r.stdout != "bss: not logged in: no cached token for this identity\n" || tokenReqs(bss) != 1 {
		t.Errorf("again: %q, %d token requests", r.stdout, tokenReqs(bss))
	}
	if r := vk(t, "", "logout", "--vendor", "bss", "--no-cache"); r.code != exitUsage {
		t.Errorf("--no-cache: exit %d", r.code)
	}
	// A revoke that fails keeps the entry, so logout can be run again.
	mustRun(t, "", "token", "--vendor", "ioffice")
	io.SetTokenLatency(time.Minute)
	if r := vk(t, "", "logout", "--vendor", "ioffice", "--timeout", "100ms"); r.code != exitNetwork {
		t.Errorf("logout that timed out: exit %d %q", r.code, r.stdout)
	}
	io.SetTokenLatency(0)
	if st := mustRun(t, "", "status"); !strings.Contains(st.stdout, "(1 entry)") {
		t.Errorf("a failed logout removed the entry:\n%s", st.stdout)
	}
	if r := mustRun(t, "", "logout", "--vendor", "ioffice"); !strings.Contains(r.stdout, "revoked the cached") {
		t.Errorf("logout again: %q", r.stdout)
	}
}

// status lists identities, never a token.
func TestStatus(t *testing.T) {
	sb := startSandbox(t)
	if st := mustRun(t, "", "status"); st.stdout != "token cache: "+os.Getenv(envCacheDir)+" (0 entries)\n" {
		t.Errorf("empty: %q", st.stdout)
	}
	mustRun(t, "", "token", "--vendor", "ioffice")
	mustRun(t, "", "token", "--vendor", "decisiv")
	st := mustRun(t, "", "status").stdout
	lines := strings.Split(strings.TrimSpace(st), "\n")
	if len(lines) != 4 || !regexpMatch(`^VENDOR +USER +BASE URL +EXPIRES +REFRESH TOKEN$`, lines[1]) ||
		!regexpMatch(`^decisiv +- +`+sb.Vendor("decisiv").BaseURL+` +no expiry +no$`, lines[2]) ||
		!regexpMatch(`^ioffice +apiuser +`+sb.Vendor("ioffice").BaseURL+` +in (59m5\ds|1h0m0s) \(20\d\d-.+Z\) +yes$`, lines[3]) {
		t.Errorf("status:\n%s", st)
	}
	var js struct {
		Cache   string
		Entries []struct {
			Vendor, User string
			BaseURL      string `json:"base_url"`
			HasRefresh   bool   `json:"has_refresh_token"`
		}
	}
	r := mustRun(t, "", "status", "--json", "--vendor", "IOFFICE")
	if err := json.Unmarshal([]byte(r.stdout), &js); err != nil || len(js.Entries) != 1 || js.Entries[0].Vendor != "ioffice" || !js.Entries[0].HasRefresh {
		t.Errorf("--json: %v %s", err, r.stdout)
	}
	if r := mustRun(t, "", "status", "--no-cache"); r.stdout != "token cache: off\n" {
		t.Errorf("--no-cache: %q", r.stdout)
	}
	// The scan of startSandbox's cleanup covers these outputs: no token.
}

// login for a vendor without a browser login: the configured credentials,
// once; a valid cached token is reused.
func TestLoginWithCredentials(t *testing.T) {
	sb := startSandbox(t)
	r := mustRun(t, "", "login", "--vendor", "blueprint")
	if !strings.HasPrefix(r.stdout, "blueprint: logged in with the configured credentials; token cached in "+os.Getenv(envCacheDir)+" (expires in ") {
		t.Errorf("first: %q", r.stdout)
	}
	r = mustRun(t, "", "login", "--vendor", "blueprint")
	if !strings.HasPrefix(r.stdout, "blueprint: already logged in; ") || tokenReqs(sb.Vendor("blueprint")) != 1 {
		t.Errorf("second: %q", r.stdout)
	}
	for _, args := range [][]string{{"--vendor", "bss", "--no-cache"}, {"--vendor", "bss", "--no-browser"}} {
		if r := vk(t, "", append([]string{"login"}, args...)...); r.code != exitUsage {
			t.Errorf("%q: exit %d", args, r.code)
		}
	}
}

// VENDORKIT_TOKEN_STORE_KEY seals the cached tokens, in files and in
// Redis: the stored bytes hold no token in clear, a run with the key is
// served from the cache, a run with another key or none counts the entry
// as empty and replaces it, and a malformed key is a usage error that
// never repeats it.
func TestTokenStoreKeySealsTokens(t *testing.T) {
	sb := startSandbox(t)
	rd := testservice.StartRedis(t)
	bss := sb.Vendor("bss")
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	other := base64.RawURLEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))
	for _, store := range []struct {
		name   string
		stored func() string // every stored byte, for the scan
	}{
		{"file", func() string {
			var all strings.Builder
			des, _ := os.ReadDir(os.Getenv(envCacheDir))
			for _, de := range des {
				b, _ := os.ReadFile(filepath.Join(os.Getenv(envCacheDir), de.Name()))
				all.Write(b)
			}
			return all.String()
		}},
		{"redis://" + rd.Addr + "/4", func() string {
			rdb := redis.NewClient(&redis.Options{Addr: rd.Addr, DB: 4})
			defer rdb.Close()
			var all strings.Builder
			keys, _ := rdb.Keys(context.Background(), "*").Result()
			for _, k := range keys {
				v, _ := rdb.Get(context.Background(), k).Result()
				all.WriteString(k + v)
			}
			return all.String()
		}},
	} {
		t.Setenv(envTokenStore, store.name)
		t.Setenv(envTokenStoreKey, key)
		reqs := tokenReqs(bss)
		tok := strings.TrimSpace(mustRun(t, "", "token", "--vendor", "bss").stdout)
		stored := store.stored()
		if !strings.Contains(stored, `"encrypted":true`) {
			t.Errorf("%s: no sealed entry stored", store.name)
		}
		for _, form := range []string{tok, base64.StdEncoding.EncodeToString([]byte(tok)), key} {
			if strings.Contains(stored, form) {
				t.Errorf("%s: the stored bytes hold the token or the key (starts %q)", store.name, form[:3])
			}
		}
		if again := strings.TrimSpace(mustRun(t, "", "token", "--vendor", "bss").stdout); again != tok || tokenReqs(bss) != reqs+1 {
			t.Errorf("%s: with the key, same token %v and %d token requests, want 1", store.name, again == tok, tokenReqs(bss)-reqs)
		}
		if st := mustRun(t, "", "status", "--json").stdout; !strings.Contains(st, `"encrypted": true`) {
			t.Errorf("%s: status --json:\n%s", store.name, st)
		}
		for i, k := range []string{other, ""} {
			t.Setenv(envTokenStoreKey, k)
			if next := strings.TrimSpace(mustRun(t, "", "token", "--vendor", "bss").stdout); next == tok || tokenReqs(bss) != reqs+2+i {
				t.Errorf("%s, key %d: served the sealed token %v, %d token requests", store.name, i, next == tok, tokenReqs(bss)-reqs)
			}
		}
		for _, bad := range []string{"c2hvcnQta2V5", "not base64 at all: s3cr3t-key!", key + "AAAA"} {
			t.Setenv(envTokenStoreKey, bad)
			r := vk(t, "", "token", "--vendor", "bss")
			if r.code != exitUsage || !strings.Contains(r.stderr, envTokenStoreKey) || strings.Contains(r.stderr, bad) || strings.Contains(r.stderr, "s3cr3t") {
				t.Errorf("%s: key %q: exit %d %q", store.name, bad[:4], r.code, r.stderr)
			}
		}
	}
}
