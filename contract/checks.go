package contract

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client/decisiv"
	"github.com/vendorkit/vendorkit/specs"
)

// noClient is the skip of a check that needs the client when there is none.
func (r *runner) noClient(op string) (Result, bool) {
	if r.c == nil {
		return skip(op, "skipped: no client (see the token check)"), true
	}
	return Result{}, false
}

// noToken is the skip of a check that needs the token check's token.
func (r *runner) noToken(op string) (Result, bool) {
	if res, ok := r.noClient(op); ok {
		return res, true
	}
	if r.token == nil {
		return skip(op, "skipped: the token check obtained no access token"), true
	}
	return Result{}, false
}

// checkToken: the client's Token succeeds with the documented grant, and
// every token-endpoint exchange it made matches the spec.
func (r *runner) checkToken(ctx context.Context) Result {
	op := r.label(r.d.tokenOp)
	if r.openErr != nil {
		return failure(op, "client configuration", "a configuration the client accepts", errString(r.openErr))
	}
	mark := r.rec.mark()
	before := r.now()
	tok, err := r.c.Token(ctx)
	after := r.now()
	exs := r.rec.since(mark)
	if err == nil {
		r.token, r.tokenBefore, r.tokenAfter = tok, before, after
		r.tokenEx = r.lastOK(exs, r.d.tokenOp)
	}
	if res := r.validateAll(ctx, exs); res != nil {
		return withClientError(*res, err)
	}
	if err != nil {
		return failure(op, "token request", "an access token from the "+r.d.grantName, errString(err))
	}
	if got := r.okOps(exs, r.d.tokenOps); !slices.Equal(got, r.d.grant) {
		return failure(op, "documented grant", r.labels(r.d.grant), r.labels(got))
	}
	if r.tokenEx == nil {
		return failure(op, "token response", "a successful response of "+op, "none recorded")
	}
	return pass(op, r.d.grantName+"; every token-endpoint response valid")
}

// labels joins operations' labels: "A then B", or "no token request".
func (r *runner) labels(ops []string) string {
	if len(ops) == 0 {
		return "no successful token request"
	}
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = r.label(op)
	}
	return strings.Join(out, " then ")
}

// checkResource: the typed sample call answers 200 and matches the spec.
func (r *runner) checkResource(ctx context.Context) Result {
	op := r.label(r.d.resourceOp)
	if res, ok := r.noClient(op); ok {
		return res
	}
	if r.accountErr != nil {
		return failure(op, "account id", "an integer in "+EnvBSSAccountID, "a value that is not one")
	}
	mark := r.rec.mark()
	status, err := r.d.sample(ctx, r)
	exs := r.rec.since(mark)
	if res := r.validateAll(ctx, exs); res != nil {
		return withClientError(*res, err)
	}
	if err != nil {
		return failure(op, "typed call", "HTTP 200", errString(err))
	}
	if status != http.StatusOK {
		return failure(op, "typed call", "HTTP 200", statusOf(status, exs))
	}
	return pass(op, "HTTP 200 through the typed client; response valid")
}

// checkForgedToken: the sample call with a token that was never issued,
// placed as the vendor wants, with no token handling: 401.
func (r *runner) checkForgedToken(ctx context.Context) Result {
	op := r.label(r.d.resourceOp)
	if r.openErr != nil {
		return skip(op, "skipped: no valid configuration (see the token check)")
	}
	if r.accountErr != nil {
		return failure(op, "account id", "an integer in "+EnvBSSAccountID, "a value that is not one")
	}
	forged := forgedToken()
	r.secrets = append(r.secrets, forged)
	mark := r.rec.mark()
	status, err := r.d.forge(ctx, r, forged)
	exs := r.rec.since(mark)
	if res := r.validateAll(ctx, exs); res != nil {
		return *res
	}
	if err != nil {
		return failure(op, "call with a token that was never issued", "HTTP 401", errString(err))
	}
	if status != http.StatusUnauthorized {
		return failure(op, "call with a token that was never issued", "HTTP 401", statusOf(status, exs))
	}
	return pass(op, "HTTP 401 for a token that was never issued")
}

// bearerRefusedPath is Target.BearerRefusedPath, else the variable.
func (r *runner) bearerRefusedPath() string {
	if r.t.BearerRefusedPath != "" {
		return r.t.BearerRefusedPath
	}
	v, _ := r.t.Lookup(EnvBearerRefusedPath)
	return strings.TrimSpace(v)
}

