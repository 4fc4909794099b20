// Package sandbox runs local fake servers for the vendors vendorkit talks
// to (today interworks.cloud BSS, Blueprint CPQ, Decisiv and iOFFICE). It
// is the embedded default for the demo and the tests, and the local
// stand-in for the vendors' live sandboxes.
//
// Each fake follows the vendor's own page (../shared/vendor-docs) to the
// letter: the paths, headers, encodings, units and status codes the docs
// show, and the OAuth 2.0 error shape (RFC 6749 §5.2) where they show
// none. It implements the strict server interface generated from
// specs/<vendor>.yaml, and never imports auth/ or client/: the clients are
// tested against an implementation that shares none of their code.
//
//	s, err := sandbox.Start(ctx, sandbox.Options{})
//	defer s.Close()
//	bss := s.Vendor("bss")   // bss.BaseURL is http://127.0.0.1:PORT/bsssmapi
//	env := bss.Env()         // VENDORKIT_BSS_BASE_URL, _CLIENT_KEY, ...
//
// # Request pipeline
//
// Every vendor has its own loopback listener (consecutive ports from
// Options.Port, or free ones) and shares one pipeline (serve.go), in this
// order:
//
//  1. kin-openapi routes the request by path alone against the embedded
//     spec (the spec's servers are replaced by the path prefix); unknown
//     path 404, wrong method 405.
//  2. Resource calls are counted and may take a fault queued by FailNext
//     (before validation: faults stand for the infrastructure in front of
//     the API, so they hit any call)
//     (401, 429 + Retry-After, 503, or a dropped connection). Token calls
//     are counted by grant, wait the SetTokenLatency delay, and are refused
//     (400) if they carry a query string: the generated strict server binds
//     form bodies from r.Form, which would merge ?password=x into the grant.
//  3. openapi3filter.ValidateRequest against the spec. A missing or
//     misplaced credential (Basic, Bearer, x-access-token / access_token)
//     is a 401 in the vendor's shape; anything else the spec forbids is a
//     400 {"error":"invalid_request","error_description":"<kin message>"}.
//     Routing (by path, under the vendor's prefix) and the body decoders
//     for application/xml (Decisiv) and text/html (iOFFICE's login page),
//     which kin lacks, come from specs/validate.go, shared with the
//     contract suite.
//  4. The vendor's generated strict server, whose handlers get the raw
//     *http.Request through the context (rawRequest) for what the
//     RequestObject does not carry: Basic credentials, Accept,
//     X-Api-Version. Handlers check token validity (401) and everything
//     else the docs require.
//
// In front of the pipeline (front.go), routes the spec does not have are
// served by the vendor file itself: iOFFICE's login form POSTs to
// /login.html, which the docs never describe. Options.Log sees every
// request, both kinds, after its response: vendor, method, path, status,
// duration, and never a query string, header or body.
//
// StartAdmin adds an admin endpoint on 127.0.0.1 (admin.go), behind a
// random bearer token, for driving a running sandbox from another process:
// counters, RevokeAll, lifetime, latency, OmitLoginState, FailNext.
//
// The sandbox's clock (Options.Clock) drives token, code and Blueprint
// date arithmetic, so tests can expire things without sleeping; latency is
// real time.
//
// # Files
//
// Vendor-neutral: sandbox.go (API, lifecycle, registry), serve.go
// (pipeline, off-spec routes, replies), validate.go (spec, routing, authentication,
// XML decoder), tokens.go (issue, check, single use, revocation),
// faults.go (FailNext, latency, counters), front.go (access log,
// ports), admin.go (the admin endpoint). One file per
// vendor: bss.go, blueprint.go, decisiv.go, ioffice.go (and loginpage.go,
// iOFFICE's browser login).
//
// # Adding a vendor
//
// Add its spec to specs/ and run make generate.
// Then write one file here that:
//
//   - in init, calls register(vendorDef{name, prefix, nonCredential,
//     options, build});
//   - implements the generated StrictServerInterface, returning a named
//     reply type (type xReply reply) that has the generated Visit methods;
//   - in build, wires it with NewStrictHandlerWithOptions (middleware
//     withRequest[xapi.StrictHandlerFunc], error handlers v.requestError and
//     v.responseError) and HandlerWithOptions (BaseURL = prefix), and
//     returns vendorParts: the handler, which operations are token
//     endpoints (by operationId) and how to name their grant, its error
//     shape if not OAuth JSON, default token lifetime, Env and secrets.
//
// Tokens come from v.tokens, the clock from v.now, lifetimes from
// v.tokenLifetime, token responses from v.tokenReply (which applies
// Options.Misbehave). A vendor with settings declares its own type in its file (AcmeOptions,
// with a Vendor method naming it: a VendorOptions), registers its zero
// value as vendorDef.options (Start refuses any other type for the
// vendor) and reads it with optionsOf[AcmeOptions]; nothing else changes.
package sandbox
