package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/vendorkit/vendorkit/specs"
)

// validator checks requests against one vendor's embedded spec. It is
// built once per vendor per process and only read afterwards, so every
// Sandbox shares it.
type validator struct {
	router *specs.Router
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
	// Route by path only (the specs' servers name the vendors' real hosts),
	// under the vendor's path prefix.
	router, err := specs.NewRouter(name, prefix)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	doc := router.Doc()
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
