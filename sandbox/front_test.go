package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/vendorkit/vendorkit/internal/testservice"
	"github.com/vendorkit/vendorkit/specs"

	"github.com/vendorkit/vendorkit/sandbox"
)

// startOnPort starts a sandbox on Port (retrying if another process took
// one of the ports in between) and returns it with the port.
func startOnPort(t *testing.T, opts sandbox.Options) (*env, int) {
	t.Helper()
	for range 10 {
		opts.Port = testservice.FreePorts(t, len(specs.Vendors())+1) // the vendors, the admin endpoint
		s, err := sandbox.Start(context.Background(), opts)
		if errors.Is(err, syscall.EADDRINUSE) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		// Ports free again (SO_REUSEADDR): start for real through start().
		return start(t, opts), opts.Port
	}
	t.Fatal("ports kept being taken")
	return nil, 0
}

func TestPortPutsVendorsOnConsecutivePorts(t *testing.T) {
	t.Parallel()
	e, port := startOnPort(t, sandbox.Options{})
	for i, v := range e.s.Vendors() {
		u, _ := url.Parse(v.BaseURL)
		if u.Port() != strconv.Itoa(port+i) {
			t.Errorf("%s on %s, want port %d", v.Name, v.BaseURL, port+i)
		}
		if v.Env()["VENDORKIT_"+strings.ToUpper(v.Name)+"_BASE_URL"] != v.BaseURL {
			t.Errorf("%s: Env's BASE_URL is not BaseURL", v.Name)
		}
	}
	if r := e.bssGet("/api/accounts/1", e.bssToken()); r.status != 200 {
		t.Errorf("bss on its fixed port: %d", r.status)
	}
}

func TestPortInUseIsAClearError(t *testing.T) {
	t.Parallel()
	port := testservice.FreePorts(t, len(specs.Vendors()))
	// Hold decisiv's port.
	i := slices.Index(specs.Vendors(), "decisiv")
	busy, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+i))
	if err != nil {
		t.Skipf("port %d taken meanwhile: %v", port+i, err)
	}
	defer busy.Close()
	_, err = sandbox.Start(context.Background(), sandbox.Options{Port: port})
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("Start: %v, want EADDRINUSE", err)
	}
	want := fmt.Sprintf("sandbox: decisiv: 127.0.0.1:%d is in use", port+i)
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start %q", err, want)
	}
	// The ports bound before the failure were released.
	for p := port; p < port+i; p++ {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Errorf("port %d still held after the failed Start: %v", p, err)
			continue
		}
		ln.Close()
	}
	for _, p := range []int{-1, 65534} {
		if _, err := sandbox.Start(context.Background(), sandbox.Options{Port: p}); err == nil || !strings.Contains(err.Error(), "need ports") {
			t.Errorf("Port %d: %v", p, err)
		}
	}
}

// logSink collects Options.Log entries.
type logSink struct {
	mu      sync.Mutex
	entries []sandbox.LogEntry
}

func (l *logSink) log(e sandbox.LogEntry) {
	l.mu.Lock()
	l.entries = append(l.entries, e)
	l.mu.Unlock()
}

func (l *logSink) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.entries {
		if e.Duration < 0 {
			out = append(out, "negative duration")
		}
		out = append(out, fmt.Sprintf("%s %s %s %d", e.Vendor, e.Method, e.Path, e.Status))
	}
	return out
}

// Every request is logged once, with vendor, method, path and status, and
// nothing a credential travels in.
func TestLogHasEveryRequestAndNoCredential(t *testing.T) {
	t.Parallel()
	sink := &logSink{}
	e := start(t, sandbox.Options{Log: sink.log})
	admin, err := e.s.StartAdmin(0)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()

	access, refresh := e.iofficeTokens()
	iofficeURL := e.v("ioffice").BaseURL
	e.do("GET", iofficeURL+"/external/api/rest/v2/users/me?access_token="+access, "") // the token in the query
	e.iofficeExchange("refresh_token", refresh)
	q := e.iofficeLoginParams()
	q.Set("state", "state-that-must-not-be-logged")
	pageURL, form := e.loginForm(q)
	r := e.submit(pageURL, form, e.credentials())
	_, frag, _ := strings.Cut(r.header.Get("Location"), "#")
	code, _ := url.ParseQuery(frag)
	e.submit(pageURL, form, map[string]string{"username": "apiuser", "password": "not-the-password-42"})
	tok := e.bssToken()
	e.bssGet("/api/accounts/1", tok)
	e.v("bss").FailNext(1, sandbox.Fault{Drop: true})
	e.try(context.Background(), "GET", e.v("bss").BaseURL+"/api/accounts/1", "",
		"Accept", "application/json", "X-Api-Version", "latest", "Authorization", "Bearer "+tok)
	e.do("GET", e.v("bss").BaseURL+"/api/accounts/1/%0Aforged-line", "")
	e.do("GET", admin.URL+"/stats", "", "Authorization", "Bearer "+admin.Token)
	e.do("POST", admin.URL+"/revoke-all", "", "Authorization", "Bearer wrong-"+admin.Token)

	// Close waits for every handler, so every entry is in.
	admin.Close()
	e.s.Close()
	got := sink.lines()
	// The dropped request's handler logs after the client has seen the
	// connection close, so its entry may come later: check it is there
	// once, then the order of the others.
	const dropped = "bss GET /bsssmapi/api/accounts/1 0"
	if i := slices.Index(got, dropped); i < 0 || slices.Index(got[i+1:], dropped) >= 0 {
		t.Errorf("want exactly one %q in the log:\n%s", dropped, strings.Join(got, "\n"))
	} else {
		got = slices.Delete(got, i, i+1)
	}
	want := []string{
		"ioffice POST /external/api/oauth2/auth 200",
		"ioffice POST /external/api/oauth2/token 200",
		"ioffice GET /external/api/rest/v2/users/me 200",
		"ioffice POST /external/api/oauth2/token 200",
		"ioffice GET /login.html 200",
		"ioffice POST /login.html 303",
		"ioffice POST /login.html 200",
		"bss POST /bsssmapi/oauth/token 200",
		"bss GET /bsssmapi/api/accounts/1 200",
		"bss GET /bsssmapi/api/accounts/1/%0Aforged-line 404",
		"admin GET /stats 200",
		"admin POST /revoke-all 401",
	}
	// A dropped keep-alive connection may be retried by the transport
	// (see Fault.Drop): the retry is a request of its own.
	if len(got) == len(want)+1 && got[9] == "bss GET /bsssmapi/api/accounts/1 200" {
		got = slices.Delete(got, 9, 10)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	all := fmt.Sprintf("%+v", sink.entries)
	secrets := append(e.v("ioffice").Secrets(), e.v("bss").Secrets()...)
	secrets = append(secrets, admin.Token, code.Get("code"), "state-that-must-not-be-logged", "not-the-password-42", "access_token", url.QueryEscape(e.credentials()["password"]))
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("the log has a secret (%d chars, starts %q)", len(s), s[:3])
		}
	}
}
