package client

import (
	"context"
	"net/http"

	"github.com/vendorkit/vendorkit/auth"
)

// Session is the token-handling half of every vendor Client, which embeds
// it next to its generated ClientWithResponses: Token, Source, Do and
// Close. Stack.Start makes it; the vendor builds its generated client with
// Doer and Editors.
type Session struct {
	src       *auth.Source
	base      string
	doer      Doer
	editors   []Editor
	closeIdle func() // closes the idle connections of the transport the Stack made
}

// BaseURL is the client's validated base URL (no trailing slash).
func (s *Session) BaseURL() string { return s.base }

// Doer is the resource client the generated client must send with.
func (s *Session) Doer() Doer { return s.doer }

// Editors are the request editors every generated call must carry: the
// vendor's static headers, then the token placement.
func (s *Session) Editors() []Editor { return s.editors }

// Token returns the current access token, fetching one if needed (cached,
// refreshed early in the background, single-flight).
func (s *Session) Token(ctx context.Context) (*auth.Token, error) { return s.src.Token(ctx) }

// Source is the client's token source (stats, Invalidate, Put, Revoke,
// the golang.org/x/oauth2 adapter).
func (s *Session) Source() *auth.Source { return s.src }

// Close stops background token refreshes and in-flight fetches, waits for
// them, and closes the idle connections of the transport the client made
// (not those of a transport given with WithHTTPClient), so no goroutine of
// the client outlives it.
func (s *Session) Close() error {
	err := s.src.Close()
	if s.closeIdle != nil {
		s.closeIdle()
	}
	return err
}

// Scrub removes the client's credentials and the tokens it holds, in every
// encoding a server might echo them in, and the well-known credential
// shapes from text: for response bodies and other server text an
// application logs or prints.
func (s *Session) Scrub(text string) string { return s.src.Scrub(text) }

// Do sends req through the client's stack, for requests the generated
// client has no operation for: the vendor's static headers (unless req
// sets them), the token where the vendor wants it, one re-auth, safe
// retries. A relative req.URL is resolved under BaseURL; an absolute one
// must be on BaseURL's origin (else ErrForeignOrigin: the token is never
// sent elsewhere). req is not modified.
func (s *Session) Do(ctx context.Context, req *http.Request) (*http.Response, error) {
	return Do(ctx, s.base, s.doer, req, s.editors...)
}
