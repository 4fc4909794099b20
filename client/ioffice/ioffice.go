// Package ioffice is the client for the iOFFICE REST API: the typed
// operations of gen/iofficeapi with OAuth 2.0 handled, headless or from a
// browser login.
//
// Headless (a service account):
//
//	c, err := ioffice.New(ioffice.Config{
//		BaseURL:     "https://example.iofficeconnect.com",
//		ClientID:    id,
//		Username:    user,
//		Password:    pass,
//		RedirectURI: "https://app.example.com/oauth/callback",
//		Scope:       "email",
//	})
//	me, err := c.GetCurrentUserWithResponse(ctx)
//	defer c.Revoke(ctx) // log out
//
// Browser (a web application; no Username/Password in Config):
//
//	state, _ := ioffice.NewState()            // keep it in the user's session
//	loginURL, _ := c.AuthCodeURL(state)       // redirect the browser there
//	// …the browser comes back to RedirectURI#code=…&appCode=…; the page's
//	// JavaScript posts location.hash to the server (fragments never reach it)
//	code, appCode, err := ioffice.ParseRedirect(hash, state)
//	_, err = c.Exchange(ctx, code)            // at once: codes expire in 5 minutes
//
// What it handles, from the vendor's "Using OAuth 2.0 to Access the API":
//
//   - Everything travels in custom headers, not in form bodies. Headless
//     login is POST <BaseURL>/external/api/oauth2/auth with
//     Content-Type: application/json, x-auth-username, x-auth-password and
//     x-client-id, and the code it returns is exchanged at once at
//     /external/api/oauth2/token with x-grant-type: authorization_code,
//     x-redirect-uri, x-client-id, x-scope and x-auth-code.
//   - expires_in is in MILLISECONDS: 3000 is three seconds.
//   - Refresh is x-grant-type: refresh_token with x-refresh-token (and the
//     same x-redirect-uri, x-client-id, x-scope). Every refresh returns a
//     new refresh token; the newest one is always used (and saved in the
//     token store before the new access token is handed out). When the
//     refresh token is rejected, a headless client logs in again; a
//     browser client fails with an error wrapping auth.ErrReloginRequired.
//   - Revoke invalidates the access token and then the refresh token at
//     /external/api/oauth2/revoke, each in x-token, and clears the token
//     store.
//   - Resource calls carry the token in x-access-token. The access_token
//     query parameter, which the API also accepts, is used only with
//     Config.TokenInQuery (tokens in URLs end up in logs; errors and logs
//     of this client redact them).
//   - A 401 refreshes the token and retries the call once. iOFFICE's own
//     JavaScript client also refreshes on 403; Config.ReauthOn403 does the
//     same (off by default).
//   - The browser login URL is <BaseURL>/login.html with the five
//     parameters response_type=code, client_id, redirect_uri, scope and
//     state, in that order; the code comes back in the redirect's fragment
//     with appCode, and state is checked (constant time) before it is used.
package ioffice

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/internal/kit"
	"github.com/vendorkit/vendorkit/gen/iofficeapi"
	"github.com/vendorkit/vendorkit/internal/gen/iofficefull"
)

// Vendor is the vendor name used in errors, logs and environment variables.
const Vendor = "ioffice"

const jsonContentType = "application/json"

// placement (where a default client's resource requests carry the token;
// Config.TokenInQuery moves it) and lifetimeUnit (expires_in's unit:
// milliseconds) are what New and Descriptor both state.
var placement = auth.Header("x-access-token")

const lifetimeUnit = time.Millisecond

