package sandbox

import (
	"context"
	"net/http"
	"time"

	"github.com/vendorkit/vendorkit/internal/gen/iofficefull"
)

// iOFFICE: OAuth 2.0 carried in custom headers. Codes come from the
// browser login page (in the redirect's fragment) or headlessly from
// /external/api/oauth2/auth, expire after 5 minutes and are single use;
// /external/api/oauth2/token exchanges them, or a refresh token, for an
// access token whose expires_in is in MILLISECONDS and a new refresh token;
// /external/api/oauth2/revoke kills the token in x-token. Resources take
// the token in x-access-token or ?access_token= (../shared/vendor-docs/ioffice.txt).

func init() {
	register(vendorDef{name: "ioffice", options: IOfficeOptions{}, build: newIOffice})
}

// IOfficeOptions configures the iOFFICE sandbox client and user.
type IOfficeOptions struct {
	ClientID      string        // default "7d9e2f4a-1c3b-4e5d-8f60-a2b4c6d8e0f1"
	Username      string        // default "apiuser"
	Password      string        // default "Spaces&Places-2019"
	RedirectURI   string        // the registered redirect URI, default "https://app.example.com/oauth/callback"
	Scope         string        // the scope the client is configured with, default "email" (the docs' suggestion)
	AppCode       string        // appCode in the browser redirect, default "ioffice-sandbox"
	TokenLifetime time.Duration // default 1h (3600000 ms on the wire)
	CodeTTL       time.Duration // default 5 min, as documented
	// Misbehaviours, for the contract suite's negative tests:
	// ExpiresInSeconds sends expires_in in seconds instead of the
	// documented milliseconds; NoRotation makes a refresh return the same
	// refresh token and keep accepting it.
	ExpiresInSeconds, NoRotation bool
}

// Vendor implements VendorOptions.
func (IOfficeOptions) Vendor() string { return "ioffice" }

func (o IOfficeOptions) withDefaults() IOfficeOptions {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&o.ClientID, "7d9e2f4a-1c3b-4e5d-8f60-a2b4c6d8e0f1")
	def(&o.Username, "apiuser")
	def(&o.Password, "Spaces&Places-2019")
	def(&o.RedirectURI, "https://app.example.com/oauth/callback")
	def(&o.Scope, "email")
	def(&o.AppCode, "ioffice-sandbox")
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = time.Hour
	}
	if o.CodeTTL <= 0 {
		o.CodeTTL = 5 * time.Minute
	}
	return o
}

type ioffice struct {
	v    *Vendor
	o    IOfficeOptions
	user []byte
}

func newIOffice(v *Vendor, opts *Options) vendorParts {
	o := optionsOf[IOfficeOptions](opts)
	if o.RedirectURI == "" {
		o.RedirectURI = opts.LoginRedirectURI
	}
	h := &ioffice{v: v, o: o.withDefaults()}
	h.user = jsonReply(200, map[string]any{"id": 1, "name": "API User", "email": "apiuser@example.com"}).body
	si := iofficefull.NewStrictHandlerWithOptions(h,
		[]iofficefull.StrictMiddlewareFunc{withRequest[iofficefull.StrictHandlerFunc]},
		iofficefull.StrictHTTPServerOptions{RequestErrorHandlerFunc: v.requestError, ResponseErrorHandlerFunc: v.responseError})
	headerGrant := func(r *http.Request, _ []byte) string { return r.Header.Get("x-grant-type") }
	return vendorParts{
		handler: iofficefull.HandlerWithOptions(si, iofficefull.StdHTTPServerOptions{ErrorHandlerFunc: v.requestError}),
		endpoints: map[string]endpoint{
			"requestAuthCode": {kind: tokenOp, grant: fixedGrant("auth_code")},
			"requestToken":    {kind: tokenOp, grant: headerGrant},
			"revokeToken":     {kind: tokenOp, grant: fixedGrant("revoke")},
			"loginPage":       {kind: pageOp},
		},
		lifetime: h.o.TokenLifetime,
		env: map[string]string{
			"VENDORKIT_IOFFICE_BASE_URL":     v.BaseURL,
			"VENDORKIT_IOFFICE_CLIENT_ID":    h.o.ClientID,
			"VENDORKIT_IOFFICE_USERNAME":     h.o.Username,
			"VENDORKIT_IOFFICE_PASSWORD":     h.o.Password,
			"VENDORKIT_IOFFICE_REDIRECT_URI": h.o.RedirectURI,
			"VENDORKIT_IOFFICE_SCOPE":        h.o.Scope,
		},
		secrets:          []string{h.o.Password},
		authorizeBrowser: h.authorizeBrowser,
		offSpec:          map[route]http.Handler{{http.MethodPost, "/login.html"}: http.HandlerFunc(h.loginForm)},
	}
}

