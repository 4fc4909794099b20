package contract

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
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/specs"
)

// validationOptions: requests and responses as strict as the sandbox
// holds them; credentials are the checks' business, not the validator's.
var validationOptions = &openapi3filter.Options{
	AuthenticationFunc:                openapi3filter.NoopAuthenticationFunc,
	RejectWhenRequestBodyNotSpecified: true,
	SkipSettingDefaults:               true,
	IncludeResponseStatus:             true,
}

// validateAll validates every exchange in exs against the spec and returns
// the first failure, or nil.
func (r *runner) validateAll(ctx context.Context, exs []*exchange) *Result {
	for _, ex := range exs {
		if res := r.validate(ctx, ex); res != nil {
			return res
		}
	}
	return nil
}

// validate checks one exchange: the request the client sent, then the
// response it got. Exchanges without a response, with a transient status
// (429, 5xx: the infrastructure, not the API) or to a path the spec does
// not describe are not validated.
func (r *runner) validate(ctx context.Context, ex *exchange) *Result {
	if ex.err != nil || ex.status == http.StatusTooManyRequests || ex.status >= 500 {
		return nil
	}
	req := ex.request()
	route, params, err := r.router.FindRoute(req)
	if err != nil {
		return nil
	}
	op := specs.RouteLabel(route)
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: validationOptions}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		res := failure(op, "the client's request does not match the spec", "a request the spec allows", describeKinError(err))
		return &res
	}
	if ex.truncated {
		return nil
	}
	in.Request = ex.request()
	err = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 ex.status,
		Header:                 ex.respHeader,
		Body:                   io.NopCloser(bytes.NewReader(ex.respBody)),
		Options:                validationOptions,
	})
	if err == nil {
		return nil
	}
	res := responseMismatch(op, route, ex, err)
	return &res
}

// responseMismatch turns kin's complaint about a response into expected
// and got.
func responseMismatch(op string, route *routers.Route, ex *exchange, err error) Result {
	what := fmt.Sprintf("HTTP %d response does not match the spec", ex.status)
	responses := route.Operation.Responses
	ref := responses.Status(ex.status)
	if ref == nil {
		ref = responses.Default()
	}
	if ref == nil || ref.Value == nil {
		var documented []string
		for code := range responses.Map() {
			documented = append(documented, code)
		}
		slices.Sort(documented)
		return failure(op, "undocumented status", "one of the documented statuses "+strings.Join(documented, ", "), fmt.Sprintf("HTTP %d", ex.status))
	}
	ct := ex.respHeader.Get("Content-Type")
	if declared := declaredTypes(ref.Value); len(declared) > 0 && ref.Value.Content.Get(ct) == nil {
		got := "no Content-Type"
		if ct != "" {
			got = "Content-Type " + strconv.Quote(ct)
		}
		return failure(op, what, "Content-Type "+strings.Join(declared, " or "), got)
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		expected := "a body matching the spec's schema"
		if mt := ref.Value.Content.Get(ct); mt != nil && mt.Schema != nil {
			expected = "a body matching " + schemaName(mt.Schema)
			if s := mt.Schema.Value; s != nil && len(s.Required) > 0 {
				expected += " (required: " + strings.Join(s.Required, ", ") + ")"
			}
		}
		return failure(op, what, expected, oneLine(schemaErrorText(se)))
	}
	return failure(op, what, "a response the spec allows", describeKinError(err))
}

// declaredTypes lists a response's media types, sorted.
func declaredTypes(resp *openapi3.Response) []string {
	var out []string
	for mt := range resp.Content {
		out = append(out, mt)
	}
	slices.Sort(out)
	return out
}

func schemaName(s *openapi3.SchemaRef) string {
	if s.Ref != "" {
		return s.Ref
	}
	if s.Value != nil && s.Value.Title != "" {
		return s.Value.Title
	}
	return "the spec's schema"
}

// describeKinError renders a validation error without the values kin
// quotes (a schema error's Error() prints the whole body, tokens and
// passwords included).
func describeKinError(err error) string {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		prefix := ""
		var re *openapi3filter.RequestError
		if errors.As(err, &re) {
			switch {
			case re.Parameter != nil:
				prefix = fmt.Sprintf("parameter %q in %s: ", re.Parameter.Name, re.Parameter.In)
			case re.RequestBody != nil:
				prefix = "request body: "
			}
		}
		return prefix + oneLine(schemaErrorText(se))
	}
	var pe *openapi3filter.ParseError
	if errors.As(err, &pe) {
		// A ParseError's text may quote the raw value: keep its reason.
		s := pe.Reason
		if s == "" && pe.Cause != nil {
			s = pe.Cause.Error()
		}
		return "cannot decode: " + oneLine(s)
	}
	return oneLine(err.Error())
}

// schemaErrorText is where (a JSON pointer) and why, never the value.
func schemaErrorText(se *openapi3.SchemaError) string {
	reason := se.Reason
	if reason == "" {
		reason = "does not match the schema"
	}
	if p := se.JSONPointer(); len(p) > 0 {
		return reason + " (at /" + strings.Join(p, "/") + ")"
	}
	return reason
}

// oneLine is a wire-derived text on one line, bounded, through auth.Scrub.
func oneLine(s string) string {
	s = auth.Scrub(strings.Join(strings.Fields(s), " "))
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:300], "") + "…"
	}
	return s
}

// Secrets on the wire.

// secretHeaders carry credentials in requests.
var secretHeaders = []string{"Authorization", "X-Auth-Password", "X-Access-Token", "X-Refresh-Token", "X-Auth-Code", "X-Token"}

// secretFields carry credentials in token responses (JSON keys, XML
// elements).
var secretFields = []string{"access_token", "refresh_token", "code", "token", "id_token"}

// exchangeSecrets returns every credential an exchange carried: request
// headers, query and form values, and the tokens and codes in its answer.
func exchangeSecrets(ex *exchange) []string {
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	for _, h := range secretHeaders {
		for _, v := range ex.reqHeader.Values(h) {
			add(v)
			if _, cred, ok := strings.Cut(v, " "); ok {
				add(cred)
			}
		}
	}
	query := ex.url.Query()
	for _, k := range []string{"access_token", "refresh_token", "code", "password", "client_secret"} {
		add(query.Get(k))
	}
	if mt, _, _ := mime.ParseMediaType(ex.reqHeader.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
		if q, err := url.ParseQuery(string(ex.reqBody)); err == nil {
			for _, k := range []string{"password", "client_secret", "refresh_token", "code"} {
				add(q.Get(k))
			}
		}
	}
	fields := bodyFields(ex.respBody)
	for _, k := range secretFields {
		s, _ := fields[k].(string)
		add(s)
	}
	return out
}

// bodyField returns a top-level string field of a JSON object, or the text
// of a child element of an XML document's root.
func bodyField(body []byte, key string) string {
	s, _ := bodyFields(body)[key].(string)
	return s
}

// bodyFields decodes the top level of a JSON object, or the children of
// an XML document's root; nil for anything else.
func bodyFields(body []byte) map[string]any {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil
	}
	var v any
	switch trimmed[0] {
	case '{':
		if json.Unmarshal(trimmed, &v) != nil {
			return nil
		}
	case '<':
		var err error
		if v, err = specs.XMLBodyDecoder(bytes.NewReader(trimmed), nil, nil, nil); err != nil {
			return nil
		}
	}
	m, _ := v.(map[string]any)
	return m
}

// bodyInt returns a top-level integer field of a JSON object.
func bodyInt(body []byte, key string) (int64, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return 0, false
	}
	raw, ok := m[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	return n, err == nil
}
