package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vendorkit/vendorkit/sandbox"
)

// The CLI against vendor servers that misbehave on purpose: each case is
// a BSS deployment (any host: BSS is white-labelled) whose token endpoint
// or resource does one wrong thing. The exit code, stdout and stderr must
// tell the truth, in one line, without a secret.

const (
	hostileKey    = "23230e67-6c95-4f83-a176-d969b95ee601"
	hostileSecret = "HCHlt6XPXxOveEx4QjECVB4ChgKiLJF65U7qy/xe46k="
	hostilePass   = "user123456!-hostile"
	hostileToken  = "TOKEN-1f0e2d3c4b5a69788796a5b4c3d2e1f0"
)

// hostileBSS serves token and resource with the given handlers (nil: a
// good token, an account) and points the VENDORKIT_BSS_* variables at it.
func hostileBSS(t *testing.T, token, resource http.HandlerFunc) *httptest.Server {
	t.Helper()
	privateCache(t)
	if token == nil {
		token = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","expires_in":1799}`, hostileToken)
		}
	}
	if resource == nil {
		resource = func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"id":1,"name":"x"}`) }
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/oauth/token", token)
	mux.HandleFunc("/", resource)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for k, v := range map[string]string{
		"VENDORKIT_BSS_BASE_URL": srv.URL, "VENDORKIT_BSS_CLIENT_KEY": hostileKey,
		"VENDORKIT_BSS_CLIENT_SECRET": hostileSecret, "VENDORKIT_BSS_USERNAME": "testuser",
		"VENDORKIT_BSS_PASSWORD": hostilePass,
	} {
		t.Setenv(k, v)
	}
	return srv
}

// noSecret fails if any output holds a credential of hostileBSS, or the
// token (other than on the stdout of `token`, which asked for it).
func noSecret(t *testing.T, r result, tokenAllowedOnStdout bool) {
	t.Helper()
	outs := []string{r.stderr}
	if !tokenAllowedOnStdout {
		outs = append(outs, r.stdout)
	}
	for _, out := range outs {
		for _, s := range []string{hostileSecret, hostilePass, hostileToken, "dXNlcjEyMzQ1NiEt", "MjMyMzBlNjct"} {
			if strings.Contains(out, s) {
				t.Errorf("output holds a secret (starts %q): %q", s[:4], out)
			}
		}
	}
}

func TestExitCodesTellTheTruth(t *testing.T) {
	var thiefHits atomic.Int64
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		thiefHits.Add(1)
		fmt.Fprint(w, `{"access_token":"THIEF","token_type":"bearer"}`)
	}))
	defer thief.Close()
	echo := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"message":"rejected %s","hint":"Authorization=Basic %s"}`, r.Header.Get("Authorization"), hostileSecret)
		}
	}
	for _, tc := range []struct {
		name            string
		token, resource http.HandlerFunc
		args            []string
		code            int
		stderr          []string // each must appear
	}{
		{name: "invalid_client", token: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(401)
			fmt.Fprintf(w, `{"error":"invalid_client","error_description":"unknown client %s"}`, r.Header.Get("Authorization"))
		}, args: []string{"token"}, code: exitAuth, stderr: []string{"invalid_client", "HTTP 401"}},
		{name: "still 401 after re-auth", resource: echo(401), args: []string{"do", "GET", "/api/accounts/1"},
			code: exitAuth, stderr: []string{"HTTP 401", "unauthorized after re-authentication", `rejected Bearer REDACTED`}},
		{name: "captive portal 200", token: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html><body>Sign in to the hotel Wi-Fi</body></html>")
		}, args: []string{"token"}, code: exitUnusable, stderr: []string{"malformed token response"}},
		{name: "over-size token response", token: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"access_token":"%s"}`, strings.Repeat("a", 2<<20))
		}, args: []string{"token"}, code: exitUnusable, stderr: []string{"too large"}},
		{name: "token endpoint redirects", token: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, thief.URL+"/collect?code=LEAK", http.StatusTemporaryRedirect)
		}, args: []string{"token"}, code: exitUnusable, stderr: []string{"unexpected redirect", "HTTP 307", thief.URL}},
		{name: "control character in the token", token: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"access_token":"abc\u001b[2Jdef","expires_in":60}`)
		}, args: []string{"token"}, code: exitUnusable, stderr: []string{"control character"}},
		{name: "token endpoint 503", token: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "86400")
			w.WriteHeader(503)
		}, args: []string{"token"}, code: exitNetwork, stderr: []string{"HTTP 503", "retry after 24h0m0s"}},
		{name: "resource 404", resource: echo(404), args: []string{"do", "GET", "/api/accounts/99"},
			code: exitHTTP, stderr: []string{"HTTP 404 Not Found", "rejected Bearer REDACTED"}},
		{name: "resource 503 with Retry-After beyond the cap", resource: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "86400")
			w.WriteHeader(503)
		}, args: []string{"do", "-v", "GET", "/api/accounts/1"}, code: exitHTTP,
			stderr: []string{"HTTP 503", "not retrying", "Retry-After exceeds the cap of 30s"}},
		{name: "resource never answers", resource: func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, args: []string{"do", "--timeout", "300ms", "GET", "/api/accounts/1"}, code: exitNetwork,
			stderr: []string{"timed out after 300ms (--timeout"}},
		{name: "resource streams forever", resource: func(w http.ResponseWriter, r *http.Request) {
			for r.Context().Err() == nil {
				if _, err := w.Write([]byte(strings.Repeat("x", 1024))); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				time.Sleep(time.Millisecond)
			}
		}, args: []string{"do", "--timeout", "300ms", "GET", "/api/accounts/1"}, code: exitNetwork,
			stderr: []string{"timed out after 300ms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			thiefHits.Store(0)
			hostileBSS(t, tc.token, tc.resource)
			r := vk(t, "", append(tc.args[:1:1], append([]string{"--vendor", "bss"}, tc.args[1:]...)...)...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstderr: %s", r.code, tc.code, r.stderr)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if tc.code != exitHTTP || tc.args[0] != "do" {
				if strings.Count(r.stderr, "vendorkit:") != 1 || (!strings.Contains(strings.Join(tc.args, " "), "-v") && strings.Count(r.stderr, "\n") != 1) {
					t.Errorf("want one 'vendorkit:' line:\n%s", r.stderr)
				}
			}
			if strings.Contains(r.stderr, "vendorkit: vendorkit") || strings.Contains(r.stderr, `Get "`) {
				t.Errorf("double wrapping:\n%s", r.stderr)
			}
			if strings.ContainsAny(r.stdout+r.stderr, "\x1b\x00\r") {
				t.Errorf("control characters in the output: %q %q", r.stdout, r.stderr)
			}
			if thiefHits.Load() != 0 || strings.Contains(r.stdout, "THIEF") {
				t.Errorf("the other host got %d requests; stdout %q", thiefHits.Load(), r.stdout)
			}
			noSecret(t, r, tc.args[0] == "token")
		})
	}
}