// iofficeReply carries the generated Visit methods for iOFFICE's operations.
type iofficeReply reply

func (r iofficeReply) VisitRequestAuthCodeResponse(w http.ResponseWriter) error {
	return reply(r).write(w)
}
func (r iofficeReply) VisitRequestTokenResponse(w http.ResponseWriter) error {
	return reply(r).write(w)
}
func (r iofficeReply) VisitRevokeTokenResponse(w http.ResponseWriter) error {
	return reply(r).write(w)
}
func (r iofficeReply) VisitGetCurrentUserResponse(w http.ResponseWriter) error {
	return reply(r).write(w)
}
func (r iofficeReply) VisitLoginPageResponse(w http.ResponseWriter) error { return reply(r).write(w) }

func iofficeErr(status int, code, desc string) iofficeReply {
	return iofficeReply(oauthError(status, code, desc))
}

// jsonCall checks the documented Content-Type: application/json (sent
// with no body) of the auth and token calls.
func jsonCall(ctx context.Context) (iofficeReply, bool) {
	if !contentTypeIs(rawRequest(ctx), "application/json") {
		return iofficeErr(http.StatusBadRequest, "invalid_request", "send Content-Type: application/json, as the docs do"), false
	}
	return iofficeReply{}, true
}

// RequestAuthCode is POST /external/api/oauth2/auth, the headless code.
func (h *ioffice) RequestAuthCode(ctx context.Context, req iofficefull.RequestAuthCodeRequestObject) (iofficefull.RequestAuthCodeResponseObject, error) {
	if rp, ok := jsonCall(ctx); !ok {
		return rp, nil
	}
	p := req.Params
	if p.XClientId != h.o.ClientID {
		return iofficeErr(http.StatusUnauthorized, "invalid_client", "unknown x-client-id"), nil
	}
	if p.XAuthUsername != h.o.Username || !equalSecret(p.XAuthPassword, h.o.Password) {
		return iofficeErr(http.StatusUnauthorized, "access_denied", "wrong username or password"), nil
	}
	// No scope yet: a headless code takes the scope of its exchange.
	code := h.v.tokens.issue(authCode, h.o.CodeTTL, "")
	return iofficeReply(h.v.tokenReply(field{"code", code})), nil
}

