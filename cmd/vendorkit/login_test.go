package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/internal/testservice"
	"github.com/vendorkit/vendorkit/sandbox"
)

// loopbackRedirectURI is a redirect URI on a free loopback port.
func loopbackRedirectURI(t *testing.T) string {
	return "http://127.0.0.1:" + strconv.Itoa(testservice.FreePorts(t, 1)) + "/vendorkit/callback"
}

// bgRun is a CLI run in a goroutine, for commands that wait for the test
// (login).
type bgRun struct {
	out  *notifyWriter
	errb *lockedBuffer
	done chan result
}

// startRun runs the CLI in the background; want is what stdout must show
// before ready closes.
func startRun(t *testing.T, stdin io.Reader, want string, args ...string) *bgRun {
	t.Helper()
	b := &bgRun{out: &notifyWriter{w: &bytes.Buffer{}, ready: make(chan struct{}), want: want}, errb: &lockedBuffer{}, done: make(chan result, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	go func() {
		defer cancel()
		code := run(ctx, args, stdin, b.out, b.errb)
		r := result{code, b.out.String(), b.errb.String()}
		outputs.Lock()
		outputs.all = append(outputs.all, r.stdout, r.stderr)
		outputs.Unlock()
		b.done <- r
	}()
	return b
}

// wait returns the run's result.
func (b *bgRun) wait(t *testing.T) result {
	t.Helper()
	select {
	case r := <-b.done:
		return r
	case <-time.After(90 * time.Second):
		t.Fatal("the command did not end")
		return result{}
	}
}

// waitReady waits for want on stdout, failing if the command ends first.
func (b *bgRun) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-b.out.ready:
	case r := <-b.done:
		t.Fatalf("ended before printing what the test waits for: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	case <-time.After(30 * time.Second):
		t.Fatal("the command printed nothing")
	}
}

// signIn submits the sandbox's login form for loginURL as a browser
// would and returns the Location it redirects to.
func signIn(t *testing.T, loginURL, user, pass string) string {
	t.Helper()
	u, err := url.Parse(loginURL)
	if err != nil {
		t.Fatal(err)
	}
	page, err := http.Get(loginURL)
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != 200 {
		t.Fatalf("login page: %d", page.StatusCode)
	}
	form := u.Query()
	form.Set("username", user)
	form.Set("password", pass)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.PostForm(u.Scheme+"://"+u.Host+"/login.html", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login form: %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// postCatch posts fields to the catcher as its page's script would, from
// origin, and returns the answer.
func postCatch(t *testing.T, redirect, origin string, fields url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", redirect, strings.NewReader(fields.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// login through the loopback catcher, the browser played by an HTTP
// client: $BROWSER gets the login URL; the catcher serves its page, refuses
// other origins and hosts and a foreign state, and takes the real
// redirect. Then token and do work without a password, and refreshes
// (rotating the refresh token) persist across runs.
func TestLoginLoopback(t *testing.T) {
	redirect := loopbackRedirectURI(t)
	sb := startSandboxOpts(t, sandbox.Options{LoginRedirectURI: redirect})
	iv := sb.Vendor("ioffice")
	user, pass := os.Getenv("VENDORKIT_IOFFICE_USERNAME"), os.Getenv("VENDORKIT_IOFFICE_PASSWORD")
	t.Setenv("VENDORKIT_IOFFICE_USERNAME", "")
	t.Setenv("VENDORKIT_IOFFICE_PASSWORD", "")
	iv.SetTokenLifetime(1500 * time.Millisecond)

	// A browser that records the URL it was asked to open.
	dir := t.TempDir()
	opened := filepath.Join(dir, "opened")
	script := filepath.Join(dir, "browser.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s' \"$1\" > "+opened+".tmp && mv "+opened+".tmp "+opened+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BROWSER", script)
	b := startRun(t, strings.NewReader(""), "", "login", "--vendor", "ioffice")
	var loginURL string
	for ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second); ; {
		if u, err := os.ReadFile(opened); err == nil {
			loginURL = string(u)
			cancel()
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the browser was not opened; stderr:\n%s", b.errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	lu, _ := url.Parse(loginURL)
	q := lu.Query()
	if lu.Path != "/login.html" || q.Get("response_type") != "code" || q.Get("client_id") != os.Getenv("VENDORKIT_IOFFICE_CLIENT_ID") ||
		q.Get("redirect_uri") != redirect || q.Get("scope") != "email" || len(q.Get("state")) < 20 {
		t.Fatalf("login URL %s", loginURL)
	}
	if !strings.Contains(b.errb.String(), loginURL) {
		t.Errorf("stderr does not show the URL for a browser that did not open:\n%s", b.errb.String())
	}

	loc := signIn(t, loginURL, user, pass)
	target, frag, _ := strings.Cut(loc, "#")
	if target != redirect {
		t.Fatalf("redirected to %q", loc)
	}
	page, err := http.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := readAll(page)
	csp := page.Header.Get("Content-Security-Policy")
	if page.StatusCode != 200 || !strings.Contains(body, "location.hash") || !strings.Contains(csp, "script-src 'sha256-") || page.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("catcher page: %d %q\n%s", page.StatusCode, csp, body)
	}
	fields, _ := url.ParseQuery(frag)
	ru, _ := url.Parse(redirect)
	origin := "http://" + ru.Host
	if code, _ := postCatch(t, target, "http://evil.example", fields); code != http.StatusForbidden {
		t.Errorf("a post from another origin: %d", code)
	}
	if code, _ := postCatch(t, target, "", fields); code != http.StatusForbidden {
		t.Errorf("a post without Origin: %d", code)
	}
	rebind := strings.Replace(target, "127.0.0.1", "localhost", 1)
	if code, _ := postCatch(t, rebind, strings.Replace(origin, "127.0.0.1", "localhost", 1), fields); code != http.StatusMisdirectedRequest {
		t.Errorf("another host name: %d", code)
	}
	forged := url.Values{"code": {"forged-code-123"}, "state": {"not-this-login"}}
	if code, msg := postCatch(t, target, origin, forged); code != http.StatusBadRequest || !strings.Contains(msg, "state mismatch") {
		t.Errorf("a foreign state: %d %q", code, msg)
	}
	if n := iv.Stats().TokenRequests["authorization_code"]; n != 0 {
		t.Fatalf("a code was exchanged before the real redirect (%d)", n)
	}
	if code, msg := postCatch(t, target, origin, fields); code != 200 || !strings.Contains(msg, "Signed in to ioffice") {
		t.Errorf("the real redirect: %d %q", code, msg)
	}
	r := b.wait(t)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ioffice: signed in through the browser; token cached in ") ||
		!strings.Contains(r.stderr, "ignored a redirect whose state is not this login's") {
		t.Fatalf("login: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	assertNoSecret(t, []string{fields.Get("code")}, r.stdout, r.stderr)

	// No password from now on: the cached token, refreshed with rotation.
	mustRun(t, "", "do", "--vendor", "ioffice", "GET", "/external/api/rest/v2/users/me")
	tok := mustRun(t, "", "token", "--vendor", "ioffice").stdout
	for i := 1; i <= 2; i++ {
		time.Sleep(1600 * time.Millisecond) // the token expires (real time: the sandbox is a real server)
		next := mustRun(t, "", "token", "--vendor", "ioffice").stdout
		st := iv.Stats()
		if next == tok || st.TokenRequests["refresh_token"] != i || st.InvalidGrants != 0 {
			t.Errorf("expiry %d: new token %v, %d refreshes, %d invalid_grant", i, next != tok, st.TokenRequests["refresh_token"], st.InvalidGrants)
		}
		tok = next
	}
	if n := iv.Stats().TokenRequests["auth_code"]; n != 0 {
		t.Errorf("%d headless logins, want none", n)
	}
}

// A loopback redirect URI whose port another process holds: that process
// would receive the code (iOFFICE's exchange needs neither secret nor
// PKCE), so login fails naming the port before it opens a browser or
// prints the URL, and the holder receives nothing. For localhost, a
// holder of ::1 counts too: a browser may go there.
func TestLoginRedirectPortHeld(t *testing.T) {
	for _, tc := range []struct{ name, holderAddr, redirectHost string }{
		{"127.0.0.1", "127.0.0.1:0", "127.0.0.1"},
		{"localhost, ::1 held", "[::1]:0", "localhost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", tc.holderAddr)
			if err != nil {
				t.Skipf("cannot listen on %s: %v", tc.holderAddr, err)
			}
			var hits atomic.Int32
			holder := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
			holder.Listener.Close()
			holder.Listener = ln
			holder.Start()
			defer holder.Close()
			port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
			if tc.redirectHost == "localhost" {
				// Only ::1 is held: the port is free on 127.0.0.1.
				l4, err := net.Listen("tcp", "127.0.0.1:"+port)
				if err != nil {
					t.Skipf("port %s is taken on 127.0.0.1 too: %v", port, err)
				}
				l4.Close()
			}
			host := net.JoinHostPort(tc.redirectHost, port)
			redirect := "http://" + host + "/vendorkit/callback"
			sb := startSandboxOpts(t, sandbox.Options{LoginRedirectURI: redirect})
			iv := sb.Vendor("ioffice")
			user, pass := os.Getenv("VENDORKIT_IOFFICE_USERNAME"), os.Getenv("VENDORKIT_IOFFICE_PASSWORD")
			t.Setenv("VENDORKIT_IOFFICE_USERNAME", "")
			t.Setenv("VENDORKIT_IOFFICE_PASSWORD", "")

			// A browser that signs in and follows the redirect, as a
			// person's would: to whatever listens on the redirect URI.
			opened := 0
			browserOpener = func(loginURL string) error {
				opened++
				resp, err := http.Get(signIn(t, loginURL, user, pass))
				if err == nil {
					resp.Body.Close()
				}
				return err
			}
			t.Cleanup(func() { browserOpener = openBrowser })

			for _, args := range [][]string{nil, {"--no-browser"}} {
				r := vk(t, "", append([]string{"login", "--vendor", "ioffice"}, args...)...)
				want := "the redirect URI's port " + port + " (" + host + ") is held by another process, which would receive the sign-in code; free it or use another redirect URI (VENDORKIT_IOFFICE_REDIRECT_URI)"
				if r.code != exitUsage || r.stdout != "" || r.stderr != "vendorkit: "+want+"\n" {
					t.Errorf("login %q: exit %d\nstdout %q\nstderr %q", args, r.code, r.stdout, r.stderr)
				}
			}
			if opened != 0 || hits.Load() != 0 || iv.Stats().TokenRequests["login"] != 0 {
				t.Errorf("browser opened %d times, the holder got %d requests, %d sign-ins", opened, hits.Load(), iv.Stats().TokenRequests["login"])
			}
		})
	}
}

func readAll(resp *http.Response) (string, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// A redirect URI that is not loopback: the user pastes the URL. A pasted
// redirect with another state, or none, is refused (unless
// --allow-missing-state).
func TestLoginPaste(t *testing.T) {
	sb := startSandboxOpts(t, sandbox.Options{})
	iv := sb.Vendor("ioffice")
	user, pass := os.Getenv("VENDORKIT_IOFFICE_USERNAME"), os.Getenv("VENDORKIT_IOFFICE_PASSWORD")
	t.Setenv("VENDORKIT_IOFFICE_USERNAME", "")
	t.Setenv("VENDORKIT_IOFFICE_PASSWORD", "")

	login := func(mangle func(string) string, omitState bool, args ...string) result {
		t.Helper()
		iv.OmitLoginState(omitState)
		pr, pw := io.Pipe()
		b := startRun(t, pr, "/login.html?", append([]string{"login", "--vendor", "ioffice", "--no-browser"}, args...)...)
		b.waitReady(t)
		loginURL := strings.TrimSpace(strings.Split(b.out.String(), "\n")[0])
		loc, err := iv.AuthorizeBrowser(loginURL, user, pass)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(pw, mangle(loc))
		pw.Close()
		return b.wait(t)
	}
	same := func(s string) string { return s }
	r := login(same, false)
	if r.code != 0 || !strings.Contains(r.stdout, "ioffice: signed in through the browser") || !strings.Contains(r.stderr, "paste the URL") {
		t.Fatalf("paste: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	mustRun(t, "", "do", "--vendor", "ioffice", "GET", "/external/api/rest/v2/users/me")

	r = login(func(s string) string { return s[:strings.Index(s, "state=")] + "state=someone-elses" }, false)
	if r.code != exitUsage || !strings.Contains(r.stderr, "state is not this login's") {
		t.Errorf("foreign state: exit %d %s", r.code, r.stderr)
	}
	r = login(same, true)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--allow-missing-state") {
		t.Errorf("no state: exit %d %s", r.code, r.stderr)
	}
	exchanged := iv.Stats().TokenRequests["authorization_code"]
	r = login(same, true, "--allow-missing-state")
	if r.code != 0 || iv.Stats().TokenRequests["authorization_code"] != exchanged+1 {
		t.Errorf("no state, allowed: exit %d %s", r.code, r.stderr)
	}
	// Bounded: nobody pastes anything.
	pr, pw := io.Pipe()
	b := startRun(t, pr, "", "login", "--vendor", "ioffice", "--no-browser", "--timeout", "200ms")
	if r := b.wait(t); r.code != exitNetwork || !strings.Contains(r.stderr, "timed out after 200ms") {
		t.Errorf("nobody signs in: exit %d %s", r.code, r.stderr)
	}
	pw.Close() // ends the read the login left waiting
}
