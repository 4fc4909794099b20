package contract

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vendorkit/vendorkit/specs"
)

// DriftKind is what kind of undocumented thing a response carried.
type DriftKind string

// Drift kinds.
const (
	// DriftProperty is a JSON (or XML) property the response schema does
	// not declare.
	DriftProperty DriftKind = "property"
	// DriftHeader is a response header the response does not declare.
	DriftHeader DriftKind = "header"
	// DriftStatus is a status code the operation does not declare.
	DriftStatus DriftKind = "status"
	// DriftContentType is a media type the response does not declare.
	DriftContentType DriftKind = "content-type"
)

// Drift is one thing a deployment sent that its spec does not describe,
// found in the responses the checks received (RunDrift). Undocumented is
// not wrong: it is what a hand-written spec lacks where the vendor's docs
// are silent, and WriteDriftPatch turns it into spec text.
//
// No Drift carries a secret: Example is set only for a value that is safe
// to print (never for a name that looks like a credential, never for a
// value the suite knows as a secret or that looks like a token).
type Drift struct {
	Vendor string
	// Operation is the spec operation, e.g.
	// "GET /api/accounts/{accountId} (getAccount)".
	Operation string
	Status    int // the response's status code
	Kind      DriftKind
	// Name is, for a property, its path in the body: "$.plan",
	// "$.owner.email", "$[].tags" (elements of an array); for a header its
	// name; for a status "HTTP 418"; for a content type the media type.
	Name string
	// Type is the property's JSON type ("object", "array", "string",
	// "integer", "number", "boolean", "null", or several joined by "|");
	// for a header "string". Empty for a status or content type.
	Type string
	// Shape details Type: "{plan: string, seats: integer}",
	// "[string]", "string (date-time)".
	Shape string
	// Example is one value as seen, quoted when a string; empty when the
	// value is not safe to print (see Drift).
	Example string
	// Seen counts the responses that carried it.
	Seen int

	// Where the spec would describe it: the mapping at path gets key.
	at      []string
	key     string
	samples []any
}

// maxSamples bounds the values kept per finding, for inferring a schema.
const maxSamples = 20

// RunDrift is Run, plus what the spec does not describe in every response
// the checks received: undeclared properties (with JSON type and shape),
// headers, status codes and content types. A response with 429 or 5xx is
// the infrastructure's and is not examined, nor is one to a path the spec
// does not have. Generic HTTP headers (framing, caching, Date, Server,
// WWW-Authenticate, browser security policies; see ignoredHeaders) are not
// drift. The findings are sorted by operation, status, kind and name.
func RunDrift(ctx context.Context, t Target) ([]Result, []Drift) {
	return run(ctx, t, true)
}