// RequestToken is POST /external/api/oauth2/token, for both grants.
func (h *ioffice) RequestToken(ctx context.Context, req iofficefull.RequestTokenRequestObject) (iofficefull.RequestTokenResponseObject, error) {
	if rp, ok := jsonCall(ctx); !ok {
		return rp, nil
	}
	p := req.Params
	if p.XClientId != h.o.ClientID {
		return iofficeErr(http.StatusUnauthorized, "invalid_client", "unknown x-client-id"), nil
	}
	if p.XRedirectUri != h.o.RedirectURI {
		return iofficeReply(h.v.invalidGrant("x-redirect-uri does not match the registered redirect URI")), nil
	}
	tokens := h.v.tokens
	switch p.XGrantType {
	case iofficefull.AuthorizationCode:
		if p.XAuthCode == nil {
			return iofficeErr(http.StatusBadRequest, "invalid_request", "x-auth-code is required for x-grant-type authorization_code"), nil
		}
		// Check the scope before using the code up: a wrong scope should
		// not burn a good code.
		if rec, ok := tokens.check(*p.XAuthCode, authCode); ok && rec.scope != "" && rec.scope != p.XScope {
			return iofficeErr(http.StatusBadRequest, "invalid_scope", "x-scope must be the scope used to get the code"), nil
		}
		if _, ok := tokens.take(*p.XAuthCode, authCode); !ok {
			return iofficeReply(h.v.invalidGrant("the authorization code is unknown, used or expired (codes last 5 minutes)")), nil
		}
		return h.issue(p.XScope, ""), nil
	case iofficefull.RefreshToken:
		if p.XRefreshToken == nil {
			return iofficeErr(http.StatusBadRequest, "invalid_request", "x-refresh-token is required for x-grant-type refresh_token"), nil
		}
		old := *p.XRefreshToken
		rec, ok := tokens.check(old, refreshToken)
		if ok && rec.scope != p.XScope {
			return iofficeErr(http.StatusBadRequest, "invalid_scope", "x-scope must be the scope used to get the code"), nil
		}
		if !h.o.NoRotation {
			_, ok = tokens.take(old, refreshToken)
		}
		if !ok {
			return iofficeReply(h.v.invalidGrant("the refresh token is unknown, revoked or already used (each refresh returns a new one)")), nil
		}
		if h.o.NoRotation {
			return h.issue(p.XScope, old), nil
		}
		return h.issue(p.XScope, ""), nil
	}
	return iofficeErr(http.StatusBadRequest, "unsupported_grant_type", "unsupported x-grant-type"), nil
}

// issue answers a token request: a new access token and, unless reuse is
// set (IOfficeOptions.NoRotation), a new refresh token.
func (h *ioffice) issue(scope, reuse string) iofficeReply {
	life := h.v.tokenLifetime()
	access := h.v.tokens.issue(accessToken, life, scope)
	refresh := reuse
	if refresh == "" {
		refresh = h.v.tokens.issue(refreshToken, 0, scope)
	}
	expiresIn := life.Milliseconds() // "expires_in: number; // in milliseconds"
	if h.o.ExpiresInSeconds {
		expiresIn = int64(life / time.Second)
	}
	return iofficeReply(h.v.tokenReply(
		field{"token_type", "Bearer"},
		field{"access_token", access},
		field{"expires_in", expiresIn},
		field{"refresh_token", refresh},
	))
}

// RevokeToken is POST /external/api/oauth2/revoke. As RFC 7009 §2.2 has
// it, an unknown token is not an error: the answer is 200 either way.
func (h *ioffice) RevokeToken(_ context.Context, req iofficefull.RevokeTokenRequestObject) (iofficefull.RevokeTokenResponseObject, error) {
	h.v.tokens.revoke(req.Params.XToken)
	return iofficeReply{status: http.StatusOK}, nil
}

// GetCurrentUser is GET /external/api/rest/v2/users/me.
func (h *ioffice) GetCurrentUser(ctx context.Context, _ iofficefull.GetCurrentUserRequestObject) (iofficefull.GetCurrentUserResponseObject, error) {
	r := rawRequest(ctx)
	tok := r.Header.Get("x-access-token")
	if tok == "" {
		tok = r.URL.Query().Get("access_token")
	}
	if _, ok := h.v.tokens.check(tok, accessToken); !ok {
		return iofficeErr(http.StatusUnauthorized, "invalid_token", "the access token is invalid, expired or revoked"), nil
	}
	return iofficeReply{status: http.StatusOK, header: http.Header{"Content-Type": {jsonType}}, body: h.user}, nil
}
