// Package contract is vendorkit's contract suite: it runs the vendor
// clients against a deployment (the embedded sandbox, or a vendor's live
// sandbox before a release) and checks that the vendor still behaves as
// its docs and specs/<vendor>.yaml say. It is how users learn that a
// vendor changed something, and how the specs stay true.
//
//	results := contract.Run(ctx, contract.Target{Vendor: "bss", Lookup: os.LookupEnv})
//	if contract.Failed(results) { ... }
//	contract.WriteJUnit(f, results)
//
// # What it checks
//
// Per vendor, in this order (Checks lists them; the names are stable).
// Everything a check needs comes from the vendor's descriptor
// (client/vendors): its grant, sample call and capabilities; checks are
// chosen by capability, never by vendor name.
//
//   - token: the client's Token succeeds with the documented grant
//     (Grant.Operations: BSS and Blueprint a password grant, Decisiv
//     client credentials, iOFFICE the headless authorization code), the
//     successful token requests are exactly those, and every
//     token-endpoint request and response is valid per the spec.
//   - resource: the descriptor's sample call through the typed client
//     answers 200, valid per the spec.
//   - forged-token: the same call with a random token that was never
//     issued, placed as the vendor wants, through a second client that
//     never re-authenticates or retries: 401.
//   - bearer-refused (a vendor with BearerRefused, as Decisiv): a call
//     through the client to an endpoint that refuses bearer-token
//     authentication fails with the vendor's error and the refusing
//     status, with no new token request and no retry. It needs such an
//     endpoint: Target.BearerRefusedPath or
//     VENDORKIT_<VENDOR>_BEARER_REFUSED_PATH; without one it is skipped.
//   - refresh-rotation (a vendor whose flow refreshes, as iOFFICE): a
//     refresh with the suite's own refresh token (forced through the
//     client's Source: Invalidate, then Token) returns a new refresh
//     token, the old one is refused afterwards (400 or 401, asked through
//     the vendor's own flow), and the new access token works.
//   - revoke (a vendor whose flow revokes, as iOFFICE): Revoke succeeds,
//     the revoked access token then gets 401 on the sample resource, and
//     a revoked refresh token is refused.
//   - lifetime: from the raw token response, expires_in is in the
//     documented unit (Grant.LifetimeUnit) and range (0, 1 year]; dates
//     the response carries (Grant.IssuedExpires: Blueprint's .issued and
//     .expires) differ by it ± 2 s; a value in milliseconds under 60000
//     (one minute) is taken for seconds (access tokens live minutes or
//     more); and the client's expiry agrees. A vendor that announces no
//     lifetime (Decisiv) passes with a note.
//
// Every exchange the clients make is recorded below their auth stack (the
// recorder is the base transport passed with client.WithHTTPClient, so the
// clients run unchanged), and each request and response on a path the spec
// describes is validated with kin-openapi's openapi3filter.ValidateRequest
// and ValidateResponse, routed by path under the deployment's prefix
// (specs.Router; BSS is served under /bsssmapi). Decisiv's XML is decoded
// by specs.XMLBodyDecoder, registered once (kin's registry is global).
// Responses with 429 or 5xx are the infrastructure's, not the API's, and
// are not validated.
//
// A failure says what was checked, what was expected, what came back and
// which spec operation it concerns:
//
//	HTTP 200 response does not match the spec: expected Content-Type
//	application/json, got Content-Type "text/html;charset=UTF-8", spec:
//	POST /oauth/token (requestToken)
//
// No password, client secret, code or token appears in a Result: the
// secrets of the target's variables and every credential seen on the wire
// are replaced by REDACTED, and text taken from the wire goes through
// auth.Scrub.
//
// # Drift
//
// RunDrift is Run plus what the deployment sent that the spec does not
// describe, in every response the checks received: properties the
// response schema lacks (with JSON type and shape), and undeclared
// headers, status codes and content types (see Drift). It is information,
// not a failure; WriteDriftPatch turns it into YAML to merge into the spec,
// WriteJUnitDrift into JUnit properties. Target.Spec checks against a spec
// being edited instead of the embedded one.
//
// # Running it
//
// go test ./contract/... runs the suite against the embedded sandbox.
// With VENDORKIT_CONTRACT=live it runs against the deployments named by
// the VENDORKIT_* variables instead:
//
//	export VENDORKIT_CONTRACT=live
//	export VENDORKIT_BSS_BASE_URL=https://my.interworkscloud.com/bsssmapi VENDORKIT_BSS_CLIENT_KEY=...
//	go test ./contract/ -run TestContract -v
//
// A vendor without its variables is skipped, naming the ones that would
// enable it (Missing). VENDORKIT_BSS_ACCOUNT_ID picks the BSS account read
// (default 1); VENDORKIT_CONTRACT_INSECURE_HTTP=1 allows a plain-http host
// (Decisiv's docs use one). The CLI runs the same checks:
// vendorkit contract --vendor all [--live] [--junit FILE].
//
// # What it never does
//
// It is safe against a shared deployment. It touches only tokens it
// obtained itself: it never revokes all tokens, never revokes or refreshes
// a token it did not get, and never writes to a resource (every resource
// call is a GET). The iOFFICE checks revoke the suite's own access token
// and, before Run returns, its own refresh tokens (best effort). A forged
// or revoked token is never sent through a redirect.
package contract
