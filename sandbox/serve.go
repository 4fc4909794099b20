package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// jsonType is the Content-Type of every JSON body the sandbox writes: the
// one BSS's and Blueprint's docs show (ASP.NET's, without a space).
const jsonType = "application/json;charset=UTF-8"

// maxBody bounds request bodies; the documented ones are a few dozen bytes.
const maxBody = 64 << 10

// opKind sorts operations for faults, latency and counters.
type opKind uint8

const (
	resourceOp opKind = iota // FailNext applies; counted in ResourceRequests
	tokenOp                  // latency applies; counted by grant; no query string
	pageOp                   // neither (iOFFICE's login page)
)

// checkEndpoints holds a vendor file's endpoints to its spec: every
// operation the spec tags "token" (what the contract suite and the
// clients treat as a token endpoint) is listed, and every listed one is
// such an operation. A token endpoint left out would be served as a
// resource: counted as one, and hit by resource faults.
func checkEndpoints(doc *openapi3.T, endpoints map[string]endpoint) error {
	tagged := map[string]bool{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if slices.Contains(op.Tags, "token") {
				tagged[op.OperationID] = true
			}
		}
	}
	for id := range tagged {
		if _, ok := endpoints[id]; !ok {
			return fmt.Errorf("operation %s is tagged \"token\" in the spec but missing from the vendor file's endpoints", id)
		}
	}
	for id := range endpoints {
		if !tagged[id] {
			return fmt.Errorf("endpoints lists %s, which is not an operation the spec tags \"token\"", id)
		}
	}
	return nil
}

// endpoint says what an operation is. grant names the grant for Stats,
// from the request (body is the raw body, already read).
type endpoint struct {
	kind  opKind
	grant func(r *http.Request, body []byte) string
}

// formGrant reads grant_type from a form body without consuming r.Body.
func formGrant(_ *http.Request, body []byte) string {
	q, _ := url.ParseQuery(string(body))
	return q.Get("grant_type")
}

// fixedGrant counts every request to an endpoint under one name.
func fixedGrant(name string) func(*http.Request, []byte) string {
	return func(*http.Request, []byte) string { return name }
}

// ServeHTTP runs the pipeline every vendor shares: route by path with
// kin-openapi, count, inject faults or latency, validate against the spec,
// then hand over to the vendor's generated strict server. The routes the
// spec does not have (vendorParts.offSpec) skip all but the counting and
// Options.Misbehave.
func (v *Vendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w}
	var out http.ResponseWriter = rec
	u := v.undocumented(rec)
	if u != nil {
		out = u
	}
	if off, ok := v.parts.offSpec[route{r.Method, r.URL.Path}]; ok {
		off.ServeHTTP(out, r)
	} else {
		v.serve(out, r)
	}
	if u != nil {
		u.flush()
	}
	if rec.status >= 400 {
		v.stats.rejected.Add(1)
	}
}

func (v *Vendor) serve(w http.ResponseWriter, r *http.Request) {
	route, pathParams, err := v.val.router.FindRoute(r)
	if err != nil {
		status := http.StatusNotFound
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			status = http.StatusMethodNotAllowed
		}
		v.parts.fail(status, "invalid_request", err.Error()).write(w)
		return
	}
	ep := v.parts.endpoints[route.Operation.OperationID]
	switch ep.kind {
	case resourceOp:
		v.stats.resources.Add(1)
		if f, ok := v.faults.take(); ok {
			v.inject(w, f)
			return
		}
	case tokenOp:
		body, err := bufferBody(r)
		if err != nil {
			v.parts.fail(http.StatusBadRequest, "invalid_request", "reading the request body: "+err.Error()).write(w)
			return
		}
		if ep.grant != nil {
			v.stats.token(ep.grant(r, body))
		}
		if err := v.delay(r.Context()); err != nil {
			// Client gone or sandbox closing. Returning would send an empty
			// 200, which a client could take for a token response.
			panic(http.ErrAbortHandler)
		}
		// The generated strict server binds form bodies from r.Form, which
		// merges the query string in: ?password=x would be smuggled into
		// the grant. No token endpoint in the docs takes a query string.
		if r.URL.RawQuery != "" {
			v.parts.fail(http.StatusBadRequest, "invalid_request",
				"the token endpoint takes no query parameters: send them in the request body or headers as the docs show").write(w)
			return
		}
	}
	if err := v.val.validate(r, route, pathParams); err != nil {
		v.rejectInvalid(w, err)
		return
	}
	if name, ok := v.val.missingNonCredential(r, route); ok {
		v.parts.fail(http.StatusBadRequest, "invalid_request", "missing "+name).write(w)
		return
	}
	v.parts.handler.ServeHTTP(w, r)
}

// bufferBody reads r.Body (bounded) and puts it back, so the grant can be
// counted before validation reads it again.
func bufferBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) > maxBody {
		return nil, errors.New("body too large")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return body, nil
}

