package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/bss"
	"github.com/vendorkit/vendorkit/gen/bssapi"
)

// caller is one client under test: one call is one authenticated GET of
// the syncoptions resource, decoded into the generated []bssapi.SyncOption.
type caller struct {
	call  func(ctx context.Context) ([]bssapi.SyncOption, error)
	close func()
}

// clientKinds are the rows' clients, raw first: benchstat compares every
// column with the first one.
//
//   - raw: net/http, a static "Authorization: Bearer" header (token fetched
//     once beforehand), Accept and X-Api-Version set by hand,
//     json.Decoder into []bssapi.SyncOption.
//   - gen-static: the generated oapi-codegen client on a plain
//     http.Client with the same three headers as static request editors:
//     what the generated layer costs without any of auth/.
//   - oauth2: raw's code on golang.org/x/oauth2's Transport +
//     ReuseTokenSource over the same token endpoint (password grant).
//   - gen-oauth2: the generated client on x/oauth2's Transport (Accept and
//     X-Api-Version as static editors): the typed client a user would
//     assemble from x/oauth2, so vendorkit's token layer and x/oauth2's
//     meet on equal terms.
//   - vendorkit: bss.New, the full stack (generated client, auth.Source
//     cache, the authorizing transport on go-retryablehttp).
var clientKinds = []string{"raw", "gen-static", "oauth2", "gen-oauth2", "vendorkit"}

// newTransport is every client's base transport: a fresh clone of
// http.DefaultTransport with room for 100 idle connections per host, so
// 16 or 1,000 concurrent callers reuse connections rather than measure
// dial churn. Each client gets its own.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 1000
	t.MaxIdleConnsPerHost = 100
	return t
}

// newCaller builds the named client for the BSS deployment at base on rt.
func newCaller(ctx context.Context, kind, base string, rt http.RoundTripper) (*caller, error) {
	switch kind {
	case "raw":
		hc := &http.Client{Transport: rt}
		tok, err := passwordToken(ctx, hc, base)
		if err != nil {
			return nil, err
		}
		return rawCaller(hc, base, "Bearer "+tok), nil
	case "gen-static":
		tok, err := passwordToken(ctx, &http.Client{Transport: rt}, base)
		if err != nil {
			return nil, err
		}
		api, err := bssapi.NewClientWithResponses(base,
			bssapi.WithHTTPClient(&http.Client{Transport: rt}),
			bssapi.WithRequestEditorFn(setHeader("Accept", "application/json")),
			bssapi.WithRequestEditorFn(setHeader("X-Api-Version", apiVersion)),
			bssapi.WithRequestEditorFn(setHeader("Authorization", "Bearer "+tok)))
		if err != nil {
			return nil, err
		}
		return genCaller(api, func() {}), nil
	case "oauth2":
		return oauth2Caller(base, rt, oauth2.ReuseTokenSource(nil, newPasswordSource(base, rt))), nil
	case "gen-oauth2":
		ts := oauth2.ReuseTokenSource(nil, newPasswordSource(base, rt))
		api, err := bssapi.NewClientWithResponses(base,
			bssapi.WithHTTPClient(&http.Client{Transport: &oauth2.Transport{Source: ts, Base: rt}}),
			bssapi.WithRequestEditorFn(setHeader("Accept", "application/json")),
			bssapi.WithRequestEditorFn(setHeader("X-Api-Version", apiVersion)))
		if err != nil {
			return nil, err
		}
		return genCaller(api, func() {}), nil
	case "vendorkit":
		c, err := newVendorkit(base, rt)
		if err != nil {
			return nil, err
		}
		return genCaller(c.ClientWithResponses, func() { c.Close() }), nil
	}
	return nil, fmt.Errorf("unknown client %q", kind)
}

func newVendorkit(base string, rt http.RoundTripper, opts ...client.Option) (*bss.Client, error) {
	return bss.New(bss.Config{
		BaseURL:      base,
		ClientKey:    benchKey,
		ClientSecret: benchSecret,
		Username:     benchUser,
		Password:     benchPass,
		APIVersion:   apiVersion,
	}, append([]client.Option{client.WithHTTPClient(&http.Client{Transport: rt})}, opts...)...)
}

func setHeader(name, value string) bssapi.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set(name, value)
		return nil
	}
}

// statusError is a non-200 answer.
type statusError int

func (s statusError) Error() string { return fmt.Sprintf("status %d", int(s)) }

// rawCaller is what a careful net/http user writes. authz == "" leaves
// Authorization to the transport (x/oauth2).
func rawCaller(hc *http.Client, base, authz string) *caller {
	url := base + resourcePath
	return &caller{
		call: func(ctx context.Context) ([]bssapi.SyncOption, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return nil, err
			}
			if authz != "" {
				req.Header.Set("Authorization", authz)
			}
			req.Header.Set("Accept", "application/json")
			req.Header.Set("X-Api-Version", apiVersion)
			resp, err := hc.Do(req)
			if err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				io.Copy(io.Discard, resp.Body)
				return nil, statusError(resp.StatusCode)
			}
			var out []bssapi.SyncOption
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				return nil, err
			}
			io.Copy(io.Discard, resp.Body) // reach EOF so the connection is reused
			return out, nil
		},
		close: hc.CloseIdleConnections,
	}
}

func genCaller(api *bssapi.ClientWithResponses, closeFn func()) *caller {
	return &caller{
		call: func(ctx context.Context) ([]bssapi.SyncOption, error) {
			resp, err := api.ListAccountSyncOptionsWithResponse(ctx, 1)
			if err != nil {
				return nil, err
			}
			if resp.JSON200 == nil {
				return nil, statusError(resp.StatusCode())
			}
			return *resp.JSON200, nil
		},
		close: closeFn,
	}
}

// passwordSource is an oauth2.TokenSource that runs BSS's password grant
// on every Token call, as x/oauth2's Config.PasswordCredentialsToken does
// (with AuthStyleInHeader, which form-encodes key and secret first: hence
// the benchmark's plain credentials). Wrapped in ReuseTokenSource it is
// x/oauth2's idiomatic cache for a grant without refresh tokens.
type passwordSource struct {
	cfg *oauth2.Config
	ctx context.Context // carries the token endpoint's *http.Client
}

func newPasswordSource(base string, rt http.RoundTripper) passwordSource {
	return passwordSource{
		cfg: &oauth2.Config{
			ClientID:     benchKey,
			ClientSecret: benchSecret,
			Endpoint:     oauth2.Endpoint{TokenURL: base + tokenPath, AuthStyle: oauth2.AuthStyleInHeader},
		},
		ctx: context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: rt, Timeout: 30 * time.Second}),
	}
}

func (p passwordSource) Token() (*oauth2.Token, error) {
	return p.cfg.PasswordCredentialsToken(p.ctx, benchUser, benchPass)
}

// oauth2Caller is rawCaller on oauth2.Transport with ts.
func oauth2Caller(base string, rt http.RoundTripper, ts oauth2.TokenSource) *caller {
	return rawCaller(&http.Client{Transport: &oauth2.Transport{Source: ts, Base: rt}}, base, "")
}
