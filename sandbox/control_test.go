package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/sandbox"
)

// RevokeAll: every current token gets 401; new ones work.
func TestRevokeAll(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	bss, bp, dec := e.bssToken(), e.blueprintToken(), e.decisivToken()
	ioAccess, ioRefresh := e.iofficeTokens()
	code := e.iofficeCode()
	for _, v := range e.s.Vendors() {
		v.RevokeAll()
	}
	e.bssGet("/api/accounts/1", bss).oauthErr(t, 401, "invalid_token")
	if r := e.blueprintPages(bp); r.status != 401 {
		t.Errorf("blueprint: %d", r.status)
	}
	if r := e.decisivTest(dec); r.status != 401 {
		t.Errorf("decisiv: %d", r.status)
	}
	e.iofficeMe(ioAccess).oauthErr(t, 401, "invalid_token")
	e.iofficeExchange("refresh_token", ioRefresh).oauthErr(t, 400, "invalid_grant")
	e.iofficeExchange("authorization_code", code).oauthErr(t, 400, "invalid_grant")

	if r := e.bssGet("/api/accounts/1", e.bssToken()); r.status != 200 {
		t.Errorf("new BSS token: %d", r.status)
	}
	if r := e.decisivTest(e.decisivToken()); r.status != 200 {
		t.Errorf("new Decisiv token: %d", r.status)
	}
	a, _ := e.iofficeTokens()
	if r := e.iofficeMe(a); r.status != 200 {
		t.Errorf("new iOFFICE token: %d", r.status)
	}
}

// RevokeAll on one vendor leaves the others alone: tokens are per vendor.
func TestTokensAreDistinctPerVendor(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	bss, dec := e.bssToken(), e.decisivToken()
	e.v("bss").RevokeAll()
	if r := e.decisivTest(dec); r.status != 200 {
		t.Errorf("decisiv after BSS RevokeAll: %d", r.status)
	}
	if r := e.decisivTest(bss); r.status != 401 {
		t.Errorf("a BSS token at Decisiv: %d, want 401", r.status)
	}
}

