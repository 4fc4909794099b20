// Package bss is the client for the interworks.cloud BSS & Billing API and
// its white-label copy ("BSS"): the typed operations of gen/bssapi with the
// token handled.
//
//	c, err := bss.New(bss.Config{
//		BaseURL:      "https://my.interworkscloud.com/bsssmapi",
//		ClientKey:    key,
//		ClientSecret: secret,
//		Username:     user,
//		Password:     pass,
//	})
//	resp, err := c.GetAccountWithResponse(ctx, 1)
//
// What it handles, from the vendor's "Authorization & Authentication" page:
//
//   - The OAuth 2.0 Resource Owner Password flow at <BaseURL>/oauth/token,
//     with the form body in the docs' order,
//     grant_type=password&username=…&password=… (values escaped like .NET's
//     FormUrlEncodedContent, so "user123456!" is "user123456%21"), and
//     Content-Type: application/x-www-form-urlencoded.
//   - The client key and secret only as HTTP Basic (the platform refuses
//     them as form parameters), built exactly like the docs' C# example:
//     base64 of the raw "key:secret" bytes. RFC 6749 §2.3.1 would
//     form-encode both first, which changes the header whenever the secret
//     holds '/', '+' or '=' (the docs' secret does); set
//     Config.FormEncodeClientCredentials for a deployment that wants that.
//   - Resource calls carry Authorization: Bearer <token> (capital B, though
//     the server says "bearer"), Accept: application/json and
//     X-Api-Version (default "latest", Config.APIVersion).
//   - expires_in is in seconds. There is no refresh token: a new token is
//     the password grant again. A 401 invalidates the token and the call is
//     retried once with a new one.
//   - White-label deployments: any host, with or without a path prefix —
//     BaseURL is everything before /oauth/token and /api/….
package bss

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/internal/kit"
	"github.com/vendorkit/vendorkit/gen/bssapi"
	"github.com/vendorkit/vendorkit/internal/gen/bssfull"
)

// Vendor is the vendor name used in errors, logs and environment variables.
const Vendor = "bss"

// DefaultAPIVersion is the X-Api-Version sent when Config.APIVersion is
// empty, the value the docs use.
const DefaultAPIVersion = "latest"

const formContentType = "application/x-www-form-urlencoded"

// placement (where resource requests carry the token) and lifetimeUnit
// (expires_in's unit) are what New and Descriptor both state.
var placement = auth.Bearer()

const lifetimeUnit = time.Second

// Config is a BSS deployment and its credentials.
type Config struct {
	// BaseURL is everything before /oauth/token and /api/…, e.g.
	// "https://my.interworkscloud.com/bsssmapi" (trailing slash tolerated).
	BaseURL string
	// ClientKey and ClientSecret are the OAuth 2.0 client credentials
	// (BSS → Setup → Administration → System Options → API Credentials).
	ClientKey    string
	ClientSecret string
	// Username and Password are the application user's.
	Username string
	Password string
	// APIVersion is sent as X-Api-Version on every resource call; empty
	// means DefaultAPIVersion.
	APIVersion string
	// FormEncodeClientCredentials form-encodes key and secret before the
	// Basic encoding, as RFC 6749 §2.3.1 says. Off by default: the docs'
	// example, which the platform follows, encodes the raw values.
	FormEncodeClientCredentials bool
}

// FromEnv reads VENDORKIT_BSS_BASE_URL, _CLIENT_KEY, _CLIENT_SECRET,
// _USERNAME, _PASSWORD (required) and _API_VERSION (optional). The error
// names the missing variables, never a value.
func FromEnv() (Config, error) { return FromLookup(nil) }

// FromLookup is FromEnv reading the variables through lookup (nil:
// os.LookupEnv).
func FromLookup(lookup func(string) (string, bool)) (Config, error) {
	env := kit.NewEnv(Vendor, lookup)
	cfg := Config{
		BaseURL:      env.Require("BASE_URL"),
		ClientKey:    env.Require("CLIENT_KEY"),
		ClientSecret: env.Require("CLIENT_SECRET"),
		Username:     env.Require("USERNAME"),
		Password:     env.Require("PASSWORD"),
		APIVersion:   env.Get("API_VERSION"),
	}
	return cfg, env.Err()
}

// Client is a BSS API client. The embedded ClientWithResponses exposes
// every resource operation of gen/bssapi; each call carries a valid token.
// Safe for concurrent use.
type Client struct {
	*bssapi.ClientWithResponses
	client.Session
}

