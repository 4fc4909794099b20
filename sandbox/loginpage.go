package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"

	"github.com/vendorkit/vendorkit/internal/gen/iofficefull"
	"github.com/vendorkit/vendorkit/internal/origin"
)

// iOFFICE's browser login: GET /login.html with the five documented query
// parameters shows a sign-in form; the form posts back to /login.html and,
// with the right credentials, the browser is sent (303) to
// "<redirect_uri>#code=...&appCode=...&state=..." with a code that lasts
// CodeTTL and is single use, like the headless one.

// loginParams are the five query parameters the docs require, in the
// docs' order; the form carries them through as hidden fields.
var loginParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state"}

// checkLogin is what login.html checks of its five parameters.
func (h *ioffice) checkLogin(q url.Values) error {
	for _, name := range loginParams {
		if q.Get(name) == "" {
			return fmt.Errorf("login.html needs all five query parameters; %s is missing", name)
		}
	}
	switch {
	case q.Get("response_type") != "code":
		return errors.New("response_type must be code")
	case q.Get("client_id") != h.o.ClientID:
		return errors.New("unknown client_id")
	case q.Get("redirect_uri") != h.o.RedirectURI:
		return errors.New("redirect_uri is not the one registered for this client")
	}
	return nil
}

// loginPage is the sign-in form. html/template escapes every value for
// its context; the password is never put back into the page. The ids
// (form#login, #username, #password, #sign-in, #error) are stable, for
// browser tests.
var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · iOFFICE (vendorkit sandbox)</title>
<style>body{font-family:sans-serif;max-width:24rem;margin:3rem auto}label,input,button{display:block;margin:.4rem 0}input{width:100%}#error{color:#b00020}.note{color:#555;font-size:.9rem}</style>
</head><body>
<h1>Sign in</h1>
<p class="note">vendorkit sandbox, standing in for an iOFFICE site. After you sign in, your browser goes to {{.RedirectURI}} with the code in the URL fragment.</p>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>
{{end}}<form id="login" method="post" action="/login.html">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<label for="username">Username</label>
<input id="username" name="username" value="{{.Username}}" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="sign-in" type="submit">Sign in</button>
</form>
</body></html>
`))

type hiddenField struct{ Name, Value string }

// renderLogin renders the form for the five parameters in q, with the
// username typed so far and an error, if any.
func (h *ioffice) renderLogin(q url.Values, username, errMsg string) ([]byte, error) {
	data := struct {
		RedirectURI, Username, Error string
		Hidden                       []hiddenField
	}{RedirectURI: q.Get("redirect_uri"), Username: username, Error: errMsg}
	for _, name := range loginParams {
		data.Hidden = append(data.Hidden, hiddenField{name, q.Get(name)})
	}
	var b bytes.Buffer
	if err := loginPage.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// htmlHeader is the header of every login page: no cache may keep a page
// that carries state.
func htmlHeader() http.Header {
	return http.Header{"Content-Type": {"text/html; charset=utf-8"}, "Cache-Control": {"no-store"}}
}

// LoginPage is GET /login.html: the browser flow's sign-in form.
func (h *ioffice) LoginPage(ctx context.Context, _ iofficefull.LoginPageRequestObject) (iofficefull.LoginPageResponseObject, error) {
	q := rawRequest(ctx).URL.Query()
	if err := h.checkLogin(q); err != nil {
		return iofficeErr(http.StatusBadRequest, "invalid_request", err.Error()), nil
	}
	page, err := h.renderLogin(q, "", "")
	if err != nil {
		return nil, err
	}
	return iofficeReply{status: http.StatusOK, header: htmlHeader(), body: page}, nil
}

// loginForm is POST /login.html, the form's submit. The docs (and so the
// spec) describe only GET /login.html; how the real page signs the user in
// is iOFFICE's own business. So this route is served outside the
// spec-validated pipeline, with no operation to validate against, and
// checks its input itself: a form body (bounded), no query string, the
// five parameters as login.html checks them, then the credentials.
//
// Wrong credentials re-render the form with an error and status 200, the
// status the spec gives the login form (its only other one, 400, is for
// missing parameters).
func (h *ioffice) loginForm(w http.ResponseWriter, r *http.Request) {
	h.v.stats.token("login")
	fail := func(desc string) { h.v.parts.fail(http.StatusBadRequest, "invalid_request", desc).write(w) }
	if r.URL.RawQuery != "" {
		fail("the login form posts its fields in the body, not in the query string")
		return
	}
	if !contentTypeIs(r, "application/x-www-form-urlencoded") {
		fail("the login form posts application/x-www-form-urlencoded")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		// Not err's text: a malformed escape would quote the body, which
		// holds the password.
		fail("the form body is not valid application/x-www-form-urlencoded, or is too large")
		return
	}
	f := r.PostForm
	if err := h.checkLogin(f); err != nil {
		fail(err.Error())
		return
	}
	user := f.Get("username")
	if user != h.o.Username || !equalSecret(f.Get("password"), h.o.Password) {
		page, err := h.renderLogin(f, user, "Wrong username or password.")
		if err != nil {
			h.v.responseError(w, r, err)
			return
		}
		reply{status: http.StatusOK, header: htmlHeader(), body: page}.write(w)
		return
	}
	// The Location carries a code: no cache may keep it either.
	reply{status: http.StatusSeeOther, header: http.Header{"Location": {h.redirect(f)}, "Cache-Control": {"no-store"}}}.write(w)
}

// redirect issues a code for q's scope and returns where the browser goes
// next.
func (h *ioffice) redirect(q url.Values) string {
	code := h.v.tokens.issue(authCode, h.o.CodeTTL, q.Get("scope"))
	// The docs show "<redirect_uri>#code=<authorization_code>&appCode=<app_code>";
	// state is appended because OAuth 2 (RFC 6749 §4.1.2) echoes it and the
	// docs call it state "set by the client" to be preserved.
	// OmitLoginState drops it, as the docs' example does.
	loc := q.Get("redirect_uri") + "#code=" + url.QueryEscape(code) + "&appCode=" + url.QueryEscape(h.o.AppCode)
	if !h.v.noState.Load() {
		loc += "&state=" + url.QueryEscape(q.Get("state"))
	}
	return loc
}

// authorizeBrowser backs Vendor.AuthorizeBrowser.
func (h *ioffice) authorizeBrowser(loginURL, username, password string) (string, error) {
	u, err := url.Parse(loginURL)
	if err != nil {
		return "", fmt.Errorf("sandbox: login URL: %w", err)
	}
	base, _ := url.Parse(h.v.BaseURL)
	if !origin.Same(u, base) || u.Path != "/login.html" {
		return "", fmt.Errorf("sandbox: %s is not this sandbox's login page (%s/login.html)", loginURL, h.v.BaseURL)
	}
	q := u.Query()
	if err := h.checkLogin(q); err != nil {
		return "", fmt.Errorf("sandbox: %w", err)
	}
	if username != h.o.Username || !equalSecret(password, h.o.Password) {
		return "", errors.New("sandbox: wrong username or password")
	}
	return h.redirect(q), nil
}

// OmitLoginState makes the browser login (the login form and
// AuthorizeBrowser) redirect to "<redirect_uri>#code=...&appCode=..."
// without state, exactly as the docs' example shows; false, the default,
// echoes state as OAuth 2.0 does. Vendors without a browser login ignore
// it.
func (v *Vendor) OmitLoginState(omit bool) { v.noState.Store(omit) }

// hasBrowserLogin reports whether v has a browser login (iOFFICE).
func (v *Vendor) hasBrowserLogin() bool { return v.parts.authorizeBrowser != nil }