func TestFailNextInjectsEachFaultKind(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	v := e.v("bss")
	tok := e.bssToken()

	v.FailNext(1, sandbox.Fault{Status: 401})
	r := e.bssGet("/api/accounts/1", tok)
	r.oauthErr(t, 401, "invalid_token")
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("401 fault: WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
	}

	v.FailNext(2, sandbox.Fault{Status: 429, RetryAfter: "7"})
	for range 2 {
		r := e.bssGet("/api/accounts/1", tok)
		if r.status != 429 || r.header.Get("Retry-After") != "7" {
			t.Errorf("429 fault: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
		}
	}

	v.FailNext(1, sandbox.Fault{Status: 503})
	v.FailNext(1, sandbox.Fault{}) // zero Fault: 503 too
	for range 2 {
		e.bssGet("/api/accounts/1", tok).oauthErr(t, 503, "temporarily_unavailable")
	}

	// Drop, on a fresh connection: the client sees the connection close.
	v.FailNext(1, sandbox.Fault{Drop: true})
	fresh := &http.Transport{DisableKeepAlives: true}
	defer fresh.CloseIdleConnections()
	req, _ := http.NewRequest("GET", v.BaseURL+"/api/accounts/1", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := fresh.RoundTrip(req); err == nil {
		resp.Body.Close()
		t.Errorf("Drop: got %d, want a transport error", resp.StatusCode)
	}
	// On a reused keep-alive connection net/http retries an idempotent
	// request that got no response at all, so one Drop is invisible to the
	// caller: it costs one extra resource request.
	v.FailNext(1, sandbox.Fault{Drop: true})
	if r := e.bssGet("/api/accounts/1", tok); r.status != 200 {
		t.Errorf("Drop on a reused connection: %d, want net/http's transparent retry", r.status)
	}

	// Faults used up: back to normal, and the token was never the problem.
	if r := e.bssGet("/api/accounts/1", tok); r.status != 200 {
		t.Errorf("after the faults: %d", r.status)
	}
	st := v.Stats()
	if st.ResourceRequests != 9 || st.Rejected != 7 {
		t.Errorf("stats %+v, want 9 resource requests (401, 2×429, 2×503, drop, drop+retry, ok), 7 rejected", st)
	}
}

// Faults are for resources only: token endpoints stay up meanwhile.
func TestFailNextSparesTokenEndpoints(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	for _, v := range e.s.Vendors() {
		v.FailNext(1, sandbox.Fault{Status: 503})
	}
	bss, bp, dec := e.bssToken(), e.blueprintToken(), e.decisivToken()
	ioTok, _ := e.iofficeTokens()
	if r := e.bssGet("/api/accounts/1", bss); r.status != 503 {
		t.Errorf("bss: %d", r.status)
	}
	if r := e.blueprintPages(bp); r.status != 503 {
		t.Errorf("blueprint: %d", r.status)
	}
	if r := e.decisivTest(dec); r.status != 503 {
		t.Errorf("decisiv: %d", r.status)
	}
	if r := e.iofficeMe(ioTok); r.status != 503 {
		t.Errorf("ioffice: %d", r.status)
	}
	// The fault came before validation: even a request with no token gets it.
	e.v("blueprint").FailNext(1, sandbox.Fault{Status: 429, RetryAfter: "1"})
	if r := e.do("GET", e.v("blueprint").BaseURL+"/pages", ""); r.status != 429 {
		t.Errorf("fault on an unauthenticated call: %d", r.status)
	}
	// Blueprint's 401 fault keeps its Web API shape.
	e.v("blueprint").FailNext(1, sandbox.Fault{Status: 401})
	if r := e.blueprintPages(bp); r.status != 401 || r.json(t)["Message"] == nil {
		t.Errorf("blueprint 401 fault: %d %s", r.status, r.body)
	}
}

func TestStatsCountExactly(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	tok := e.bssToken()
	e.bssToken()
	e.do("POST", e.v("bss").BaseURL+"/oauth/token", "grant_type=password&username=testuser&password=x",
		"Content-Type", formURLEnc, "Authorization", docsBasic) // 400
	e.bssGet("/api/accounts/1", tok)
	e.bssGet("/api/accounts/1/syncoptions", tok)
	e.bssGet("/api/accounts/1", "nope")                   // 401
	e.bssGet("/api/accounts/9", tok)                      // 404
	e.do("GET", e.v("bss").BaseURL+"/api/accounts/1", "") // 401 (validation)
	e.do("GET", e.v("bss").BaseURL+"/nowhere", "")        // 404, neither kind
	want := sandbox.Stats{TokenRequests: map[string]int{"password": 3}, ResourceRequests: 5, Rejected: 5}
	if got := e.v("bss").Stats(); !equalStats(got, want) {
		t.Errorf("bss %+v, want %+v", got, want)
	}

	access, refresh := e.iofficeTokens()
	e.iofficeExchange("refresh_token", refresh)
	e.iofficeExchange("refresh_token", refresh) // rotated away: 400
	e.do("POST", e.v("ioffice").BaseURL+"/external/api/oauth2/revoke", "", "x-token", access)
	e.do("GET", e.iofficeLoginURL(e.iofficeLoginParams()), "")
	e.iofficeMe(access) // 401: revoked
	want = sandbox.Stats{
		TokenRequests:    map[string]int{"auth_code": 1, "authorization_code": 1, "refresh_token": 2, "revoke": 1},
		ResourceRequests: 1, Rejected: 2,
	}
	if got := e.v("ioffice").Stats(); !equalStats(got, want) {
		t.Errorf("ioffice %+v, want %+v", got, want)
	}

	e.decisivToken()
	e.blueprintToken()
	if got := e.v("decisiv").Stats().TokenRequests; !maps.Equal(got, map[string]int{"client_credentials": 1}) {
		t.Errorf("decisiv %v", got)
	}
	if got := e.v("blueprint").Stats().TokenRequests; !maps.Equal(got, map[string]int{"password": 1}) {
		t.Errorf("blueprint %v", got)
	}
	// A snapshot is a copy.
	st := e.v("blueprint").Stats()
	st.TokenRequests["password"] = 99
	if e.v("blueprint").Stats().TokenRequests["password"] != 1 {
		t.Error("Stats shares its map")
	}
}

func equalStats(a, b sandbox.Stats) bool {
	return maps.Equal(a.TokenRequests, b.TokenRequests) && a.ResourceRequests == b.ResourceRequests && a.Rejected == b.Rejected
}

func TestTokenLatency(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	v := e.v("decisiv")
	tok := e.decisivToken()
	v.SetTokenLatency(60 * time.Millisecond)
	began := time.Now()
	e.decisivToken()
	if d := time.Since(began); d < 60*time.Millisecond {
		t.Errorf("token request took %v, want ≥ 60ms", d)
	}
	// Latency is for token endpoints only: with an hour of it a resource
	// request is still answered. (The deadline is a hang guard, not a
	// measure: on a loaded machine a request can take longer than any
	// latency short enough to wait for.)
	v.SetTokenLatency(time.Hour)
	guard, stop := context.WithTimeout(context.Background(), 20*time.Second)
	defer stop()
	r, err := e.try(guard, "GET", v.BaseURL+"/platform_api/bearer_test", "", "Authorization", "Bearer "+tok)
	if err != nil || r.status != 200 {
		t.Errorf("resource request with an hour of token latency: %d %v; latency is for token endpoints only", r.status, err)
	}
	// The request's context cuts the wait short.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = e.try(ctx, "POST", v.BaseURL+"/platform_api/oauth2/token", "grant_type=client_credentials",
		"Content-Type", formURLEnc, "Authorization", e.decisivBasic())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want the deadline", err)
	}
	v.SetTokenLatency(0)
	e.decisivToken()
}