// recorder remembers the status sent (0: none), for the Rejected counter
// and the access log. Unwrap lets http.ResponseController reach the
// connection for Drop faults.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// reply is a fully rendered response. Vendor files give it the generated
// Visit* methods (through their own named types), so the strict handlers
// can return exactly the bytes and headers the docs show.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (rp reply) with(key, value string) reply {
	h := rp.header.Clone()
	if h == nil {
		h = make(http.Header)
	}
	h.Set(key, value)
	rp.header = h
	return rp
}

func (rp reply) write(w http.ResponseWriter) error {
	for k, vs := range rp.header {
		w.Header()[k] = vs
	}
	if rp.body != nil {
		w.Header().Set("Content-Length", strconv.Itoa(len(rp.body)))
	}
	w.WriteHeader(rp.status)
	_, err := w.Write(rp.body)
	return err
}

func jsonReply(status int, v any) reply {
	return reply{status: status, header: http.Header{"Content-Type": {jsonType}}, body: marshal(v)}
}

// marshal is json.Marshal without HTML escaping ("<token>" stays readable).
// Only sandbox-built values reach it, so an error is a bug.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// oauthError is RFC 6749 §5.2's error body: the shape every vendor's OAuth
// endpoints are assumed to use where the docs show none.
func oauthError(status int, code, desc string) reply {
	return jsonReply(status, struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description,omitempty"`
	}{code, desc})
}

// invalidGrant is the 400 invalid_grant answer of a token endpoint, counted
// in Stats.InvalidGrants.
func (v *Vendor) invalidGrant(desc string) reply {
	v.stats.invalidGrants.Add(1)
	return oauthError(http.StatusBadRequest, "invalid_grant", desc)
}

// field is one key of a token response, kept in the docs' order.
type field struct {
	key   string
	value any
}

// tokenReply renders a successful token response from fields in the docs'
// order, applying Options.Misbehave.
func (v *Vendor) tokenReply(fields ...field) reply {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for _, f := range fields {
		if f.key == v.misb.OmitField {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.Write(marshal(f.key))
		b.WriteByte(':')
		b.Write(marshal(f.value))
	}
	b.WriteByte('}')
	return reply{status: http.StatusOK, header: http.Header{"Content-Type": {v.tokenType(jsonType)}}, body: b.Bytes()}
}

// tokenType is the Content-Type of a successful token response.
func (v *Vendor) tokenType(documented string) string {
	if v.misb.WrongContentType {
		return "text/html;charset=UTF-8"
	}
	return documented
}

// requestError is the generated glue's RequestErrorHandlerFunc and
// ErrorHandlerFunc. Validation runs first, so it should never fire.
func (v *Vendor) requestError(w http.ResponseWriter, _ *http.Request, err error) {
	v.parts.fail(http.StatusBadRequest, "invalid_request", err.Error()).write(w)
}

// responseError is the generated glue's ResponseErrorHandlerFunc.
func (v *Vendor) responseError(w http.ResponseWriter, _ *http.Request, err error) {
	v.parts.fail(http.StatusInternalServerError, "server_error", err.Error()).write(w)
}

// rawRequestKey carries the *http.Request into the strict handlers, which
// otherwise see only the bound RequestObject: Basic credentials, Accept and
// X-Api-Version are not in it.
type rawRequestKey struct{}

// withRequest is a StrictMiddlewareFunc for any generated package: H is
// that package's StrictHandlerFunc.
func withRequest[H ~func(context.Context, http.ResponseWriter, *http.Request, any) (any, error)](next H, _ string) H {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, req any) (any, error) {
		return next(context.WithValue(ctx, rawRequestKey{}, r), w, r, req)
	}
}

// rawRequest returns the request a strict handler is serving.
func rawRequest(ctx context.Context) *http.Request {
	r, _ := ctx.Value(rawRequestKey{}).(*http.Request)
	return r
}

// bearer returns the token of "Authorization: Bearer <token>" (the scheme
// is case-insensitive, RFC 7235 §2.1).
func bearer(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// accepts reports whether the Accept header allows mediaType (wildcards
// and q-values honoured). An absent header allows anything.
func accepts(r *http.Request, mediaType string) bool {
	header := r.Header.Values("Accept")
	if len(header) == 0 {
		return true
	}
	typ, _, _ := strings.Cut(mediaType, "/")
	for _, h := range header {
		for part := range strings.SplitSeq(h, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err != nil || f <= 0 {
					continue
				}
			}
			if mt == mediaType || mt == typ+"/*" || mt == "*/*" {
				return true
			}
		}
	}
	return false
}

// contentTypeIs reports whether r's Content-Type is mediaType, parameters
// such as charset aside.
func contentTypeIs(r *http.Request, mediaType string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == mediaType
}
