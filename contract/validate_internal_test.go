package contract

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vendorkit/vendorkit/specs"
)

func testRunner(t *testing.T, vendor, prefix string) *runner {
	t.Helper()
	router, err := specs.NewRouter(vendor, prefix)
	if err != nil {
		t.Fatal(err)
	}
	specs.RegisterBodyDecoders()
	return &runner{router: router}
}

func ex(method, rawURL string, reqHeader http.Header, reqBody string, status int, respHeader http.Header, respBody string) *exchange {
	u, _ := url.Parse(rawURL)
	if reqHeader == nil {
		reqHeader = http.Header{}
	}
	if respHeader == nil {
		respHeader = http.Header{}
	}
	return &exchange{method: method, url: u, reqHeader: reqHeader, reqBody: []byte(reqBody),
		status: status, respHeader: respHeader, respBody: []byte(respBody)}
}

func TestValidateRequestsAndResponses(t *testing.T) {
	ctx := context.Background()
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {"Basic eDp5"}}
	jsonCT := http.Header{"Content-Type": {"application/json;charset=UTF-8"}}
	okToken := `{"access_token":"tok-123456789","token_type":"bearer","expires_in":1799}`
	bssR := testRunner(t, "bss", "/bsssmapi")
	for _, tc := range []struct {
		name string
		ex   *exchange
		// want: "" for valid; else substrings of Operation, Expected, Got.
		op, expected, got string
	}{
		{"valid", ex("POST", "http://h/bsssmapi/oauth/token", form, "grant_type=password&username=u&password=hunter2secret", 200, jsonCT, okToken), "", "", ""},
		{"grant the spec forbids, password not quoted",
			ex("POST", "http://h/bsssmapi/oauth/token", form, "grant_type=client_credentials&username=u&password=hunter2secret", 200, jsonCT, okToken),
			"POST /oauth/token (requestToken)", "a request the spec allows", "request body: value is not one of the allowed values"},
		{"expires_in as a string",
			ex("POST", "http://h/bsssmapi/oauth/token", form, "grant_type=password&username=u&password=hunter2secret", 200, jsonCT, `{"access_token":"tok-123456789","token_type":"bearer","expires_in":"1799"}`),
			"POST /oauth/token (requestToken)", "#/components/schemas/TokenResponse", `(at /expires_in)`},
		{"not JSON",
			ex("POST", "http://h/bsssmapi/oauth/token", form, "grant_type=password&username=u&password=hunter2secret", 200, jsonCT, `access_token=tok-123456789`),
			"POST /oauth/token (requestToken)", "a response the spec allows", "cannot decode: invalid character"},
		{"undocumented status",
			ex("GET", "http://h/bsssmapi/api/accounts/1", http.Header{"Authorization": {"Bearer x"}}, "", 409, jsonCT, `{}`),
			"GET /api/accounts/{accountId} (getAccount)", "one of the documented statuses", "HTTP 409"},
		{"no content type", ex("GET", "http://h/bsssmapi/api/accounts/1", nil, "", 200, nil, `{"id":1}`),
			"GET /api/accounts/{accountId} (getAccount)", "Content-Type application/json", "no Content-Type"},
		{"transient 503 is the infrastructure's", ex("GET", "http://h/bsssmapi/api/accounts/1", nil, "", 503, nil, `<html>`), "", "", ""},
		{"429 too", ex("POST", "http://h/bsssmapi/oauth/token", nil, "", 429, nil, ``), "", "", ""},
		{"a path the spec does not describe", ex("GET", "http://h/bsssmapi/api/other", nil, "", 200, nil, `x`), "", "", ""},
		{"outside the prefix", ex("GET", "http://h/api/accounts/1", nil, "", 200, nil, `x`), "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := bssR.validate(ctx, tc.ex)
			if tc.op == "" {
				if res != nil {
					t.Fatalf("want valid, got %+v", res)
				}
				return
			}
			if res == nil {
				t.Fatal("want a failure")
			}
			if res.Operation != tc.op || !strings.Contains(res.Expected, tc.expected) || !strings.Contains(res.Got, tc.got) {
				t.Errorf("got %+v\nwant op %q expected ~%q got ~%q", res, tc.op, tc.expected, tc.got)
			}
			for _, s := range []string{"hunter2secret", "tok-123456789"} {
				if strings.Contains(res.Message, s) {
					t.Errorf("message quotes %q: %s", s, res.Message)
				}
			}
		})
	}

	t.Run("iOFFICE header parameters", func(t *testing.T) {
		r := testRunner(t, "ioffice", "")
		h := http.Header{"Content-Type": {"application/json"}, "X-Grant-Type": {"refresh_token"}, "X-Redirect-Uri": {"https://a/cb"}, "X-Scope": {"email"}}
		res := r.validate(ctx, ex("POST", "https://s/external/api/oauth2/token", h, "", 400, jsonCT, `{"error":"invalid_request"}`))
		if res == nil || !strings.Contains(res.Got, `parameter "x-client-id" in header`) {
			t.Errorf("%+v", res)
		}
		h.Set("X-Client-Id", "c")
		h.Set("X-Grant-Type", "password")
		res = r.validate(ctx, ex("POST", "https://s/external/api/oauth2/token", h, "", 400, jsonCT, `{"error":"invalid_request"}`))
		if res == nil || !strings.Contains(res.Got, `parameter "x-grant-type" in header`) {
			t.Errorf("%+v", res)
		}
	})

	t.Run("Decisiv XML in another namespace", func(t *testing.T) {
		r := testRunner(t, "decisiv", "")
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded;charset=UTF-8"}, "Authorization": {"Basic eDp5"}}
		res := r.validate(ctx, ex("POST", "http://h/platform_api/oauth2/token", h, "grant_type=client_credentials", 200,
			http.Header{"Content-Type": {"application/xml"}}, `<AuthorizationResponse xmlns="urn:other"><token>tok-123456789</token><type>Bearer</type></AuthorizationResponse>`))
		if res == nil || !strings.Contains(res.Got, "root element {urn:other}AuthorizationResponse") || strings.Contains(res.Message, "tok-123456789") {
			t.Errorf("%+v", res)
		}
	})
}

