package sandbox_test

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vendorkit/vendorkit/sandbox"
)

// htmlForm is a form as a browser sees it: where it posts, and the
// fields it would submit, in document order.
type htmlForm struct {
	id, method, action string
	fields             []formField
}

type formField struct{ name, typ, value string }

// parseForms reads every <form> of an HTML page with encoding/xml in its
// HTML mode (unclosed <input>, HTML entities), as a browser would read it.
func parseForms(t *testing.T, page []byte) []htmlForm {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(page)))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var forms []htmlForm
	var cur *htmlForm
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("parsing the page: %v\n%s", err, page)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			attr := func(name string) string {
				for _, a := range el.Attr {
					if strings.EqualFold(a.Name.Local, name) {
						return a.Value
					}
				}
				return ""
			}
			switch strings.ToLower(el.Name.Local) {
			case "form":
				forms = append(forms, htmlForm{id: attr("id"), method: strings.ToUpper(attr("method")), action: attr("action")})
				cur = &forms[len(forms)-1]
			case "input":
				if cur != nil && attr("name") != "" {
					cur.fields = append(cur.fields, formField{attr("name"), attr("type"), attr("value")})
				}
			}
		case xml.EndElement:
			if strings.EqualFold(el.Name.Local, "form") {
				cur = nil
			}
		}
	}
	return forms
}