// checkBearerRefused (Decisiv): an endpoint that does not take bearer
// tokens answers 403, which the client reports as ErrBearerNotSupported
// without fetching a new token or retrying.
func (r *runner) checkBearerRefused(ctx context.Context) Result {
	path := r.bearerRefusedPath()
	if path == "" {
		return skip("", "skipped: no endpoint refusing bearer-token authentication is configured; set "+
			EnvBearerRefusedPath+" to its path (HTTP 403 expected) to run this check")
	}
	op := "GET " + path + " (not in the spec)"
	if r.router != nil {
		abs := path
		if !strings.Contains(path, "://") {
			abs = r.base + "/" + strings.TrimPrefix(path, "/")
		}
		if u, err := http.NewRequest(http.MethodGet, abs, nil); err == nil {
			if route, _, err := r.router.FindRoute(u); err == nil {
				op = specs.RouteLabel(route)
			}
		}
	}
	if res, ok := r.noToken(op); ok {
		return res
	}
	if _, err := r.c.Token(ctx); err != nil {
		return failure(op, "a token before the call", "an access token", errString(err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, path, nil)
	if err != nil {
		return failure(op, "endpoint path", "a path under the base URL in "+EnvBearerRefusedPath, "a value that does not parse")
	}
	mark := r.rec.mark()
	resp, err := r.c.Do(ctx, req)
	drainClose(resp)
	exs := r.rec.since(mark)
	if res := r.validateAll(ctx, exs); res != nil {
		return withClientError(*res, err)
	}
	what := "call to an endpoint that refuses bearer-token authentication"
	tokenReqs := r.countOps(exs, r.d.tokenOps...)
	calls := len(exs) - tokenReqs
	var ae *auth.Error
	switch {
	case err == nil:
		return failure(op, what, "HTTP 403 reported as decisiv.ErrBearerNotSupported", statusOf(resp.StatusCode, exs))
	case !errors.Is(err, decisiv.ErrBearerNotSupported):
		return failure(op, what, "HTTP 403 reported as decisiv.ErrBearerNotSupported", errString(err))
	case !errors.As(err, &ae) || ae.StatusCode != http.StatusForbidden:
		return failure(op, what, "an *auth.Error with status 403", errString(err))
	case tokenReqs > 0:
		return failure(op, what, "no new token request (a 403 is not a token problem)", fmt.Sprintf("%d token requests", tokenReqs))
	case calls != 1:
		return failure(op, what, "exactly one request (no retry)", fmt.Sprintf("%d requests", calls))
	}
	return pass(op, "HTTP 403 → decisiv.ErrBearerNotSupported; no new token request, no retry")
}

// checkRefreshRotation (iOFFICE): a refresh with the suite's own refresh
// token returns a new refresh token, the old one is refused afterwards,
// and the refreshed access token works.
func (r *runner) checkRefreshRotation(ctx context.Context) Result {
	op := r.label("requestToken")
	if res, ok := r.noToken(op); ok {
		return res
	}
	t1, err := r.c.Token(ctx)
	if err != nil {
		return failure(op, "a token before the refresh", "an access token", errString(err))
	}
	old := t1.RefreshToken
	if old == "" {
		return failure(op, "token response", "a refresh_token", "none")
	}
	// Force a refresh of exactly the suite's own token.
	mark := r.rec.mark()
	r.c.Source().Invalidate(t1.AccessToken)
	t2, err := r.c.Token(ctx)
	exs := r.rec.since(mark)
	var refresh *exchange
	for _, ex := range exs {
		if ex.err == nil && r.opOf(ex) == "requestToken" && ex.reqHeader.Get("X-Grant-Type") == "refresh_token" {
			refresh = ex
			break
		}
	}
	if res := r.validateAll(ctx, exs); res != nil {
		return withClientError(*res, err)
	}
	what := "refresh with the suite's own refresh token"
	switch {
	case refresh == nil && err != nil:
		return failure(op, what, "a POST with x-grant-type refresh_token answered HTTP 200", errString(err))
	case refresh == nil:
		return failure(op, what, "a POST with x-grant-type refresh_token", "no refresh request (the client logged in again)")
	case refresh.status != http.StatusOK:
		return withClientError(failure(op, what, "HTTP 200", statusOf(refresh.status, []*exchange{refresh})), err)
	case err != nil:
		return failure(op, what, "a refreshed access token", errString(err))
	}
	rotated := bodyField(refresh.respBody, "refresh_token")
	switch {
	case rotated == "":
		return failure(op, "refresh response", "a new refresh_token", "none")
	case rotated == old:
		return failure(op, "refresh-token rotation",
			`a new refresh token (the docs: a refresh returns "a brand new token and another refresh token")`,
			"the same refresh token back")
	}
	r.cleanup = append(r.cleanup, rotated)

	// The rotated-away refresh token must now be refused.
	refused, res := r.expectRefreshRefused(ctx, op, "rotated-away", "old", old)
	if res != nil {
		return *res
	}

	// The refreshed access token works.
	if t2.AccessToken == t1.AccessToken {
		return failure(op, "refreshed access token", "a new access token", "the same access token back")
	}
	resOp := r.label(r.d.resourceOp)
	mark = r.rec.mark()
	status, err := r.d.sample(ctx, r)
	exs = r.rec.since(mark)
	if res := r.validateAll(ctx, exs); res != nil {
		return withClientError(*res, err)
	}
	if err != nil {
		return failure(resOp, "call with the refreshed access token", "HTTP 200", errString(err))
	}
	if status != http.StatusOK {
		return failure(resOp, "call with the refreshed access token", "HTTP 200", statusOf(status, exs))
	}
	return pass(op, fmt.Sprintf("the refresh returned a new refresh token; the old one is now refused (HTTP %d); the new access token works", refused))
}

// expectRefreshRefused asks the token endpoint to refresh with rt (the
// kind of refresh token: "rotated-away", "revoked"; short: "old",
// "revoked") and expects a refusal. It returns the refusing status, or the
// failure. Tokens a wrongly accepting server issues are the suite's own:
// they are revoked at cleanup.
func (r *runner) expectRefreshRefused(ctx context.Context, op, kind, short, rt string) (int, *Result) {
	mark := r.rec.mark()
	status, err := r.iofficeRefresh(ctx, rt)
	exs := r.rec.since(mark)
	if status == http.StatusOK && len(exs) > 0 {
		last := exs[len(exs)-1]
		r.cleanup = append(r.cleanup, bodyField(last.respBody, "access_token"), bodyField(last.respBody, "refresh_token"))
	}
	if res := r.validateAll(ctx, exs); res != nil {
		return 0, res
	}
	what, want := "refresh with the "+kind+" refresh token", "HTTP 400 or 401 (refused)"
	var f Result
	switch {
	case err != nil:
		f = failure(op, what, want, errString(err))
	case status == http.StatusOK:
		f = failure(op, what, want, "HTTP 200: the "+short+" refresh token still works")
	case status != http.StatusBadRequest && status != http.StatusUnauthorized:
		f = failure(op, what, want, statusOf(status, exs))
	default:
		return status, nil
	}
	return 0, &f
}

// revoker is a client whose flow can revoke (iOFFICE).
type revoker interface {
	Revoke(ctx context.Context) error
}

// checkRevoke (iOFFICE): Revoke succeeds with one x-token POST per token,
// the revoked access token then gets 401 on the sample resource, and the
// revoked refresh token is refused by the token endpoint.
func (r *runner) checkRevoke(ctx context.Context) Result {
	op := r.label("revokeToken")
	if res, ok := r.noToken(op); ok {
		return res
	}
	rv, ok := r.c.(revoker)
	if !ok {
		return failure(op, "revoke", "a client that can revoke", fmt.Sprintf("%T", r.c))
	}
	tok, err := r.c.Token(ctx)
	if err != nil {
		return failure(op, "a token before the revoke", "an access token", errString(err))
	}
	if tok.RefreshToken != "" {
		r.cleanup = append(r.cleanup, tok.RefreshToken)
	}
	mark := r.rec.mark()
	err = rv.Revoke(ctx)
	exs := r.rec.since(mark)
	if res := r.validateAll(ctx, exs); res != nil {
		return withClientError(*res, err)
	}
	if err != nil {
		return failure(op, "revoke of the suite's own access token", "HTTP 200", errString(err))
	}
	want := 1 // the access token, then the refresh token if there is one
	if tok.RefreshToken != "" {
		want = 2
	}
	if n := len(r.okOps(exs, []string{"revokeToken"})); n != want {
		return failure(op, "revoke of the suite's own tokens", fmt.Sprintf("%d successful POSTs with x-token (access, refresh token)", want), fmt.Sprintf("%d", n))
	}

	resOp := r.label(r.d.resourceOp)
	mark = r.rec.mark()
	status, err := r.d.forge(ctx, r, tok.AccessToken)
	exs = r.rec.since(mark)
	if res := r.validateAll(ctx, exs); res != nil {
		return *res
	}
	what := "call with the revoked access token"
	switch {
	case err != nil:
		return failure(resOp, what, "HTTP 401", errString(err))
	case status == http.StatusOK:
		return failure(resOp, what, "HTTP 401", "HTTP 200: the revoked token still works")
	case status != http.StatusUnauthorized:
		return failure(resOp, what, "HTTP 401", statusOf(status, exs))
	}
	if tok.RefreshToken == "" {
		return pass(op, "revoked with x-token; the revoked access token now gets HTTP 401")
	}

	// The revoked refresh token must not mint new tokens either.
	refused, res := r.expectRefreshRefused(ctx, r.label("requestToken"), "revoked", "revoked", tok.RefreshToken)
	if res != nil {
		return *res
	}
	return pass(op, fmt.Sprintf("revoked access and refresh token with x-token; the access token now gets HTTP 401, the refresh token HTTP %d", refused))
}

// Lifetime bounds.
const (
	maxLifetime = 365 * 24 * time.Hour
	// minIOfficeMillis is the unit heuristic: iOFFICE announces
	// milliseconds, and access tokens live minutes or more, so a value
	// under one minute's worth (60000) is taken for seconds.
	minIOfficeMillis = 60_000
	// dateSlack is how far Blueprint's .expires − .issued (whole seconds)
	// and the client's expiry may be from expires_in.
	dateSlack = 2 * time.Second
)

// checkLifetime: the announced lifetime, from the raw token response, is
// in the documented unit and range, and the client's expiry agrees.
func (r *runner) checkLifetime(_ context.Context) Result {
	op := r.label(r.d.tokenOp)
	if r.tokenEx == nil {
		return skip(op, "skipped: no token response to read (see the token check)")
	}
	body := r.tokenEx.respBody
	if r.d.unit == 0 {
		return pass(op, "no lifetime announced, as documented: the token is kept until a 401")
	}
	unitName := map[time.Duration]string{time.Second: "seconds", time.Millisecond: "milliseconds"}[r.d.unit]
	n, ok := bodyInt(body, "expires_in")
	if !ok {
		return failure(op, "token lifetime", "expires_in, an integer in "+unitName, "no integer expires_in in the token response")
	}
	life := time.Duration(n) * r.d.unit
	if r.d.unit == time.Millisecond && n < minIOfficeMillis && n > 0 {
		return failure(op, "token lifetime unit",
			fmt.Sprintf("expires_in in milliseconds, at least %d (one minute)", minIOfficeMillis),
			fmt.Sprintf("expires_in %d, which as milliseconds is %v: this looks like seconds (heuristic: access tokens live minutes or more, so under %d ms is taken for the wrong unit)",
				n, life, minIOfficeMillis))
	}
	if n <= 0 || life > maxLifetime {
		return failure(op, "token lifetime",
			fmt.Sprintf("expires_in in %s within (0, %d] (one year)", unitName, int64(maxLifetime/r.d.unit)),
			fmt.Sprintf("expires_in %d", n))
	}
	if r.d.name == "blueprint" {
		issued, ierr := http.ParseTime(bodyField(body, ".issued"))
		expires, eerr := http.ParseTime(bodyField(body, ".expires"))
		if ierr != nil || eerr != nil {
			return failure(op, "token dates", ".issued and .expires as RFC 1123 dates", "missing or unparseable dates")
		}
		if d := expires.Sub(issued); d < life-dateSlack || d > life+dateSlack {
			return failure(op, "token dates",
				fmt.Sprintf(".expires − .issued = expires_in (%v) ± %v", life, dateSlack),
				fmt.Sprintf(".expires − .issued = %v", d))
		}
	}
	if exp := r.token.Expiry; !exp.IsZero() {
		lo, hi := r.tokenBefore.Add(life-dateSlack), r.tokenAfter.Add(life+dateSlack)
		if exp.Before(lo) || exp.After(hi) {
			return failure(op, "the client's reading of expires_in",
				fmt.Sprintf("an expiry %v after the token request (expires_in %d %s)", life, n, unitName),
				fmt.Sprintf("an expiry %v after it", exp.Sub(r.tokenBefore).Round(time.Millisecond)))
		}
	} else {
		return failure(op, "the client's reading of expires_in", fmt.Sprintf("an expiry %v after the token request", life), "no expiry")
	}
	return pass(op, fmt.Sprintf("expires_in %d %s (%v); the client's expiry agrees", n, unitName, life))
}