// drift analyses every exchange the runner recorded.
func (r *runner) drift() []Drift {
	if r.router == nil {
		return nil
	}
	secrets := r.knownSecrets()
	exs := r.rec.all()
	c := &driftCollector{vendor: r.d.Name, byKey: map[string]*Drift{}}
	for _, ex := range exs {
		c.exchange(r.router, ex)
	}
	out := make([]Drift, 0, len(c.order))
	for _, k := range c.order {
		d := c.byKey[k]
		d.Type, d.Shape = describe(d.Kind, d.samples)
		d.Example = exampleOf(d.Kind, d.key, d.samples, secrets)
		out = append(out, *d)
	}
	slices.SortFunc(out, func(a, b Drift) int {
		return cmp.Or(cmp.Compare(a.Operation, b.Operation), cmp.Compare(a.Status, b.Status),
			cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// driftCollector merges the findings of many responses.
type driftCollector struct {
	vendor string
	byKey  map[string]*Drift
	order  []string
}

func (c *driftCollector) add(d Drift, sample any) {
	k := strings.Join([]string{d.Operation, strconv.Itoa(d.Status), string(d.Kind), d.Name}, "\x00")
	got, ok := c.byKey[k]
	if !ok {
		d.Vendor = c.vendor
		got = &d
		c.byKey[k] = got
		c.order = append(c.order, k)
	}
	got.Seen++
	if len(got.samples) < maxSamples {
		got.samples = append(got.samples, sample)
	}
}

// exchange examines one response.
func (c *driftCollector) exchange(router *specs.Router, ex *exchange) {
	if ex.err != nil || ex.truncated || ex.status == http.StatusTooManyRequests || ex.status >= 500 {
		return
	}
	route, _, err := router.FindRoute(ex.request())
	if err != nil || route.Operation == nil || route.Operation.Responses == nil {
		return
	}
	op := specs.RouteLabel(route)
	opAt := []string{"paths", route.Path, strings.ToLower(route.Method), "responses"}
	base := Drift{Operation: op, Status: ex.status}
	ct := ex.respHeader.Get("Content-Type")
	mediaType := ct
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		mediaType = mt
	}
	body, decoded := decodeBody(ex.respBody, mediaType, nil)

	statusKey, ref := responseFor(route.Operation.Responses, ex.status)
	if ref == nil || ref.Value == nil {
		d := base
		d.Kind, d.Name = DriftStatus, fmt.Sprintf("HTTP %d", ex.status)
		d.at, d.key = opAt, strconv.Itoa(ex.status)
		c.add(d, undeclaredResponse{mediaType: mediaType, body: body, decoded: decoded && len(ex.respBody) > 0})
		return
	}
	respAt := append(slices.Clone(opAt), statusKey)
	if ref.Ref != "" {
		respAt = refPath(ref.Ref)
	}

	for name, values := range ex.respHeader {
		if ignoredHeader(name) || declaredHeader(ref.Value, name) {
			continue
		}
		d := base
		d.Kind, d.Name = DriftHeader, http.CanonicalHeaderKey(name)
		d.at, d.key = append(slices.Clone(respAt), "headers"), d.Name
		c.add(d, strings.Join(values, ", "))
	}

	if len(ex.respBody) == 0 && ct == "" {
		return
	}
	mt := ref.Value.Content.Get(ct)
	if mt == nil {
		d := base
		d.Kind, d.Name = DriftContentType, cmp.Or(mediaType, "(none)")
		d.at, d.key = append(slices.Clone(respAt), "content"), cmp.Or(mediaType, "application/octet-stream")
		c.add(d, undeclaredResponse{mediaType: mediaType, body: body, decoded: decoded && len(ex.respBody) > 0})
		return
	}
	if mt.Schema == nil {
		return
	}
	if !decoded || isXML(mediaType) {
		// XML is decoded against its schema (element types come from it).
		if body, decoded = decodeBody(ex.respBody, mediaType, mt.Schema); !decoded {
			return
		}
	}
	at := append(slices.Clone(respAt), "content", contentKey(ref.Value.Content, mt), "schema")
	w := schemaWalker{undeclared: func(at []string, path, key string, v any) {
		d := base
		d.Kind, d.Name = DriftProperty, path
		d.at, d.key = append(at, "properties"), key
		c.add(d, v)
	}}
	w.walk(body, mt.Schema, at, "$")
}

// undeclaredResponse is the sample of an undeclared status or content
// type: enough to describe its body in a patch.
type undeclaredResponse struct {
	mediaType string
	body      any
	decoded   bool
}

// responseFor returns the response an operation declares for status, and
// its key: the exact code, then the range ("4XX"), then "default".
func responseFor(rs *openapi3.Responses, status int) (string, *openapi3.ResponseRef) {
	code := strconv.Itoa(status)
	for _, k := range []string{code, code[:1] + "XX", "default"} {
		if ref := rs.Value(k); ref != nil {
			return k, ref
		}
	}
	return "", nil
}

// refPath turns a local reference ("#/components/schemas/Account") into
// the path of keys it names.
func refPath(ref string) []string {
	p := strings.TrimPrefix(strings.TrimPrefix(ref, "#"), "/")
	if p == "" {
		return nil
	}
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts
}

// contentKey is the key under which content holds mt.
func contentKey(content openapi3.Content, mt *openapi3.MediaType) string {
	for k, v := range content {
		if v == mt {
			return k
		}
	}
	return ""
}

// ignoredHeaders are headers of HTTP itself and of the infrastructure in
// front of an API, which specs conventionally leave out: message framing
// and connection management, Date and Server, caching, WWW-Authenticate
// (HTTP requires it on every 401), and browser security policies.
var ignoredHeaders = map[string]bool{}

func init() {
	for _, h := range []string{
		"Content-Type", "Content-Length", "Content-Encoding", "Transfer-Encoding", "Trailer", "Connection",
		"Keep-Alive", "Upgrade", "Proxy-Connection", "Date", "Server", "Via", "Alt-Svc", "Age", "Vary",
		"Cache-Control", "Expires", "Pragma", "ETag", "Last-Modified", "Accept-Ranges", "WWW-Authenticate",
		"Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "X-XSS-Protection",
		"Content-Security-Policy", "Referrer-Policy", "Permissions-Policy",
	} {
		ignoredHeaders[http.CanonicalHeaderKey(h)] = true
	}
}

func ignoredHeader(name string) bool { return ignoredHeaders[http.CanonicalHeaderKey(name)] }

// declaredHeader reports whether resp declares the header (names are
// case-insensitive).
func declaredHeader(resp *openapi3.Response, name string) bool {
	for h := range resp.Headers {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

func isXML(mediaType string) bool {
	return mediaType == "application/xml" || mediaType == "text/xml" || strings.HasSuffix(mediaType, "+xml")
}

// decodeBody decodes a JSON body (numbers kept as json.Number) or an XML
// one (through specs.XMLBodyDecoder, against schema when given). Other
// media types are not examined.
func decodeBody(b []byte, mediaType string, schema *openapi3.SchemaRef) (any, bool) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, false
	}
	switch {
	case isJSON(mediaType):
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return nil, false
		}
		return v, true
	case isXML(mediaType):
		v, err := specs.XMLBodyDecoder(bytes.NewReader(b), nil, schema, nil)
		return v, err == nil
	}
	return nil, false
}

// schemaWalker walks a value along its schema and reports the properties
// the schema does not declare; declared, if set, is told of each declared
// property present (schema path of its object schema, and its name).
type schemaWalker struct {
	undeclared func(at []string, path, key string, v any)
	declared   func(at []string, key string)
}

// maxWalkDepth bounds the walk (a recursive schema, a hostile body).
const maxWalkDepth = 32

func (w schemaWalker) walk(v any, sr *openapi3.SchemaRef, at []string, path string) {
	w.walkDepth(v, sr, at, path, 0)
}

func (w schemaWalker) walkDepth(v any, sr *openapi3.SchemaRef, at []string, path string, depth int) {
	if sr == nil || sr.Value == nil || depth > maxWalkDepth {
		return
	}
	if sr.Ref != "" {
		at = refPath(sr.Ref)
	}
	switch v := v.(type) {
	case map[string]any:
		for _, key := range slices.Sorted(maps.Keys(v)) {
			prop, propAt, owner, ok := lookupProperty(sr, at, key, 0)
			switch {
			case ok:
				if w.declared != nil {
					w.declared(owner, key)
				}
				w.walkDepth(v[key], prop, propAt, path+"."+key, depth+1)
			case openObject(sr.Value) != nil:
				w.walkDepth(v[key], openObject(sr.Value), append(slices.Clone(at), "additionalProperties"), path+"."+key, depth+1)
			case !explicitlyOpen(sr.Value):
				w.undeclared(slices.Clone(at), path+"."+key, key, v[key])
			}
		}
	case []any:
		items := sr.Value.Items
		for _, e := range v {
			w.walkDepth(e, items, append(slices.Clone(at), "items"), path+"[]", depth+1)
		}
	}
}

// lookupProperty finds key among the properties of s and of its allOf,
// oneOf and anyOf members, returning its schema, the schema path of its
// own schema, and that of the object schema that declares it.
func lookupProperty(sr *openapi3.SchemaRef, at []string, key string, depth int) (*openapi3.SchemaRef, []string, []string, bool) {
	if sr == nil || sr.Value == nil || depth > maxWalkDepth {
		return nil, nil, nil, false
	}
	if sr.Ref != "" {
		at = refPath(sr.Ref)
	}
	s := sr.Value
	if p, ok := s.Properties[key]; ok {
		return p, append(slices.Clone(at), "properties", key), at, true
	}
	for _, group := range []struct {
		name string
		refs openapi3.SchemaRefs
	}{{"allOf", s.AllOf}, {"oneOf", s.OneOf}, {"anyOf", s.AnyOf}} {
		for i, m := range group.refs {
			if p, pAt, owner, ok := lookupProperty(m, append(slices.Clone(at), group.name, strconv.Itoa(i)), key, depth+1); ok {
				return p, pAt, owner, true
			}
		}
	}
	return nil, nil, nil, false
}

// openObject is the schema of additionalProperties when the spec gives
// one (a map): its keys are described.
func openObject(s *openapi3.Schema) *openapi3.SchemaRef { return s.AdditionalProperties.Schema }

// explicitlyOpen is additionalProperties: true, written out: the spec
// says any key is fine.
func explicitlyOpen(s *openapi3.Schema) bool {
	return s.AdditionalProperties.Has != nil && *s.AdditionalProperties.Has
}

// DriftLine is a finding on one line, for logs and JUnit: "GET /pages
// (listPages) 200: property $.plan: object {seats: integer} e.g. ...".
func (d Drift) DriftLine() string {
	s := fmt.Sprintf("%s %d: %s %s", d.Operation, d.Status, d.Kind, d.Name)
	if d.Shape != "" {
		s += ": " + d.Shape
	}
	if d.Example != "" {
		s += " e.g. " + d.Example
	}
	return s
}

// WriteJUnitDrift is WriteJUnit plus the drift: in each vendor's
// testsuite, one property per finding (name "drift <kind> <operation>
// <status> <name>", value type and shape, an example when safe, and how
// many responses showed it) and a testcase "drift" that fails when fail
// is set and the vendor has drift (--drift=fail), and passes otherwise.
func WriteJUnitDrift(w io.Writer, results []Result, drift []Drift, fail bool) error {
	return writeJUnit(w, results, func(doc *junitSuites) {
		for i := range doc.Suites {
			s := &doc.Suites[i]
			vendor := strings.TrimPrefix(s.Name, "vendorkit/")
			var lines []string
			for _, d := range drift {
				if d.Vendor != vendor {
					continue
				}
				value := d.Shape
				if d.Example != "" {
					value += " e.g. " + d.Example
				}
				if s.Properties == nil {
					s.Properties = &junitProperties{}
				}
				s.Properties.Property = append(s.Properties.Property, junitProperty{
					Name:  fmt.Sprintf("drift %s %s %d %s", d.Kind, d.Operation, d.Status, d.Name),
					Value: strings.TrimSpace(value + " " + seenIn(d.Seen)),
				})
				lines = append(lines, d.DriftLine())
			}
			c := junitCase{Classname: "vendorkit." + vendor, Name: "drift", Time: seconds(0)}
			switch {
			case len(lines) == 0:
				c.SystemOut = "every response matched the spec"
			case fail:
				c.Failure = &junitMessage{Message: fmt.Sprintf("%d undocumented in the responses (--drift=fail)", len(lines)),
					Type: "drift", Text: strings.Join(lines, "\n") + "\n"}
				s.Failures++
				doc.Failures++
			default:
				c.SystemOut = strings.Join(lines, "\n")
			}
			s.Cases = append(s.Cases, c)
			s.Tests++
			doc.Tests++
		}
	})
}

// seenIn is "(seen in 1 response)", "(seen in 3 responses)".
func seenIn(n int) string {
	if n == 1 {
		return "(seen in 1 response)"
	}
	return fmt.Sprintf("(seen in %d responses)", n)
}