// Config is an iOFFICE site, the application's OAuth 2.0 client and,
// for headless use, a user's credentials.
type Config struct {
	// BaseURL is the site, everything before /login.html and
	// /external/api/…, e.g. "https://example.iofficeconnect.com".
	BaseURL string
	// ClientID is the client id issued by iOFFICE.
	ClientID string
	// Username and Password enable the headless login. Leave both empty
	// for the browser flow (AuthCodeURL, ParseRedirect, Exchange).
	Username string
	Password string
	// RedirectURI is the application page that handles the code. The token
	// endpoint requires it on every exchange and refresh.
	RedirectURI string
	// Scope is sent on every token request ("for now, you can set it to
	// email or any other string").
	Scope string
	// TokenInQuery sends the access token as the access_token query
	// parameter instead of the x-access-token header. Opt-in only.
	TokenInQuery bool
	// ReauthOn403 treats 403 like 401 (refresh, retry once), as iOFFICE's
	// own JavaScript client does. Off by default.
	ReauthOn403 bool
}

// FromEnv reads VENDORKIT_IOFFICE_BASE_URL, _CLIENT_ID, _REDIRECT_URI and
// _SCOPE (required) and _USERNAME and _PASSWORD (optional, but each
// requires the other). The error names the missing variables, never a
// value.
func FromEnv() (Config, error) { return FromLookup(nil) }

// FromLookup is FromEnv reading the variables through lookup (nil:
// os.LookupEnv).
func FromLookup(lookup func(string) (string, bool)) (Config, error) {
	env := kit.NewEnv(Vendor, lookup)
	cfg := Config{
		BaseURL:     env.Require("BASE_URL"),
		ClientID:    env.Require("CLIENT_ID"),
		Username:    env.Get("USERNAME"),
		Password:    env.Get("PASSWORD"),
		RedirectURI: env.Require("REDIRECT_URI"),
		Scope:       env.Require("SCOPE"),
	}
	if cfg.Username != "" && cfg.Password == "" {
		env.Missing("PASSWORD")
	}
	if cfg.Password != "" && cfg.Username == "" {
		env.Missing("USERNAME")
	}
	return cfg, env.Err()
}

// Client is an iOFFICE API client. The embedded ClientWithResponses
// exposes every resource operation of gen/iofficeapi; each call carries a
// valid token. Safe for concurrent use; one Client holds one user's
// tokens.
type Client struct {
	*iofficeapi.ClientWithResponses
	client.Session
	flow *flow
}

// New validates cfg and returns a Client. No request is made until the
// first call (or Token).
func New(cfg Config, opts ...client.Option) (*Client, error) {
	chk := &kit.Check{}
	chk.Require("ClientID", cfg.ClientID)
	chk.Require("RedirectURI", cfg.RedirectURI)
	chk.Require("Scope", cfg.Scope)
	if cfg.Username != "" && cfg.Password == "" {
		chk.Fail("Config.Password is required when Config.Username is set")
	}
	if cfg.Password != "" && cfg.Username == "" {
		chk.Fail("Config.Username is required when Config.Password is set")
	}
	spec := kit.Spec{Name: Vendor, Placement: placement}
	if cfg.TokenInQuery {
		spec.Placement = auth.Query("access_token")
	}
	if cfg.ReauthOn403 {
		spec.ReauthStatuses = []int{http.StatusUnauthorized, http.StatusForbidden}
	}
	setup := kit.Setup{Check: chk, BaseURL: cfg.BaseURL, ClientID: cfg.ClientID, User: cfg.Username,
		Secrets: auth.NewSecrets(cfg.Password)}
	var f *flow
	return kit.New(spec, setup, opts, func(t kit.Tools) (auth.Flow, error) {
		api, err := iofficefull.NewClient(t.BaseURL, iofficefull.WithHTTPClient(t.HTTP))
		f = &flow{api: api, cfg: cfg, t: t}
		return f, err
	}, func(s client.Session) (*Client, error) {
		api, err := iofficeapi.NewClientWithResponses(s.BaseURL(), iofficeapi.WithHTTPClient(s.HTTPClient()))
		return &Client{ClientWithResponses: api, Session: s, flow: f}, err
	})
}

