package contract

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/blueprint"
	"github.com/vendorkit/vendorkit/client/bss"
	"github.com/vendorkit/vendorkit/client/decisiv"
	"github.com/vendorkit/vendorkit/client/ioffice"
	"github.com/vendorkit/vendorkit/client/vendors"
	"github.com/vendorkit/vendorkit/gen/blueprintapi"
	"github.com/vendorkit/vendorkit/gen/bssapi"
	"github.com/vendorkit/vendorkit/gen/decisivapi"
	"github.com/vendorkit/vendorkit/gen/iofficeapi"
	"github.com/vendorkit/vendorkit/internal/gen/iofficefull"
)

// vendorClient is what the suite needs of every vendor client.
type vendorClient = vendors.Client

type lookupFunc = func(string) (string, bool)

// vendorDef is one vendor as the suite knows it.
type vendorDef struct {
	name string
	// required are the VENDORKIT_<VENDOR>_ fields the suite needs.
	required []string
	// secretFields are the fields whose values are secrets.
	secretFields []string
	checks       []string
	// tokenOps are the operationIds of the token endpoints.
	tokenOps []string
	// grant is the sequence of successful token-endpoint operations one
	// login makes with the documented grant.
	grant     []string
	grantName string
	// tokenOp is the operation whose 2xx body is the token response.
	tokenOp    string
	resourceOp string
	// unit is expires_in's unit; 0 means the vendor announces no lifetime.
	unit time.Duration
	open func(lookup lookupFunc, opts ...client.Option) (vendorClient, error)
	// sample is the typed sample call through the client (token handled).
	sample func(ctx context.Context, r *runner) (int, error)
	// forge is the same call through the generated client on a plain HTTP
	// client, with token placed as the vendor wants and no token handling.
	forge func(ctx context.Context, r *runner, token string) (int, error)
}

// opener is the named vendor's vendors.Vendor.Open.
func opener(name string) func(lookupFunc, ...client.Option) (vendorClient, error) {
	if v, ok := vendors.Find(name); ok {
		return v.Open
	}
	return func(lookupFunc, ...client.Option) (vendorClient, error) {
		return nil, fmt.Errorf("no client package for vendor %q", name)
	}
}

