// Package decisiv is the client for the Decisiv Platform API: the typed
// operations of gen/decisivapi with the bearer token handled.
//
//	c, err := decisiv.New(decisiv.Config{
//		BaseURL:        "https://api.staging.decisiv.net",
//		ConsumerKey:    key,
//		ConsumerSecret: secret,
//	})
//	resp, err := c.BearerTestWithResponse(ctx)
//
// What it handles, from the vendor's "Authentication" page:
//
//   - Tokens come from the client credentials grant at
//     <BaseURL>/platform_api/oauth2/token: the profile's consumer key and
//     secret as HTTP Basic (as curl -u sends them: base64 of the raw
//     "key:secret"), Content-Type: application/x-www-form-urlencoded;charset=UTF-8
//     (no space), the body grant_type=client_credentials and
//     Accept: application/xml.
//   - The answer is XML, root AuthorizationResponse in the namespace
//     http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse,
//     pretty-printed or not; another root or namespace, or an empty token,
//     is auth.ErrMalformedResponse.
//   - No expiry is given: the token is kept until the API answers 401,
//     which invalidates it and retries the call once with a new one.
//   - 403 means "bearer tokens are not supported on this endpoint": it is
//     never a re-authentication (a new token would not help, and 403 is
//     removed from any configured re-auth set). The call fails with an
//     *auth.Error wrapping ErrBearerNotSupported.
//   - Requests carry Authorization: Bearer <token>. The docs' examples use
//     plain http; New refuses it for non-loopback hosts unless
//     client.WithInsecureHTTP is given. client.WithUserAgent sets the
//     "User-Agent: Application Name" the docs show.
package decisiv

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/internal/kit"
	"github.com/vendorkit/vendorkit/gen/decisivapi"
	"github.com/vendorkit/vendorkit/internal/gen/decisivfull"
)

// Vendor is the vendor name used in errors, logs and environment variables.
const Vendor = "decisiv"

const (
	formContentType = "application/x-www-form-urlencoded;charset=UTF-8"
	grantBody       = "grant_type=client_credentials"
)

// placement is where resource requests carry the token, as New and
// Descriptor both state. (No lifetime: the token response has none.)
var placement = auth.Bearer()

// ErrBearerNotSupported is wrapped (in an *auth.Error with StatusCode 403)
// by the error of a call to an endpoint that does not accept bearer tokens.
var ErrBearerNotSupported = errors.New("decisiv: endpoint does not support bearer-token authentication (403 Forbidden)")

// Config is a Decisiv API host and a profile's consumer credentials.
type Config struct {
	// BaseURL is everything before /platform_api/…, e.g.
	// "https://api.staging.decisiv.net".
	BaseURL string
	// ConsumerKey and ConsumerSecret come from the profile configuration
	// section of the Case app.
	ConsumerKey    string
	ConsumerSecret string
}

// FromEnv reads VENDORKIT_DECISIV_BASE_URL, _CONSUMER_KEY and
// _CONSUMER_SECRET (all required). The error names the missing variables,
// never a value.
func FromEnv() (Config, error) { return FromLookup(nil) }

// FromLookup is FromEnv reading the variables through lookup (nil:
// os.LookupEnv).
func FromLookup(lookup func(string) (string, bool)) (Config, error) {
	env := kit.NewEnv(Vendor, lookup)
	cfg := Config{
		BaseURL:        env.Require("BASE_URL"),
		ConsumerKey:    env.Require("CONSUMER_KEY"),
		ConsumerSecret: env.Require("CONSUMER_SECRET"),
	}
	return cfg, env.Err()
}

// Client is a Decisiv API client. The embedded ClientWithResponses exposes
// every resource operation of gen/decisivapi; each call carries a valid
// token. Safe for concurrent use.
type Client struct {
	*decisivapi.ClientWithResponses
	client.Session
}