func TestSetTokenLifetime(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	v := e.v("bss")
	v.SetTokenLifetime(10 * time.Second)
	r := e.bssTokenResult()
	if m := r.json(t); m["expires_in"] != float64(10) {
		t.Errorf("expires_in %v, want 10", m["expires_in"])
	}
	tok := r.json(t)["access_token"].(string)
	e.clock.Advance(10 * time.Second)
	e.bssGet("/api/accounts/1", tok).oauthErr(t, 401, "invalid_token")
	v.SetTokenLifetime(0) // back to the default
	if m := e.bssTokenResult().json(t); m["expires_in"] != float64(1799) {
		t.Errorf("after reset: expires_in %v, want 1799", m["expires_in"])
	}

	e.v("ioffice").SetTokenLifetime(2 * time.Second)
	if m := e.iofficeExchange("authorization_code", e.iofficeCode()).json(t); m["expires_in"] != float64(2000) {
		t.Errorf("ioffice expires_in %v, want 2000 ms", m["expires_in"])
	}
}

func TestSecretsListsEverythingSecret(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	tok := e.bssToken()
	bss := e.v("bss").Secrets()
	for _, want := range []string{docsSecret, "user123456!", tok, strings.TrimPrefix(docsBasic, "Basic ")} {
		if !slices.Contains(bss, want) {
			t.Errorf("BSS Secrets lacks %q", want)
		}
	}
	code := e.iofficeCode()
	r := e.iofficeExchange("authorization_code", code)
	m := r.json(t)
	ioSecrets := e.v("ioffice").Secrets()
	for _, want := range []string{e.v("ioffice").Env()["VENDORKIT_IOFFICE_PASSWORD"], code, m["access_token"].(string), m["refresh_token"].(string)} {
		if !slices.Contains(ioSecrets, want) {
			t.Errorf("iOFFICE Secrets lacks %q", want)
		}
	}
	if !slices.Contains(e.v("decisiv").Secrets(), e.v("decisiv").Env()["VENDORKIT_DECISIV_CONSUMER_SECRET"]) {
		t.Error("Decisiv Secrets lacks the consumer secret")
	}
	if !slices.Contains(e.v("blueprint").Secrets(), "Qu0te&Config-2014") {
		t.Error("Blueprint Secrets lacks the password")
	}
	for _, v := range e.s.Vendors() {
		for _, s := range v.Secrets() {
			if s == "" {
				t.Errorf("%s: empty secret", v.Name)
			}
			if strings.HasPrefix(v.BaseURL, s) {
				t.Errorf("%s: %q is not a secret", v.Name, s)
			}
		}
	}
}

