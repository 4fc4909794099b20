package contract

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/specs"
)

// runner runs one vendor's checks; the state carries over from one check
// to the next (the token check's token, its raw response).
type runner struct {
	ctx    context.Context
	t      Target
	d      *vendorDef
	router *specs.Router
	rec    *recorder
	own    *http.Transport // our default base transport, closed at the end
	opts   []client.Option // the client's options, on the recorder
	base   string          // normalized base URL
	c      client.Session
	// openErr is why there is no client (configuration, or specErr).
	openErr error
	// specErr is why the spec in use cannot be checked against.
	specErr error
	// tokenOps are the operations of the token endpoints in the spec in
	// use (tokenOperations).
	tokenOps []string
	now      func() time.Time
	secrets  []string
	results  []Result

	// From the token check.
	token       *auth.Token
	tokenBefore time.Time
	tokenAfter  time.Time
	tokenEx     *exchange // the 2xx response of d.tokenOp that gave token

	// cleanup are tokens the suite obtained (refresh tokens it made the
	// server issue) and revokes before it ends, best effort, when the
	// vendor can revoke.
	cleanup []string
}

func newRunner(ctx context.Context, t Target, d *vendorDef) *runner {
	r := &runner{ctx: ctx, t: t, d: d, now: time.Now}
	o := client.Collect(t.Options...)
	if o.Clock != nil {
		r.now = o.Clock.Now
	}
	for _, e := range d.Env {
		if v, ok := t.Lookup(envName(d.Name, e.Field)); ok && v != "" && e.Secret {
			r.secrets = append(r.secrets, v, url.QueryEscape(v))
		}
	}

	var base http.RoundTripper
	var timeout time.Duration
	if hc := o.HTTPClient; hc != nil {
		base, timeout = hc.Transport, hc.Timeout
	}
	if base == nil {
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			r.own = dt.Clone()
		} else {
			r.own = &http.Transport{Proxy: http.ProxyFromEnvironment}
		}
		base = r.own
	}
	r.rec = &recorder{base: base}

	// The router needs only the path prefix, so failures can name spec
	// operations even when the client refuses the configuration.
	rawBase, _ := t.Lookup(envName(d.Name, "BASE_URL"))
	prefix, _ := specs.PathPrefix(strings.TrimSpace(rawBase))
	var router *specs.Router
	var err error
	if t.Spec != nil {
		router, err = specs.NewRouterFromData(d.Name, prefix, t.Spec)
	} else {
		router, err = specs.NewRouter(d.Name, prefix)
	}
	if err == nil {
		r.router = router
		r.tokenOps, err = tokenOperations(d.Name, router.Doc(), d.Grant)
	}
	if err != nil {
		r.specErr, r.openErr = err, err
		return r
	}
	specs.RegisterBodyDecoders()
	r.opts = append(slices.Clone(t.Options), client.WithHTTPClient(&http.Client{Transport: r.rec, Timeout: timeout}))
	r.c, r.openErr = d.Open(t.Lookup, r.opts...)
	if r.openErr == nil {
		r.base = r.c.BaseURL()
	}
	return r
}

// label is the spec label of one of the vendor's operations.
func (r *runner) label(operationID string) string {
	if r.router == nil {
		return operationID
	}
	return r.router.Label(operationID)
}

// run runs one check, bounded by the target's timeout, and records it.
func (r *runner) run(name string) {
	ctx, cancel := context.WithTimeout(r.ctx, r.t.Timeout)
	defer cancel()
	start := time.Now()
	var res Result
	func() {
		defer func() {
			if p := recover(); p != nil {
				// A bug of ours or of a client: report it, never crash the
				// suite (the panic value may hold secrets: not printed).
				res = failure("", "check "+name, "no panic", fmt.Sprintf("a panic (%T)", p))
			}
		}()
		switch name {
		case CheckToken:
			res = r.checkToken(ctx)
		case CheckResource:
			res = r.checkResource(ctx)
		case CheckForgedToken:
			res = r.checkForgedToken(ctx)
		case CheckBearerRefused:
			res = r.checkBearerRefused(ctx)
		case CheckRefreshRotation:
			res = r.checkRefreshRotation(ctx)
		case CheckRevoke:
			res = r.checkRevoke(ctx)
		case CheckLifetime:
			res = r.checkLifetime(ctx)
		default:
			res = failure("", "check", "a known check", name)
		}
	}()
	res.Vendor, res.Check, res.Duration = r.d.Name, name, time.Since(start)
	r.results = append(r.results, res)
}