// New validates cfg and returns a Client. No request is made until the
// first call (or Token).
func New(cfg Config, opts ...client.Option) (*Client, error) {
	chk := &kit.Check{}
	chk.Require("ConsumerKey", cfg.ConsumerKey)
	chk.Require("ConsumerSecret", cfg.ConsumerSecret)
	spec := kit.Spec{Name: Vendor, Placement: placement,
		NeverReauth: []int{http.StatusForbidden}, CheckResponse: checkResponse}
	setup := kit.Setup{Check: chk, BaseURL: cfg.BaseURL, ClientID: cfg.ConsumerKey,
		Secrets: auth.NewSecrets(cfg.ConsumerKey).WithBasic(cfg.ConsumerKey, cfg.ConsumerSecret)}
	return kit.New(spec, setup, opts, func(t kit.Tools) (auth.Flow, error) {
		api, err := decisivfull.NewClient(t.BaseURL, decisivfull.WithHTTPClient(t.HTTP))
		return &flow{api: api, t: t, basic: kit.BasicAuth(cfg.ConsumerKey, cfg.ConsumerSecret)}, err
	}, func(s client.Session) (*Client, error) {
		api, err := decisivapi.NewClientWithResponses(s.BaseURL(), decisivapi.WithHTTPClient(s.HTTPClient()))
		return &Client{ClientWithResponses: api, Session: s}, err
	})
}

// checkResponse turns a 403 into ErrBearerNotSupported (the transport
// makes it the cause of an *auth.Error with the status and a scrubbed body
// excerpt). It runs after the re-auth logic, which never sees 403 as a
// token problem.
func checkResponse(resp *http.Response) error {
	if resp.StatusCode == http.StatusForbidden {
		return ErrBearerNotSupported
	}
	return nil
}

// flow is the client credentials grant. Only auth.Flow: no refresh token,
// no revocation endpoint.
type flow struct {
	api   *decisivfull.Client // the token operations
	t     kit.Tools
	basic string // "Basic …": secret
}

func (f *flow) Token(ctx context.Context) (*auth.Token, error) {
	resp, err := f.api.RequestTokenWithBody(ctx, formContentType, strings.NewReader(grantBody),
		kit.SetHeader("Authorization", f.basic),
		kit.SetHeader("Accept", "application/xml"))
	resp, body, err := auth.ReadTokenResponse(Vendor, auth.OpToken, resp, err, f.t.Secrets)
	if err != nil {
		return nil, err
	}
	// Decoded whatever the Content-Type says (the generated parser only
	// decodes a body labelled XML, with this same call); the type checks
	// the root and namespace.
	var ar decisivfull.AuthorizationResponse
	if err := xml.Unmarshal(body, &ar); err != nil {
		return nil, malformed(resp.StatusCode, "not an AuthorizationResponse document")
	}
	tok := strings.TrimSpace(ar.Token)
	if tok == "" {
		return nil, malformed(resp.StatusCode, "empty token")
	}
	// No expiry: valid until the API answers 401.
	return &auth.Token{AccessToken: tok, TokenType: strings.TrimSpace(ar.Type)}, nil
}

func malformed(status int, why string) error {
	return &auth.Error{Vendor: Vendor, Op: auth.OpToken, StatusCode: status, Err: fmt.Errorf("%w: %s", auth.ErrMalformedResponse, why)}
}

// Descriptor describes this package to tools that choose the vendor at run
// time (client/vendors): the vendorkit command, its demo, the contract
// suite.
func Descriptor() client.Vendor {
	return client.Vendor{
		Name: Vendor,
		Env: []client.EnvVar{
			{Field: "BASE_URL", Required: true, Doc: "everything before /platform_api/…, e.g. https://api.staging.decisiv.net"},
			{Field: "CONSUMER_KEY", Required: true, Secret: true, Doc: "the profile's consumer key (Case app, profile configuration)"},
			{Field: "CONSUMER_SECRET", Required: true, Secret: true, Doc: "the profile's consumer secret"},
			{Field: "BEARER_REFUSED_PATH", Doc: "an endpoint that refuses bearer tokens (403), for the contract suite"},
		},
		Open: kit.OpenFunc(FromLookup, New),
		Grant: client.Grant{
			Description:    "client credentials grant, consumer key and secret as HTTP Basic, XML answer",
			Operations:     []string{"requestToken"},
			TokenOperation: "requestToken",
		},
		SampleOperation: "bearerTest",
		Sample: func(ctx context.Context, s client.Session, _ func(string) (string, bool)) (int, string, error) {
			resp, err := s.(*Client).BearerTestWithResponse(ctx)
			if err != nil {
				return 0, "", err
			}
			return resp.StatusCode(), "GET /platform_api/bearer_test → accepted", nil
		},
		BearerRefused: ErrBearerNotSupported,
		Placement:     placement,
	}
}
