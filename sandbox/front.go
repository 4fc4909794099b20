package sandbox

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// LogEntry is one request the sandbox served, as Options.Log receives it.
// It has no query string, header or body on purpose: iOFFICE takes
// access_token in the query, its login page carries state, and every
// credential travels in a header or a body.
type LogEntry struct {
	Vendor string // "bss", "blueprint", "decisiv", "ioffice", or "admin"
	Method string
	Path   string // URL path, escaped, without the query string
	// Status is the status sent, or 0 when none was: a Fault.Drop, or a
	// request abandoned during the token latency.
	Status   int
	Duration time.Duration // real time, from routing to the last byte written
}

// route is a key of vendorParts.offSpec.
type route struct{ method, path string }

// front is what a vendor's http.Server serves: the vendor (ServeHTTP) with
// the access log around it, counted in running so that Close can wait for
// handlers http.Server.Shutdown no longer tracks.
func (v *Vendor) front(log func(LogEntry), running *sync.WaitGroup) http.Handler {
	h := logged(v.Name, log, v)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		running.Add(1)
		defer running.Done()
		h.ServeHTTP(w, r)
	})
}

// logged calls log after each request h serves; nil log returns h.
func logged(name string, log func(LogEntry), h http.Handler) http.Handler {
	if log == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		start := time.Now()
		// Deferred: a handler that aborts (http.ErrAbortHandler) is logged too.
		defer func() {
			log(LogEntry{Vendor: name, Method: r.Method, Path: r.URL.EscapedPath(), Status: rec.status, Duration: time.Since(start)})
		}()
		h.ServeHTTP(rec, r)
	})
}

// listen binds host:port (port 0: a free one). A port in use says so
// first, the OS's words after.
func listen(host string, port int) (net.Listener, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("%s is in use: %w", addr, err)
	}
	return ln, err
}
