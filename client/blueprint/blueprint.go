// Package blueprint is the client for the Blueprint CPQ API: the typed
// operations of gen/blueprintapi with the login handled.
//
//	c, err := blueprint.New(blueprint.Config{
//		BaseURL:  "https://ofd-api.blueprintcpq.net",
//		Username: user,
//		Password: pass,
//	})
//	pages, err := c.ListPagesWithResponse(ctx)
//	user, err := c.User(ctx) // who is logged in
//
// What it handles, from the vendor's "Authentication" page:
//
//   - Login is the OAuth2 resource owner password flow at
//     <BaseURL>/account/login with no client authentication at all:
//     Content-Type: application/x-www-form-urlencoded; charset=UTF-8 and
//     the body grant_type=password&username=…&password=… in that order.
//   - The login response also describes the user (id, userName, firstName,
//     lastName) and carries ".issued" and ".expires" as RFC 1123 dates
//     (the leading dots are real); User returns them parsed. Every field
//     is kept in auth.Token.Extra.
//   - The token lifetime is expires_in, in seconds (1209599 in the docs:
//     two weeks less a second); when it is missing, ".expires" is used.
//   - Requests carry Authorization: Bearer <token>. A 401 invalidates the
//     token and the call is retried once after logging in again (there is
//     no refresh token).
//   - The login and every resource request carry X-Requested-With:
//     XMLHttpRequest, as the docs' requests do: ASP.NET answers such a
//     request 401 where it might otherwise redirect to a login page, and
//     re-authentication depends on that 401. The docs' other headers
//     (Accept: */*, a browser's User-Agent, Referer) are their browser's
//     and are not sent.
package blueprint

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/internal/kit"
	"github.com/vendorkit/vendorkit/gen/blueprintapi"
	"github.com/vendorkit/vendorkit/internal/gen/blueprintfull"
)

// Vendor is the vendor name used in errors, logs and environment variables.
const Vendor = "blueprint"

const formContentType = "application/x-www-form-urlencoded; charset=UTF-8"

// requestedWith is the docs' X-Requested-With, on the login and on every
// resource request: it asks for a 401, not a redirect, when the token is
// missing or invalid.
const requestedWith = "XMLHttpRequest"

// placement (where resource requests carry the token) and lifetimeUnit
// (expires_in's unit) are what New and Descriptor both state.
var placement = auth.Bearer()

const lifetimeUnit = time.Second

// Config is a Blueprint CPQ API host and a user's credentials.
type Config struct {
	// BaseURL is everything before /account/login, e.g.
	// "https://ofd-api.blueprintcpq.net".
	BaseURL  string
	Username string
	Password string
}

// FromEnv reads VENDORKIT_BLUEPRINT_BASE_URL, _USERNAME and _PASSWORD (all
// required). The error names the missing variables, never a value.
func FromEnv() (Config, error) { return FromLookup(nil) }

// FromLookup is FromEnv reading the variables through lookup (nil:
// os.LookupEnv).
func FromLookup(lookup func(string) (string, bool)) (Config, error) {
	env := kit.NewEnv(Vendor, lookup)
	cfg := Config{
		BaseURL:  env.Require("BASE_URL"),
		Username: env.Require("USERNAME"),
		Password: env.Require("PASSWORD"),
	}
	return cfg, env.Err()
}

// User is the logged-in user, as the login response describes it.
type User struct {
	ID        string // "id", a GUID in the docs
	UserName  string // "userName"
	FirstName string // "firstName"
	LastName  string // "lastName"
	// Issued and Expires are ".issued" and ".expires" parsed as RFC 1123
	// (other HTTP date formats tolerated); zero when absent or unparseable.
	Issued  time.Time
	Expires time.Time
}

// UserFromToken reads the user fields a login left in t.Extra.
func UserFromToken(t *auth.Token) User {
	if t == nil {
		return User{}
	}
	x := t.Extra
	return User{
		ID:        x["id"],
		UserName:  x["userName"],
		FirstName: x["firstName"],
		LastName:  x["lastName"],
		Issued:    parseDate(x[".issued"]),
		Expires:   parseDate(x[".expires"]),
	}
}

// parseDate parses an RFC 1123 date ("Wed, 01 Oct 2014 01:22:33 GMT"),
// tolerating the other formats HTTP allows.
func parseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC1123, s); err == nil {
		return t
	}
	if t, err := http.ParseTime(s); err == nil {
		return t
	}
	return time.Time{}
}

