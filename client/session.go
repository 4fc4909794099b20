package client

import (
	"context"
	"net/http"

	"github.com/vendorkit/vendorkit/auth"
)

// Session is what every vendor Client offers besides its typed operations:
// each embeds one next to its generated ClientWithResponses. All methods
// are safe for concurrent use.
type Session interface {
	// Token returns a valid access token, fetching one only when needed
	// (cached, refreshed early in the background, one fetch at a time).
	// The *auth.Token is shared: treat it as read-only.
	Token(ctx context.Context) (*auth.Token, error)

	// HTTPClient returns the client's authorized *http.Client. A request
	// to the base URL's origin gets the vendor's static headers it lacks
	// (BSS's X-Api-Version…), the token where the vendor wants it, and
	// one re-authenticated retry on a re-auth status; transient failures
	// are retried safely. A request to any other origin carries no
	// credential (redirects included). Use it for endpoints the shipped
	// spec lacks: your own oapi-codegen client, a hand-written request, or
	// any library that takes an *http.Client. Like net/http's, it has no
	// timeout: bound calls with their contexts.
	HTTPClient() *http.Client

	// Do sends req with HTTPClient, bound to ctx, without modifying req. A
	// relative req.URL ("/api/accounts/1?x=y") is resolved under BaseURL,
	// path prefix included, its escapes kept ("a%2Fb" stays one segment);
	// an absolute one must be on BaseURL's origin, else the error wraps
	// ErrForeignOrigin and nothing is sent. The URL net/http's *url.Error
	// quotes (a redirect's, chosen by the server) is scrubbed (Scrub).
	Do(ctx context.Context, req *http.Request) (*http.Response, error)

	// Source is the client's token source: Stats, Invalidate, Put, Revoke,
	// and the golang.org/x/oauth2 adapter (OAuth2), whose limits its doc
	// states.
	Source() *auth.Source

	// BaseURL is the client's validated base URL (no trailing slash).
	BaseURL() string

	// Scrub removes the client's credentials and the tokens it holds, in
	// every encoding a server might echo them in, and the well-known
	// credential shapes, from text: for response bodies and other server
	// text an application logs or prints.
	Scrub(text string) string

	// Close stops background refreshes and in-flight token fetches, waits
	// for them, and closes the idle connections of the transport the
	// client made (not those of one given with WithHTTPClient): no
	// goroutine of the client outlives it.
	Close() error
}
