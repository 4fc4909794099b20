// Package auth is vendorkit's vendor-neutral token machinery. Applications
// meet it through a vendor client (client/bss, client/ioffice, ...): its
// Source, its typed errors, its token stores. It can also carry a flow of
// your own.
//
// # What a caller gets
//
// A Flow runs a vendor's grant; Refresher and Revoker are optional
// capabilities found by type assertion. A Source hands out its tokens:
//
//   - Token returns a valid token. A fresh one costs one atomic load and
//     no lock, no allocation, no I/O. Callers that find none share one
//     fetch, each bounded by its own context; one cancelled caller never
//     cancels the fetch for the others. A token near its expiry is
//     returned at once while one background refresh replaces it.
//   - Invalidate(t) is compare-and-invalidate: a storm of 401s for the
//     same token causes one fetch.
//   - A refresh with a rotated refresh token is saved to the Store before
//     any caller gets the new access token. A rejected refresh token falls
//     back to the primary grant, or fails with ErrReloginRequired when the
//     flow cannot run one.
//   - A Store keyed by Identity may be shared by many clients and, with
//     auth/filestore or auth/redisstore, by many processes: when it is a
//     Leaser, processes make one token request per expiry between them. A
//     failing store never fails a call.
//   - Revoke revokes what the Source holds and clears the Store; Close
//     stops everything the Source started and waits for it.
//   - No lock is ever held across a token request, a revoke request or a
//     store call: a dead endpoint delays only the callers that need it,
//     each until its own deadline (FetchTimeout bounds every fetch, Put
//     and revoke).
//
// NewHTTPClient returns the *http.Client that authorizes requests to one
// origin: static headers, the token at its Placement, one re-authenticated
// retry on a re-auth status, safe retries of transient failures with a
// capped Retry-After and a budget, credentials stripped when a redirect
// leaves the origin (or redirects refused, for token endpoints), plain
// http to a non-loopback host refused for every request that would carry
// a credential. Requests to other origins carry no credential.
//
// The errors this package and the vendor flows build are *Error
// (errors.As: Vendor, Op, StatusCode, OAuth Code and Description,
// Retryable, RetryAfter, a scrubbed Body excerpt), matched with errors.Is
// against the sentinels: ErrInvalidCredentials, ErrInvalidGrant,
// ErrReloginRequired, ErrUnauthorized (still rejected after the re-auth),
// ErrTokenEndpointUnavailable, ErrMalformedResponse, ErrResponseTooLarge,
// ErrUnexpectedRedirect, ErrInsecureTransport, ErrNotSupported (Revoke
// without a Revoker) and ErrClosed (a fetch after Close). Two errors are
// not *Error: a caller whose own context ends gets ctx.Err(), and a
// resource request that fails in the network (a reset, a refused
// connection, after the retries) gets net/http's *url.Error around the
// cause, as from any http.Client. Through an http.Client (HTTPClient, the
// generated clients) every error arrives wrapped in a *url.Error;
// errors.As and errors.Is see through it.
//
// No secret ever appears in an error, under any fmt verb, or in a log
// line: bodies are scrubbed of the client's credentials in every encoding
// a server might echo (Secrets) before they are cut, URLs are redacted
// (RedactURL), and a Token prints redacted.
//
// # What a caller must do
//
//   - Treat a *Token from a Source as read-only: it is shared.
//   - Bound resource calls with their contexts: like net/http, the client
//     has no timeout of its own.
//   - Call Close when done with a Source or a client.
//   - A Flow computes expiry in its vendor's unit (TokenFields.Token with
//     the unit of expires_in, or ExpiresIn for a lifetime it converted
//     itself) and returns *Error values built from the token endpoint's
//     answer (ReadTokenResponse, ParseTokenFields); a Flow that cannot run
//     its grant any more wraps ErrReloginRequired.
//
// DESIGN.md in the repository explains the data paths and the locks.
package auth
