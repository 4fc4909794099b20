package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vendorkit/vendorkit/internal/origin"
)

// The browser login comes back to the redirect URI with the code in the
// URL's fragment, which a browser never sends to a server. When that URI
// is a loopback http one, login listens there and serves a page whose
// script reads location.hash and posts the fields back to the listener.

// loopbackRedirect parses uri and reports whether it is an http URI on a
// loopback host (origin.IsLoopback), where login can listen.
func loopbackRedirect(uri string) (*url.URL, bool) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Host == "" || !origin.IsLoopback(u.Hostname()) {
		return nil, false
	}
	return u, true
}

// catch is one redirect the page posted: its fields as a fragment, and
// where the outcome goes back to the page.
type catch struct {
	fragment string
	reply    chan<- catchReply
}

type catchReply struct {
	ok  bool
	msg string
}

// catcher is the loopback listener of one login.
type catcher struct {
	srv    *http.Server
	host   string // the redirect URI's host:port: the only Host and Origin accepted
	path   string
	caught chan catch
	done   chan struct{} // closed when every Serve returned
}

// maxCatchBody bounds the posted fields.
const maxCatchBody = 16 << 10

// catcherScript reads the redirect's fragment, removes it from the
// address bar and history, and posts the fields that matter back to the
// page's own origin. Served under a CSP that allows only this script.
const catcherScript = `(function () {
  var msg = document.getElementById("msg");
  var p = new URLSearchParams(location.hash.slice(1));
  history.replaceState(null, "", location.pathname);
  var f = new URLSearchParams();
  ["code", "appCode", "state", "error", "error_description"].forEach(function (k) {
    if (p.has(k)) f.set(k, p.get(k));
  });
  if (!f.has("code") && !f.has("error")) {
    msg.textContent = "This page takes the sign-in redirect (#code=...), and its URL has none.";
    return;
  }
  fetch(location.pathname, {method: "POST", body: f, credentials: "omit", cache: "no-store"})
    .then(function (r) { return r.text(); })
    .then(function (t) { msg.textContent = t; },
          function () { msg.textContent = "Could not reach 'vendorkit login'; is it still running?"; });
})();`

var catcherPage = template.Must(template.New("catcher").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>vendorkit login</title></head>
<body><h1>vendorkit login</h1><p id="msg">Finishing the sign-in…</p>
<script>{{.}}</script></body></html>
`))

// catcherCSP allows the one inline script and requests to the page's own
// origin, nothing else.
var catcherCSP = func() string {
	h := sha256.Sum256([]byte(catcherScript))
	return "default-src 'none'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(h[:]) +
		"'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()

// listenCatcher listens on u's host and port and serves the catcher page
// at u's path. For localhost that is 127.0.0.1 and ::1 (unless the
// machine has no IPv6): a browser may connect to either, and a process
// holding the other would get the code.
func listenCatcher(u *url.URL) (*catcher, error) {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	hosts := []string{u.Hostname()}
	if strings.EqualFold(u.Hostname(), "localhost") {
		hosts = []string{"127.0.0.1", "::1"}
	}
	var lns []net.Listener
	for _, h := range hosts {
		ln, err := net.Listen("tcp", net.JoinHostPort(h, port))
		if err != nil && h == "::1" && (errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT)) {
			continue // no IPv6 loopback: nobody can listen there either
		}
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, err
		}
		lns = append(lns, ln)
	}
	c := &catcher{host: u.Host, path: u.EscapedPath(), caught: make(chan catch), done: make(chan struct{})}
	if c.path == "" {
		c.path = "/"
	}
	c.srv = &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	var wg sync.WaitGroup
	for _, ln := range lns {
		wg.Go(func() { _ = c.srv.Serve(ln) })
	}
	go func() {
		wg.Wait()
		close(c.done)
	}()
	return c, nil
}

// close stops the listeners, letting a reply in flight be written
// (bounded), and waits for Serve to return.
func (c *catcher) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.srv.Shutdown(ctx); err != nil {
		c.srv.Close()
	}
	<-c.done
}

func (c *catcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	// Another name for this address (DNS rebinding) is not this page.
	if !strings.EqualFold(r.Host, c.host) {
		http.Error(w, "wrong host", http.StatusMisdirectedRequest)
		return
	}
	if r.URL.EscapedPath() != c.path {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", catcherCSP)
		_ = catcherPage.Execute(w, template.JS(catcherScript))
	case http.MethodPost:
		c.post(w, r)
	default:
		h.Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// post takes the fields the page posted, hands them to the login and
// answers with its outcome. Only the page itself may post: its origin,
// a form body.
func (c *catcher) post(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Origin"), "http://"+c.host) {
		http.Error(w, "cross-origin post refused", http.StatusForbidden)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		http.Error(w, "want a form body", http.StatusUnsupportedMediaType)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxCatchBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form body", http.StatusBadRequest)
		return
	}
	frag := url.Values{}
	for _, k := range []string{"code", "appCode", "state", "error", "error_description"} {
		if vs, ok := r.PostForm[k]; ok {
			frag[k] = vs
		}
	}
	reply := make(chan catchReply, 1)
	select {
	case c.caught <- catch{fragment: frag.Encode(), reply: reply}:
	case <-r.Context().Done():
		return
	}
	select {
	case rep := <-reply:
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		if !rep.ok {
			w.WriteHeader(http.StatusBadRequest)
		}
		fmt.Fprint(w, rep.msg)
	case <-r.Context().Done():
	}
}

// errLoginAborted: the wait for the redirect ended without one.
var errLoginAborted = errors.New("no sign-in redirect arrived")