// close revokes what the suite left behind (best effort) and releases the
// client and connections.
func (r *runner) close() {
	slices.Sort(r.cleanup)
	r.cleanup = slices.DeleteFunc(slices.Compact(r.cleanup), func(s string) bool { return s == "" })
	if rv, ok := r.flow().(auth.Revoker); ok && len(r.cleanup) > 0 {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 10*time.Second)
		for _, tok := range r.cleanup {
			_ = rv.Revoke(ctx, &auth.Token{AccessToken: tok}) // an unknown token is fine
		}
		cancel()
	}
	if r.c != nil {
		r.c.Close()
	}
	if r.own != nil {
		r.own.CloseIdleConnections()
	}
}

// flow is the client's flow (nil without a client), whose capabilities the
// probes use: its requests are the vendor's own, made by its generated
// token operations, and go through the recorder.
func (r *runner) flow() auth.Flow {
	if r.c == nil {
		return nil
	}
	return r.c.Source().Flow()
}

// finish scrubs every result with every secret the suite has seen.
func (r *runner) finish() []Result {
	secrets := r.knownSecrets()
	// Longest first, so a secret containing another is replaced whole.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	return scrubResults(r.results, slices.Compact(secrets))
}

// knownSecrets returns every secret the suite knows so far: the target's,
// the forged tokens, and every credential seen on the wire.
func (r *runner) knownSecrets() []string {
	out := slices.Clone(r.secrets)
	for _, ex := range r.rec.all() {
		out = append(out, ex.secrets...)
	}
	return out
}

// Outcomes.

func pass(op, note string) Result { return Result{Status: Pass, Operation: op, Message: note} }

func skip(op, why string) Result { return Result{Status: Skip, Operation: op, Message: why} }

// failure says what was checked, what was expected and what came back, and
// which spec operation it concerns.
func failure(op, what, expected, got string) Result {
	spec := op
	if spec == "" {
		spec = "none"
	}
	return Result{
		Status:    Fail,
		Operation: op,
		Expected:  expected,
		Got:       got,
		Message:   fmt.Sprintf("%s: expected %s, got %s, spec: %s", what, expected, got, spec),
	}
}

// withClientError adds the client's own error to a failure found on the
// wire, when there is one.
func withClientError(res Result, err error) Result {
	if err != nil {
		res.Message += "; the client said: " + errString(err)
	}
	return res
}

// errString is an error on one line, secrets scrubbed.
func errString(err error) string {
	return strings.Join(strings.Fields(auth.SafeErrorString(err)), " ")
}

// forgedToken returns a random token that no server ever issued.
func forgedToken() string {
	var b [32]byte
	rand.Read(b[:])
	return "vkforged" + base64.RawURLEncoding.EncodeToString(b[:])
}

// opOf returns the operationId an exchange routes to ("" when not in the
// spec).
func (r *runner) opOf(ex *exchange) string {
	route, _, err := r.router.FindRoute(ex.request())
	if err != nil || route.Operation == nil {
		return ""
	}
	return route.Operation.OperationID
}

// okOps lists the operations of the successful exchanges among ops.
func (r *runner) okOps(exs []*exchange, ops []string) []string {
	var out []string
	for _, ex := range exs {
		if ex.err == nil && ex.status >= 200 && ex.status < 300 {
			if op := r.opOf(ex); slices.Contains(ops, op) {
				out = append(out, op)
			}
		}
	}
	return out
}

// countOps counts the exchanges (any outcome) to ops.
func (r *runner) countOps(exs []*exchange, ops ...string) int {
	n := 0
	for _, ex := range exs {
		if slices.Contains(ops, r.opOf(ex)) {
			n++
		}
	}
	return n
}

// lastOK returns the last successful exchange of op.
func (r *runner) lastOK(exs []*exchange, op string) *exchange {
	for _, ex := range slices.Backward(exs) {
		if ex.err == nil && ex.status >= 200 && ex.status < 300 && r.opOf(ex) == op {
			return ex
		}
	}
	return nil
}

// statusOf describes what came back for the last exchange of exs: "HTTP
// 401 (body excerpt)".
func (r *runner) statusOf(status int, exs []*exchange) string {
	s := fmt.Sprintf("HTTP %d", status)
	if len(exs) > 0 {
		if ex := exs[len(exs)-1]; ex.status == status && len(ex.respBody) > 0 {
			s += " " + strconv.Quote(r.excerpt(ex.respBody))
		}
	}
	return s
}

// excerpt is the start of a body on one line, scrubbed of every secret
// the suite knows so far (and the well-known shapes) before it is cut, so
// that no secret is cut in half.
func (r *runner) excerpt(b []byte) string {
	if len(b) > 8<<10 {
		b = b[:8<<10] // far past the excerpt: a secret cut here is not shown
	}
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	s = auth.NewSecrets(r.knownSecrets()...).Scrub(s)
	if len(s) > 160 {
		s = strings.ToValidUTF8(s[:160], "") + "…"
	}
	return s
}

func drainClose(resp *http.Response) {
	if resp != nil && resp.Body != nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
	}
}
