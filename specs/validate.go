package specs

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Router finds the operation of a request in a vendor's spec by method and
// path alone, under a deployment's path prefix (BSS's "/bsssmapi"). The
// specs' servers name the vendors' real hosts and a template such as
// "{scheme}://{host}{prefix}", which kin's routers would try to match
// against the request's host; a deployment runs anywhere, so the prefix is
// stripped here and the rest of the path is matched against the spec's
// paths. The same Router serves a server (r.URL holds only the path) and a
// client that saw the full URL. It is safe for concurrent use.
type Router struct {
	vendor string
	prefix string
	doc    *openapi3.T
	router routers.Router
}

// NewRouter loads the vendor's spec (a fresh document, see Load) and
// builds a Router for requests under prefix: "" or a path such as
// "/bsssmapi" (a trailing slash is ignored).
func NewRouter(vendor, prefix string) (*Router, error) {
	doc, err := Load(vendor)
	if err != nil {
		return nil, err
	}
	return newRouter(vendor, prefix, doc)
}

// NewRouterFromData is NewRouter for a spec given as YAML or JSON (a copy
// being edited, say) instead of the embedded one; it is validated as Load
// validates.
func NewRouterFromData(vendor, prefix string, data []byte) (*Router, error) {
	doc, err := parse(vendor+" spec", data)
	if err != nil {
		return nil, err
	}
	return newRouter(vendor, prefix, doc)
}

func newRouter(vendor, prefix string, doc *openapi3.T) (*Router, error) {
	doc.Servers = nil
	r, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("specs: %s: %w", vendor, err)
	}
	prefix = strings.TrimRight(prefix, "/")
	if prefix != "" && !strings.HasPrefix(prefix, "/") {
		prefix = "/" + prefix
	}
	return &Router{vendor: vendor, prefix: prefix, doc: doc, router: r}, nil
}

// PathPrefix returns the path of a base URL ("http://127.0.0.1:1/bsssmapi/"
// → "/bsssmapi"), the prefix a Router for that deployment strips.
func PathPrefix(baseURL string) (string, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", fmt.Errorf("specs: base URL: %w", err)
	}
	return strings.TrimRight(u.Path, "/"), nil
}

// Vendor is the vendor whose spec the Router routes against.
func (r *Router) Vendor() string { return r.vendor }

// Prefix is the path prefix the Router strips.
func (r *Router) Prefix() string { return r.prefix }

// Doc is the spec the Router routes against (servers removed). Treat it
// as read-only: routes point into it.
func (r *Router) Doc() *openapi3.T { return r.doc }

// FindRoute returns the operation for req and its path parameters. A path
// outside the prefix or unknown to the spec is routers.ErrPathNotFound, a
// known path with another method routers.ErrMethodNotAllowed (both work
// with errors.Is and print kin's own messages). req is not modified;
// validate the original request with the route.
func (r *Router) FindRoute(req *http.Request) (*routers.Route, map[string]string, error) {
	path := req.URL.Path
	if r.prefix != "" {
		rest, ok := strings.CutPrefix(path, r.prefix)
		if !ok || rest != "" && rest[0] != '/' {
			return nil, nil, routers.ErrPathNotFound
		}
		path = rest
	}
	if path == "" {
		path = "/"
	}
	u := *req.URL
	u.Path, u.RawPath = path, ""
	stripped := *req
	stripped.URL = &u
	route, params, err := r.router.FindRoute(&stripped)
	if err != nil {
		if err.Error() == routers.ErrMethodNotAllowed.Error() {
			return nil, nil, routers.ErrMethodNotAllowed
		}
		return nil, nil, routers.ErrPathNotFound
	}
	return route, params, nil
}

// Label names an operation of the spec the way the contract suite reports
// it: "POST /oauth/token (requestToken)", the path as the spec writes it
// (no deployment prefix). An unknown operationId gives "".
func (r *Router) Label(operationID string) string {
	for _, path := range r.doc.Paths.InMatchingOrder() {
		for method, op := range r.doc.Paths.Value(path).Operations() {
			if op.OperationID == operationID {
				return label(method, path, operationID)
			}
		}
	}
	return ""
}

// RouteLabel is Label for a route FindRoute returned.
func RouteLabel(route *routers.Route) string {
	if route == nil {
		return ""
	}
	id := ""
	if route.Operation != nil {
		id = route.Operation.OperationID
	}
	return label(route.Method, route.Path, id)
}

func label(method, path, id string) string {
	if id == "" {
		return method + " " + path
	}
	return method + " " + path + " (" + id + ")"
}

var decodersOnce sync.Once

// RegisterBodyDecoders teaches openapi3filter, once per process, to decode
// the media types the specs use that kin has no decoder for:
// application/xml (Decisiv's token response, through XMLBodyDecoder) and
// text/html (iOFFICE's login page, as plain text). kin's registry is
// global, so everyone who validates in the process (sandbox, contract
// suite, tests) shares these.
func RegisterBodyDecoders() {
	decodersOnce.Do(func() {
		openapi3filter.RegisterBodyDecoder("application/xml", XMLBodyDecoder)
		if openapi3filter.RegisteredBodyDecoder("text/html") == nil {
			openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
		}
	})
}

// XMLBodyDecoder is an openapi3filter.BodyDecoder for XML. It turns the
// document into the value a JSON schema can check: child elements become
// properties (text converted to the property's type), repeated elements
// arrays, attributes are ignored. When the schema names the root element
// and namespace (`xml: {name, namespace}`), a different root is an error,
// so a document in the wrong namespace fails validation.
func XMLBodyDecoder(body io.Reader, _ http.Header, schema *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	dec := xml.NewDecoder(body)
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if schema != nil && schema.Value != nil && schema.Value.XML != nil {
			x := schema.Value.XML
			if x.Name != "" && start.Name.Local != x.Name || x.Namespace != "" && start.Name.Space != x.Namespace {
				return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat,
					Reason: fmt.Sprintf("root element {%s}%s, want {%s}%s", start.Name.Space, start.Name.Local, x.Namespace, x.Name)}
			}
		}
		v, err := xmlElement(dec, schema)
		if err != nil {
			return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
		}
		return v, nil
	}
}

// xmlElement decodes the element whose start tag was just read.
func xmlElement(dec *xml.Decoder, schema *openapi3.SchemaRef) (any, error) {
	var text strings.Builder
	var obj map[string]any
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			var prop *openapi3.SchemaRef
			if schema != nil && schema.Value != nil {
				prop = schema.Value.Properties[t.Name.Local]
			}
			child, err := xmlElement(dec, prop)
			if err != nil {
				return nil, err
			}
			if obj == nil {
				obj = map[string]any{}
			}
			switch prev := obj[t.Name.Local].(type) {
			case nil:
				obj[t.Name.Local] = child
			case []any:
				obj[t.Name.Local] = append(prev, child)
			default:
				obj[t.Name.Local] = []any{prev, child}
			}
		case xml.EndElement:
			if obj != nil {
				return obj, nil
			}
			return xmlScalar(strings.TrimSpace(text.String()), schema), nil
		}
	}
}

// xmlScalar converts element text to the schema's primitive type; text
// that does not convert stays a string, for the schema to reject.
func xmlScalar(s string, schema *openapi3.SchemaRef) any {
	if schema == nil || schema.Value == nil || schema.Value.Type == nil {
		return s
	}
	t := schema.Value.Type
	switch {
	case t.Is("integer"):
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	case t.Is("number"):
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	case t.Is("boolean"):
		if b, err := strconv.ParseBool(s); err == nil {
			return b
		}
	case t.Is("object"):
		return map[string]any{}
	}
	return s
}
