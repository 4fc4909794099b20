package sandbox

import (
	"context"
	"net/http"
	"time"

	"github.com/vendorkit/vendorkit/internal/gen/blueprintfull"
)

// Blueprint CPQ: OAuth2 resource owner password flow at /account/login
// with no client authentication; the response adds the user and the
// ".issued"/".expires" dates; resources need Bearer and answer ASP.NET Web
// API's 401 otherwise (../shared/vendor-docs/blueprint-cpq.txt).

func init() {
	register(vendorDef{name: "blueprint", options: BlueprintOptions{}, build: newBlueprint})
}

// BlueprintOptions configures the Blueprint sandbox user. Zero fields take
// the docs' example values.
type BlueprintOptions struct {
	Username string // default "username", the docs' example
	// Password defaults to "Qu0te&Config-2014", not the docs' "password":
	// that word is also in grant_type=password and in every "wrong user name
	// or password" message, so scanning output for Secrets() could not work.
	// The "&" also catches clients that build the form body by hand.
	Password      string
	UserID        string        // default "c8dcd36f-8f07-5e20-a8cd-8b72051bc374"
	FirstName     string        // default "First"
	LastName      string        // default "Last"
	TokenLifetime time.Duration // default 1209599s (the docs' expires_in)
}

// Vendor implements VendorOptions.
func (BlueprintOptions) Vendor() string { return "blueprint" }

func (o BlueprintOptions) withDefaults() BlueprintOptions {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&o.Username, "username")
	def(&o.Password, "Qu0te&Config-2014")
	def(&o.UserID, "c8dcd36f-8f07-5e20-a8cd-8b72051bc374")
	def(&o.FirstName, "First")
	def(&o.LastName, "Last")
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = 1209599 * time.Second
	}
	return o
}

// blueprintDenied is ASP.NET Web API's 401 body, as the spec records it.
const blueprintDenied = "Authorization has been denied for this request."

type blueprint struct {
	v     *Vendor
	o     BlueprintOptions
	pages []byte
}

func newBlueprint(v *Vendor, opts *Options) vendorParts {
	b := &blueprint{v: v, o: optionsOf[BlueprintOptions](opts).withDefaults()}
	b.pages = jsonReply(200, []map[string]string{
		{"id": "home", "name": "Home"},
		{"id": "quotes", "name": "Quotes"},
		{"id": "catalog", "name": "Product catalog"},
	}).body
	si := blueprintfull.NewStrictHandlerWithOptions(b,
		[]blueprintfull.StrictMiddlewareFunc{withRequest[blueprintfull.StrictHandlerFunc]},
		blueprintfull.StrictHTTPServerOptions{RequestErrorHandlerFunc: v.requestError, ResponseErrorHandlerFunc: v.responseError})
	return vendorParts{
		handler:   blueprintfull.HandlerWithOptions(si, blueprintfull.StdHTTPServerOptions{ErrorHandlerFunc: v.requestError}),
		endpoints: map[string]endpoint{"login": {kind: tokenOp, grant: formGrant}},
		fail:      blueprintFail,
		lifetime:  b.o.TokenLifetime,
		env: map[string]string{
			"VENDORKIT_BLUEPRINT_BASE_URL": v.BaseURL,
			"VENDORKIT_BLUEPRINT_USERNAME": b.o.Username,
			"VENDORKIT_BLUEPRINT_PASSWORD": b.o.Password,
		},
		secrets: []string{b.o.Password},
	}
}

// blueprintFail: a 401 is Web API's {"Message": ...}; the rest OAuth JSON.
func blueprintFail(status int, code, desc string) reply {
	if status == http.StatusUnauthorized {
		return jsonReply(status, map[string]string{"Message": blueprintDenied})
	}
	return oauthError(status, code, desc)
}

// blueprintReply carries the generated Visit methods for Blueprint's operations.
type blueprintReply reply

func (r blueprintReply) VisitLoginResponse(w http.ResponseWriter) error     { return reply(r).write(w) }
func (r blueprintReply) VisitListPagesResponse(w http.ResponseWriter) error { return reply(r).write(w) }

// Login is POST /account/login.
func (b *blueprint) Login(_ context.Context, req blueprintfull.LoginRequestObject) (blueprintfull.LoginResponseObject, error) {
	if req.Body.Username != b.o.Username || !equalSecret(req.Body.Password, b.o.Password) {
		return blueprintReply(b.v.invalidGrant("The user name or password is incorrect.")), nil
	}
	life := b.v.tokenLifetime()
	issued := b.v.now()
	tok := b.v.tokens.issue(accessToken, life, "")
	// .issued/.expires are RFC 1123 in GMT, as the docs show. The docs'
	// example is 14 days apart with expires_in 1209599 (ASP.NET rounds the
	// remaining time down); here both come from one lifetime, so a client
	// reading either gets the same expiry.
	return blueprintReply(b.v.tokenReply(
		field{"access_token", tok},
		field{"token_type", "bearer"},
		field{"expires_in", int64(life / time.Second)},
		field{"id", b.o.UserID},
		field{"userName", b.o.Username},
		field{"firstName", b.o.FirstName},
		field{"lastName", b.o.LastName},
		field{".issued", issued.UTC().Format(http.TimeFormat)},
		field{".expires", issued.Add(life).UTC().Format(http.TimeFormat)},
	)), nil
}

// ListPages is GET /pages.
func (b *blueprint) ListPages(ctx context.Context, _ blueprintfull.ListPagesRequestObject) (blueprintfull.ListPagesResponseObject, error) {
	if _, ok := b.v.tokens.check(bearer(rawRequest(ctx)), accessToken); !ok {
		return blueprintReply(blueprintFail(http.StatusUnauthorized, "", "").with("WWW-Authenticate", `Bearer error="invalid_token"`)), nil
	}
	return blueprintReply{status: http.StatusOK, header: http.Header{"Content-Type": {jsonType}}, body: b.pages}, nil
}
