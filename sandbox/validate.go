package sandbox

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/vendorkit/vendorkit/specs"
)

// validator checks requests against one vendor's embedded spec. It is
// built once per vendor per process and only read afterwards, so every
// Sandbox shares it.
type validator struct {
	router routers.Router
	opts   *openapi3filter.Options
	// presence lists, per operationId, the non-credential security schemes
	// whose header the middleware requires after validation.
	presence map[string][]*openapi3.SecurityScheme
}

var (
	validatorsMu sync.Mutex
	validators   = map[string]*validator{}
)

// validatorFor returns the validator of d's spec, building it on first use.
func validatorFor(d vendorDef) (*validator, error) {
	validatorsMu.Lock()
	defer validatorsMu.Unlock()
	if val, ok := validators[d.name]; ok {
		return val, nil
	}
	val, err := newValidator(d.name, d.prefix, d.nonCredential)
	if err != nil {
		return nil, err
	}
	validators[d.name] = val
	return val, nil
}

func newValidator(name, prefix string, nonCredential []string) (*validator, error) {
	doc, err := specs.Load(name)
	if err != nil {
		return nil, err
	}
	// Route by path only: the specs' servers name the vendors' real hosts,
	// which kin's router would otherwise try to match. A relative server
	// URL makes the legacy router match the path prefix alone.
	doc.Servers = openapi3.Servers{{URL: prefix}}
	if prefix == "" {
		doc.Servers = nil
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %s: %w", name, err)
	}
	val := &validator{
		router: router,
		opts: &openapi3filter.Options{
			AuthenticationFunc:                authenticate(nonCredential),
			RejectWhenRequestBodyNotSpecified: true,
			SkipSettingDefaults:               true,
		},
		presence: map[string][]*openapi3.SecurityScheme{},
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			sec := doc.Security
			if op.Security != nil {
				sec = *op.Security
			}
			for _, req := range sec {
				for schemeName := range req {
					if slices.Contains(nonCredential, schemeName) {
						val.presence[op.OperationID] = append(val.presence[op.OperationID], doc.Components.SecuritySchemes[schemeName].Value)
					}
				}
			}
		}
	}
	return val, nil
}

// validate runs openapi3filter.ValidateRequest on r for route.
func (val *validator) validate(r *http.Request, route *routers.Route, pathParams map[string]string) error {
	return openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: pathParams,
		Route:      route,
		Options:    val.opts,
	})
}

// missingNonCredential names the first non-credential scheme (BSS's
// X-Api-Version) r lacks. Those pass the AuthenticationFunc so that a
// missing credential always wins as a 401; a missing version is a 400.
func (val *validator) missingNonCredential(r *http.Request, route *routers.Route) (string, bool) {
	for _, s := range val.presence[route.Operation.OperationID] {
		if present(r, s) == "" {
			return s.In + " " + s.Name, true
		}
	}
	return "", false
}

// authError is a credential missing from its documented place.
type authError struct {
	code      string // invalid_client for Basic, invalid_token otherwise
	challenge string // WWW-Authenticate
	desc      string
}

func (e *authError) Error() string { return e.desc }

// authenticate checks that each credential the operation's security names
// is present in the right place: Basic or Bearer in Authorization, an API
// key in its header or query parameter. Whether it is valid is the
// handler's business.
func authenticate(nonCredential []string) openapi3filter.AuthenticationFunc {
	return func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
		if slices.Contains(nonCredential, in.SecuritySchemeName) {
			return nil
		}
		r := in.RequestValidationInput.Request
		s := in.SecurityScheme
		if present(r, s) != "" {
			return nil
		}
		switch {
		case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
			return &authError{"invalid_client", `Basic realm="sandbox"`,
				"client authentication required: Authorization: Basic base64(key:secret)"}
		case s.Type == "http":
			return &authError{"invalid_token", `Bearer realm="sandbox"`,
				"missing access token: Authorization: Bearer <token>"}
		default:
			return &authError{"invalid_token", "", "missing access token: " + s.In + " " + s.Name}
		}
	}
}

// present returns the credential r carries for s, or "".
func present(r *http.Request, s *openapi3.SecurityScheme) string {
	switch s.Type {
	case "http":
		scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, s.Scheme) {
			return ""
		}
		return strings.TrimSpace(cred)
	case "apiKey":
		switch s.In {
		case "header":
			return r.Header.Get(s.Name)
		case "query":
			return r.URL.Query().Get(s.Name)
		case "cookie":
			if c, err := r.Cookie(s.Name); err == nil {
				return c.Value
			}
		}
	}
	return ""
}

// rejectInvalid answers a request the spec forbids: 401 in the vendor's
// shape for a missing credential, else 400 with kin-openapi's message.
func (v *Vendor) rejectInvalid(w http.ResponseWriter, err error) {
	var se *openapi3filter.SecurityRequirementsError
	if errors.As(err, &se) {
		var descs []string
		code, challenge := "invalid_token", ""
		for _, e := range se.Errors {
			var ae *authError
			if errors.As(e, &ae) {
				if len(descs) == 0 {
					code, challenge = ae.code, ae.challenge
				}
				descs = append(descs, ae.desc)
			} else {
				descs = append(descs, e.Error())
			}
		}
		rp := v.parts.fail(http.StatusUnauthorized, code, strings.Join(descs, "; or "))
		if challenge != "" {
			rp = rp.with("WWW-Authenticate", challenge)
		}
		rp.write(w)
		return
	}
	v.parts.fail(http.StatusBadRequest, "invalid_request", err.Error()).write(w)
}

var xmlOnce sync.Once

// registerBodyDecoders teaches openapi3filter to decode application/xml
// (Decisiv's token response) and text/html (iOFFICE's login page) bodies,
// for the sandbox and for anyone who validates responses in the same
// process: kin has neither. Registration is global, hence once.
func registerBodyDecoders() {
	xmlOnce.Do(func() {
		openapi3filter.RegisterBodyDecoder("application/xml", xmlBodyDecoder)
		if openapi3filter.RegisteredBodyDecoder("text/html") == nil {
			openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
		}
	})
}

// xmlBodyDecoder turns an XML document into the map a JSON schema can
// check: child elements become properties (text converted to the
// property's type), repeated elements arrays. When the schema names the
// root element and namespace (`xml:`), a different root is an error.
func xmlBodyDecoder(body io.Reader, _ http.Header, schema *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
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
		if x := schema.Value.XML; x != nil {
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

// xmlScalar converts element text to the schema's primitive type.
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
