package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vendorkit/vendorkit/internal/testservice"
	"github.com/vendorkit/vendorkit/sandbox"
)

// The browser login in a real headless Chromium, driven by chromedp:
// `vendorkit login` (the built binary, a real process) prints the login
// URL; Chromium loads the sandbox's real login page, fills and submits
// its form, follows the real 303 to the redirect URI with the code in the
// fragment, and runs the catcher page's script, which posts it back to
// the login's loopback listener. Then `vendorkit do` works with the
// cached token and no password. Fails, not skips, under CI=true when
// Chromium is missing. Everything is bounded by one context.
func TestBrowserLoginInChromium(t *testing.T) {
	chromium := testservice.Chromium(t)
	bin := builtBinary(t)
	redirect := loopbackRedirectURI(t)
	sb := startSandboxOpts(t, sandbox.Options{LoginRedirectURI: redirect})
	user, pass := os.Getenv("VENDORKIT_IOFFICE_USERNAME"), os.Getenv("VENDORKIT_IOFFICE_PASSWORD")
	t.Setenv("VENDORKIT_IOFFICE_USERNAME", "") // browser only: no password from here on
	t.Setenv("VENDORKIT_IOFFICE_PASSWORD", "")

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	login := exec.CommandContext(ctx, bin, "login", "--vendor", "ioffice", "--no-browser", "--timeout", "60s")
	var loginErr lockedBuffer
	login.Stderr = &loginErr
	stdout, err := login.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := login.Start(); err != nil {
		t.Fatal(err)
	}
	defer login.Wait()
	defer login.Process.Kill()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatalf("login printed no URL: %s", loginErr.String())
	}
	loginURL := lines.Text()
	if !strings.HasPrefix(loginURL, sb.Vendor("ioffice").BaseURL+"/login.html?response_type=code&client_id=") {
		t.Fatalf("login URL %q", loginURL)
	}

	// Chromium as root needs --no-sandbox (chromedp adds it for root); the
	// machine's network is closed, so nothing phones home.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel() // stops Chromium and waits for it
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	start := time.Now()
	err = chromedp.Do(bctx,
		chromedp.Navigate(loginURL),
		chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), pass),
	)
	if err != nil {
		t.Fatalf("login page: %v", err)
	}
	// The submit navigates: POST /login.html, its 303 to the redirect URI,
	// the catcher page. RunResponse waits for that page to load.
	resp, err := chromedp.RunResponse(bctx, chromedp.Click(chromedp.CSS("#sign-in")))
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	// The fragment never reaches the network: the response is for the
	// bare redirect URI.
	if resp.Status != 200 || resp.URL != redirect {
		t.Errorf("after sign-in: HTTP %d at %q", resp.Status, resp.URL)
	}
	// The catcher's script posts the fragment and shows the answer.
	msg, err := chromedp.Run(bctx, chromedp.Poll[string](
		`(() => { const m = document.getElementById("msg"); return m && !m.textContent.startsWith("Finishing") && m.textContent; })()`,
		chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("catcher page: %v\nlogin stderr: %s", err, loginErr.String())
	}
	loc, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	browserTime := time.Since(start)
	if !strings.HasPrefix(msg, "Signed in to ioffice") || loc != redirect {
		t.Errorf("page says %q at %q (want the redirect URI without its fragment, %q)", msg, loc, redirect)
	}

	var rest strings.Builder
	for lines.Scan() {
		rest.WriteString(lines.Text() + "\n")
	}
	if err := login.Wait(); err != nil {
		t.Fatalf("login: %v\n%s", err, loginErr.String())
	}
	if !strings.HasPrefix(rest.String(), "ioffice: signed in through the browser; token cached in ") {
		t.Errorf("login stdout: %q", rest.String())
	}
	t.Logf("Chromium: login page, form, redirect and catcher in %v", browserTime.Round(time.Millisecond))

	do := exec.CommandContext(ctx, bin, "do", "--vendor", "ioffice", "GET", "/external/api/rest/v2/users/me")
	out, err := do.Output()
	if err != nil || !strings.Contains(string(out), `"email":"apiuser@example.com"`) {
		t.Fatalf("do with the browser's token: %v %s", err, out)
	}
	st := sb.Vendor("ioffice").Stats()
	if st.TokenRequests["login"] != 1 || st.TokenRequests["authorization_code"] != 1 || st.TokenRequests["auth_code"] != 0 {
		t.Errorf("token requests %v: want one form post, one exchange, no headless login", st.TokenRequests)
	}
	assertNoSecret(t, sb.Vendor("ioffice").Secrets(), loginErr.String(), rest.String(), string(out))
}
