package sandbox

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/vendorkit/vendorkit/internal/gen/bssfull"
)

// interworks.cloud BSS (and its white-label "BSS"): OAuth 2.0 resource
// owner password flow at {prefix}/oauth/token, client key and secret ONLY
// as HTTP Basic of the raw "key:secret"; resources need Bearer, Accept:
// application/json and X-Api-Version (../shared/vendor-docs/interworks-bss*.txt).

func init() {
	register(vendorDef{
		name: "bss",
		// The docs' C# posts to "bsssmapi/oauth/token": serving under the
		// prefix proves clients keep the base URL's path.
		prefix:        "/bsssmapi",
		nonCredential: []string{"apiVersion"},
		options:       BSSOptions{},
		build:         newBSS,
	})
}

// BSSOptions configures the BSS sandbox account. Zero fields take the
// docs' example values.
type BSSOptions struct {
	ClientKey     string        // default "23230e67-6c95-4f83-a176-d969b95ee601"
	ClientSecret  string        // default "HCHlt6XPXxOveEx4QjECVB4ChgKiLJF65U7qy/xe46k="
	Username      string        // default "testuser"
	Password      string        // default "user123456!"
	APIVersion    string        // the X-Api-Version accepted, default "latest" (the only value the docs send)
	TokenLifetime time.Duration // default 1799s (the docs' expires_in)
}

// Vendor implements VendorOptions.
func (BSSOptions) Vendor() string { return "bss" }

func (o BSSOptions) withDefaults() BSSOptions {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&o.ClientKey, "23230e67-6c95-4f83-a176-d969b95ee601")
	def(&o.ClientSecret, "HCHlt6XPXxOveEx4QjECVB4ChgKiLJF65U7qy/xe46k=")
	def(&o.Username, "testuser")
	def(&o.Password, "user123456!")
	def(&o.APIVersion, "latest")
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = 1799 * time.Second
	}
	return o
}

type bss struct {
	v        *Vendor
	o        BSSOptions
	accounts map[int64]bssAccount
}

// bssAccount holds pre-encoded bodies: the benchmarks hit syncoptions
// hard, and encoding the same JSON on every call would measure nothing.
type bssAccount struct {
	account     []byte
	syncOptions []byte
	option      map[string][]byte
}

func newBSS(v *Vendor, opts *Options) vendorParts {
	b := &bss{v: v, o: optionsOf[BSSOptions](opts).withDefaults(), accounts: bssSeed()}
	si := bssfull.NewStrictHandlerWithOptions(b,
		[]bssfull.StrictMiddlewareFunc{withRequest[bssfull.StrictHandlerFunc]},
		bssfull.StrictHTTPServerOptions{RequestErrorHandlerFunc: v.requestError, ResponseErrorHandlerFunc: v.responseError})
	basic := base64.StdEncoding.EncodeToString([]byte(b.o.ClientKey + ":" + b.o.ClientSecret))
	return vendorParts{
		handler:   bssfull.HandlerWithOptions(si, bssfull.StdHTTPServerOptions{BaseURL: "/bsssmapi", ErrorHandlerFunc: v.requestError}),
		endpoints: map[string]endpoint{"requestToken": {kind: tokenOp, grant: formGrant}},
		lifetime:  b.o.TokenLifetime,
		env: map[string]string{
			"VENDORKIT_BSS_BASE_URL":      v.BaseURL,
			"VENDORKIT_BSS_CLIENT_KEY":    b.o.ClientKey,
			"VENDORKIT_BSS_CLIENT_SECRET": b.o.ClientSecret,
			"VENDORKIT_BSS_USERNAME":      b.o.Username,
			"VENDORKIT_BSS_PASSWORD":      b.o.Password,
			"VENDORKIT_BSS_API_VERSION":   b.o.APIVersion,
		},
		secrets: []string{b.o.ClientSecret, b.o.Password, basic},
	}
}

// bssSeed is account 1 with a dozen sync options: about 1 KiB of JSON for
// GET /api/accounts/1/syncoptions: systemCode, enabled and a display
// name each, as the spec's SyncOption describes.
func bssSeed() map[int64]bssAccount {
	type option struct {
		SystemCode string `json:"systemCode"`
		Enabled    bool   `json:"enabled"`
		Name       string `json:"name"`
	}
	opts := []option{
		{"MSCSP", true, "Microsoft Cloud Solution Provider (Partner Center)"},
		{"O365", true, "Microsoft 365 (legacy syndication partner)"},
		{"AZURE", true, "Microsoft Azure plan and reserved instances"},
		{"AWS", false, "Amazon Web Services solution provider"},
		{"GCP", false, "Google Cloud Platform billing accounts"},
		{"GWS", true, "Google Workspace reseller console"},
		{"ACRONIS", true, "Acronis Cyber Protect Cloud"},
		{"DROPBOX", false, "Dropbox Business partner network"},
		{"VEEAM", true, "Veeam Service Provider Console"},
		{"ADOBE", false, "Adobe VIP Marketplace for partners"},
		{"SOPHOS", true, "Sophos Central Partner"},
		{"CISCO", false, "Cisco Webex calling and meetings"},
	}
	acct := bssAccount{option: map[string][]byte{}}
	acct.account = jsonReply(200, map[string]any{"id": 1, "name": "Contoso Cloud Services Ltd"}).body
	acct.syncOptions = jsonReply(200, opts).body
	for _, o := range opts {
		acct.option[o.SystemCode] = jsonReply(200, o).body
	}
	return map[int64]bssAccount{1: acct}
}

// bssReply carries the generated Visit methods for BSS's operations.
type bssReply reply