// Client is a Blueprint CPQ API client. The embedded ClientWithResponses
// exposes every resource operation of gen/blueprintapi; each call carries
// a valid token. Safe for concurrent use.
type Client struct {
	*blueprintapi.ClientWithResponses
	client.Session
}

// New validates cfg and returns a Client. No request is made until the
// first call (or Token/User).
func New(cfg Config, opts ...client.Option) (*Client, error) {
	chk := &kit.Check{}
	chk.Require("Username", cfg.Username)
	chk.Require("Password", cfg.Password)
	setup := kit.Setup{Check: chk, BaseURL: cfg.BaseURL, User: cfg.Username, Secrets: auth.NewSecrets(cfg.Password)}
	spec := kit.Spec{Name: Vendor, Placement: placement, Headers: http.Header{"X-Requested-With": {requestedWith}}}
	return kit.New(spec, setup, opts, func(t kit.Tools) (auth.Flow, error) {
		api, err := blueprintfull.NewClient(t.BaseURL, blueprintfull.WithHTTPClient(t.HTTP))
		return &flow{api: api, t: t, form: kit.Form("grant_type", "password", "username", cfg.Username, "password", cfg.Password)}, err
	}, func(s client.Session) (*Client, error) {
		api, err := blueprintapi.NewClientWithResponses(s.BaseURL(), blueprintapi.WithHTTPClient(s.HTTPClient()))
		return &Client{ClientWithResponses: api, Session: s}, err
	})
}

// User returns the user of the current token (logging in if there is
// none yet): the latest login's id, names and dates.
func (c *Client) User(ctx context.Context) (User, error) {
	t, err := c.Source().Token(ctx)
	if err != nil {
		return User{}, err
	}
	return UserFromToken(t), nil
}

// flow is the login. Only auth.Flow: no refresh token exists.
type flow struct {
	api  *blueprintfull.Client // the token operations
	t    kit.Tools
	form string // holds the password: secret
}

func (f *flow) Token(ctx context.Context) (*auth.Token, error) {
	resp, err := f.api.LoginWithBody(ctx, formContentType, strings.NewReader(f.form),
		kit.SetHeader("X-Requested-With", requestedWith))
	resp, body, err := auth.ReadTokenResponse(Vendor, auth.OpToken, resp, err, f.t.Secrets)
	if err != nil {
		return nil, err
	}
	now := f.t.Now()
	tok, err := kit.JSONToken(Vendor, auth.OpToken, resp.StatusCode, body, now, lifetimeUnit, f.t.Log, f.t.Secrets)
	if err != nil {
		return nil, err
	}
	if tok.Expiry.IsZero() {
		// No usable expires_in: fall back on ".expires".
		if exp := parseDate(tok.Extra[".expires"]); exp.After(now) {
			tok.Expiry, _ = auth.ExpiresIn(now, exp.Sub(now))
		}
	}
	return tok, nil
}

// Descriptor describes this package to tools that choose the vendor at run
// time (client/vendors): the vendorkit command, its demo, the contract
// suite.
func Descriptor() client.Vendor {
	return client.Vendor{
		Name: Vendor,
		Env: []client.EnvVar{
			{Field: "BASE_URL", Required: true, Doc: "everything before /account/login, e.g. https://ofd-api.blueprintcpq.net"},
			{Field: "USERNAME", Required: true, Doc: "the user"},
			{Field: "PASSWORD", Required: true, Secret: true, Doc: "the user's password"},
		},
		Open: kit.OpenFunc(FromLookup, New),
		Grant: client.Grant{
			Description:    "password grant at /account/login, no client authentication",
			Operations:     []string{"login"},
			TokenOperation: "login",
			LifetimeUnit:   lifetimeUnit,
			IssuedExpires:  [2]string{".issued", ".expires"},
		},
		SampleOperation: "listPages",
		Sample: func(ctx context.Context, s client.Session, _ func(string) (string, bool)) (int, string, error) {
			resp, err := s.(*Client).ListPagesWithResponse(ctx)
			if err != nil {
				return 0, "", err
			}
			if resp.JSON200 == nil {
				return resp.StatusCode(), "", nil
			}
			return resp.StatusCode(), fmt.Sprintf("GET /pages → %d pages", len(*resp.JSON200)), nil
		},
		Placement: placement,
	}
}