// New validates cfg and returns a Client. No request is made until the
// first call (or Token).
func New(cfg Config, opts ...client.Option) (*Client, error) {
	chk := &kit.Check{}
	chk.Require("ClientKey", cfg.ClientKey)
	chk.Require("ClientSecret", cfg.ClientSecret)
	chk.Require("Username", cfg.Username)
	chk.Require("Password", cfg.Password)
	if strings.ContainsAny(cfg.APIVersion, "\r\n") {
		chk.Fail("Config.APIVersion must be a single header value")
	}
	version := cfg.APIVersion
	if version == "" {
		version = DefaultAPIVersion
	}
	key, secret := cfg.ClientKey, cfg.ClientSecret
	if cfg.FormEncodeClientCredentials {
		key, secret = url.QueryEscape(key), url.QueryEscape(secret)
	}
	spec := kit.Spec{Name: Vendor, Placement: placement,
		Headers: http.Header{"Accept": {"application/json"}, "X-Api-Version": {version}}}
	setup := kit.Setup{Check: chk, BaseURL: cfg.BaseURL, ClientID: cfg.ClientKey, User: cfg.Username,
		Secrets: auth.NewSecrets(cfg.Password, cfg.ClientKey).WithBasic(cfg.ClientKey, cfg.ClientSecret)}
	return kit.New(spec, setup, opts, func(t kit.Tools) (auth.Flow, error) {
		api, err := bssfull.NewClient(t.BaseURL, bssfull.WithHTTPClient(t.HTTP))
		return &flow{api: api, t: t, basic: kit.BasicAuth(key, secret),
			form: kit.Form("grant_type", "password", "username", cfg.Username, "password", cfg.Password)}, err
	}, func(s client.Session) (*Client, error) {
		api, err := bssapi.NewClientWithResponses(s.BaseURL(), bssapi.WithHTTPClient(s.HTTPClient()))
		return &Client{ClientWithResponses: api, Session: s}, err
	})
}

// flow is the password grant. It implements only auth.Flow: BSS issues no
// refresh token, so a new token is the same grant again.
type flow struct {
	api   *bssfull.Client // the token operations
	t     kit.Tools
	basic string // "Basic …": secret
	form  string // holds the password: secret
}

func (f *flow) Token(ctx context.Context) (*auth.Token, error) {
	resp, err := f.api.RequestTokenWithBody(ctx, formContentType, strings.NewReader(f.form),
		kit.SetHeader("Authorization", f.basic))
	resp, body, err := auth.ReadTokenResponse(Vendor, auth.OpToken, resp, err, f.t.Secrets)
	if err != nil {
		return nil, err
	}
	return kit.JSONToken(Vendor, auth.OpToken, resp.StatusCode, body, f.t.Now(), lifetimeUnit, f.t.Log, f.t.Secrets)
}

// Descriptor describes this package to tools that choose the vendor at run
// time (client/vendors): the vendorkit command, its demo, the contract
// suite.
func Descriptor() client.Vendor {
	return client.Vendor{
		Name: Vendor,
		Env: []client.EnvVar{
			{Field: "BASE_URL", Required: true, Doc: "everything before /oauth/token and /api/…, e.g. https://my.interworkscloud.com/bsssmapi"},
			{Field: "CLIENT_KEY", Required: true, Secret: true, Doc: "the OAuth 2.0 client key (Setup → System Options → API Credentials)"},
			{Field: "CLIENT_SECRET", Required: true, Secret: true, Doc: "the OAuth 2.0 client secret"},
			{Field: "USERNAME", Required: true, Doc: "the application user"},
			{Field: "PASSWORD", Required: true, Secret: true, Doc: "the application user's password"},
			{Field: "API_VERSION", Doc: "X-Api-Version of every resource call (default latest)"},
			{Field: "ACCOUNT_ID", Doc: "the account the sample call reads (default 1)"},
		},
		Open: kit.OpenFunc(FromLookup, New),
		Grant: client.Grant{
			Description:    "password grant, client key and secret as HTTP Basic",
			Operations:     []string{"requestToken"},
			TokenOperation: "requestToken",
			LifetimeUnit:   lifetimeUnit,
		},
		SampleOperation: "getAccount",
		Sample: func(ctx context.Context, s client.Session, lookup func(string) (string, bool)) (int, string, error) {
			id := int64(1)
			env := kit.NewEnv(Vendor, lookup)
			if v := env.Get("ACCOUNT_ID"); v != "" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return 0, "", fmt.Errorf("%w: %s is not an integer", client.ErrInvalidConfig, env.Name("ACCOUNT_ID"))
				}
				id = n
			}
			resp, err := s.(*Client).GetAccountWithResponse(ctx, id)
			if err != nil || resp.JSON200 == nil {
				return statusOf(resp), "", err
			}
			return resp.StatusCode(), fmt.Sprintf("GET /api/accounts/%d → account %d", id, resp.JSON200.Id), nil
		},
		Placement: placement,
	}
}

func statusOf(resp *bssapi.GetAccountResponse) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode()
}