func TestExchangeSecrets(t *testing.T) {
	e := ex("POST", "https://s/x?access_token=q-token-1", http.Header{
		"Authorization":   {"Basic YWJjOmRlZg=="},
		"X-Auth-Password": {"pw-1"},
		"X-Refresh-Token": {"rt-1"},
		"Content-Type":    {"application/x-www-form-urlencoded"},
	}, "grant_type=password&password=form-pw", 200, nil, `{"access_token":"at-1","refresh_token":"rt-2","code":"c-1"}`)
	got := exchangeSecrets(e)
	for _, want := range []string{"Basic YWJjOmRlZg==", "YWJjOmRlZg==", "pw-1", "rt-1", "q-token-1", "form-pw", "at-1", "rt-2", "c-1"} {
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("%q not found in %q", want, got)
		}
	}
	x := ex("POST", "https://s/t", nil, "", 200, nil, `<?xml version="1.0"?><A xmlns="urn:x"><token>xml-tok</token></A>`)
	if s := exchangeSecrets(x); len(s) != 1 || s[0] != "xml-tok" {
		t.Errorf("XML: %q", s)
	}
}

func TestScrubResults(t *testing.T) {
	rs := scrubResults([]Result{{Operation: "op", Expected: "e sek", Got: "g sekret", Message: "vendorkit: bss token: HTTP 400: sekret"}}, []string{"sekret", "sek"})
	r := rs[0]
	if r.Got != "g REDACTED" || r.Expected != "e REDACTED" || r.Message != "vendorkit: bss token: HTTP 400: REDACTED" {
		t.Errorf("%+v", r)
	}
}

// The recorder hands the client the response untouched, whatever its
// size, and keeps a bounded copy.
func TestRecorder(t *testing.T) {
	big := strings.Repeat("x", maxRecordedBody+10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/big" {
			io.WriteString(w, big)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	rec := &recorder{base: tr}
	hc := &http.Client{Transport: rec}

	req, _ := http.NewRequest("POST", srv.URL+"/echo", strings.NewReader("hello"))
	req.Header.Set("Authorization", "Bearer rec-tok")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp, err = hc.Get(srv.URL + "/big")
	if err != nil {
		t.Fatal(err)
	}
	bb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_, err = hc.Get("http://127.0.0.1:1/")
	if err == nil {
		t.Fatal("dead port answered")
	}

	log := rec.all()
	if string(b) != "hello" || len(log) != 3 || string(log[0].reqBody) != "hello" || string(log[0].respBody) != "hello" || log[0].status != 200 {
		t.Errorf("echo: client got %q, recorded %+v", b, log[0])
	}
	if len(bb) != len(big) || !log[1].truncated || len(log[1].respBody) != maxRecordedBody {
		t.Errorf("big: client got %d bytes, recorded %d (truncated %v)", len(bb), len(log[1].respBody), log[1].truncated)
	}
	if log[2].err == nil || log[2].status != 0 {
		t.Errorf("dead: %+v", log[2])
	}
	// An exchange's secrets are found once, when it is recorded.
	if got := log[0].secrets; len(got) != 2 || got[0] != "Bearer rec-tok" || got[1] != "rec-tok" {
		t.Errorf("echo: recorded secrets %q", got)
	}
	if got := rec.since(2); len(got) != 1 || rec.mark() != 3 || rec.since(9) != nil {
		t.Error("since/mark")
	}
}