func TestMisbehaveWrongContentType(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{Misbehave: sandbox.Misbehaviour{WrongContentType: true}})
	for name, r := range map[string]result{
		"bss":       e.bssTokenResult(),
		"blueprint": e.blueprintLogin(),
		"decisiv":   e.decisivTokenResult(),
		"ioffice":   e.iofficeExchange("authorization_code", e.iofficeCode()),
	} {
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %q", name, r.status, r.header.Get("Content-Type"))
		}
	}
	// Errors and resources keep their type.
	if r := e.bssGet("/api/accounts/1", "nope"); r.header.Get("Content-Type") != jsonCT {
		t.Errorf("error Content-Type %q", r.header.Get("Content-Type"))
	}
}

func TestMisbehaveOmitField(t *testing.T) {
	t.Parallel()
	for _, field := range []string{"access_token", "expires_in"} {
		e := start(t, sandbox.Options{Misbehave: sandbox.Misbehaviour{OmitField: field}})
		for name, r := range map[string]result{
			"bss":       e.bssTokenResult(),
			"blueprint": e.blueprintLogin(),
			"ioffice":   e.iofficeExchange("authorization_code", e.iofficeCode()),
		} {
			m := r.json(t)
			if _, ok := m[field]; ok || r.status != 200 || m["token_type"] == nil {
				t.Errorf("%s without %s: %d %s", name, field, r.status, r.body)
			}
		}
	}
	e := start(t, sandbox.Options{Misbehave: sandbox.Misbehaviour{OmitField: "token"}})
	r := e.decisivTokenResult()
	if d := decodeDecisiv(t, r.body); d.Token != "" || d.Type != "Bearer" {
		t.Errorf("decisiv without token: %s", r.body)
	}
	e = start(t, sandbox.Options{Misbehave: sandbox.Misbehaviour{OmitField: ".expires"}})
	if m := e.blueprintLogin().json(t); m[".expires"] != nil || m[".issued"] == nil {
		t.Errorf("blueprint without .expires: %v", m)
	}
}

func TestMisbehaveIOfficeExpiresInSeconds(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.IOfficeOptions{ExpiresInSeconds: true}}})
	if m := e.iofficeExchange("authorization_code", e.iofficeCode()).json(t); m["expires_in"] != float64(3600) {
		t.Errorf("expires_in %v, want 3600 (seconds, against the docs)", m["expires_in"])
	}
	// The token still lives an hour: only the unit on the wire is wrong.
}

func TestMisbehaveIOfficeNoRotation(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{Vendors: []sandbox.VendorOptions{sandbox.IOfficeOptions{NoRotation: true}}})
	access, refresh := e.iofficeTokens()
	for range 2 {
		r := e.iofficeExchange("refresh_token", refresh)
		m := r.json(t)
		if r.status != 200 || m["refresh_token"] != refresh || m["access_token"] == access {
			t.Errorf("no rotation: %d %s", r.status, r.body)
		}
	}
}

// The resource hot path under load, for the race detector: many
// goroutines, tokens issued and revoked meanwhile.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	tok := e.bssToken()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			e.v("bss").FailNext(1, sandbox.Fault{Status: 503})
			_ = e.v("bss").Stats()
			_ = e.v("bss").Secrets()
		}
	}()
	errs := make(chan error, 64)
	for range 64 {
		go func() {
			for range 10 {
				r, err := e.try(context.Background(), "GET", e.v("bss").BaseURL+"/api/accounts/1/syncoptions", "",
					"Accept", "application/json", "X-Api-Version", "latest", "Authorization", "Bearer "+tok)
				if err == nil && r.status != 200 && r.status != 503 {
					err = fmt.Errorf("status %d: %s", r.status, r.body)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 64 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	<-done
	if st := e.v("bss").Stats(); st.ResourceRequests != 640 || st.Rejected != 20 {
		t.Errorf("stats %+v, want 640 resource requests, 20 rejected", st)
	}
	// Tokens are distinct.
	seen := map[string]bool{}
	for range 20 {
		tok := e.bssToken()
		if seen[tok] {
			t.Fatal("duplicate token")
		}
		seen[tok] = true
	}
}