var vendorDefs = []*vendorDef{
	{
		name:         bss.Vendor,
		required:     []string{"BASE_URL", "CLIENT_KEY", "CLIENT_SECRET", "USERNAME", "PASSWORD"},
		secretFields: []string{"CLIENT_SECRET", "PASSWORD"},
		checks:       []string{CheckToken, CheckResource, CheckForgedToken, CheckLifetime},
		tokenOps:     []string{"requestToken"},
		grant:        []string{"requestToken"},
		grantName:    "password grant, client key and secret as HTTP Basic",
		tokenOp:      "requestToken",
		resourceOp:   "getAccount",
		unit:         time.Second,
		open:         opener(bss.Vendor),
		sample: func(ctx context.Context, r *runner) (int, error) {
			resp, err := r.c.(*bss.Client).GetAccountWithResponse(ctx, r.accountID)
			if err != nil {
				return 0, err
			}
			return resp.StatusCode(), nil
		},
		forge: func(ctx context.Context, r *runner, token string) (int, error) {
			api, err := bssapi.NewClientWithResponses(r.base, bssapi.WithHTTPClient(r.plain))
			if err != nil {
				return 0, err
			}
			version, _ := r.t.Lookup(envName(bss.Vendor, "API_VERSION"))
			if version == "" {
				version = bss.DefaultAPIVersion
			}
			resp, err := api.GetAccountWithResponse(ctx, r.accountID,
				setHeader("Accept", "application/json"),
				setHeader("X-Api-Version", version),
				setHeader("Authorization", "Bearer "+token))
			if err != nil {
				return 0, err
			}
			return resp.StatusCode(), nil
		},
	},
	{
		name:         blueprint.Vendor,
		required:     []string{"BASE_URL", "USERNAME", "PASSWORD"},
		secretFields: []string{"PASSWORD"},
		checks:       []string{CheckToken, CheckResource, CheckForgedToken, CheckLifetime},
		tokenOps:     []string{"login"},
		grant:        []string{"login"},
		grantName:    "password grant at /account/login, no client authentication",
		tokenOp:      "login",
		resourceOp:   "listPages",
		unit:         time.Second,
		open:         opener(blueprint.Vendor),
		sample: func(ctx context.Context, r *runner) (int, error) {
			resp, err := r.c.(*blueprint.Client).ListPagesWithResponse(ctx)
			if err != nil {
				return 0, err
			}
			return resp.StatusCode(), nil
		},
		forge: func(ctx context.Context, r *runner, token string) (int, error) {
			api, err := blueprintapi.NewClientWithResponses(r.base, blueprintapi.WithHTTPClient(r.plain))
			if err != nil {
				return 0, err
			}
			resp, err := api.ListPagesWithResponse(ctx, setHeader("Authorization", "Bearer "+token))
			if err != nil {
				return 0, err
			}
			return resp.StatusCode(), nil
		},
	},
	{
		name:         decisiv.Vendor,
		required:     []string{"BASE_URL", "CONSUMER_KEY", "CONSUMER_SECRET"},
		secretFields: []string{"CONSUMER_SECRET"},
		checks:       []string{CheckToken, CheckResource, CheckForgedToken, CheckBearerRefused, CheckLifetime},
		tokenOps:     []string{"requestToken"},
		grant:        []string{"requestToken"},
		grantName:    "client credentials grant, consumer key and secret as HTTP Basic, XML answer",
		tokenOp:      "requestToken",
		resourceOp:   "bearerTest",
		open:         opener(decisiv.Vendor),
		sample: func(ctx context.Context, r *runner) (int, error) {
			resp, err := r.c.(*decisiv.Client).BearerTestWithResponse(ctx)
			if err != nil {
				return 0, err
			}
			return resp.StatusCode(), nil
		},
		forge: func(ctx context.Context, r *runner, token string) (int, error) {
			api, err := decisivapi.NewClientWithResponses(r.base, decisivapi.WithHTTPClient(r.plain))
			if err != nil {
				return 0, err
			}
			resp, err := api.BearerTestWithResponse(ctx, setHeader("Authorization", "Bearer "+token))
			if err != nil {
				return 0, err
			}
			return resp.StatusCode(), nil
		},
	},
	{
		name:         ioffice.Vendor,
		required:     []string{"BASE_URL", "CLIENT_ID", "REDIRECT_URI", "SCOPE", "USERNAME", "PASSWORD"},
		secretFields: []string{"PASSWORD"},
		checks:       []string{CheckToken, CheckResource, CheckForgedToken, CheckRefreshRotation, CheckRevoke, CheckLifetime},
		tokenOps:     []string{"requestAuthCode", "requestToken", "revokeToken"},
		grant:        []string{"requestAuthCode", "requestToken"},
		grantName:    "headless authorization-code flow, a code from /oauth2/auth exchanged at /oauth2/token",
		tokenOp:      "requestToken",
		resourceOp:   "getCurrentUser",
		unit:         time.Millisecond,
		open:         opener(ioffice.Vendor),
		sample: func(ctx context.Context, r *runner) (int, error) {
			resp, err := r.c.(*ioffice.Client).GetCurrentUserWithResponse(ctx)
			if err != nil {
				return 0, err
			}
			return resp.StatusCode(), nil
		},
		forge: func(ctx context.Context, r *runner, token string) (int, error) {
			api, err := iofficeapi.NewClientWithResponses(r.base, iofficeapi.WithHTTPClient(r.plain))
			if err != nil {
				return 0, err
			}
			resp, err := api.GetCurrentUserWithResponse(ctx, setHeader("x-access-token", token))
			if err != nil {
				return 0, err
			}
			return resp.StatusCode(), nil
		},
	},
}

func definition(vendor string) *vendorDef {
	for _, d := range vendorDefs {
		if d.name == vendor {
			return d
		}
	}
	return nil
}

// iofficeTokenOps is the generated client for iOFFICE's OAuth endpoints on
// the plain HTTP client: the suite's own refresh probe and clean-up.
func (r *runner) iofficeTokenOps() (*iofficefull.Client, ioffice.Config, error) {
	cfg, err := ioffice.FromLookup(r.t.Lookup)
	if err != nil {
		return nil, cfg, err
	}
	api, err := iofficefull.NewClient(r.base, iofficefull.WithHTTPClient(r.plain))
	return api, cfg, err
}

// iofficeRefresh asks the token endpoint to refresh with rt (the documented
// headers), through the plain client: a probe, not the client's own flow.
func (r *runner) iofficeRefresh(ctx context.Context, rt string) (int, error) {
	api, cfg, err := r.iofficeTokenOps()
	if err != nil {
		return 0, err
	}
	resp, err := api.RequestToken(ctx, &iofficefull.RequestTokenParams{
		XGrantType:    iofficefull.RefreshToken,
		XRedirectUri:  cfg.RedirectURI,
		XClientId:     cfg.ClientID,
		XScope:        cfg.Scope,
		XRefreshToken: &rt,
	}, setHeader("Content-Type", "application/json"))
	if err != nil {
		return 0, err
	}
	drainClose(resp)
	return resp.StatusCode, nil
}

// iofficeRevoke revokes tok (x-token) through the plain client.
func (r *runner) iofficeRevoke(ctx context.Context, tok string) (int, error) {
	api, _, err := r.iofficeTokenOps()
	if err != nil {
		return 0, err
	}
	resp, err := api.RevokeToken(ctx, &iofficefull.RevokeTokenParams{XToken: tok})
	if err != nil {
		return 0, err
	}
	drainClose(resp)
	return resp.StatusCode, nil
}

// setHeader is a request editor for the suite's own calls: the forged
// token and the probes of the token endpoints, made without the client.
func setHeader(name, value string) func(context.Context, *http.Request) error {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set(name, value)
		return nil
	}
}