func (r bssReply) VisitRequestTokenResponse(w http.ResponseWriter) error { return reply(r).write(w) }
func (r bssReply) VisitGetAccountResponse(w http.ResponseWriter) error   { return reply(r).write(w) }
func (r bssReply) VisitListAccountSyncOptionsResponse(w http.ResponseWriter) error {
	return reply(r).write(w)
}
func (r bssReply) VisitGetAccountSyncOptionResponse(w http.ResponseWriter) error {
	return reply(r).write(w)
}

// RequestToken is POST {prefix}/oauth/token.
func (b *bss) RequestToken(ctx context.Context, req bssfull.RequestTokenRequestObject) (bssfull.RequestTokenResponseObject, error) {
	r := rawRequest(ctx)
	if r.PostForm.Has("client_id") || r.PostForm.Has("client_secret") {
		return bssReply(oauthError(http.StatusUnauthorized, "invalid_client",
			"the client key and secret are only accepted through basic authentication, not as request parameters").
			with("WWW-Authenticate", `Basic realm="sandbox"`)), nil
	}
	key, secret, ok := r.BasicAuth()
	if !ok || !equalSecret(key, b.o.ClientKey) || !equalSecret(secret, b.o.ClientSecret) {
		desc := "unknown client key or secret"
		if u, err := url.QueryUnescape(secret); ok && err == nil && u != secret && equalSecret(u, b.o.ClientSecret) {
			// What RFC 6749 §2.3.1 (and x/oauth2) send; the docs' C# does not.
			desc = "the client secret was form-encoded before Basic encoding; BSS expects base64 of the raw key:secret"
		}
		return bssReply(oauthError(http.StatusUnauthorized, "invalid_client", desc).
			with("WWW-Authenticate", `Basic realm="sandbox"`)), nil
	}
	if req.Body.Username != b.o.Username || !equalSecret(req.Body.Password, b.o.Password) {
		return bssReply(b.v.invalidGrant("The user name or password is incorrect.")), nil
	}
	life := b.v.tokenLifetime()
	tok := b.v.tokens.issue(accessToken, life, "")
	rp := b.v.tokenReply(
		field{"access_token", tok},
		field{"token_type", "bearer"},
		field{"expires_in", int64(life / time.Second)},
	)
	// The docs' response headers.
	rp = rp.with("Cache-Control", "no-cache").with("Pragma", "no-cache").with("Expires", "-1")
	return bssReply(rp), nil
}

// gate checks what every BSS resource call needs beyond the spec's
// presence checks: a live token, Accept: application/json (the docs' C#
// sets it; absent counts as missing) and the documented X-Api-Version.
func (b *bss) gate(ctx context.Context) (bssReply, bool) {
	r := rawRequest(ctx)
	if _, ok := b.v.tokens.check(bearer(r), accessToken); !ok {
		return bssReply(oauthError(http.StatusUnauthorized, "invalid_token", "the access token is invalid, expired or revoked").
			with("WWW-Authenticate", `Bearer error="invalid_token"`)), false
	}
	if r.Header.Get("Accept") == "" || !accepts(r, "application/json") {
		return bssReply(oauthError(http.StatusNotAcceptable, "not_acceptable", "send Accept: application/json")), false
	}
	if got := r.Header.Get("X-Api-Version"); got != b.o.APIVersion {
		return bssReply(oauthError(http.StatusBadRequest, "invalid_request",
			fmt.Sprintf("unsupported X-Api-Version %q; this server serves %q", got, b.o.APIVersion))), false
	}
	return bssReply{}, true
}

func bssJSON(body []byte) bssReply {
	return bssReply{status: http.StatusOK, header: http.Header{"Content-Type": {jsonType}}, body: body}
}

func bssNotFound(what string) bssReply {
	return bssReply(oauthError(http.StatusNotFound, "not_found", what+" not found"))
}

// GetAccount is GET {prefix}/api/accounts/{accountId}.
func (b *bss) GetAccount(ctx context.Context, req bssfull.GetAccountRequestObject) (bssfull.GetAccountResponseObject, error) {
	if rp, ok := b.gate(ctx); !ok {
		return rp, nil
	}
	a, ok := b.accounts[req.AccountId]
	if !ok {
		return bssNotFound(fmt.Sprintf("account %d", req.AccountId)), nil
	}
	return bssJSON(a.account), nil
}

// ListAccountSyncOptions is GET {prefix}/api/accounts/{accountId}/syncoptions.
func (b *bss) ListAccountSyncOptions(ctx context.Context, req bssfull.ListAccountSyncOptionsRequestObject) (bssfull.ListAccountSyncOptionsResponseObject, error) {
	if rp, ok := b.gate(ctx); !ok {
		return rp, nil
	}
	a, ok := b.accounts[req.AccountId]
	if !ok {
		return bssNotFound(fmt.Sprintf("account %d", req.AccountId)), nil
	}
	return bssJSON(a.syncOptions), nil
}

// GetAccountSyncOption is GET {prefix}/api/accounts/{accountId}/syncoptions/{systemCode}.
func (b *bss) GetAccountSyncOption(ctx context.Context, req bssfull.GetAccountSyncOptionRequestObject) (bssfull.GetAccountSyncOptionResponseObject, error) {
	if rp, ok := b.gate(ctx); !ok {
		return rp, nil
	}
	a, ok := b.accounts[req.AccountId]
	if !ok {
		return bssNotFound(fmt.Sprintf("account %d", req.AccountId)), nil
	}
	o, ok := a.option[req.SystemCode]
	if !ok {
		return bssNotFound(fmt.Sprintf("sync option %q of account %d", req.SystemCode, req.AccountId)), nil
	}
	return bssJSON(o), nil
}