// submit fills the form's fields named in fill, leaves the others (the
// hidden ones) as the page set them, and posts it the way a browser does:
// to the action resolved against the page's URL, urlencoded, without
// following the redirect.
func (e *env) submit(pageURL string, form htmlForm, fill map[string]string) result {
	e.t.Helper()
	if form.method != "POST" {
		e.t.Fatalf("form method %q, want POST", form.method)
	}
	page, _ := url.Parse(pageURL)
	action, err := page.Parse(form.action)
	if err != nil {
		e.t.Fatalf("form action %q: %v", form.action, err)
	}
	vals := url.Values{}
	for _, f := range form.fields {
		v := f.value
		if x, ok := fill[f.name]; ok {
			v = x
		}
		vals.Add(f.name, v)
	}
	hc := &http.Client{Transport: e.hc.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Post(action.String(), "application/x-www-form-urlencoded", strings.NewReader(vals.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, resp.Header, b}
}

// loginForm GETs login.html for q and returns its form#login.
func (e *env) loginForm(q url.Values) (string, htmlForm) {
	e.t.Helper()
	u := e.iofficeLoginURL(q)
	r := e.do("GET", u, "")
	if r.status != 200 || r.header.Get("Content-Type") != "text/html; charset=utf-8" {
		e.t.Fatalf("login page: %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	for _, f := range parseForms(e.t.(*testing.T), r.body) {
		if f.id == "login" {
			return u, f
		}
	}
	e.t.Fatalf("no form#login in:\n%s", r.body)
	return "", htmlForm{}
}

func (e *env) credentials() map[string]string {
	env := e.v("ioffice").Env()
	return map[string]string{"username": env["VENDORKIT_IOFFICE_USERNAME"], "password": env["VENDORKIT_IOFFICE_PASSWORD"]}
}

// The browser flow without a browser: GET login.html, submit its form as
// a browser would, follow the 303's fragment, exchange the code.
func TestIOfficeLoginFormSignsIn(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	q := e.iofficeLoginParams()
	q.Set("scope", "profile")
	pageURL, form := e.loginForm(q)

	// The five parameters ride along as hidden fields; the user types two.
	var hidden, typed []string
	for _, f := range form.fields {
		if f.typ == "hidden" {
			hidden = append(hidden, f.name+"="+f.value)
		} else {
			typed = append(typed, f.name+":"+f.typ)
		}
	}
	wantHidden := []string{"response_type=code", "client_id=" + q.Get("client_id"), "redirect_uri=" + q.Get("redirect_uri"), "scope=profile", "state=xyz-123"}
	if strings.Join(hidden, "&") != strings.Join(wantHidden, "&") {
		t.Errorf("hidden fields %q, want %q", hidden, wantHidden)
	}
	if strings.Join(typed, " ") != "username: password:password" {
		t.Errorf("typed fields %q", typed)
	}

	r := e.submit(pageURL, form, e.credentials())
	if r.status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q: the Location carries a code", cc)
	}
	loc := r.header.Get("Location")
	redirect, frag, _ := strings.Cut(loc, "#")
	if redirect != q.Get("redirect_uri") {
		t.Fatalf("Location %q, want %s#...", loc, q.Get("redirect_uri"))
	}
	f, err := url.ParseQuery(frag)
	if err != nil || len(f) != 3 || f.Get("appCode") != "ioffice-sandbox" || f.Get("state") != "xyz-123" {
		t.Fatalf("fragment %q: %v", frag, err)
	}
	if !strings.HasPrefix(frag, "code=") || !strings.Contains(frag, "&appCode=") {
		t.Errorf("fragment %q: want the docs' code=...&appCode=... first", frag)
	}
	code := f.Get("code")

	// A real code: exchanged once with the scope it was issued for.
	tr := e.iofficeExchange("authorization_code", code, "x-scope", "profile")
	if tr.status != 200 {
		t.Fatalf("exchange: %d %s", tr.status, tr.body)
	}
	if me := e.iofficeMe(tr.json(t)["access_token"].(string)); me.status != 200 {
		t.Errorf("users/me with the token: %d %s", me.status, me.body)
	}
	e.iofficeExchange("authorization_code", code, "x-scope", "profile").oauthErr(t, 400, "invalid_grant")

	// And it lasts 5 minutes, on the sandbox clock.
	r = e.submit(pageURL, form, e.credentials())
	_, frag, _ = strings.Cut(r.header.Get("Location"), "#")
	f, _ = url.ParseQuery(frag)
	e.clock.Advance(5*time.Minute - time.Second)
	e.clock.Advance(time.Second)
	e.iofficeExchange("authorization_code", f.Get("code"), "x-scope", "profile").oauthErr(t, 400, "invalid_grant")

	st := e.v("ioffice").Stats()
	if st.TokenRequests["login"] != 2 || st.Rejected != 2 {
		t.Errorf("stats %+v: want 2 logins, 2 rejected (the used and the expired code)", st)
	}
}

func TestIOfficeLoginFormWrongCredentials(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	hostileUser := `"><script>alert('u')</script>`
	hostilePass := `pw"><b>Spaces&Places-2019</b>`
	q := e.iofficeLoginParams()
	q.Set("state", `s"><img src=x onerror=alert(1)>&x=1`)
	pageURL, form := e.loginForm(q)
	for name, fill := range map[string]map[string]string{
		"wrong password": {"username": e.credentials()["username"], "password": hostilePass},
		"wrong user":     {"username": hostileUser, "password": e.credentials()["password"]},
	} {
		t.Run(name, func(t *testing.T) {
			r := e.submit(pageURL, form, fill)
			if r.status != http.StatusOK || r.header.Get("Location") != "" {
				t.Fatalf("status %d, Location %q: want the form again with 200", r.status, r.header.Get("Location"))
			}
			page := string(r.body)
			if !strings.Contains(page, `id="error"`) || !strings.Contains(page, "Wrong username or password.") {
				t.Errorf("no error shown:\n%s", page)
			}
			if strings.Contains(page, fill["password"]) || strings.Contains(page, "Spaces&amp;Places") || strings.Contains(page, "Spaces&Places") {
				t.Errorf("the password is reflected:\n%s", page)
			}
			for _, raw := range []string{"<script>", "<img", `"><script`, `"><img`} {
				if strings.Contains(page, raw) {
					t.Errorf("%q reflected unescaped:\n%s", raw, page)
				}
			}
			// The form comes back with the same five parameters, the
			// username typed so far and an empty password.
			var again htmlForm
			for _, f := range parseForms(t, r.body) {
				if f.id == "login" {
					again = f
				}
			}
			got := map[string]string{}
			for _, f := range again.fields {
				got[f.name] = f.value
			}
			if got["state"] != q.Get("state") || got["username"] != fill["username"] || got["password"] != "" || got["redirect_uri"] != q.Get("redirect_uri") {
				t.Errorf("re-rendered form fields %q", got)
			}
			// Submitting it again with the right credentials works, and
			// the state survives escaping both ways.
			ok := e.submit(pageURL, again, e.credentials())
			_, frag, _ := strings.Cut(ok.header.Get("Location"), "#")
			if f, _ := url.ParseQuery(frag); ok.status != 303 || f.Get("state") != q.Get("state") {
				t.Errorf("resubmit: %d, fragment %q", ok.status, frag)
			}
		})
	}
	if got := e.v("ioffice").Stats().TokenRequests["login"]; got != 4 {
		t.Errorf("login counted %d times, want 4", got)
	}
}

func TestIOfficeLoginFormRejectsBadSubmits(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	creds := e.credentials()
	u := e.v("ioffice").BaseURL + "/login.html"
	good := e.iofficeLoginParams()
	good.Set("username", creds["username"])
	good.Set("password", creds["password"])
	with := func(k, v string) string {
		q := url.Values{}
		for kk, vv := range good {
			q[kk] = vv
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q.Encode()
	}
	form := []string{"Content-Type", formURLEnc}
	for name, tc := range map[string]struct {
		url, body string
		headers   []string
		desc      string
	}{
		"no state":             {u, with("state", ""), form, "state is missing"},
		"no client_id":         {u, with("client_id", ""), form, "client_id is missing"},
		"other redirect_uri":   {u, with("redirect_uri", "https://evil.example/cb"), form, "redirect_uri"},
		"response_type token":  {u, with("response_type", "token"), form, "response_type"},
		"fields in the query":  {u + "?" + good.Encode(), "", form, "query string"},
		"JSON body":            {u, `{"username":"apiuser"}`, []string{"Content-Type", "application/json"}, "x-www-form-urlencoded"},
		"malformed escape":     {u, with("password", "") + "&password=%zzSpaces%26Places", form, "not valid"},
		"larger than 64 KiB":   {u, with("username", strings.Repeat("a", 70<<10)), form, "too large"},
		"no body, no type":     {u, "", nil, "x-www-form-urlencoded"},
		"password in query":    {u + "?password=" + url.QueryEscape(creds["password"]), with("password", ""), form, "query string"},
		"everything but creds": {u, with("password", "") + "&password=", form, ""},
	} {
		t.Run(name, func(t *testing.T) {
			r := e.do("POST", tc.url, tc.body, tc.headers...)
			if tc.desc == "" { // empty password: the form again, no code
				if r.status != 200 || !strings.Contains(string(r.body), `id="error"`) {
					t.Errorf("%d %s", r.status, r.body)
				}
				return
			}
			if desc := r.oauthErr(t, 400, "invalid_request"); !strings.Contains(desc, tc.desc) {
				t.Errorf("description %q, want it to mention %q", desc, tc.desc)
			}
			if r.header.Get("Location") != "" {
				t.Errorf("redirected to %q", r.header.Get("Location"))
			}
			if strings.Contains(string(r.body), "Spaces") {
				t.Errorf("the password is reflected: %s", r.body)
			}
		})
	}
	// The spec's GET /login.html is untouched: other methods are still 405.
	if r := e.do("PUT", u+"?"+e.iofficeLoginParams().Encode(), ""); r.status != 405 {
		t.Errorf("PUT /login.html: %d", r.status)
	}
}

func TestOmitLoginState(t *testing.T) {
	t.Parallel()
	e := start(t, sandbox.Options{})
	v := e.v("ioffice")
	v.OmitLoginState(true)
	pageURL, form := e.loginForm(e.iofficeLoginParams())
	r := e.submit(pageURL, form, e.credentials())
	_, frag, _ := strings.Cut(r.header.Get("Location"), "#")
	f, _ := url.ParseQuery(frag)
	if r.status != 303 || frag != "code="+f.Get("code")+"&appCode=ioffice-sandbox" {
		t.Errorf("%d, fragment %q: want exactly the docs' code=...&appCode=...", r.status, frag)
	}
	loc, err := v.AuthorizeBrowser(pageURL, e.credentials()["username"], e.credentials()["password"])
	if err != nil || strings.Contains(loc, "state=") {
		t.Errorf("AuthorizeBrowser %q, %v: want no state", loc, err)
	}
	v.OmitLoginState(false)
	r = e.submit(pageURL, form, e.credentials())
	if !strings.HasSuffix(r.header.Get("Location"), "&state=xyz-123") {
		t.Errorf("Location %q: want state back", r.header.Get("Location"))
	}
	// Vendors without a browser login ignore it.
	e.v("bss").OmitLoginState(true)
}

// Options.LoginRedirectURI registers the redirect URI of every browser
// login; a vendor's own options win over it.
func TestLoginRedirectURIOption(t *testing.T) {
	t.Parallel()
	const shared, own = "http://127.0.0.1:8765/cb", "https://own.example/cb"
	for _, tc := range []struct {
		name string
		opts sandbox.Options
		want string
	}{
		{"shared", sandbox.Options{LoginRedirectURI: shared}, shared},
		{"own wins", sandbox.Options{LoginRedirectURI: shared, Vendors: []sandbox.VendorOptions{sandbox.IOfficeOptions{RedirectURI: own}}}, own},
	} {
		e := start(t, tc.opts)
		if got := e.v("ioffice").Env()["VENDORKIT_IOFFICE_REDIRECT_URI"]; got != tc.want {
			t.Errorf("%s: registered %q, want %q", tc.name, got, tc.want)
		}
		q := e.iofficeLoginParams()
		if r := e.do("GET", e.iofficeLoginURL(q), ""); r.status != 200 {
			t.Errorf("%s: login page with the registered URI: %d", tc.name, r.status)
		}
		q.Set("redirect_uri", "https://app.example.com/oauth/callback")
		if r := e.do("GET", e.iofficeLoginURL(q), ""); r.status != 400 {
			t.Errorf("%s: login page with the default URI: %d, want 400", tc.name, r.status)
		}
	}
}
