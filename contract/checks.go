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
	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/specs"
)

// Every check works from the vendor's descriptor (client/vendors) and the
// capabilities of its flow; none knows a vendor by name.

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
	g := r.d.Grant
	op := r.label(g.TokenOperation)
	if r.specErr != nil {
		return failure(op, "the spec", "an OpenAPI spec the suite can check against", errString(r.specErr))
	}
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
		r.tokenEx = r.lastOK(exs, g.TokenOperation)
	}
	if res := r.validateAll(ctx, exs); res != nil {
		return withClientError(*res, err)
	}
	if err != nil {
		return failure(op, "token request", "an access token from the "+g.Description, errString(err))
	}
	if got := r.okOps(exs, r.tokenOps); !slices.Equal(got, g.Operations) {
		return failure(op, "documented grant", r.labels(g.Operations), r.labels(got))
	}
	if r.tokenEx == nil {
		return failure(op, "token response", "a successful response of "+op, "none recorded")
	}
	return pass(op, g.Description+"; every token-endpoint response valid")
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

// sample makes the descriptor's sample call through c.
func (r *runner) sample(ctx context.Context, c client.Session) (int, error) {
	status, _, err := r.d.Sample(ctx, c, r.t.Lookup)
	return status, err
}

// checkResource: the typed sample call answers 200 and matches the spec.
func (r *runner) checkResource(ctx context.Context) Result {
	op := r.label(r.d.SampleOperation)
	if res, ok := r.noClient(op); ok {
		return res
	}
	mark := r.rec.mark()
	status, err := r.sample(ctx, r.c)
	exs := r.rec.since(mark)
	if res := r.validateAll(ctx, exs); res != nil {
		return withClientError(*res, err)
	}
	if err != nil {
		return failure(op, "typed call", "HTTP 200", errString(err))
	}
	if status != http.StatusOK {
		return failure(op, "typed call", "HTTP 200", r.statusOf(status, exs))
	}
	return pass(op, "HTTP 200 through the typed client; response valid")
}

// forge makes the sample call carrying token, placed as the vendor wants,
// with no token handling: a second client whose only token is token (in a
// store of its own), that never re-authenticates or retries.
func (r *runner) forge(ctx context.Context, token string) (int, error) {
	opts := append(slices.Clone(r.opts),
		client.WithTokenStore(auth.NewMemoryStore()), client.WithReauthStatuses(), client.WithRetry(0, 0, 0))
	c, err := r.d.Open(r.t.Lookup, opts...)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.Source().Put(ctx, &auth.Token{AccessToken: token, TokenType: "Bearer", Expiry: r.now().Add(time.Hour)}); err != nil {
		return 0, err
	}
	return r.sample(ctx, c)
}

// checkForgedToken: the sample call with a token that was never issued,
// placed as the vendor wants, with no token handling: 401.
func (r *runner) checkForgedToken(ctx context.Context) Result {
	op := r.label(r.d.SampleOperation)
	if r.openErr != nil {
		return skip(op, "skipped: no valid configuration (see the token check)")
	}
	forged := forgedToken()
	r.secrets = append(r.secrets, forged)
	mark := r.rec.mark()
	status, err := r.forge(ctx, forged)
	exs := r.rec.since(mark)
	if res := r.validateAll(ctx, exs); res != nil {
		return *res
	}
	if err != nil {
		return failure(op, "call with a token that was never issued", "HTTP 401", errString(err))
	}
	if status != http.StatusUnauthorized {
		return failure(op, "call with a token that was never issued", "HTTP 401", r.statusOf(status, exs))
	}
	return pass(op, "HTTP 401 for a token that was never issued")
}

// bearerRefusedPath is Target.BearerRefusedPath, else the variable.
func (r *runner) bearerRefusedPath() string {
	if r.t.BearerRefusedPath != "" {
		return r.t.BearerRefusedPath
	}
	v, _ := r.t.Lookup(envName(r.d.Name, BearerRefusedPathField))
	return strings.TrimSpace(v)
}