// Decisiv's 403 ("bearer tokens are not supported on this endpoint") is
// the resource's answer: exit 1 with the status and the body, not 4.
func TestDecisiv403ExitsHTTP(t *testing.T) {
	sb, err := sandbox.Start(context.Background(), sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.DecisivOptions{BearerRefusedPaths: []string{"/platform_api/bearer_test"}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	for k, v := range sb.Vendor("decisiv").Env() {
		t.Setenv(k, v)
	}
	r := vk(t, "", "do", "--vendor", "decisiv", "GET", "/platform_api/bearer_test")
	if r.code != exitHTTP || !strings.Contains(r.stderr, "HTTP 403") || !strings.Contains(r.stderr, "does not support bearer") {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	for _, s := range sb.Vendor("decisiv").Secrets() {
		if len(s) >= 6 && strings.Contains(r.stderr, s) {
			t.Errorf("stderr holds a secret (starts %q)", s[:3])
		}
	}
}

// A resource that echoes the request's credentials back in an error body,
// in encodings, with the password placed where a 4 KiB cut would halve it:
// `do` scrubs the whole read first and cuts after.
func TestDoScrubsEchoedCredentials(t *testing.T) {
	hostileBSS(t, nil, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		fmt.Fprintf(w, `{"token":%q,"raw":"%s","esc":"%s"}`, tok, tok, strings.ReplaceAll(hostileSecret, "/", `\/`))
		fmt.Fprint(w, strings.Repeat(".", maxErrorBody-len(hostilePass)/2-200-2*len(tok)), hostilePass, " and more")
	})
	r := vk(t, "", "do", "--vendor", "bss", "GET", "/api/accounts/1")
	if r.code != exitHTTP {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	noSecret(t, r, false)
	if strings.Contains(r.stderr, hostilePass[:8]) {
		t.Errorf("half the password survived the cut: %q", r.stderr[len(r.stderr)-40:])
	}
}

// The failed request's line on stderr redacts credential parameters of
// the user's PATH, as -v does.
func TestDoErrorLineRedactsQuery(t *testing.T) {
	startSandbox(t)
	const secret = "my-own-api-key-123"
	for _, args := range [][]string{{"do"}, {"-v", "do"}} {
		r := vk(t, "", append(args, "--vendor", "bss", "GET", "/api/no-such-thing?api_key="+secret+"&x=1")...)
		if r.code != exitHTTP || strings.Contains(r.stderr, secret) ||
			!strings.Contains(r.stderr, "vendorkit: GET /api/no-such-thing?api_key=REDACTED&x=1: HTTP 404 ") {
			t.Errorf("%q: exit %d\n%s", args, r.code, r.stderr)
		}
	}
}

// Credentials the user put in the request (a credential-named query
// parameter of PATH, a credential-named -H) are scrubbed from an echoing
// error body too, in their encodings, not only the client's own.
func TestDoScrubsTheUsersOwnCredentials(t *testing.T) {
	const inQuery, inHeader = "my-own-api-key-123", "my/own+session=456"
	hostileBSS(t, nil, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"echo":%q,"raw":"%s %s","url":"%s","json":%q}`, r.URL.Query().Get("api_key"),
			r.URL.RawQuery, r.Header.Get("X-Session-Id"), url.QueryEscape(inHeader), r.Header.Get("X-Session-Id"))
	})
	r := vk(t, "", "do", "--vendor", "bss", "GET", "/api/accounts/1?api_key="+inQuery+"&page=2",
		"-H", "X-Session-Id: "+inHeader, "-H", "X-Trace: visible-trace-789")
	if r.code != exitHTTP {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, s := range []string{inQuery, inHeader, url.QueryEscape(inHeader), `my\/own`} {
		if strings.Contains(r.stderr, s) {
			t.Errorf("stderr holds %q:\n%s", s, r.stderr)
		}
	}
	if !strings.Contains(r.stderr, "page=2") {
		t.Errorf("scrubbed more than the credentials:\n%s", r.stderr)
	}
}

// A vendor's reason phrase and body with terminal escape sequences: none
// reaches stderr. (A raw server: net/http will not write such a status line.)
func TestTerminalEscapesStripped(t *testing.T) {
	rawBSS(t, func(r *http.Request) string {
		body := `{"access_token":"tok-abcdef","token_type":"bearer","expires_in":600}`
		status := "200 OK"
		if r.URL.Path != "/oauth/token" {
			body = "\x1b]0;pwned\x07\x1b[2Jgone \x9b31m"
			status = "418 I'm \x1b[5ma teapot"
		}
		return fmt.Sprintf("HTTP/1.1 %s\r\nContent-Length: %d\r\nContent-Type: application/json\r\n\r\n%s", status, len(body), body)
	})
	r := vk(t, "", "do", "-v", "--vendor", "bss", "GET", "/api/accounts/1")
	if r.code != exitHTTP {
		t.Fatalf("exit %d: %q", r.code, r.stderr)
	}
	if strings.ContainsAny(r.stderr, "\x1b\x07\u009b") || !strings.Contains(r.stderr, "gone") || !strings.Contains(r.stderr, "418") {
		t.Errorf("stderr %q", r.stderr)
	}
}

// iOFFICE without a password (browser-only) on the CLI is the vendor's
// "re-login required": exit 3 with a hint, not a missing-variable 2.
func TestIOfficeWithoutPasswordExitsAuth(t *testing.T) {
	startSandbox(t)
	t.Setenv("VENDORKIT_IOFFICE_USERNAME", "")
	t.Setenv("VENDORKIT_IOFFICE_PASSWORD", "")
	r := vk(t, "", "token", "--vendor", "ioffice")
	if r.code != exitAuth || !strings.Contains(r.stderr, "re-login required") || !strings.Contains(r.stderr, "browser") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

// --insecure-http is global: every command takes it (Decisiv's docs use
// plain http); without it a non-loopback http base URL is a usage error.
func TestInsecureHTTPIsGlobal(t *testing.T) {
	startSandbox(t)
	t.Setenv("VENDORKIT_DECISIV_BASE_URL", "http://api.staging.decisiv.invalid")
	if r := vk(t, "", "token", "--vendor", "decisiv"); r.code != exitUsage || !strings.Contains(r.stderr, "plain http") {
		t.Errorf("without the flag: exit %d %s", r.code, r.stderr)
	}
	// With it, the request is made (and fails on the unresolvable host).
	r := vk(t, "", "token", "--insecure-http", "--vendor", "decisiv", "--timeout", "5s")
	if r.code != exitNetwork {
		t.Errorf("with the flag: exit %d %s", r.code, r.stderr)
	}
}

var buildOnce struct {
	sync.Once
	bin string
	err error
}

// builtBinary builds cmd/vendorkit once per test run.
func builtBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "vendorkit-test-bin")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.bin = filepath.Join(dir, "vendorkit")
		if out, err := exec.Command("go", "build", "-o", buildOnce.bin, ".").CombinedOutput(); err != nil {
			buildOnce.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return buildOnce.bin
}

// Ctrl-C (SIGINT) while a request hangs exits 130, SIGTERM 143, whatever
// stage the command was in: a real process, a real signal.
func TestInterruptExits130(t *testing.T) {
	bin := builtBinary(t)
	var held atomic.Int64
	srv := hostileBSS(t, nil, func(w http.ResponseWriter, r *http.Request) {
		held.Add(1)
		<-r.Context().Done()
	})
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		held.Store(0)
		cmd := exec.Command(bin, "do", "--vendor", "bss", "GET", "/api/accounts/1")
		cmd.Env = append(os.Environ(), "VENDORKIT_BSS_BASE_URL="+srv.URL)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		for held.Load() == 0 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		_ = cmd.Process.Signal(tc.sig)
		_ = cmd.Wait()
		if got := cmd.ProcessState.ExitCode(); got != tc.code || strings.TrimSpace(stderr.String()) != "vendorkit: interrupted" {
			t.Errorf("%v: exit %d, stderr %q; want %d", tc.sig, got, stderr.String(), tc.code)
		}
	}
}

// rawBSS is a BSS deployment on a raw TCP listener, for what net/http's
// server will not send: each request is answered with respond's bytes.
// It points the VENDORKIT_BSS_* variables at itself.
func rawBSS(t *testing.T, respond func(r *http.Request) string) {
	t.Helper()
	privateCache(t)
	for k, v := range map[string]string{
		"VENDORKIT_BSS_BASE_URL": rawServer(t, respond), "VENDORKIT_BSS_CLIENT_KEY": hostileKey,
		"VENDORKIT_BSS_CLIENT_SECRET": hostileSecret, "VENDORKIT_BSS_USERNAME": "testuser",
		"VENDORKIT_BSS_PASSWORD": hostilePass,
	} {
		t.Setenv(k, v)
	}
}

// rawServer answers each request on a raw TCP listener with respond's
// bytes, as they are, and returns its base URL. It stops at the test's end.
func rawServer(t *testing.T, respond func(r *http.Request) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					r, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, r.Body)
					if _, err := io.WriteString(c, respond(r)); err != nil {
						return
					}
				}
			})
		}
	})
	return "http://" + ln.Addr().String()
}

// A server that echoes credentials into what the CLI prints besides
// bodies: reason phrases (the token endpoint's echoing the Basic
// credential, the resource's the token), a same-origin Location's path,
// a status line net/http cannot parse. Neither `do`'s error line nor -v's
// lines may hold them.
func TestServerTextOutsideBodiesScrubbed(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	rawBSS(t, func(r *http.Request) string {
		if r.URL.Path == "/oauth/token" {
			body := fmt.Sprintf(`{"access_token":%q,"token_type":"bearer","expires_in":1799}`, hostileToken)
			return fmt.Sprintf("HTTP/1.1 200 OK %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
				strings.TrimPrefix(r.Header.Get("Authorization"), "Basic "), len(body), body)
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch r.URL.Path {
		case "/api/reason":
			return fmt.Sprintf("HTTP/1.1 404 no %s %s\r\nContent-Length: 0\r\n\r\n", tok, b64(tok))
		case "/api/redirect":
			return fmt.Sprintf("HTTP/1.1 302 Found\r\nLocation: /api/x/%s/%s\r\nContent-Length: 0\r\n\r\n", tok, b64(tok))
		}
		return fmt.Sprintf("HTTP/1.1 %s\r\n\r\n", tok)
	})
	for _, path := range []string{"/api/reason", "/api/redirect", "/api/status-line"} {
		for _, v := range []string{"-v", "--no-cache"} {
			r := vk(t, "", "do", v, "--timeout", "5s", "--vendor", "bss", "GET", path)
			if r.code == exitOK || !strings.Contains(r.stderr, "vendorkit: ") {
				t.Errorf("%s %s: exit %d\n%s", v, path, r.code, r.stderr)
			}
			noSecret(t, r, false)
			if strings.Contains(r.stderr, b64(hostileToken)) {
				t.Errorf("%s %s: the token's base64 in %q", v, path, r.stderr)
			}
		}
	}
}

// Whatever holds the admin URL's port (another user's process, once the
// sandbox is gone) gets the admin token with the request; it cannot make
// `sandbox ctl` print it back, or write escape sequences to the terminal,
// through an error_description, a reason phrase or the status table.
func TestSandboxCtlHostileEndpoint(t *testing.T) {
	const adminTok = "admintok-7d1e3c5b9a2f4e6d8c0b"
	admin := rawServer(t, func(r *http.Request) string {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		var status, body string
		switch r.URL.Path {
		case "/stats":
			status, body = "200 OK", fmt.Sprintf(`{"vendors":[{"vendor":"bss \u001b]0;%s\u0007\u001b[2J%s %s\u001b[m%s","token_requests":{"%s":1}}]}`, tok, tok, tok[:5], tok[5:], tok)
		case "/settings":
			status, body = "400 Bad Request", fmt.Sprintf(`{"error":"invalid_request","error_description":"bad \u001b[31m%s %s %s\u009b0m%s"}`, tok, base64.StdEncoding.EncodeToString([]byte(tok)), tok[:5], tok[5:])
		default:
			status = "418 " + tok
		}
		return fmt.Sprintf("HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", status, len(body), body)
	})
	t.Setenv(envAdminURL, admin)
	t.Setenv(envAdminToken, adminTok)
	for _, args := range [][]string{{"stats"}, {"stats", "--json"}, {"set", "--token-lifetime", "1m"}, {"revoke-all"}} {
		r := vk(t, "", append([]string{"sandbox", "ctl"}, args...)...)
		out := r.stdout + r.stderr
		if r.code == exitOK && args[0] != "stats" || !strings.Contains(out, "bss") && !strings.Contains(out, "bad") && !strings.Contains(out, "418") {
			t.Errorf("%v: exit %d:\n%s", args, r.code, out)
		}
		if strings.Contains(out, adminTok) || strings.Contains(out, base64.StdEncoding.EncodeToString([]byte(adminTok))) ||
			strings.ContainsAny(out, "\x1b\x07") {
			t.Errorf("%v: exit %d, output holds the admin token or a control character:\n%q", args, r.code, out)
		}
	}
}

// Escape sequences are removed before secrets are scrubbed, not after: a
// server that echoes the token with one in its middle ("TOK\x1b[mEN")
// would otherwise get it past the scrubber and whole onto the terminal.
func TestSecretSplitByEscapeScrubbed(t *testing.T) {
	split := func(s string) string { return s[:6] + "\x1b[0m" + s[6:12] + "\u009b1m\x07" + s[12:] }
	rawBSS(t, func(r *http.Request) string {
		if r.URL.Path == "/oauth/token" {
			body := fmt.Sprintf(`{"access_token":%q,"token_type":"bearer","expires_in":1799}`, hostileToken)
			return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		body := "rejected " + split(tok) + " for " + split(hostilePass)
		return fmt.Sprintf("HTTP/1.1 403 no %s\r\nContent-Length: %d\r\n\r\n%s", split(tok), len(body), body)
	})
	for _, v := range []string{"-v", "--no-cache"} {
		r := vk(t, "", "do", v, "--vendor", "bss", "GET", "/api/accounts/1")
		if r.code != exitHTTP || !strings.Contains(r.stderr, "rejected REDACTED for REDACTED") {
			t.Errorf("%s: exit %d\n%q", v, r.code, r.stderr)
		}
		noSecret(t, r, false)
	}
}

// A METHOD or PATH no request can carry as typed (a control character,
// bytes that are not UTF-8, a space in the query, which net/http would
// write raw into the request line) is a usage error before anything is
// sent, not even a token request, and the argument is not echoed raw.
func TestDoRefusesUnsendableArguments(t *testing.T) {
	var tokens, resources atomic.Int64
	var last atomic.Value
	hostileBSS(t, func(w http.ResponseWriter, r *http.Request) {
		tokens.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","expires_in":1799}`, hostileToken)
	}, func(w http.ResponseWriter, r *http.Request) {
		resources.Add(1)
		last.Store(r.Method + " " + r.RequestURI)
		fmt.Fprint(w, "ok")
	})
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/a\x00b", "PATH"},
		{"GET", "/a\x1b[31mred", "PATH"},
		{"GET", "/a\r\nX-Injected: 1", "PATH"},
		{"GET", "/a\x7fb", "PATH"},
		{"GET", "/a\u009b31mb", "PATH"},
		{"GET", "/a\xffb", "PATH"},
		{"GET", "/x?q=a\xffb", "PATH"},
		{"GET", "/x?q=a\u009b2J", "PATH"},
		{"GET", "/x?q=a b", "PATH"},
		{"GET", "/x%zz", "PATH"},
		{"", "/x", "METHOD"},
		{"G ET", "/x", "METHOD"},
		{"g\x1b[2Jet", "/x", "METHOD"},
		{"GET\n", "/x", "METHOD"},
		{"G\xffT", "/x", "METHOD"},
		{"GET\u009b", "/x", "METHOD"},
		{"GET(", "/x", "METHOD"},
	} {
		r := vk(t, "", "do", "--vendor", "bss", tc.method, tc.path)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
			t.Errorf("%q %q: exit %d, stdout %q, stderr %q; want exit 2 and one line about %s", tc.method, tc.path, r.code, r.stdout, r.stderr, tc.want)
		}
		if strings.Contains(r.stderr, "absolute URL") {
			t.Errorf("%q %q: refused as an absolute URL: %q", tc.method, tc.path, r.stderr)
		}
		if !utf8.ValidString(r.stderr) || strings.ContainsFunc(strings.TrimSuffix(r.stderr, "\n"), func(c rune) bool {
			return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f)
		}) {
			t.Errorf("%q %q: raw bytes on stderr: %q", tc.method, tc.path, r.stderr)
		}
	}
	if n, m := tokens.Load(), resources.Load(); n != 0 || m != 0 {
		t.Fatalf("refused arguments sent %d token requests and %d requests (last %q)", n, m, last.Load())
	}
	// What can be sent as typed still is: a lower-case method, a space in
	// the path (percent-encoded), an escaped query.
	for _, tc := range []struct{ method, path, want string }{
		{"get", "/a b", "GET /a%20b"},
		{"patch", "/x?q=%C3%A9+b", "PATCH /x?q=%C3%A9+b"},
		{"GET", "/caf\u00e9", "GET /caf%C3%A9"},
	} {
		mustRun(t, "", "do", "--vendor", "bss", tc.method, tc.path)
		if got := last.Load(); got != tc.want {
			t.Errorf("%q %q: sent %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}
