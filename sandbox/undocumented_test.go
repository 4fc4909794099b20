package sandbox_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/vendorkit/vendorkit/sandbox"
)

// Misbehaviour.ExtraProperties go into the top-level object of successful
// JSON responses only, appended after the documented fields in name
// order; ExtraHeaders into every response; Content-Length follows.
func TestExtraPropertiesAndHeaders(t *testing.T) {
	e := start(t, sandbox.Options{Misbehave: sandbox.Misbehaviour{
		ExtraProperties: map[string]any{"zeta": []int{1}, "alpha": map[string]any{"b": true}, "bad": make(chan int)},
		ExtraHeaders:    http.Header{"x-vendor-trace": {"t1", "t2"}},
	}})
	tok := e.bssToken()
	r := e.bssGet("/api/accounts/1", tok)
	want := `{"id":1,"name":"Contoso Cloud Services Ltd","alpha":{"b":true},"zeta":[1]}`
	if r.status != 200 || string(r.body) != want {
		t.Errorf("account: %d %s, want %s", r.status, r.body, want)
	}
	if got := r.header.Values("X-Vendor-Trace"); len(got) != 2 || got[0] != "t1" || got[1] != "t2" {
		t.Errorf("X-Vendor-Trace %q", got)
	}
	if r.header.Get("Content-Length") != strconv.Itoa(len(r.body)) {
		t.Errorf("Content-Length %q for %d bytes", r.header.Get("Content-Length"), len(r.body))
	}
	// An error keeps its documented body, and gets the header.
	r = e.bssGet("/api/accounts/1", "forged")
	if r.status != 401 || r.header.Get("X-Vendor-Trace") != "t1" {
		t.Errorf("401: %d %q", r.status, r.header.Get("X-Vendor-Trace"))
	}
	if m := r.json(t); m["alpha"] != nil || m["error"] != "invalid_token" {
		t.Errorf("401 body %s", r.body)
	}
	// Not an object (Blueprint's pages are an array), not JSON (Decisiv's
	// XML): unchanged.
	if r := e.blueprintPages(e.blueprintToken()); r.status != 200 || r.body[0] != '[' || r.header.Get("X-Vendor-Trace") != "t1" {
		t.Errorf("pages: %d %s", r.status, r.body)
	}
	r = e.decisivTokenResult()
	if r.status != 200 || r.body[0] != '<' || r.header.Get("X-Vendor-Trace") != "t1" {
		t.Errorf("decisiv token: %d %s", r.status, r.body)
	}
	// The token response keeps working for a client: its fields are there.
	if m := e.bssTokenResult().json(t); m["access_token"] == "" || m["zeta"] == nil {
		t.Errorf("token response %v", m)
	}
	// Faults still reach the connection (a dropped one sends nothing).
	e.v("bss").FailNext(2, sandbox.Fault{Drop: true})
	if r, err := e.try(context.Background(), "GET", e.v("bss").BaseURL+"/api/accounts/1", "",
		"Accept", "application/json", "X-Api-Version", "latest", "Authorization", "Bearer "+tok); err == nil {
		t.Errorf("Drop: got %d %s, want a transport error", r.status, r.body)
	}
}

// ExtraHeaders reach the routes outside the spec too (iOFFICE's login
// form POST), success or error, and those routes still count rejections.
func TestExtraHeadersOnOffSpecRoutes(t *testing.T) {
	e := start(t, sandbox.Options{Misbehave: sandbox.Misbehaviour{
		ExtraProperties: map[string]any{"zeta": 1},
		ExtraHeaders:    http.Header{"x-vendor-trace": {"t1"}},
	}})
	pageURL, form := e.loginForm(e.iofficeLoginParams())
	r := e.submit(pageURL, form, e.credentials())
	if r.status != 303 || r.header.Get("X-Vendor-Trace") != "t1" || !strings.Contains(r.header.Get("Location"), "#code=") {
		t.Errorf("sign-in: %d Location %q, X-Vendor-Trace %q", r.status, r.header.Get("Location"), r.header.Get("X-Vendor-Trace"))
	}
	r = e.do("POST", e.v("ioffice").BaseURL+"/login.html?state=x", "username=a", "Content-Type", "application/x-www-form-urlencoded")
	if r.oauthErr(t, 400, "invalid_request"); r.header.Get("X-Vendor-Trace") != "t1" || strings.Contains(string(r.body), "zeta") {
		t.Errorf("refused: X-Vendor-Trace %q, body %s", r.header.Get("X-Vendor-Trace"), r.body)
	}
	if st := e.v("ioffice").Stats(); st.TokenRequests["login"] != 2 || st.Rejected != 1 {
		t.Errorf("stats %+v: want 2 logins, 1 rejected", st)
	}
}
