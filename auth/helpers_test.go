package auth

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClock is a manually advanced Clock.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// fakeFlow is a scripted Flow + Refresher + Revoker. Hooks may be nil.
type fakeFlow struct {
	clock     *fakeClock
	life      time.Duration
	tokens    atomic.Int64 // Token calls
	refreshes atomic.Int64 // Refresh calls
	revokes   atomic.Int64
	seq       atomic.Int64

	tokenFn   func(ctx context.Context) (*Token, error)
	refreshFn func(ctx context.Context, t *Token) (*Token, error)
	revokeFn  func(ctx context.Context, t *Token) error
}

func (f *fakeFlow) mint(prefix string) *Token {
	n := f.seq.Add(1)
	t := &Token{
		AccessToken:  fmt.Sprintf("%s-access-%d", prefix, n),
		TokenType:    "bearer",
		RefreshToken: fmt.Sprintf("%s-refresh-%d", prefix, n),
	}
	if f.life > 0 {
		t.Expiry = f.clock.Now().Add(f.life)
	}
	return t
}

func (f *fakeFlow) Token(ctx context.Context) (*Token, error) {
	f.tokens.Add(1)
	if f.tokenFn != nil {
		return f.tokenFn(ctx)
	}
	return f.mint("primary"), nil
}

// primaryOnly hides the Refresher/Revoker capabilities of a fakeFlow.
type primaryOnly struct{ f *fakeFlow }

func (p primaryOnly) Token(ctx context.Context) (*Token, error) { return p.f.Token(ctx) }

type refreshingFlow struct{ *fakeFlow }

func (f refreshingFlow) Refresh(ctx context.Context, t *Token) (*Token, error) {
	f.refreshes.Add(1)
	if f.refreshFn != nil {
		return f.refreshFn(ctx, t)
	}
	return f.mint("refreshed"), nil
}

func (f refreshingFlow) Revoke(ctx context.Context, t *Token) error {
	f.revokes.Add(1)
	if f.revokeFn != nil {
		return f.revokeFn(ctx, t)
	}
	return nil
}

// captureHandler records every log record's rendered text.
type captureHandler struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
	h   slog.Handler
}

func newCaptureLogger() (*slog.Logger, func() string) {
	var mu sync.Mutex
	buf := &bytes.Buffer{}
	h := &captureHandler{mu: &mu, buf: buf, h: slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})}
	return slog.New(h), func() string { mu.Lock(); defer mu.Unlock(); return buf.String() }
}

func (c *captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (c *captureHandler) Handle(ctx context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.h.Handle(ctx, r)
}
func (c *captureHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return &captureHandler{mu: c.mu, buf: c.buf, h: c.h.WithAttrs(a)}
}
func (c *captureHandler) WithGroup(n string) slog.Handler {
	return &captureHandler{mu: c.mu, buf: c.buf, h: c.h.WithGroup(n)}
}

// tokenServer is an httptest OAuth2 token endpoint (client_credentials,
// password, refresh_token with rotation) plus a resource endpoint that only
// accepts live access tokens.
type tokenServer struct {
	t        *testing.T
	srv      *httptest.Server
	requests atomic.Int64 // token endpoint hits
	seq      atomic.Int64
	mu       sync.Mutex
	live     map[string]bool                  // access tokens the resource server accepts
	refresh  map[string]bool                  // refresh tokens the token endpoint accepts
	life     int                              // expires_in seconds
	gate     chan struct{}                    // if non-nil, token requests wait on it
	resource atomic.Pointer[http.HandlerFunc] // overrides the resource endpoint
	override atomic.Pointer[http.HandlerFunc] // overrides the token endpoint
}

const (
	testClientID     = "client-id-123"
	testClientSecret = "client-secret-SUPERSECRET"
	testPassword     = "hunter2-PASSWORD"
)

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{t: t, live: map[string]bool{}, refresh: map[string]bool{}, life: 3600}
	mux := http.NewServeMux()
	mux.HandleFunc("/token", ts.token)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if h := ts.resource.Load(); h != nil {
			(*h)(w, r)
			return
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		ts.mu.Lock()
		ok := ts.live[tok]
		ts.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"ok":true}`)
	})
	ts.srv = httptest.NewServer(mux)
	t.Cleanup(ts.srv.Close)
	return ts
}

func (ts *tokenServer) token(w http.ResponseWriter, r *http.Request) {
	ts.requests.Add(1)
	if h := ts.override.Load(); h != nil {
		(*h)(w, r)
		return
	}
	if ts.gate != nil {
		<-ts.gate
	}
	if err := r.ParseForm(); err != nil {
		w.WriteHeader(400)
		return
	}
	id, secret, _ := r.BasicAuth()
	if id != testClientID || secret != testClientSecret {
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"error":"invalid_client","error_description":"bad client %s"}`, secret)
		return
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	switch r.PostForm.Get("grant_type") {
	case "password":
		if r.PostForm.Get("password") != testPassword {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"wrong password %s"}`, r.PostForm.Get("password"))
			return
		}
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		if !ts.refresh[rt] {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"refresh token %s revoked"}`, rt)
			return
		}
		delete(ts.refresh, rt) // rotation: single use
	default:
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error":"unsupported_grant_type"}`)
		return
	}
	n := ts.seq.Add(1)
	at, rt := fmt.Sprintf("AT-SECRET-%d", n), fmt.Sprintf("RT-SECRET-%d", n)
	ts.live[at] = true
	ts.refresh[rt] = true
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","expires_in":%d,"refresh_token":%q,"userName":"jdoe"}`, at, ts.life, rt)
}

// revokeAll simulates a server-side revocation of every access token.
func (ts *tokenServer) revokeAll() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	clear(ts.live)
}

// passwordFlow is a realistic vendor flow on top of this package's helpers.
type passwordFlow struct {
	vendor   string
	endpoint string
	client   *http.Client
	clock    Clock
	password string
}

func (p *passwordFlow) post(ctx context.Context, op Op, form url.Values) (*Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(testClientID, testClientSecret)
	f, err := doTokenRequest(p.client, req, p.vendor, op)
	if err != nil {
		return nil, err
	}
	tok, _, err := f.Token(p.vendor, op, p.clock.Now(), time.Second)
	return tok, err
}

func (p *passwordFlow) Token(ctx context.Context) (*Token, error) {
	if p.password == "" {
		return nil, fmt.Errorf("no stored credentials: %w", ErrReloginRequired)
	}
	return p.post(ctx, "token", url.Values{"grant_type": {"password"}, "username": {"jdoe"}, "password": {p.password}})
}

func (p *passwordFlow) Refresh(ctx context.Context, t *Token) (*Token, error) {
	return p.post(ctx, "refresh", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t.RefreshToken}})
}

// testTransport returns a pooled transport closed at test end (goleak).
func testTransport(t testing.TB) *http.Transport {
	tr := &http.Transport{MaxConnsPerHost: 32, MaxIdleConnsPerHost: 32, ForceAttemptHTTP2: false}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// eventually polls cond every millisecond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