// checkBearerRefused: an endpoint that does not take bearer tokens answers
// with a status that is not a token problem, which the client reports as
// the vendor's error (its descriptor's BearerRefused) without fetching a
// new token or retrying.
func (r *runner) checkBearerRefused(ctx context.Context) Result {
	path := r.bearerRefusedPath()
	variable := envName(r.d.Name, BearerRefusedPathField)
	if path == "" {
		return skip("", "skipped: no endpoint refusing bearer-token authentication is configured; set "+
			variable+" to its path to run this check")
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
		return failure(op, "endpoint path", "a path under the base URL in "+variable, "a value that does not parse")
	}
	mark := r.rec.mark()
	resp, err := r.c.Do(ctx, req)
	drainClose(resp)
	exs := r.rec.since(mark)
	if res := r.validateAll(ctx, exs); res != nil {
		return withClientError(*res, err)
	}
	what := "call to an endpoint that refuses bearer-token authentication"
	want := "an error wrapping " + r.d.BearerRefused.Error()
	tokenReqs := r.countOps(exs, r.tokenOps...)
	calls := len(exs) - tokenReqs
	var ae *auth.Error
	switch {
	case err == nil:
		return failure(op, what, want, r.statusOf(resp.StatusCode, exs))
	case !errors.Is(err, r.d.BearerRefused):
		return failure(op, what, want, errString(err))
	case !errors.As(err, &ae) || ae.StatusCode < 400:
		return failure(op, what, "an *auth.Error with the refusing status", errString(err))
	case tokenReqs > 0:
		return failure(op, what, "no new token request (the refusal is not a token problem)", fmt.Sprintf("%d token requests", tokenReqs))
	case calls != 1:
		return failure(op, what, "exactly one request (no retry)", fmt.Sprintf("%d requests", calls))
	}
	return pass(op, fmt.Sprintf("HTTP %d → %s; no new token request, no retry", ae.StatusCode, r.d.BearerRefused.Error()))
}

// refreshWith asks the token endpoint, through the vendor's own flow, to
// redeem refreshToken, and returns the status the endpoint answered (200
// when it accepted). Tokens a wrongly accepting server issues are the
// suite's own: they are revoked at cleanup.
func (r *runner) refreshWith(ctx context.Context, refreshToken string) (int, error) {
	rf, ok := r.flow().(auth.Refresher)
	if !ok {
		return 0, errors.New("the vendor's flow does not refresh")
	}
	t, err := rf.Refresh(ctx, &auth.Token{RefreshToken: refreshToken})
	if err == nil {
		r.cleanup = append(r.cleanup, t.AccessToken, t.RefreshToken)
		return http.StatusOK, nil
	}
	var ae *auth.Error
	if errors.As(err, &ae) && ae.StatusCode != 0 {
		return ae.StatusCode, nil
	}
	return 0, err
}

// checkRefreshRotation (a vendor whose flow refreshes): a refresh with the
// suite's own refresh token returns a new refresh token, the old one is
// refused afterwards, and the refreshed access token works.
func (r *runner) checkRefreshRotation(ctx context.Context) Result {
	op := r.label(r.d.Grant.TokenOperation)
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
	before := r.c.Source().Stats()
	mark := r.rec.mark()
	r.c.Source().Invalidate(t1.AccessToken)
	t2, err := r.c.Token(ctx)
	exs := r.rec.since(mark)
	after := r.c.Source().Stats()
	refresh := r.lastOK(exs, r.d.Grant.TokenOperation)
	if res := r.validateAll(ctx, exs); res != nil {
		return withClientError(*res, err)
	}
	what := "refresh with the suite's own refresh token"
	switch {
	case after.Refreshes == before.Refreshes:
		return failure(op, what, "a refresh request", "none")
	case after.Fetches != before.Fetches && err == nil:
		return failure(op, what, "the refresh token accepted", "the client logged in again (the refresh was refused: "+r.statusOf(lastStatus(exs), exs)+")")
	case err != nil:
		return failure(op, what, "a refreshed access token", errString(err))
	case refresh == nil:
		return failure(op, what, "a successful response of "+op, "none recorded")
	}
	rotated := bodyField(refresh.respBody, "refresh_token")
	switch {
	case rotated == "":
		return failure(op, "refresh response", "a new refresh_token", "none")
	case rotated == old:
		return failure(op, "refresh-token rotation", "a new refresh token, the old one retired", "the same refresh token back")
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
	resOp := r.label(r.d.SampleOperation)
	mark = r.rec.mark()
	status, err := r.sample(ctx, r.c)
	exs = r.rec.since(mark)
	if res := r.validateAll(ctx, exs); res != nil {
		return withClientError(*res, err)
	}
	if err != nil {
		return failure(resOp, "call with the refreshed access token", "HTTP 200", errString(err))
	}
	if status != http.StatusOK {
		return failure(resOp, "call with the refreshed access token", "HTTP 200", r.statusOf(status, exs))
	}
	return pass(op, fmt.Sprintf("the refresh returned a new refresh token; the old one is now refused (HTTP %d); the new access token works", refused))
}

// lastStatus is the status of the last exchange of exs (0: none).
func lastStatus(exs []*exchange) int {
	if len(exs) == 0 {
		return 0
	}
	return exs[len(exs)-1].status
}

// expectRefreshRefused asks the token endpoint to refresh with rt (the
// kind of refresh token: "rotated-away", "revoked"; short: "old",
// "revoked") and expects a refusal. It returns the refusing status, or the
// failure.
func (r *runner) expectRefreshRefused(ctx context.Context, op, kind, short, rt string) (int, *Result) {
	mark := r.rec.mark()
	status, err := r.refreshWith(ctx, rt)
	exs := r.rec.since(mark)
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
		f = failure(op, what, want, r.statusOf(status, exs))
	default:
		return status, nil
	}
	return 0, &f
}