// Revoke invalidates the current access token at the revoke endpoint and
// clears the token store. The next call logs in again (headless) or needs
// a new browser login.
func (c *Client) Revoke(ctx context.Context) error { return c.Source().Revoke(ctx) }

// AuthCodeURL returns the browser login URL,
// <BaseURL>/login.html?response_type=code&client_id=…&redirect_uri=…&scope=…&state=…
// ("the login.html site will not work correctly" without all five). state
// must be unguessable and kept in the user's session (NewState); it is
// an error to pass an empty one.
func (c *Client) AuthCodeURL(state string) (string, error) {
	if state == "" {
		return "", errors.New("ioffice: AuthCodeURL: empty state (use NewState)")
	}
	req, err := iofficefull.NewLoginPageRequest(c.BaseURL()+"/", &iofficefull.LoginPageParams{
		ResponseType: iofficefull.Code,
		ClientId:     c.flow.cfg.ClientID,
		RedirectUri:  c.flow.cfg.RedirectURI,
		Scope:        c.flow.cfg.Scope,
		State:        state,
	})
	if err != nil {
		return "", err
	}
	return req.URL.String(), nil
}

// Exchange trades an authorization code from the browser flow for tokens
// and makes them the client's current token (saved to the token store).
// Call it as soon as the code arrives: codes expire after 5 minutes.
func (c *Client) Exchange(ctx context.Context, code string) (*auth.Token, error) {
	if code == "" {
		return nil, &auth.Error{Vendor: Vendor, Op: auth.OpExchange, Err: ErrNoCode}
	}
	tok, err := c.flow.exchange(ctx, code)
	if err != nil {
		return nil, err
	}
	if err := c.Source().Put(ctx, tok); err != nil {
		return nil, err
	}
	return tok, nil
}

// RedirectURI is the configured redirect URI (Config.RedirectURI): where
// the browser comes back with the code, for a caller that listens there.
func (c *Client) RedirectURI() string { return c.flow.cfg.RedirectURI }

// ParseLoginRedirect is ParseRedirect, or with allowMissingState
// ParseRedirectAllowMissingState, as a method: for tools that drive the
// browser flow of any vendor through one interface (client/vendors).
func (c *Client) ParseLoginRedirect(rawURLOrFragment, wantState string, allowMissingState bool) (code, appCode string, err error) {
	return parseRedirect(rawURLOrFragment, wantState, allowMissingState)
}

// Errors of the browser flow.
var (
	// ErrStateMismatch: the redirect's state is not the one this login
	// started with (a forged or mixed-up redirect). Do not use the code.
	// It wraps client.ErrStateMismatch.
	ErrStateMismatch = fmt.Errorf("ioffice: %w", client.ErrStateMismatch)
	// ErrMissingState: the redirect carries no state. OAuth 2.0 (RFC 6749
	// §4.1.2) requires the server to echo it; the iOFFICE docs' example
	// redirect omits it. ParseRedirectAllowMissingState accepts that. It
	// wraps client.ErrMissingState.
	ErrMissingState = fmt.Errorf("ioffice: %w", client.ErrMissingState)
	// ErrNoCode: the redirect carries no (single) authorization code.
	ErrNoCode = errors.New("ioffice: no authorization code")
)

// NewState returns a random state for AuthCodeURL: 32 bytes from
// crypto/rand, base64url without padding.
func NewState() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// ParseRedirect reads the authorization code and appCode from the
// redirect the browser came back with: the full URL
// ("https://app/cb#code=…&appCode=…&state=…"), or just its fragment, with
// or without the '#'. The fragment's state must equal wantState (constant
// time compare): a different state is ErrStateMismatch, none at all
// ErrMissingState. An "error" in the fragment is returned as an
// *auth.Error (op "authorize").
func ParseRedirect(rawURLOrFragment, wantState string) (code, appCode string, err error) {
	return parseRedirect(rawURLOrFragment, wantState, false)
}

