// Package wiretest holds the small helpers the vendor packages' wire tests
// share: a fake clock, a request recorder for httptest handlers, exact
// header assertions, a log buffer and a secret scan.
package wiretest

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Clock is a settable auth.Clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now implements auth.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Request is one captured request, as the server saw it.
type Request struct {
	Method   string
	Path     string // r.URL.EscapedPath()
	RawQuery string
	Header   http.Header
	Body     string
}

// Recorder captures requests; safe for concurrent handlers.
type Recorder struct {
	mu   sync.Mutex
	reqs []Request
}

// Capture reads r's body and records r.
func (rec *Recorder) Capture(r *http.Request) Request {
	b, _ := io.ReadAll(r.Body)
	req := Request{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(b)}
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, req)
	rec.mu.Unlock()
	return req
}

// All returns every captured request.
func (rec *Recorder) All() []Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.reqs)
}

// Path returns the captured requests to path.
func (rec *Recorder) Path(path string) []Request {
	var out []Request
	for _, r := range rec.All() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// Count is len(Path(path)).
func (rec *Recorder) Count(path string) int { return len(rec.Path(path)) }

// GoDefaults are the headers Go's client adds to every request.
var GoDefaults = map[string]string{
	"Accept-Encoding": "gzip",
	"User-Agent":      "Go-http-client/1.1",
}

// ExactHeaders fails t unless h has exactly the headers in want plus
// GoDefaults (names compared canonically, one value each).
func ExactHeaders(t testing.TB, what string, h http.Header, want map[string]string) {
	t.Helper()
	all := map[string]string{}
	for k, v := range GoDefaults {
		all[http.CanonicalHeaderKey(k)] = v
	}
	for k, v := range want {
		all[http.CanonicalHeaderKey(k)] = v
	}
	for k, v := range all {
		got, ok := h[k]
		if !ok {
			t.Errorf("%s: header %s missing (want %q)", what, k, v)
			continue
		}
		if len(got) != 1 || got[0] != v {
			t.Errorf("%s: header %s = %q, want %q", what, k, got, v)
		}
	}
	for k, v := range h {
		if _, ok := all[k]; !ok {
			t.Errorf("%s: unexpected header %s: %q", what, k, v)
		}
	}
}

// Logs is a concurrency-safe buffer behind a debug-level text logger.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Logger returns a debug-level slog logger writing to l.
func (l *Logs) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// NoSecrets fails t if text contains any of secrets.
func NoSecrets(t testing.TB, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s leaks secret %q: %s", where, s, text)
		}
	}
}