// checkRevoke (a vendor whose flow revokes): Revoke succeeds, the revoked
// access token then gets 401 on the sample resource, and a revoked refresh
// token is refused by the token endpoint.
func (r *runner) checkRevoke(ctx context.Context) Result {
	// The revoke operation is what the flow's Revoke calls: named once it
	// has (before, the token operations not used by the grant).
	op := r.label(r.d.Grant.TokenOperation)
	if res, ok := r.noToken(op); ok {
		return res
	}
	tok, err := r.c.Token(ctx)
	if err != nil {
		return failure(op, "a token before the revoke", "an access token", errString(err))
	}
	if tok.RefreshToken != "" {
		r.cleanup = append(r.cleanup, tok.RefreshToken)
	}
	mark := r.rec.mark()
	err = r.c.Source().Revoke(ctx)
	exs := r.rec.since(mark)
	revokeOps := slices.Compact(r.okOps(exs, r.tokenOps))
	if len(revokeOps) > 0 {
		op = r.label(revokeOps[0])
	}
	if res := r.validateAll(ctx, exs); res != nil {
		return withClientError(*res, err)
	}
	if err != nil {
		return failure(op, "revoke of the suite's own tokens", "success", errString(err))
	}
	revokes := len(r.okOps(exs, r.tokenOps))

	resOp := r.label(r.d.SampleOperation)
	mark = r.rec.mark()
	status, err := r.forge(ctx, tok.AccessToken)
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
		return failure(resOp, what, "HTTP 401", r.statusOf(status, exs))
	}
	if tok.RefreshToken == "" || !r.d.Refreshes {
		return pass(op, fmt.Sprintf("%d revoke requests; the revoked access token now gets HTTP 401", revokes))
	}

	// The revoked refresh token must not mint new tokens either.
	refused, res := r.expectRefreshRefused(ctx, r.label(r.d.Grant.TokenOperation), "revoked", "revoked", tok.RefreshToken)
	if res != nil {
		return *res
	}
	return pass(op, fmt.Sprintf("%d revoke requests; the revoked access token now gets HTTP 401, the revoked refresh token HTTP %d", revokes, refused))
}

// Lifetime bounds.
const (
	maxLifetime = 365 * 24 * time.Hour
	// minMillis is the unit heuristic for a vendor announcing
	// milliseconds: access tokens live minutes or more, so a value under
	// one minute's worth (60000) is taken for seconds.
	minMillis = 60_000
	// dateSlack is how far the response's issued/expires dates (whole
	// seconds) and the client's expiry may be from expires_in.
	dateSlack = 2 * time.Second
)

// checkLifetime: the announced lifetime, from the raw token response, is
// in the documented unit and range, and the client's expiry agrees.
func (r *runner) checkLifetime(_ context.Context) Result {
	g := r.d.Grant
	op := r.label(g.TokenOperation)
	if r.tokenEx == nil {
		return skip(op, "skipped: no token response to read (see the token check)")
	}
	body := r.tokenEx.respBody
	unit := g.LifetimeUnit
	if unit == 0 {
		return pass(op, "no lifetime announced, as documented: the token is kept until a 401")
	}
	unitName := map[time.Duration]string{time.Second: "seconds", time.Millisecond: "milliseconds"}[unit]
	n, ok := bodyInt(body, "expires_in")
	if !ok {
		return failure(op, "token lifetime", "expires_in, an integer in "+unitName, "no integer expires_in in the token response")
	}
	life := time.Duration(n) * unit
	if unit == time.Millisecond && n < minMillis && n > 0 {
		return failure(op, "token lifetime unit",
			fmt.Sprintf("expires_in in milliseconds, at least %d (one minute)", minMillis),
			fmt.Sprintf("expires_in %d, which as milliseconds is %v: this looks like seconds (heuristic: access tokens live minutes or more, so under %d ms is taken for the wrong unit)",
				n, life, minMillis))
	}
	if n <= 0 || life > maxLifetime {
		return failure(op, "token lifetime",
			fmt.Sprintf("expires_in in %s within (0, %d] (one year)", unitName, int64(maxLifetime/unit)),
			fmt.Sprintf("expires_in %d", n))
	}
	if issuedField, expiresField := g.IssuedExpires[0], g.IssuedExpires[1]; issuedField != "" {
		issued, ierr := http.ParseTime(bodyField(body, issuedField))
		expires, eerr := http.ParseTime(bodyField(body, expiresField))
		if ierr != nil || eerr != nil {
			return failure(op, "token dates", issuedField+" and "+expiresField+" as RFC 1123 dates", "missing or unparseable dates")
		}
		if d := expires.Sub(issued); d < life-dateSlack || d > life+dateSlack {
			return failure(op, "token dates",
				fmt.Sprintf("%s − %s = expires_in (%v) ± %v", expiresField, issuedField, life, dateSlack),
				fmt.Sprintf("%s − %s = %v", expiresField, issuedField, d))
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