// ParseRedirectAllowMissingState is ParseRedirect for a site that, like
// the docs' example, does not echo state: a redirect without state is
// accepted (one with a state must still match). This gives up the CSRF
// protection state provides; use it only for such a site.
func ParseRedirectAllowMissingState(rawURLOrFragment, wantState string) (code, appCode string, err error) {
	return parseRedirect(rawURLOrFragment, wantState, true)
}

func parseRedirect(raw, wantState string, allowMissing bool) (code, appCode string, err error) {
	frag := strings.TrimSpace(raw)
	if i := strings.IndexByte(frag, '#'); i >= 0 {
		frag = frag[i+1:]
	} else if strings.Contains(frag, "://") {
		return "", "", fmt.Errorf("%w: the redirect URL has no fragment", ErrNoCode)
	}
	v, perr := url.ParseQuery(frag)
	if perr != nil {
		return "", "", fmt.Errorf("%w: unparseable fragment", ErrNoCode)
	}
	states := v["state"]
	switch {
	case len(states) == 0 && allowMissing:
	case len(states) == 0:
		return "", "", ErrMissingState
	case len(states) > 1 || wantState == "" ||
		subtle.ConstantTimeCompare([]byte(states[0]), []byte(wantState)) != 1:
		return "", "", ErrStateMismatch
	}
	if e := v.Get("error"); e != "" {
		var shapes *auth.Secrets // no client here: the credential shapes only
		return "", "", &auth.Error{Vendor: Vendor, Op: auth.OpAuthorize,
			Code: shapes.Excerpt(e, 64), Description: shapes.Excerpt(v.Get("error_description"), 256)}
	}
	codes := v["code"]
	if len(codes) != 1 || codes[0] == "" {
		return "", "", ErrNoCode
	}
	return codes[0], v.Get("appCode"), nil
}

// flow implements auth.Flow (headless login), auth.Refresher and
// auth.Revoker with the generated operations of the OAuth endpoints.
type flow struct {
	api *iofficefull.Client // the token operations
	cfg Config
	t   kit.Tools
}

func setJSON() func(context.Context, *http.Request) error {
	return kit.SetHeader("Content-Type", jsonContentType)
}

// Token is the headless login: a code from /oauth2/auth, exchanged at once.
func (f *flow) Token(ctx context.Context) (*auth.Token, error) {
	if f.cfg.Username == "" {
		return nil, &auth.Error{Vendor: Vendor, Op: auth.OpToken, Err: fmt.Errorf(
			"%w: no username/password configured and no valid refresh token; sign in through the browser flow (AuthCodeURL, Exchange)",
			auth.ErrReloginRequired)}
	}
	resp, err := f.api.RequestAuthCode(ctx, &iofficefull.RequestAuthCodeParams{
		XAuthUsername: f.cfg.Username,
		XAuthPassword: f.cfg.Password,
		XClientId:     f.cfg.ClientID,
	}, setJSON())
	resp, body, err := auth.ReadTokenResponse(Vendor, auth.OpToken, resp, err, f.t.Secrets)
	if err != nil {
		return nil, err
	}
	fields, err := auth.ParseTokenFields(Vendor, auth.OpToken, resp.StatusCode, body, f.t.Secrets)
	if err != nil {
		return nil, err
	}
	code := fields.String("code")
	if code == "" {
		return nil, &auth.Error{Vendor: Vendor, Op: auth.OpToken, StatusCode: resp.StatusCode,
			Err: fmt.Errorf("%w: no code in the authorization response", auth.ErrMalformedResponse)}
	}
	return f.exchange(ctx, code)
}

// exchange trades a code for tokens. Its op is "exchange", so that an
// expired or used code (invalid_grant) is auth.ErrInvalidGrant, not
// auth.ErrInvalidCredentials.
func (f *flow) exchange(ctx context.Context, code string) (*auth.Token, error) {
	return f.token(ctx, auth.OpExchange, &iofficefull.RequestTokenParams{
		XGrantType: iofficefull.AuthorizationCode,
		XAuthCode:  &code,
	}, f.t.Secrets.With(code))
}

