package auth

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/vendorkit/vendorkit/internal/origin"
)

// checkRedirect is the CheckRedirect of an authorizing client. A hop to
// the authorized origin is authorized again by RoundTrip. A hop that
// leaves the original origin (scheme, host, port: subdomains too, which
// net/http trusts) loses every header the caller set whose name is a
// credential's (IsCredentialName: Authorization, Cookie, X-Api-Key, a
// vendor's token header...), what net/http strips on a hop to another
// domain, Referer (net/http puts the previous URL there, query included),
// and the placement's header or query parameter. A hop whose URL holds a
// credential (a server that echoes the request's URL, token included, into
// a "return to" parameter) is not followed: no stripping takes it out of
// there. The token RoundTrip places is on a copy of the request: net/http
// builds each hop from the caller's.
func (t *transport) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("vendorkit: stopped after %d redirects", maxRedirects)
	}
	orig := via[0]
	if origin.Same(orig.URL, req.URL) {
		return nil
	}
	for name := range req.Header {
		if IsCredentialName(name) {
			delete(req.Header, name)
		}
	}
	for _, name := range strippedOnRedirect {
		req.Header.Del(name)
	}
	t.opts.Placement.remove(req)
	if t.holdsCredential(req.URL, orig) {
		status := 0
		if req.Response != nil {
			status = req.Response.StatusCode
		}
		e := redirectError(t.opts.Vendor, OpRequest, status, req.URL)
		e.Err = fmt.Errorf("%w to %s (not followed: its URL holds a credential)", ErrUnexpectedRedirect, origin.Of(req.URL))
		return e
	}
	if t.debug() {
		t.opts.Logger.Debug("vendorkit: credentials stripped on cross-origin redirect",
			"vendor", t.opts.Vendor, "from", t.logURL(orig.URL), "to", t.logURL(req.URL))
	}
	return nil
}

// holdsCredential reports whether u holds, in any encoding Secrets knows,
// a secret of this client (its Secrets, its Source's tokens) or a value of
// a credential-named header or query parameter the caller put in orig.
func (t *transport) holdsCredential(u *url.URL, orig *http.Request) bool {
	var own []string
	for name, vs := range orig.Header {
		if IsCredentialName(name) {
			own = append(own, vs...)
		}
	}
	for name, vs := range orig.URL.Query() {
		if IsCredentialName(name) {
			own = append(own, vs...)
		}
	}
	s := u.String()
	return t.secrets("").With(own...).replace(s) != s
}

// strippedOnRedirect are the headers a hop that leaves the origin loses
// besides the credential-named ones: those of net/http's list that
// IsCredentialName does not cover, and Referer.
var strippedOnRedirect = []string{"Www-Authenticate", "Proxy-Authenticate", "Referer"}

// logURL is u for a log line: redacted and scrubbed of the client's
// secrets (a server may echo a token into a Location).
func (t *transport) logURL(u *url.URL) string { return t.secrets("").Scrub(RedactURL(u)) }

// refuseRedirect is the CheckRedirect of a RefuseRedirects client.
func (t *transport) refuseRedirect(req *http.Request, _ []*http.Request) error {
	status := 0
	if req.Response != nil {
		status = req.Response.StatusCode
	}
	return redirectError(t.opts.Vendor, OpRequest, status, req.URL)
}

// redirectError is the *Error of a redirect that a credential-carrying
// request must not follow: it wraps ErrUnexpectedRedirect and names the
// status and the origin of location (nil: none given), never its path or
// query (they may carry a code or a token).
func redirectError(vendor string, op Op, status int, location *url.URL) *Error {
	to := "no Location"
	if location != nil && location.Host != "" {
		to = origin.Of(location).String()
	} else if location != nil {
		to = "a relative Location"
	}
	return &Error{Vendor: vendor, Op: op, StatusCode: status,
		Err: fmt.Errorf("%w to %s (not followed: the request carries credentials)", ErrUnexpectedRedirect, to)}
}
