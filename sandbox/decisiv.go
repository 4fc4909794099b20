package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strings"
	"time"

	"github.com/vendorkit/vendorkit/internal/gen/decisivfull"
	"github.com/vendorkit/vendorkit/specs/decisivxml"
)

// Decisiv: client credentials (consumer key/secret as HTTP Basic, like
// `curl -u`) at /platform_api/oauth2/token, answered in namespaced XML;
// tokens carry no expiry; 401 for an invalid bearer, 403 for a bearer on
// an endpoint that does not take one (../shared/vendor-docs/decisiv.txt).

func init() {
	register(vendorDef{name: "decisiv", options: DecisivOptions{}, build: newDecisiv})
}

// DecisivOptions configures the Decisiv sandbox profile.
type DecisivOptions struct {
	ConsumerKey    string // default "5f0c8a7e3b9d4e21a6c4f7b2d18e9a03"
	ConsumerSecret string // default "Qm9yZWFsaXMtc2FuZGJveC1zZWNyZXQtMjAyNA"
	// BearerRefusedPaths are request paths (e.g. "/platform_api/bearer_test")
	// that do not take a bearer token: they answer 403, before the token is
	// even looked at.
	BearerRefusedPaths []string
	// TokenLifetime is 0 by default: the docs give no expiry, so a token is
	// good until revoked.
	TokenLifetime time.Duration
	// CompactXML drops the docs' line breaks and indentation.
	CompactXML bool
}

// Vendor implements VendorOptions.
func (DecisivOptions) Vendor() string { return "decisiv" }

func (o DecisivOptions) withDefaults() DecisivOptions {
	if o.ConsumerKey == "" {
		o.ConsumerKey = "5f0c8a7e3b9d4e21a6c4f7b2d18e9a03"
	}
	if o.ConsumerSecret == "" {
		// Realistic, and the same raw or form-encoded: the docs show only
		// `curl -u`, so the sandbox does not pin an encoding here.
		o.ConsumerSecret = "Qm9yZWFsaXMtc2FuZGJveC1zZWNyZXQtMjAyNA"
	}
	return o
}

type decisiv struct {
	v       *Vendor
	o       DecisivOptions
	refused map[string]bool
}

func newDecisiv(v *Vendor, opts *Options) vendorParts {
	d := &decisiv{v: v, o: optionsOf[DecisivOptions](opts).withDefaults(), refused: map[string]bool{}}
	for _, p := range d.o.BearerRefusedPaths {
		d.refused[p] = true
	}
	si := decisivfull.NewStrictHandlerWithOptions(d,
		[]decisivfull.StrictMiddlewareFunc{withRequest[decisivfull.StrictHandlerFunc]},
		decisivfull.StrictHTTPServerOptions{RequestErrorHandlerFunc: v.requestError, ResponseErrorHandlerFunc: v.responseError})
	return vendorParts{
		handler:   decisivfull.HandlerWithOptions(si, decisivfull.StdHTTPServerOptions{ErrorHandlerFunc: v.requestError}),
		endpoints: map[string]endpoint{"requestToken": {kind: tokenOp, grant: formGrant}},
		fail:      decisivFail,
		lifetime:  d.o.TokenLifetime,
		env: map[string]string{
			"VENDORKIT_DECISIV_BASE_URL":        v.BaseURL,
			"VENDORKIT_DECISIV_CONSUMER_KEY":    d.o.ConsumerKey,
			"VENDORKIT_DECISIV_CONSUMER_SECRET": d.o.ConsumerSecret,
		},
		secrets: []string{d.o.ConsumerSecret,
			base64.StdEncoding.EncodeToString([]byte(d.o.ConsumerKey + ":" + d.o.ConsumerSecret))},
	}
}

// decisivFail: the docs show bare statuses ("HTTP/1.1 403 Forbidden") and
// the spec no error bodies, so only a 400 (a request the spec forbids)
// carries one, in OAuth JSON.
func decisivFail(status int, code, desc string) reply {
	if status == http.StatusBadRequest {
		return oauthError(status, code, desc)
	}
	return reply{status: status}
}

// decisivReply carries the generated Visit methods for Decisiv's operations.
type decisivReply reply

func (r decisivReply) VisitRequestTokenResponse(w http.ResponseWriter) error {
	return reply(r).write(w)
}
func (r decisivReply) VisitBearerTestResponse(w http.ResponseWriter) error { return reply(r).write(w) }

// RequestToken is POST /platform_api/oauth2/token.
func (d *decisiv) RequestToken(ctx context.Context, _ decisivfull.RequestTokenRequestObject) (decisivfull.RequestTokenResponseObject, error) {
	r := rawRequest(ctx)
	// The docs' curl asks for XML; a client that asks for anything else
	// could not read the answer.
	if !accepts(r, "application/xml") {
		return decisivReply(decisivFail(http.StatusNotAcceptable, "", "")), nil
	}
	key, secret, ok := r.BasicAuth()
	if !ok || !equalSecret(key, d.o.ConsumerKey) || !equalSecret(secret, d.o.ConsumerSecret) {
		return decisivReply(decisivFail(http.StatusUnauthorized, "", "").with("WWW-Authenticate", `Basic realm="sandbox"`)), nil
	}
	tok := d.v.tokens.issue(accessToken, d.v.tokenLifetime(), "")
	return decisivReply{
		status: http.StatusOK,
		header: http.Header{"Content-Type": {d.v.tokenType("application/xml")}},
		body:   d.document(tok),
	}, nil
}

// document renders the docs' AuthorizationResponse: XML declaration,
// default namespace, xmlns:xsi and xsi:schemaLocation, four-space indent.
func (d *decisiv) document(tok string) []byte {
	nl, indent := "\n", "    "
	if d.o.CompactXML {
		nl, indent = "", ""
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + nl)
	b.WriteString(`<AuthorizationResponse xmlns="` + decisivxml.Namespace + `"`)
	if d.o.CompactXML {
		b.WriteString(" ")
	} else {
		b.WriteString("\n ")
	}
	b.WriteString(`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`)
	if d.o.CompactXML {
		b.WriteString(" ")
	} else {
		b.WriteString("\n ")
	}
	b.WriteString(`xsi:schemaLocation="` + decisivxml.Namespace + `">` + nl)
	for _, el := range []field{{"token", tok}, {"type", "Bearer"}} {
		if el.key == d.v.misb.OmitField {
			continue
		}
		b.WriteString(indent + "<" + el.key + ">")
		xml.EscapeText(&b, []byte(el.value.(string)))
		b.WriteString("</" + el.key + ">" + nl)
	}
	b.WriteString("</AuthorizationResponse>\n")
	return []byte(b.String())
}

// BearerTest is GET /platform_api/bearer_test.
func (d *decisiv) BearerTest(ctx context.Context, _ decisivfull.BearerTestRequestObject) (decisivfull.BearerTestResponseObject, error) {
	r := rawRequest(ctx)
	// Refused before validity: a fresh token still gets 403, which tells
	// the client that fetching another token will not help.
	if d.refused[r.URL.Path] {
		return decisivReply(decisivFail(http.StatusForbidden, "", "")), nil
	}
	if _, ok := d.v.tokens.check(bearer(r), accessToken); !ok {
		return decisivReply(decisivFail(http.StatusUnauthorized, "", "").with("WWW-Authenticate", `Bearer error="invalid_token"`)), nil
	}
	return decisivReply{status: http.StatusOK}, nil
}