// Refresh redeems t's refresh token; the result carries the rotated one.
func (f *flow) Refresh(ctx context.Context, t *auth.Token) (*auth.Token, error) {
	rt := t.RefreshToken
	return f.token(ctx, auth.OpRefresh, &iofficefull.RequestTokenParams{
		XGrantType:    iofficefull.RefreshToken,
		XRefreshToken: &rt,
	}, f.t.Secrets.With(rt, t.AccessToken))
}

func (f *flow) token(ctx context.Context, op auth.Op, p *iofficefull.RequestTokenParams, sec *auth.Secrets) (*auth.Token, error) {
	p.XRedirectUri = f.cfg.RedirectURI
	p.XClientId = f.cfg.ClientID
	p.XScope = f.cfg.Scope
	resp, err := f.api.RequestToken(ctx, p, setJSON())
	resp, body, err := auth.ReadTokenResponse(Vendor, op, resp, err, sec)
	if err != nil {
		return nil, err
	}
	return kit.JSONToken(Vendor, op, resp.StatusCode, body, f.t.Now(), lifetimeUnit, f.t.Log, sec)
}

// Revoke invalidates t's access token and then its refresh token, one
// request each ("to invalidate a token ... the only header needed is
// x-token"): a logout that left the refresh token alive would leave a way
// to mint new access tokens behind.
func (f *flow) Revoke(ctx context.Context, t *auth.Token) error {
	sec := f.t.Secrets.With(t.AccessToken, t.RefreshToken)
	for _, tok := range []string{t.AccessToken, t.RefreshToken} {
		if tok == "" {
			continue
		}
		resp, err := f.api.RevokeToken(ctx, &iofficefull.RevokeTokenParams{XToken: tok})
		if _, _, err = auth.ReadTokenResponse(Vendor, auth.OpRevoke, resp, err, sec); err != nil {
			return err
		}
	}
	return nil
}

// Descriptor describes this package to tools that choose the vendor at run
// time (client/vendors): the vendorkit command, its demo, the contract
// suite.
func Descriptor() client.Vendor {
	return client.Vendor{
		Name: Vendor,
		Env: []client.EnvVar{
			{Field: "BASE_URL", Required: true, Doc: "the site, everything before /login.html and /external/api/…"},
			{Field: "CLIENT_ID", Required: true, Doc: "the client id iOFFICE issued"},
			{Field: "REDIRECT_URI", Required: true, Doc: "the application's registered redirect URI"},
			{Field: "SCOPE", Required: true, Doc: "sent on every token request (e.g. email)"},
			{Field: "USERNAME", Grant: true, Doc: "for the headless login (empty: browser login only)"},
			{Field: "PASSWORD", Grant: true, Secret: true, Doc: "for the headless login"},
		},
		Open: kit.OpenFunc(FromLookup, New),
		Grant: client.Grant{
			Description:    "headless authorization-code flow, a code from /oauth2/auth exchanged at /oauth2/token",
			Operations:     []string{"requestAuthCode", "requestToken"},
			TokenOperation: "requestToken",
			LifetimeUnit:   lifetimeUnit,
		},
		Refreshes:       true,
		Revokes:         true,
		SampleOperation: "getCurrentUser",
		Sample: func(ctx context.Context, s client.Session, _ func(string) (string, bool)) (int, string, error) {
			resp, err := s.(*Client).GetCurrentUserWithResponse(ctx)
			if err != nil {
				return 0, "", err
			}
			if resp.JSON200 == nil {
				return resp.StatusCode(), "", nil
			}
			return resp.StatusCode(), fmt.Sprintf("GET /external/api/rest/v2/users/me → user %d", resp.JSON200.Id), nil
		},
		BrowserLogin: true,
		Placement:    placement,
	}
}
